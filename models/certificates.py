"""Accepted (stamped) certificates, their cancellation requests, and downloadable documents."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mec_ws.services.dto import EstatusCertificado
from models.base import Base, str_enum, utcnow
from models.batches import LOTE_ID, Batch
from models.registry import Campus, Institution


class EstatusCancelacion(enum.StrEnum):
    PENDIENTE = "PENDIENTE"  # inside the review window
    APLICADA = "APLICADA"  # took effect: the certificate is CANCELADO
    RETIRADA = "RETIRADA"  # withdrawn by an SEP operator before taking effect


class Certificate(Base):
    """A certificate accepted and stamped by the SEP.

    Every filter of ``consultaCertificados`` has an index; ``(institution_id, fecha_carga,
    folio_control)`` serves the stable paging order of an institution's queries.
    """

    __tablename__ = "certificates"
    __table_args__ = (
        UniqueConstraint("institution_id", "folio_control"),
        Index(
            "ix_certificates_institution_fecha_carga_folio", "institution_id", "fecha_carga", "folio_control"
        ),
        Index("ix_certificates_fecha_carga_folio", "fecha_carga", "folio_control"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"))
    campus_id: Mapped[str] = mapped_column(ForeignKey("campuses.id"), index=True)
    folio_pago: Mapped[str] = mapped_column(String(50), index=True)
    batch_id: Mapped[int] = mapped_column(LOTE_ID, ForeignKey("batches.numero_lote"), index=True)
    folio_control: Mapped[str] = mapped_column(String(100), index=True)  # XSD: maxLength 100
    folio_digital: Mapped[str] = mapped_column(String(36), unique=True)
    curp: Mapped[str] = mapped_column(String(18), index=True)
    nombre_completo: Mapped[str] = mapped_column(Text)
    carrera: Mapped[str] = mapped_column(Text)
    id_carrera: Mapped[str] = mapped_column(Text)
    clave_plan: Mapped[str] = mapped_column(Text)
    lugar_expedicion: Mapped[str] = mapped_column(Text)
    fecha_expedicion: Mapped[date] = mapped_column(index=True)
    fecha_carga: Mapped[datetime] = mapped_column(default=utcnow)
    estatus: Mapped[EstatusCertificado] = mapped_column(
        str_enum(EstatusCertificado, "estatus_certificado"), default=EstatusCertificado.VIGENTE, index=True
    )
    stamped_xml: Mapped[bytes] = mapped_column(LargeBinary)

    institution: Mapped[Institution] = relationship()
    campus: Mapped[Campus] = relationship()
    batch: Mapped[Batch] = relationship()
    cancellations: Mapped[list[CancellationRequest]] = relationship(
        back_populates="certificate", order_by="CancellationRequest.requested_at"
    )


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
