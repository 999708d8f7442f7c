"""Batches that ended ``FALLIDO``: list them, retry them, mark them reviewed.

The same functions serve ``mec-ws admin lotes-fallidos``, ``/salud`` and the portal's console.
Retrying puts the batch back in the queue with the same ``numeroLote`` and stored file, as the
next attempt of its folio; it is refused while the folio has another batch pending, was accepted,
or has no attempts left.  An institution that sends the very same bytes again gets the same
treatment (:func:`requeue`), so a network retry after a failure costs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from mec_ws.batches.attempts import PENDING, attempts_of
from mec_ws.errors import CargaEnProceso, FolioAceptado, FolioAgotado, LoteInexistente
from mec_ws.services.dto import EstatusFolio, EstatusLote
from models import MAX_ATTEMPTS, Batch, FolioPago


@dataclass(frozen=True, slots=True)
class LoteFallido:
    numero_lote: int
    folio_pago: str
    institucion: str
    nombre_archivo: str
    fecha_carga: datetime
    fecha_falla: datetime | None
    causa: str
    revisado_por: str | None
    revisado_en: datetime | None


def list_failed(session: Session, *, include_reviewed: bool = True) -> list[LoteFallido]:
    query = (
        select(Batch, FolioPago.folio)
        .join(FolioPago, FolioPago.id == Batch.folio_id)
        .where(Batch.estatus == EstatusLote.FALLIDO)
        .order_by(Batch.processed_at, Batch.numero_lote)
    )
    if not include_reviewed:
        query = query.where(Batch.failure_reviewed_at.is_(None))
    rows = session.execute(query).all()
    session.rollback()
    return [
        LoteFallido(
            numero_lote=b.numero_lote,
            folio_pago=folio,
            institucion=b.institution_id,
            nombre_archivo=b.nombre_archivo,
            fecha_carga=b.received_at,
            fecha_falla=b.processed_at,
            causa=b.failure_reason or "",
            revisado_por=b.failure_reviewed_by,
            revisado_en=b.failure_reviewed_at,
        )
        for b, folio in rows
    ]


def unreviewed_failed(session: Session) -> list[int]:
    """``numeroLote`` of the FALLIDO batches no operator has looked at (for ``/salud``)."""
    return list(
        session.scalars(
            select(Batch.numero_lote)
            .where(Batch.estatus == EstatusLote.FALLIDO, Batch.failure_reviewed_at.is_(None))
            .order_by(Batch.numero_lote)
        )
    )


def judged_attempts(session: Session, folio: FolioPago) -> int:
    """The one count (:mod:`mec_ws.batches.attempts`)."""
    return attempts_of(session, folio).used


def requeue(session: Session, batch: Batch, folio: FolioPago, *, now: datetime, mensaje: str) -> None:
    """Put a FALLIDO batch back in the queue as its folio's next attempt (caller commits).

    Both rows must be locked by the caller.  Raises the fault that explains why it cannot be.
    """
    if folio.estatus is EstatusFolio.ACEPTADO:
        raise FolioAceptado(f"El folio de pago «{folio.folio}» ya fue aceptado; no admite más cargas.")
    pending = session.scalars(
        select(Batch.numero_lote).where(Batch.folio_id == folio.id, Batch.estatus.in_(PENDING))
    ).first()
    if pending is not None:
        raise CargaEnProceso(
            f"El lote {pending} del folio «{folio.folio}» aún se está procesando; "
            "espere su resultado antes de volver a cargar."
        )
    used = judged_attempts(session, folio)
    if used >= MAX_ATTEMPTS or folio.estatus is EstatusFolio.AGOTADO:
        raise FolioAgotado(f"El folio de pago «{folio.folio}» ya usó sus {MAX_ATTEMPTS} intentos de carga.")
    batch.intento = used + 1
    batch.estatus = EstatusLote.RECIBIDO
    batch.mensaje = mensaje
    batch.claimed_by = None
    batch.claim_expires_at = None
    batch.claim_count = 0
    batch.archivos_procesados = 0
    batch.archivos_con_error = 0
    batch.processed_at = None
    batch.received_at = now
    folio.estatus = EstatusFolio.EN_PROCESO


def _locked(session: Session, numero_lote: int) -> tuple[Batch, FolioPago]:
    batch = session.scalars(
        select(Batch).where(Batch.numero_lote == numero_lote).with_for_update()
    ).one_or_none()
    if batch is None or batch.estatus is not EstatusLote.FALLIDO:
        raise LoteInexistente(f"No hay un lote FALLIDO con número {numero_lote}.")
    folio = session.scalars(select(FolioPago).where(FolioPago.id == batch.folio_id).with_for_update()).one()
    return batch, folio


def retry_failed(session: Session, numero_lote: int, *, operator: str, now: datetime) -> Batch:
    """An operator sends a FALLIDO batch back to the queue (committed)."""
    try:
        batch, folio = _locked(session, numero_lote)
        requeue(
            session,
            batch,
            folio,
            now=now,
            mensaje="Reintento solicitado por la SEP tras una falla del servicio; en espera de proceso.",
        )
        batch.failure_reviewed_at = now
        batch.failure_reviewed_by = operator
        session.commit()
        return batch
    except BaseException:
        session.rollback()
        raise


def mark_reviewed(session: Session, numero_lote: int, *, operator: str, now: datetime) -> Batch:
    """An operator looked at a FALLIDO batch: it leaves ``/salud`` (committed)."""
    try:
        batch, _ = _locked(session, numero_lote)
        batch.failure_reviewed_at = now
        batch.failure_reviewed_by = operator
        session.commit()
        return batch
    except BaseException:
        session.rollback()
        raise
