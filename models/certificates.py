"""Accepted (stamped) certificates, their cancellation requests, and downloadable documents."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, str_enum, utcnow
from models.batches import LOTE_ID, Batch
from models.enums import EstatusCertificado
from models.registry import Campus, Institution


class EstatusCancelacion(enum.StrEnum):
    PENDIENTE = "PENDIENTE"  # inside the review window
    APLICADA = "APLICADA"  # took effect: the certificate is CANCELADO
    RETIRADA = "RETIRADA"  # withdrawn by an SEP operator before taking effect


class Certificate(Base):
    """A certificate accepted and stamped by the SEP.

    Every filter of ``consultaCertificados`` has an index that also yields the results' order
    (``fecha_carga, folio_control, institution_id, id``) and ends in ``id``, so that a page is
    found by an index-only scan however deep it is (``mec_ws.services.query``); on PostgreSQL the
    order indexes also carry (``INCLUDE``) the columns other filters test, so combined filters
    are checked in the index too.  ``benchmarks/queries.py`` measures them on a million rows.
    ``folio_control`` is optional (NULL when the certificate has none; the unique constraint ignores
    NULLs on both SQLite and PostgreSQL); such a certificate is reached by its ``folio_digital``.
    """

    __tablename__ = "certificates"
    __table_args__ = (
        UniqueConstraint("institution_id", "folio_control"),
        # An institution's results in order (an IPES user's queries, an operator's idInstitucion).
        Index(
            "ix_certificates_institution_order",
            "institution_id",
            "fecha_carga",
            "folio_control",
            "id",
            postgresql_include=["campus_id", "estatus", "fecha_expedicion"],
        ),
        # Every institution's results in order (an SEP operator's queries, fechaCarga ranges).
        Index(
            "ix_certificates_order",
            "fecha_carga",
            "folio_control",
            "institution_id",
            "id",
            postgresql_include=["campus_id", "estatus", "fecha_expedicion"],
        ),
        Index(
            "ix_certificates_campus_order",
            "campus_id",
            "fecha_carga",
            "folio_control",
            "institution_id",
            "id",
            postgresql_include=["estatus", "fecha_expedicion"],
        ),
        Index(
            "ix_certificates_estatus_order", "estatus", "fecha_carga", "folio_control", "institution_id", "id"
        ),
        Index(
            "ix_certificates_fecha_expedicion_order",
            "fecha_expedicion",
            "institution_id",
            "fecha_carga",
            "folio_control",
            "id",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"))
    campus_id: Mapped[str] = mapped_column(ForeignKey("campuses.id"))  # ix_certificates_campus_order
    folio_pago: Mapped[str] = mapped_column(String(50), index=True)
    batch_id: Mapped[int] = mapped_column(LOTE_ID, ForeignKey("batches.numero_lote"), index=True)
    folio_control: Mapped[str | None] = mapped_column(String(100), index=True)  # XSD: maxLength 100
    folio_digital: Mapped[str] = mapped_column(String(36), unique=True)
    curp: Mapped[str] = mapped_column(String(18), index=True)
    nombre_completo: Mapped[str] = mapped_column(Text)
    carrera: Mapped[str] = mapped_column(Text)
    id_carrera: Mapped[str] = mapped_column(Text)
    clave_plan: Mapped[str] = mapped_column(Text)
    lugar_expedicion: Mapped[str] = mapped_column(Text)
    fecha_expedicion: Mapped[date]  # ix_certificates_fecha_expedicion_order
    fecha_carga: Mapped[datetime] = mapped_column(default=utcnow)
    estatus: Mapped[EstatusCertificado] = mapped_column(
        str_enum(EstatusCertificado, "estatus_certificado"), default=EstatusCertificado.VIGENTE
    )  # ix_certificates_estatus_order
    stamped_xml: Mapped[bytes] = mapped_column(LargeBinary)

    institution: Mapped[Institution] = relationship()
    campus: Mapped[Campus] = relationship()
    batch: Mapped[Batch] = relationship()
    cancellations: Mapped[list[CancellationRequest]] = relationship(
        back_populates="certificate", order_by="CancellationRequest.requested_at"
    )


class CertificateCount(Base):
    """How many certificates each (institution, campus, estatus) has: the exact ``totalRegistros``
    of a query filtered only by those, without counting rows.

    Kept by database triggers on ``certificates`` (insert, delete, and update of those three
    columns; migration ``0005``), so every writer — the worker, bulk SQL, a hand-made fix — keeps
    it right in the same transaction.  Rows with ``n = 0`` may remain.
    """

    __tablename__ = "certificate_counts"

    institution_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    campus_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    estatus: Mapped[EstatusCertificado] = mapped_column(
        str_enum(EstatusCertificado, "estatus_certificado"), primary_key=True
    )
    n: Mapped[int] = mapped_column(BigInteger, default=0)


class CertificateMonthCount(Base):
    """How many certificates each institution has per month of ``fecha_carga``: where a deep page
    of a query filtered by nothing but the institution lies, without walking the rows before it.

    ``mes`` is ``'YYYY-MM'`` of ``fecha_carga`` in UTC, the same bucket on both databases: on
    PostgreSQL ``to_char(fecha_carga AT TIME ZONE 'UTC', 'YYYY-MM')``, on SQLite the first seven
    characters of the stored text (naive UTC ``YYYY-MM-DD HH:MM:SS.ffffff``, compared as text; SQLite's
    date functions work in milliseconds, and ``datetime()`` of 23:59:59.9995 on the last day of a
    month is already the next month).  A month's rows are exactly those with
    ``month_start(mes) <= fecha_carga < month_start(next mes)`` on both databases.

    Kept by database triggers on ``certificates`` (insert, delete, and update of ``institution_id``
    or ``fecha_carga``; migration ``0011``) like :class:`CertificateCount`.  Rows with ``n = 0`` may
    remain.  ``(mes, n)`` makes the national sum per month an index-only scan.
    """

    __tablename__ = "certificate_month_counts"
    __table_args__ = (Index("ix_certificate_month_counts_mes_n", "mes", "n"),)

    institution_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    mes: Mapped[str] = mapped_column(String(7), primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger, default=0)


class CancellationRequest(Base):
    """``solicitaCancelacion``: pending for the review window, then applied (or withdrawn).

    A certificate has at most one pending request (a partial unique index).
    """

    __tablename__ = "cancellation_requests"
    __table_args__ = (
        Index(
            "ux_cancellation_requests_pendiente",
            "certificate_id",
            unique=True,
            sqlite_where=text("estatus = 'PENDIENTE'"),
            postgresql_where=text("estatus = 'PENDIENTE'"),
        ),
        Index("ix_cancellation_requests_estatus_effective_at", "estatus", "effective_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id"), index=True)
    motivo: Mapped[str] = mapped_column(String(10))  # catalog motivo_cancelacion
    observaciones: Mapped[str | None] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(String(100))  # username
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    effective_at: Mapped[datetime]
    estatus: Mapped[EstatusCancelacion] = mapped_column(
        str_enum(EstatusCancelacion, "estatus_cancelacion"), default=EstatusCancelacion.PENDIENTE
    )
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None]

    certificate: Mapped[Certificate] = relationship(back_populates="cancellations")


class Document(Base):
    """A document the SEP publishes for institutions beyond the generated ones (XSD, XSLT, …)."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    nombre: Mapped[str] = mapped_column(String(255), unique=True)
    descripcion: Mapped[str] = mapped_column(String(500))
    media_type: Mapped[str] = mapped_column(String(100))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    size_bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
