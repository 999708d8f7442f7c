"""``solicitaCancelacion`` and the SEP's review of cancellation requests.

A request puts the certificate in ``CANCELACION_SOLICITADA`` at once and records a
:class:`models.CancellationRequest` that takes effect ``settings.cancelacion_horas`` later
(``MEC_CANCELACION_HORAS``, 48 by default).  Until then an SEP operator may approve it early
(:func:`approve`) or withdraw it (:func:`withdraw`, the certificate is ``VIGENTE`` again); once the
window has passed, the worker applies it (:func:`apply_due_cancellations`) and the certificate is
``CANCELADO`` — a final state: it cannot be requested again, nor withdrawn.  The certificate's
``estatus`` column is the one source of truth every query, download, export and the public
verification page read.

Decisions:

- Only an IPES user requests cancellations, for its own institution's certificates.  SEP
  operators review (``mec-ws admin cancellations``); the request carries no institution, and a
  ``folioControl`` is unique only within one institution, so an operator's request is refused
  with ``CancelacionNoPermitida``.
- An unknown ``motivo`` is a mistake in the request itself: ``SolicitudInvalida``, listing the
  catalog's codes.  A certificate of another institution is "not found", like an unknown one.
- Every function here commits its own unit of work (the callers' sessions roll back whatever is
  left when they close).  Rows are locked ``FOR UPDATE`` on PostgreSQL; on SQLite every
  transaction is ``BEGIN IMMEDIATE`` (:mod:`mec_ws.db`), which serializes them.  The partial
  unique index on pending requests backs up the "one pending request per certificate" rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mec_ws import catalogs
from mec_ws.config import Settings
from mec_ws.errors import CancelacionNoPermitida, CertificadoInexistente, SolicitudInvalida
from mec_ws.services.dto import EstatusCertificado, Principal, ResultadoCancelacion
from models import CancellationRequest, Certificate, EstatusCancelacion

MEXICO_CITY = ZoneInfo("America/Mexico_City")
CATALOG = "motivo_cancelacion"
MAX_OBSERVACIONES = 1000
"""Characters of ``observaciones`` kept; longer text is refused (``SolicitudInvalida``)."""


@dataclass(frozen=True, slots=True)
class Decision:
    """What an SEP operator's approve/withdraw did."""

    folio_control: str
    institution_id: str
    estatus: EstatusCertificado  # the certificate's, after the decision
    decided_at: datetime


def local_time(when: datetime) -> str:
    """An instant as Mexico City wall time, the way messages show it."""
    return when.astimezone(MEXICO_CITY).strftime("%Y-%m-%d %H:%M")


def motivos() -> dict[str, str]:
    """The cancellation-reason catalog: code -> description, in file order."""
    return dict(catalogs.load(CATALOG))


def _motivo(raw: str | None) -> str:
    code = (raw or "").strip().upper()
    if not catalogs.is_known(CATALOG, code):
        valid = ", ".join(f"{k} ({v})" for k, v in catalogs.load(CATALOG).items())
        shown = (raw or "").strip()[:20]
        raise SolicitudInvalida(
            f"El motivo de cancelación «{shown}» no está en el catálogo. Motivos válidos: {valid}."
        )
    return code


def _observaciones(raw: str | None) -> str | None:
    text = (raw or "").strip()
    if len(text) > MAX_OBSERVACIONES:
        raise SolicitudInvalida(
            f"Las observaciones admiten hasta {MAX_OBSERVACIONES} caracteres (se recibieron {len(text)})."
        )
    return text or None


def _pending_of(session: Session, certificate_id: int) -> CancellationRequest | None:
    return session.scalars(
        select(CancellationRequest).where(
            CancellationRequest.certificate_id == certificate_id,
            CancellationRequest.estatus == EstatusCancelacion.PENDIENTE,
        )
    ).first()


def solicita_cancelacion(
    session: Session,
    who: Principal,
    folio_control: str,
    motivo: str,
    observaciones: str | None,
    *,
    settings: Settings,
    now: datetime,
) -> ResultadoCancelacion:
    """Record a cancellation request for one of ``who``'s certificates (committed)."""
    if who.is_operator or who.institution_id is None:
        raise CancelacionNoPermitida(
            "La cancelación la solicita la institución que expidió el certificado, con uno de sus "
            "usuarios; la SEP revisa las solicitudes (mec-ws admin cancellations)."
        )
    folio = (folio_control or "").strip()
    if not folio:
        raise SolicitudInvalida("Indique el folio de control del certificado que desea cancelar.")
    code = _motivo(motivo)
    notes = _observaciones(observaciones)
    cert = session.scalars(
        select(Certificate)
        .where(Certificate.institution_id == who.institution_id, Certificate.folio_control == folio)
        .with_for_update()
    ).first()
    if cert is None:
        raise CertificadoInexistente(
            f"El certificado con folio de control «{folio}» no existe o no corresponde a su institución."
        )
    if cert.estatus is EstatusCertificado.CANCELADO:
        raise CancelacionNoPermitida(f"El certificado con folio de control «{folio}» ya está cancelado.")
    pending = _pending_of(session, cert.id)
    if cert.estatus is EstatusCertificado.CANCELACION_SOLICITADA or pending is not None:
        when = ""
        if pending is not None:
            when = f", efectiva el {local_time(pending.effective_at)} (hora de la Ciudad de México)"
        raise CancelacionNoPermitida(
            f"El certificado con folio de control «{folio}» ya tiene una solicitud de cancelación "
            f"pendiente{when}."
        )
    effective = now + timedelta(hours=settings.cancelacion_horas)
    session.add(
        CancellationRequest(
            certificate_id=cert.id,
            motivo=code,
            observaciones=notes,
            requested_by=who.username,
            requested_at=now,
            effective_at=effective,
            estatus=EstatusCancelacion.PENDIENTE,
        )
    )
    cert.estatus = EstatusCertificado.CANCELACION_SOLICITADA
    try:
        session.commit()
    except IntegrityError:  # a concurrent request for the same certificate won the race
        session.rollback()
        raise CancelacionNoPermitida(
            f"El certificado con folio de control «{folio}» ya tiene una solicitud de cancelación pendiente."
        ) from None
    return ResultadoCancelacion(
        folio_control=folio,
        estatus=EstatusCertificado.CANCELACION_SOLICITADA,
        fecha_solicitud=now,
        fecha_efectiva=effective,
        mensaje=(
            f"Solicitud de cancelación registrada (motivo {code}: {catalogs.load(CATALOG)[code]}). "
            f"El certificado quedará CANCELADO el {local_time(effective)} (hora de la Ciudad de México), "
            "salvo que la SEP retire la solicitud antes."
        ),
    )


