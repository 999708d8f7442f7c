"""Ending a batch ``FALLIDO``: the service, not the certificates, could not finish it.

A ``FALLIDO`` batch spends no attempt: its folio goes back to what its judged attempts say
(``DISPONIBLE``, or ``AGOTADO`` after two rejections), so the institution may upload again at
once.  The institution reads a message saying the fault is ours; the cause (``failure_reason``)
is kept for the SEP's operators, who review or retry the batch (``mec_ws.services.failed``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from mec_ws.batches import attempts
from models import Batch, BatchChunk, EstatusLote, FolioPago

MAX_REASON = 2000


def service_fault_message(numero_lote: int) -> str:
    return (
        f"El lote {numero_lote} no pudo procesarse por una falla del servicio de la SEP, no de sus "
        "certificados: no se consumió ningún intento de su folio de pago y puede volver a cargar el "
        "mismo archivo. La falla quedó registrada para su revisión."
    )


def fail_batch(
    session: Session, numero_lote: int, *, reason: str, now: datetime, worker_id: str | None = None
) -> bool:
    """Mark a pending batch ``FALLIDO`` and free its folio, in one transaction (committed).

    With ``worker_id``, only while that worker still holds the claim.  Returns False (writing
    nothing) when the batch already ended or belongs to another worker.
    """
    try:
        batch = session.scalars(
            select(Batch).where(Batch.numero_lote == numero_lote).with_for_update()
        ).one_or_none()
        if batch is None or batch.estatus not in (EstatusLote.RECIBIDO, EstatusLote.EN_PROCESO):
            session.rollback()
            return False
        if worker_id is not None and batch.claimed_by != worker_id:
            session.rollback()
            return False
        folio = session.scalars(
            select(FolioPago).where(FolioPago.id == batch.folio_id).with_for_update()
        ).one()
        session.execute(delete(BatchChunk).where(BatchChunk.numero_lote == numero_lote))
        batch.estatus = EstatusLote.FALLIDO
        batch.mensaje = service_fault_message(numero_lote)
        batch.failure_reason = reason[:MAX_REASON]
        batch.failure_reviewed_at = None
        batch.failure_reviewed_by = None
        batch.processed_at = now
        batch.claimed_by = None
        batch.claim_expires_at = None
        session.flush()
        attempts.settle(session, folio)  # a FALLIDO batch uses no attempt: the folio is free again
        session.commit()
        return True
    except BaseException:
        session.rollback()
        raise
