"""The one count of a folio de pago's attempts, behind every screen, command and operation.

An attempt is *used* by a judged batch: ``RECHAZADO`` or ``ACEPTADO`` (``contract.md``, "What
spends an attempt, and what does not").  A batch still ``RECIBIDO``/``EN_PROCESO`` is *pending*:
it has not used its attempt yet but holds it, so it is not among those *left*.  An accepted folio
has none left.  The next upload's ``intento`` is ``used + 1`` (an upload is refused while one is
pending).

``cargaCertificados``, ``consultaEstatusCarga``, ``mec-ws admin list-folios`` and the demo data all
read :func:`attempts_of`; ``FolioPago.intentos_usados`` is a copy kept only by :func:`settle`, which
the worker calls in the transaction that judges a batch, and read by nobody else.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import MAX_ATTEMPTS, Batch, FolioPago
from models.enums import EstatusFolio, EstatusLote

JUDGED = (EstatusLote.RECHAZADO, EstatusLote.ACEPTADO)
PENDING = (EstatusLote.RECIBIDO, EstatusLote.EN_PROCESO)


@dataclass(frozen=True, slots=True)
class Attempts:
    used: int
    pending: int
    left: int
    accepted: bool

    @property
    def next_intento(self) -> int:
        return self.used + 1

    @property
    def exhausted(self) -> bool:
        return not self.accepted and self.used >= MAX_ATTEMPTS


def tally(statuses: Iterable[EstatusLote]) -> Attempts:
    """The count from the statuses of a folio's batches (already loaded)."""
    listed = [EstatusLote(s) for s in statuses]
    used = sum(1 for s in listed if s in JUDGED)
    pending = sum(1 for s in listed if s in PENDING)
    accepted = EstatusLote.ACEPTADO in listed
    left = 0 if accepted else max(0, MAX_ATTEMPTS - used - pending)
    return Attempts(used=used, pending=pending, left=left, accepted=accepted)


def attempts_of(session: Session, folio: FolioPago) -> Attempts:
    """The count for ``folio``, read from its batches in this transaction."""
    session.flush()
    return tally(session.scalars(select(Batch.estatus).where(Batch.folio_id == folio.id)).all())


def settle(session: Session, folio: FolioPago) -> Attempts:
    """After a batch of ``folio`` was judged (its status already set): the folio's copy of the
    count and its status (``ACEPTADO``, ``AGOTADO`` or ``DISPONIBLE``), in the caller's transaction."""
    count = attempts_of(session, folio)
    folio.intentos_usados = min(MAX_ATTEMPTS, count.used)
    if count.accepted:
        folio.estatus = EstatusFolio.ACEPTADO
    elif count.pending:
        folio.estatus = EstatusFolio.EN_PROCESO
    elif count.exhausted:
        folio.estatus = EstatusFolio.AGOTADO
    else:
        folio.estatus = EstatusFolio.DISPONIBLE
    return count