# --- review: the SEP side and the worker ---------------------------------------------------------


def pending_requests(session: Session, institution_id: str | None = None) -> Sequence[CancellationRequest]:
    """Pending requests (optionally of one institution), the soonest to take effect first."""
    query = (
        select(CancellationRequest)
        .join(Certificate, Certificate.id == CancellationRequest.certificate_id)
        .where(CancellationRequest.estatus == EstatusCancelacion.PENDIENTE)
        .order_by(CancellationRequest.effective_at, CancellationRequest.id)
    )
    if institution_id:
        query = query.where(Certificate.institution_id == institution_id)
    return session.scalars(query).all()


def _apply(request: CancellationRequest, *, now: datetime, by: str | None) -> None:
    request.estatus = EstatusCancelacion.APLICADA
    request.effective_at = min(request.effective_at, now)
    if by is not None:  # an operator's early approval; the worker's applications stay undecided
        request.decided_by = by
        request.decided_at = now
    request.certificate.estatus = EstatusCertificado.CANCELADO


def apply_due_cancellations(session: Session, *, now: datetime) -> int:
    """Apply every pending request whose window has passed (committed); how many were applied.

    Several workers may run this at once: on PostgreSQL each takes the rows no other holds
    (``SKIP LOCKED``), so each request is applied exactly once.
    """
    due = session.scalars(
        select(CancellationRequest)
        .where(
            CancellationRequest.estatus == EstatusCancelacion.PENDIENTE,
            CancellationRequest.effective_at <= now,
        )
        .order_by(CancellationRequest.effective_at, CancellationRequest.id)
        .with_for_update(skip_locked=True)
    ).all()
    for request in due:
        _apply(request, now=request.effective_at, by=None)
    session.commit()
    return len(due)


def _pending_request(session: Session, folio_control: str, institution_id: str | None) -> CancellationRequest:
    folio = (folio_control or "").strip()
    query = (
        select(CancellationRequest)
        .join(Certificate, Certificate.id == CancellationRequest.certificate_id)
        .where(
            Certificate.folio_control == folio,
            CancellationRequest.estatus == EstatusCancelacion.PENDIENTE,
        )
        .with_for_update(of=CancellationRequest)
    )
    if institution_id:
        query = query.where(Certificate.institution_id == institution_id)
    found = session.scalars(query).all()
    if not found:
        raise CancelacionNoPermitida(
            f"no hay una solicitud de cancelación pendiente para el folio de control {folio}."
        )
    if len(found) > 1:
        owners = ", ".join(sorted(r.certificate.institution_id for r in found))
        raise SolicitudInvalida(
            f"el folio de control {folio} tiene solicitudes pendientes en varias instituciones "
            f"({owners}): indique la institución (--institucion)."
        )
    return found[0]


def approve(
    session: Session, folio_control: str, institution_id: str | None, *, now: datetime, by: str
) -> Decision:
    """An SEP operator applies a pending request now, before its window ends (committed)."""
    request = _pending_request(session, folio_control, institution_id)
    _apply(request, now=now, by=by)
    cert = request.certificate
    decision = Decision(cert.folio_control, cert.institution_id, cert.estatus, now)
    session.commit()
    return decision


def withdraw(
    session: Session, folio_control: str, institution_id: str | None, *, now: datetime, by: str
) -> Decision:
    """An SEP operator withdraws a pending request; the certificate is ``VIGENTE`` again (committed).

    A request whose window has already passed has taken effect (the worker is about to record it):
    it can no longer be withdrawn.
    """
    request = _pending_request(session, folio_control, institution_id)
    cert = request.certificate
    if request.effective_at <= now:
        raise CancelacionNoPermitida(
            f"la solicitud de cancelación del folio de control {cert.folio_control} surtió efecto el "
            f"{local_time(request.effective_at)} (hora de la Ciudad de México); ya no puede retirarse."
        )
    request.estatus = EstatusCancelacion.RETIRADA
    request.decided_by = by
    request.decided_at = now
    cert.estatus = EstatusCertificado.VIGENTE
    decision = Decision(cert.folio_control, cert.institution_id, cert.estatus, now)
    session.commit()
    return decision
