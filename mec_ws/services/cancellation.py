"""``solicitaCancelacion`` and the SEP's review of cancellation requests.

A request puts the certificate in ``CANCELACION_SOLICITADA`` at once and records a
:class:`models.CancellationRequest` that takes effect ``settings.cancelacion_horas`` later
(``MEC_CANCELACION_HORAS``, 48 by default).  Until then an SEP operator may approve it early
(:func:`approve`) or withdraw it (:func:`withdraw`, the certificate is ``VIGENTE`` again); once the
window has passed the certificate is ``CANCELADO`` — a final state: it cannot be requested again,
nor withdrawn.  The certificate's ``estatus`` column is the one source of truth every query,
download, export and the public verification page read, and it is right at read time: each of
those reads first calls :func:`settle_due` (one indexed read; only when a request is due, a short
write transaction applies it), so a cancellation shows from its effective time whether or not a
worker is running.  The worker also applies due requests each cycle
(:func:`apply_due_cancellations`).

Decisions:

- Only an IPES user requests cancellations, for its own institution's certificates.  SEP
  operators review (``mec-ws admin cancellations``); an operator's request is refused with
  ``CancelacionNoPermitida``.
- A certificate is named by exactly one of ``folioControl`` (unique within the institution;
  optional in the certificate) and ``folioDigital`` (unique everywhere; the only name of a
  certificate without folioControl); both or neither is ``SolicitudInvalida``.
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

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mec_ws import catalogs, db
from mec_ws.cancellations import apply_due_cancellations as apply_due_cancellations  # re-export
from mec_ws.cancellations import apply_request
from mec_ws.config import Settings
from mec_ws.errors import CancelacionNoPermitida, CertificadoInexistente, SolicitudInvalida
from mec_ws.services.dto import EstatusCertificado, Principal, ResultadoCancelacion
from mec_ws.services.query import CertificateKey
from models import CancellationRequest, Certificate, EstatusCancelacion

MEXICO_CITY = ZoneInfo("America/Mexico_City")
CATALOG = "motivo_cancelacion"
MAX_OBSERVACIONES = 1000
"""Characters of ``observaciones`` kept; longer text is refused (``SolicitudInvalida``)."""


@dataclass(frozen=True, slots=True)
class Decision:
    """What an SEP operator's approve/withdraw did."""

    folio_control: str | None
    institution_id: str
    estatus: EstatusCertificado  # the certificate's, after the decision
    decided_at: datetime
    folio_digital: str = ""

    @property
    def certificate(self) -> str:
        """How messages name the certificate: its folioControl, else its folioDigital."""
        return self.folio_control or self.folio_digital


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
    folio_control: str | None,
    motivo: str,
    observaciones: str | None,
    *,
    folio_digital: str | None = None,
    settings: Settings,
    now: datetime,
) -> ResultadoCancelacion:
    """Record a cancellation request for one of ``who``'s certificates (committed)."""
    if who.is_operator or who.institution_id is None:
        raise CancelacionNoPermitida(
            "La cancelación la solicita la institución que expidió el certificado, con uno de sus "
            "usuarios; la SEP revisa las solicitudes (mec-ws admin cancellations)."
        )
    key = CertificateKey.of(folio_control, folio_digital)
    code = _motivo(motivo)
    notes = _observaciones(observaciones)
    cert = session.scalars(
        select(Certificate)
        .where(Certificate.institution_id == who.institution_id, key.condition())
        .with_for_update()
    ).first()
    if cert is None:
        raise CertificadoInexistente(
            f"El certificado con {key.described()} no existe o no corresponde a su institución."
        )
    named = key.described()
    if cert.estatus is EstatusCertificado.CANCELADO:
        raise CancelacionNoPermitida(f"El certificado con {named} ya está cancelado.")
    pending = _pending_of(session, cert.id)
    if cert.estatus is EstatusCertificado.CANCELACION_SOLICITADA or pending is not None:
        when = ""
        if pending is not None:
            when = f", efectiva el {local_time(pending.effective_at)} (hora de la Ciudad de México)"
        raise CancelacionNoPermitida(
            f"El certificado con {named} ya tiene una solicitud de cancelación pendiente{when}."
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
    folio, digital = cert.folio_control, cert.folio_digital
    try:
        session.commit()
    except IntegrityError:  # a concurrent request for the same certificate won the race
        session.rollback()
        raise CancelacionNoPermitida(
            f"El certificado con {named} ya tiene una solicitud de cancelación pendiente."
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
        folio_digital=digital,
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


def settle_due(session: Session, *, now: datetime) -> int:
    """Make the stored estatus right at ``now`` before a read (see the module docstring).

    Call it at the start of a unit of work; it leaves no transaction open.  How many requests it
    applied (usually none, after one indexed read that takes no write lock).
    """
    if session.in_transaction():
        session.rollback()
    db.read_only(session)
    due = session.scalar(
        select(
            exists().where(
                CancellationRequest.estatus == EstatusCancelacion.PENDIENTE,
                CancellationRequest.effective_at <= now,
            )
        )
    )
    session.rollback()
    if not due:
        return 0
    return apply_due_cancellations(session, now=now, wait=True)


def _pending_request(
    session: Session, folio_control: str | None, institution_id: str | None, folio_digital: str | None = None
) -> CancellationRequest:
    key = CertificateKey.of(folio_control, folio_digital)
    query = (
        select(CancellationRequest)
        .join(Certificate, Certificate.id == CancellationRequest.certificate_id)
        .where(key.condition(), CancellationRequest.estatus == EstatusCancelacion.PENDIENTE)
        .with_for_update(of=CancellationRequest)
    )
    if institution_id:
        query = query.where(Certificate.institution_id == institution_id)
    found = session.scalars(query).all()
    if not found:
        raise CancelacionNoPermitida(
            f"no hay una solicitud de cancelación pendiente para el {key.described()}."
        )
    if len(found) > 1:
        owners = ", ".join(sorted(r.certificate.institution_id for r in found))
        raise SolicitudInvalida(
            f"el {key.described()} tiene solicitudes pendientes en varias instituciones "
            f"({owners}): indique la institución (--institucion) o el folio digital (--folio-digital)."
        )
    return found[0]


def _decision(cert: Certificate, now: datetime) -> Decision:
    return Decision(cert.folio_control, cert.institution_id, cert.estatus, now, cert.folio_digital)


def approve(
    session: Session,
    folio_control: str | None,
    institution_id: str | None,
    *,
    now: datetime,
    by: str,
    folio_digital: str | None = None,
) -> Decision:
    """An SEP operator applies a pending request now, before its window ends (committed)."""
    request = _pending_request(session, folio_control, institution_id, folio_digital)
    apply_request(request, now=now, by=by)
    decision = _decision(request.certificate, now)
    session.commit()
    return decision


def withdraw(
    session: Session,
    folio_control: str | None,
    institution_id: str | None,
    *,
    now: datetime,
    by: str,
    folio_digital: str | None = None,
) -> Decision:
    """An SEP operator withdraws a pending request; the certificate is ``VIGENTE`` again (committed).

    A request whose window has already passed has taken effect (the worker is about to record it):
    it can no longer be withdrawn.
    """
    request = _pending_request(session, folio_control, institution_id, folio_digital)
    cert = request.certificate
    if request.effective_at <= now:
        named = (
            f"folio de control {cert.folio_control}"
            if cert.folio_control
            else f"folio digital {cert.folio_digital}"
        )
        raise CancelacionNoPermitida(
            f"la solicitud de cancelación del {named} surtió efecto el "
            f"{local_time(request.effective_at)} (hora de la Ciudad de México); ya no puede retirarse."
        )
    request.estatus = EstatusCancelacion.RETIRADA
    request.decided_by = by
    request.decided_at = now
    cert.estatus = EstatusCertificado.VIGENTE
    decision = _decision(cert, now)
    session.commit()
    return decision
