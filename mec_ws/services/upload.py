"""``cargaCertificados``: take an upload against a folio de pago, store it durably, answer at once.

The checks, in order, all inside one transaction that holds the folio row (``SELECT … FOR UPDATE``
on PostgreSQL; SQLite transactions start with ``BEGIN IMMEDIATE``, see :mod:`mec_ws.db`):

1. the folio exists and belongs to the caller's institution (else ``FolioInexistente``);
2. the very same bytes already form a live batch of this folio → that batch, nothing consumed;
3. the folio is accepted (``FolioAceptado``), spent (``FolioAgotado``) or has a batch still
   ``RECIBIDO``/``EN_PROCESO`` (``CargaEnProceso``);
4. the file is written and ``fsync``'d, then the batch row (``RECIBIDO``) is committed.

``(folio_id, intento)`` is unique in the database, so of two concurrent uploads only one can take
the attempt; the other gets ``CargaEnProceso`` (or, when it carried the same bytes, the batch the
first one created).  Upload-level checks that need no folio (size, empty, neither XML nor ZIP, a
ZIP without a readable central directory) come first and never consume anything.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mec_ws.batches.intake import check_upload
from mec_ws.batches.storage import BatchStorage, sha256_hex
from mec_ws.config import Settings
from mec_ws.errors import CargaEnProceso, FolioAceptado, FolioAgotado, FolioInexistente, SolicitudInvalida
from mec_ws.services.dto import CargaResult, EstatusFolio, EstatusLote, Principal
from mec_ws.services.failed import requeue
from models import MAX_ATTEMPTS, Batch, FolioPago

PENDING = (EstatusLote.RECIBIDO, EstatusLote.EN_PROCESO)
MAX_NAME = 255


def folio_not_found(folio_pago: str) -> FolioInexistente:
    return FolioInexistente(f"El folio de pago «{folio_pago}» no existe o no corresponde a su institución.")


def lock_folio(session: Session, folio_pago: str, who: Principal) -> FolioPago:
    """The folio row, locked for this transaction, visible to ``who`` (else ``FolioInexistente``)."""
    query = select(FolioPago).where(FolioPago.folio == folio_pago).with_for_update()
    folio = session.scalars(query).one_or_none()
    if folio is None or (not who.is_operator and folio.institution_id != who.institution_id):
        raise folio_not_found(folio_pago)
    return folio


def attempts_left(folio: FolioPago, batches: int) -> int:
    """What the client may still try: none once accepted, else the attempts not yet taken."""
    if folio.estatus is EstatusFolio.ACEPTADO:
        return 0
    return max(0, MAX_ATTEMPTS - batches)


def _result(batch: Batch, folio: FolioPago, batches: int, mensaje: str) -> CargaResult:
    return CargaResult(
        numero_lote=batch.numero_lote,
        folio_pago=folio.folio,
        intento=batch.intento,
        intentos_restantes=attempts_left(folio, batches),
        estatus=batch.estatus,
        mensaje=mensaje,
    )


def _same_upload(session: Session, folio: FolioPago, digest: str) -> Batch | None:
    return session.scalars(
        select(Batch).where(
            Batch.folio_id == folio.id, Batch.sha256 == digest, Batch.estatus != EstatusLote.RECHAZADO
        )
    ).first()


def _batch_count(session: Session, folio: FolioPago) -> int:
    """Attempts taken: every batch but those that failed through our fault (``FALLIDO``)."""
    return int(
        session.scalar(
            select(func.count()).where(Batch.folio_id == folio.id, Batch.estatus != EstatusLote.FALLIDO)
        )
        or 0
    )


def _resume_failed(session: Session, batch: Batch, folio: FolioPago, now: datetime) -> CargaResult:
    """The same bytes as a batch that failed through our fault: that batch goes back to the queue."""
    requeue(
        session,
        batch,
        folio,
        now=now,
        mensaje="Recibido de nuevo tras una falla del servicio; en espera de procesamiento.",
    )
    session.flush()
    result = _result(
        batch,
        folio,
        _batch_count(session, folio),
        f"Este mismo archivo ya se había recibido como lote {batch.numero_lote}, que no pudo procesarse "
        f"por una falla del servicio; se procesará de nuevo como intento {batch.intento} de {MAX_ATTEMPTS}.",
    )
    session.commit()
    return result


def _retry_message(batch: Batch) -> str:
    return (
        f"Este mismo archivo ya se había recibido como lote {batch.numero_lote} (intento {batch.intento}, "
        f"estatus {batch.estatus}); no se consumió otro intento."
    )


def receive_upload(
    session: Session,
    who: Principal,
    folio_pago: str,
    nombre_archivo: str,
    contenido: bytes,
    *,
    settings: Settings,
    storage: BatchStorage,
    now: datetime,
) -> CargaResult:
    if who.institution_id is None:
        raise SolicitudInvalida(
            "Solo un usuario de una institución puede cargar certificados contra sus folios de pago."
        )
    nombre = (nombre_archivo or "").strip()[:MAX_NAME] or "carga"
    folio_pago = (folio_pago or "").strip()
    kind, total = check_upload(contenido, settings)  # ArchivoInvalido; nothing consumed
    digest = sha256_hex(contenido)
    try:
        folio = lock_folio(session, folio_pago, who)
        previous = _same_upload(session, folio, digest)
        if previous is not None and previous.estatus is EstatusLote.FALLIDO:
            return _resume_failed(session, previous, folio, now)
        if previous is not None:
            result = _result(previous, folio, _batch_count(session, folio), _retry_message(previous))
            session.rollback()
            return result
        if folio.estatus is EstatusFolio.ACEPTADO:
            raise FolioAceptado(f"El folio de pago «{folio.folio}» ya fue aceptado; no admite más cargas.")
        if folio.intentos_usados >= MAX_ATTEMPTS or folio.estatus is EstatusFolio.AGOTADO:
            raise FolioAgotado(
                f"El folio de pago «{folio.folio}» ya usó sus {MAX_ATTEMPTS} intentos de carga."
            )
        pending = session.scalars(
            select(Batch).where(Batch.folio_id == folio.id, Batch.estatus.in_(PENDING))
        ).first()
        if pending is not None:
            raise CargaEnProceso(
                f"El lote {pending.numero_lote} del folio «{folio.folio}» aún se está procesando; "
                "espere su resultado antes de volver a cargar."
            )
        batches = _batch_count(session, folio)
        if batches >= MAX_ATTEMPTS:
            raise FolioAgotado(
                f"El folio de pago «{folio.folio}» ya usó sus {MAX_ATTEMPTS} intentos de carga."
            )
        stored = storage.store(contenido)  # durable before the batch row exists
        batch = Batch(
            folio_id=folio.id,
            institution_id=folio.institution_id,
            intento=batches + 1,
            nombre_archivo=nombre,
            stored_path=stored.relative_path,
            sha256=stored.sha256,
            size_bytes=stored.size,
            kind=kind,
            estatus=EstatusLote.RECIBIDO,
            mensaje="Recibido; en espera de procesamiento.",
            received_at=now,
            total_archivos=total,
        )
        session.add(batch)
        folio.estatus = EstatusFolio.EN_PROCESO
        session.flush()
        result = _result(
            batch,
            folio,
            batches + 1,
            f"Archivo recibido como lote {batch.numero_lote} (intento {batch.intento} de {MAX_ATTEMPTS}); "
            "consulte su estatus con consultaEstatusCarga.",
        )
        session.commit()
        return result
    except IntegrityError:
        session.rollback()
        return _after_conflict(session, who, folio_pago, digest)
    except BaseException:
        session.rollback()
        raise


def _after_conflict(session: Session, who: Principal, folio_pago: str, digest: str) -> CargaResult:
    """A concurrent upload took the attempt first: same bytes → its batch; else CargaEnProceso."""
    try:
        folio = lock_folio(session, folio_pago, who)
        previous = _same_upload(session, folio, digest)
        if previous is not None:
            return _result(previous, folio, _batch_count(session, folio), _retry_message(previous))
    finally:
        session.rollback()
    raise CargaEnProceso(
        f"Otra carga del folio «{folio_pago}» se recibió al mismo tiempo y ya se está procesando; "
        "espere su resultado."
    )
