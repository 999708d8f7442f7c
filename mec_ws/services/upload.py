"""``cargaCertificados``: take an upload against a folio de pago, store it durably, answer at once.

First the package, with no folio and no lock (:mod:`mec_ws.batches.intake`): empty, too large,
neither XML nor ZIP, and every package fault (empty ZIP, folder, nested archive, encrypted or
unreadable entry, too many entries, duplicate names, an entry over ``MEC_MAX_XML_MB``...) is
``ArchivoInvalido`` naming the entry and why. The package is read entry by entry from the bytes
already in memory or from the file the upload was spooled to (:mod:`mec_ws.incoming`), never
copied; a spooled file is then moved into the storage, not rewritten. Then, still without any lock,
the folio must exist and belong to the caller's institution (else ``FolioInexistente``) and the
file is written and ``fsync``'d (content-addressed, so a file written for an upload that is then
refused is harmless and reused by a retry): the slow fsync of up to 100 MB holds no row lock and,
on SQLite, not the database's write lock. Then the checks, in order, inside one short transaction
that holds the folio row (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite transactions start with
``BEGIN IMMEDIATE``, see :mod:`mec_ws.db`):

1. the folio exists and belongs to the caller's institution (else ``FolioInexistente``);
2. the very same bytes already form a batch of this folio, whatever its status (accepted, rejected,
   in process) → that batch, nothing spent;
3. the folio is accepted (``FolioAceptado``), spent (``FolioAgotado``) or has a batch still
   ``RECIBIDO``/``EN_PROCESO`` (``CargaEnProceso``);
4. the package holds exactly the certificates the folio covers (else ``CantidadNoCoincide``,
   saying both numbers);
5. the batch row (``RECIBIDO``) is committed.

No fault spends anything: only a judged batch uses an attempt (:mod:`mec_ws.services.attempts`,
the one count).  ``(folio_id, intento)`` is unique in the database, so of two concurrent uploads
only one can take the attempt; the other gets ``CargaEnProceso`` (or, when it carried the same
bytes, the batch the first one created: ``(folio_id, sha256)`` is unique too).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mec_ws import db
from mec_ws.batches.intake import check_count, check_package
from mec_ws.batches.storage import BatchStorage
from mec_ws.config import Settings
from mec_ws.errors import CargaEnProceso, FolioAceptado, FolioAgotado, FolioInexistente, SolicitudInvalida
from mec_ws.incoming import IncomingFile
from mec_ws.services.attempts import PENDING, Attempts, attempts_of
from mec_ws.services.dto import CargaResult, EstatusFolio, EstatusLote, Principal
from mec_ws.services.failed import requeue
from models import MAX_ATTEMPTS, Batch, FolioPago

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


def _check_visible(session: Session, folio_pago: str, who: Principal) -> None:
    """``FolioInexistente`` unless the folio exists and is ``who``'s; a read that ends its
    transaction (on SQLite it takes no write lock)."""
    if session.in_transaction():
        session.rollback()
    db.read_only(session)
    owner = session.scalar(select(FolioPago.institution_id).where(FolioPago.folio == folio_pago))
    session.rollback()
    if owner is None or (not who.is_operator and owner != who.institution_id):
        raise folio_not_found(folio_pago)


def _result(batch: Batch, folio: FolioPago, left: int, mensaje: str) -> CargaResult:
    return CargaResult(
        numero_lote=batch.numero_lote,
        folio_pago=folio.folio,
        intento=batch.intento,
        intentos_restantes=left,
        estatus=batch.estatus,
        mensaje=mensaje,
    )


def _same_upload(session: Session, folio: FolioPago, digest: str) -> Batch | None:
    """The batch of ``folio`` with these very bytes, whatever its status."""
    return session.scalars(select(Batch).where(Batch.folio_id == folio.id, Batch.sha256 == digest)).first()


def _spent(folio: FolioPago) -> FolioAgotado:
    return FolioAgotado(f"El folio de pago «{folio.folio}» ya usó sus {MAX_ATTEMPTS} intentos de carga.")


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
        attempts_of(session, folio).left,
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
    contenido: bytes | IncomingFile,
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
    incoming = IncomingFile.of(contenido)
    package = check_package(incoming, settings, nombre)  # ArchivoInvalido; nothing spent
    digest = incoming.sha256
    _check_visible(session, folio_pago, who)  # FolioInexistente before anything is written
    stored = storage.store(incoming)  # durable before the batch row exists; no lock held
    try:
        folio = lock_folio(session, folio_pago, who)
        previous = _same_upload(session, folio, digest)
        if previous is not None and previous.estatus is EstatusLote.FALLIDO:
            return _resume_failed(session, previous, folio, now)
        if previous is not None:
            result = _result(previous, folio, attempts_of(session, folio).left, _retry_message(previous))
            session.rollback()
            return result
        count: Attempts = attempts_of(session, folio)
        if count.accepted or folio.estatus is EstatusFolio.ACEPTADO:
            raise FolioAceptado(f"El folio de pago «{folio.folio}» ya fue aceptado; no admite más cargas.")
        if count.exhausted:
            raise _spent(folio)
        if count.pending:
            pending = session.scalars(
                select(Batch).where(Batch.folio_id == folio.id, Batch.estatus.in_(PENDING))
            ).first()
            numero = f" {pending.numero_lote}" if pending is not None else ""
            raise CargaEnProceso(
                f"El lote{numero} del folio «{folio.folio}» aún se está procesando; "
                "espere su resultado antes de volver a cargar."
            )
        check_count(package.certificates, folio.folio, folio.cantidad)  # CantidadNoCoincide
        batch = Batch(
            folio_id=folio.id,
            institution_id=folio.institution_id,
            intento=count.next_intento,
            nombre_archivo=nombre,
            stored_path=stored.relative_path,
            sha256=stored.sha256,
            size_bytes=stored.size,
            kind=package.kind,
            estatus=EstatusLote.RECIBIDO,
            mensaje="Recibido; en espera de procesamiento.",
            received_at=now,
            total_archivos=package.certificates,
        )
        session.add(batch)
        folio.estatus = EstatusFolio.EN_PROCESO
        session.flush()
        result = _result(
            batch,
            folio,
            attempts_of(session, folio).left,
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
            return _result(previous, folio, attempts_of(session, folio).left, _retry_message(previous))
    finally:
        session.rollback()
    raise CargaEnProceso(
        f"Otra carga del folio «{folio_pago}» se recibió al mismo tiempo y ya se está procesando; "
        "espere su resultado."
    )
