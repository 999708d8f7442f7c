"""Applying cancellation requests: the domain step shared by the SEP's review and the worker.

:func:`apply_request` turns a pending :class:`models.CancellationRequest` into an applied one and
its certificate ``CANCELADO``; :func:`apply_due_cancellations` does it for every request whose
review window has passed (the worker runs it).  Requesting, approving and withdrawing live in
:mod:`mec_ws.services.cancellation`, which re-exports these.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import CancellationRequest, EstatusCancelacion, EstatusCertificado


def apply_request(request: CancellationRequest, *, now: datetime, by: str | None) -> None:
    """Apply ``request`` at ``now``; ``by`` is the operator of an early approval (``None``: the
    worker, whose applications stay undecided)."""
    request.estatus = EstatusCancelacion.APLICADA
    request.effective_at = min(request.effective_at, now)
    if by is not None:
        request.decided_by = by
        request.decided_at = now
    request.certificate.estatus = EstatusCertificado.CANCELADO


def apply_due_cancellations(session: Session, *, now: datetime, wait: bool = False) -> int:
    """Apply every pending request whose window has passed (committed); how many were applied.

    Several workers may run this at once: on PostgreSQL each takes the rows no other holds
    (``SKIP LOCKED``), so each request is applied exactly once.  With ``wait`` (a reader that
    must see the result) it waits for rows another transaction holds instead; those already
    applied meanwhile no longer match.
    """
    due = session.scalars(
        select(CancellationRequest)
        .where(
            CancellationRequest.estatus == EstatusCancelacion.PENDIENTE,
            CancellationRequest.effective_at <= now,
        )
        .order_by(CancellationRequest.effective_at, CancellationRequest.id)
        .with_for_update(skip_locked=not wait)
        .execution_options(populate_existing=True)
    ).all()
    for request in due:
        apply_request(request, now=request.effective_at, by=None)
    session.commit()
    return len(due)
