"""Folios de pago and the batches (lotes) uploaded against them, with per-file findings."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, str_enum, utcnow
from models.enums import EstatusArchivo, EstatusFolio, EstatusLote

MAX_ATTEMPTS = 2
"""Attempts per folio de pago (``contract.md``); also enforced by a CHECK on ``batches.intento``."""

# An integer usable as xs:long on PostgreSQL, and a ROWID alias (hence autoincrementing) on SQLite.
LOTE_ID = BigInteger().with_variant(Integer(), "sqlite")


class BatchKind(enum.StrEnum):
    XML = "xml"
    ZIP = "zip"


class FolioPago(Base):
    __tablename__ = "folios_pago"
    __table_args__ = (
        CheckConstraint("cantidad > 0", name="cantidad"),
        CheckConstraint(f"intentos_usados >= 0 AND intentos_usados <= {MAX_ATTEMPTS}", name="intentos"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    folio: Mapped[str] = mapped_column(String(50), unique=True)
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"), index=True)
    cantidad: Mapped[int]  # certificates the folio covers
    intentos_usados: Mapped[int] = mapped_column(default=0)
    estatus: Mapped[EstatusFolio] = mapped_column(
        str_enum(EstatusFolio, "estatus_folio"), default=EstatusFolio.DISPONIBLE
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    batches: Mapped[list[Batch]] = relationship(back_populates="folio", order_by="Batch.intento")


class Batch(Base):
    """One upload (lote). ``numero_lote`` is what the client sees.

    ``(folio_id, intento)`` is unique among batches that are not ``FALLIDO``, so two concurrent
    uploads can never both count as the same attempt, while a batch that failed through our fault
    leaves its attempt number free.  ``(folio_id, sha256)`` is unique whatever the status, so the
    same bytes sent again (a network retry, or a rejected file sent again by mistake) find the
    earlier batch and spend nothing (a ``FALLIDO`` one is queued again).  Workers claim a batch by
    setting ``claimed_by`` (and ``claim_expires_at``, renewed with each progress write); a batch
    whose worker stopped beating (``worker_heartbeats``) or whose claim expired is taken over, and
    ``claim_count`` counts the claims: past ``MEC_WORKER_MAX_TRIES`` the batch ends ``FALLIDO`` with
    ``failure_reason`` kept for the operators (never shown to the institution) until one reviews or
    retries it.
    """

    __tablename__ = "batches"
    __table_args__ = (
        Index(
            "ux_batches_folio_intento",
            "folio_id",
            "intento",
            unique=True,
            sqlite_where=text("estatus <> 'FALLIDO'"),
            postgresql_where=text("estatus <> 'FALLIDO'"),
        ),
        CheckConstraint(f"intento >= 1 AND intento <= {MAX_ATTEMPTS}", name="intento"),
        Index("ux_batches_folio_sha256", "folio_id", "sha256", unique=True),
        Index("ix_batches_estatus_received_at", "estatus", "received_at"),
    )

    numero_lote: Mapped[int] = mapped_column(LOTE_ID, primary_key=True, autoincrement=True)
    folio_id: Mapped[int] = mapped_column(ForeignKey("folios_pago.id"))
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"), index=True)
    intento: Mapped[int]
    nombre_archivo: Mapped[str] = mapped_column(String(255))
    stored_path: Mapped[str] = mapped_column(String(500))  # relative to MEC_DATA_DIR
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[BatchKind] = mapped_column(str_enum(BatchKind, "batch_kind"))
    estatus: Mapped[EstatusLote] = mapped_column(
        str_enum(EstatusLote, "estatus_lote"), default=EstatusLote.RECIBIDO
    )
    mensaje: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    claim_expires_at: Mapped[datetime | None]
    claim_count: Mapped[int] = mapped_column(default=0)
    processed_at: Mapped[datetime | None]
    total_archivos: Mapped[int] = mapped_column(default=0)
    archivos_procesados: Mapped[int] = mapped_column(default=0)
    archivos_con_error: Mapped[int] = mapped_column(default=0)
    result_path: Mapped[str | None] = mapped_column(String(500))  # the result ZIP, when built
    failure_reason: Mapped[str | None] = mapped_column(Text)  # FALLIDO: the cause, for operators
    failure_reviewed_at: Mapped[datetime | None]  # an operator looked at the FALLIDO batch
    failure_reviewed_by: Mapped[str | None] = mapped_column(String(100))

    folio: Mapped[FolioPago] = relationship(back_populates="batches")
    files: Mapped[list[BatchFile]] = relationship(
        back_populates="batch", order_by="BatchFile.ordinal", cascade="all, delete-orphan"
    )


class BatchFile(Base):
    """One certificate file of a batch and its findings.

    ``errores`` is a JSON list of ``{"codigo", "mensaje", "ubicacion", "estatus"}`` objects.
    """

    __tablename__ = "batch_files"
    __table_args__ = (UniqueConstraint("batch_id", "ordinal"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(LOTE_ID, ForeignKey("batches.numero_lote", ondelete="CASCADE"))
    ordinal: Mapped[int]
    nombre: Mapped[str] = mapped_column(Text)  # ZIP entry names are long as their creator made them
    folio_control: Mapped[str | None] = mapped_column(Text)  # as read, even when the XSD rejects it
    estatus: Mapped[EstatusArchivo] = mapped_column(str_enum(EstatusArchivo, "estatus_archivo"))
    errores: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)

    batch: Mapped[Batch] = relationship(back_populates="files")


class WorkerHeartbeat(Base):
    """Last sign of life of each worker (``/salud`` reports the age of the newest)."""

    __tablename__ = "worker_heartbeats"

    worker_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    seen_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    can_stamp: Mapped[bool] = mapped_column(default=False, server_default=false())


class BatchChunk(Base):
    """A chunk of a large batch (more than ``MEC_LOTE_TROZO`` certificates) for any worker to process.

    ``first``/``stop`` index the readable entries of the upload (``readable[first:stop]``).  The
    worker coordinating the batch creates the chunks (``generation`` is the batch's ``claim_count``
    then: chunks of an earlier claim are deleted and never written again); any worker claims one
    (``claimed_by``, ``claim_expires_at``; a chunk whose worker stopped beating or whose claim
    expired is claimed again), validates and stamps its files and writes ``outcomes`` (the per-file
    findings and the values of each stamped certificate) and ``stamped`` (the stamped XMLs of the
    chunk, concatenated, only when every file of the chunk is correct), then ``done``.  Nothing of
    a chunk is a certificate: the coordinator judges the whole batch and inserts (or rejects) it in
    one final transaction that also deletes its chunks.
    """

    __tablename__ = "batch_chunks"

    numero_lote: Mapped[int] = mapped_column(
        LOTE_ID, ForeignKey("batches.numero_lote", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    generation: Mapped[int] = mapped_column(Integer)
    first: Mapped[int] = mapped_column(Integer)
    stop: Mapped[int] = mapped_column(Integer)
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    claim_expires_at: Mapped[datetime | None]
    done: Mapped[bool] = mapped_column(default=False, server_default=false())
    outcomes: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    stamped: Mapped[bytes | None] = mapped_column(LargeBinary)
