""" "Registro de IPES": public requests, and the SEP operator's approval or rejection.

A request stores what the institution declared and its officer's e.firma certificate (``.cer``);
nothing else is created until an operator approves it.  Approval creates the institution, its first
user (without a usable password) and a one-time activation link; rejection records the reason.
Functions do not commit: the caller does (one unit of work).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID
from sqlalchemy import select
from sqlalchemy.orm import Session

from mec_ws.certificate import efirma
from mec_ws.services.registry_admin import (
    AdminError,
    add_institution,
    add_user,
    issue_activation,
    trusted_cas,
)
from models import EstatusRegistro, Institution, RegistrationRequest

MAX_CER_BYTES = 64 * 1024
CLAVE = re.compile(r"[0-9]{1,20}")
RFC_MORAL = re.compile(r"([A-ZÑ&]{3})([0-9]{2})([0-9]{2})([0-9]{2})([A-Z0-9]{3})")
CORREO = re.compile(r"[^@\s]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")


@dataclass
class RegistroForm:
    """The form's values (``portal.md``'s field names), as typed by the user."""

    clave: str = ""
    nombre: str = ""
    rfc: str = ""
    contacto: str = ""
    correo: str = ""
    telefono: str = ""


@dataclass
class Invalid(Exception):
    """Field name -> Spanish message, for every field that was wrong."""

    errores: dict[str, str] = field(default_factory=dict)


def valid_rfc_moral(rfc: str) -> bool:
    """A persona moral's RFC: 3 letters, a valid date AAMMDD, 3-character homoclave (12 in all)."""
    m = RFC_MORAL.fullmatch(rfc)
    if m is None:
        return False
    try:
        date(2000 + int(m.group(2)), int(m.group(3)), int(m.group(4)))
    except ValueError:
        return False
    return True


def _common_name(cert: x509.Certificate) -> str:
    attrs = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    value = attrs[0].value if attrs else ""
    return value if isinstance(value, str) else value.decode("utf-8", "replace")


def _clean(form: RegistroForm) -> tuple[RegistroForm, dict[str, str]]:
    f = RegistroForm(
        clave=form.clave.strip(),
        nombre=" ".join(form.nombre.split()),
        rfc=form.rfc.strip().upper(),
        contacto=" ".join(form.contacto.split()),
        correo=form.correo.strip(),
        telefono=re.sub(r"[\s()-]", "", form.telefono),
    )
    errores: dict[str, str] = {}
    if not CLAVE.fullmatch(f.clave):
        errores["clave"] = "La clave de institución MEC son solo dígitos (hasta 20), p. ej. 000123."
    if not f.nombre or len(f.nombre) > 300:
        errores["nombre"] = "Escriba el nombre de la institución (hasta 300 caracteres)."
    if not valid_rfc_moral(f.rfc):
        errores["rfc"] = (
            "El RFC de una persona moral tiene 12 caracteres: 3 letras, la fecha AAMMDD y 3 de homoclave "
            "(p. ej. UAV010101AB1)."
        )
    if not f.contacto or len(f.contacto) > 300:
        errores["contacto"] = "Escriba el nombre de la persona de contacto (hasta 300 caracteres)."
    if len(f.correo) > 254 or not CORREO.fullmatch(f.correo):
        errores["correo"] = "Escriba un correo electrónico válido, p. ej. titulacion@universidad.edu.mx."
    if not re.fullmatch(r"\+?[0-9]{10,15}", f.telefono):
        errores["telefono"] = "Escriba un teléfono de 10 dígitos (puede incluir lada internacional)."
    return f, errores


def submit(session: Session, form: RegistroForm, cer: bytes, *, now: datetime) -> RegistrationRequest:
    """Record a request (flushed, not committed); :class:`Invalid` lists every wrong field."""
    f, errores = _clean(form)
    cert: x509.Certificate | None = None
    if not cer:
        errores["responsableCer"] = "Adjunte el certificado de e.firma (.cer) del responsable."
    elif len(cer) > MAX_CER_BYTES:
        errores["responsableCer"] = f"El .cer excede {MAX_CER_BYTES // 1024} KB; no parece un certificado."
    else:
        try:
            cert = efirma.load_certificate(cer)
        except ValueError as exc:
            errores["responsableCer"] = f"El archivo no es un certificado de e.firma legible: {exc}"
    curp = None
    if cert is not None:
        curp = efirma.subject_curp(cert)
        if efirma.is_ca(cert):
            errores["responsableCer"] = (
                "Ese es el certificado de una autoridad certificadora, no de una persona."
            )
        elif not curp:
            errores["responsableCer"] = (
                "El certificado no lleva CURP (serialNumber del sujeto): no es una e.firma."
            )
        elif not efirma.valid_at(cert, now):
            errores["responsableCer"] = "El certificado no está vigente."
    if "clave" not in errores:
        if session.get(Institution, f.clave) is not None:
            errores["clave"] = f"La institución {f.clave} ya está registrada; pida a la SEP un usuario."
        elif session.scalars(
            select(RegistrationRequest).where(
                RegistrationRequest.clave == f.clave, RegistrationRequest.estatus == EstatusRegistro.PENDIENTE
            )
        ).first():
            errores["clave"] = f"Ya hay una solicitud pendiente para la institución {f.clave}."
    if errores or cert is None or curp is None:
        raise Invalid(errores)
    request = RegistrationRequest(
        clave=f.clave,
        nombre=f.nombre,
        rfc=f.rfc,
        contacto=f.contacto,
        correo=f.correo,
        telefono=f.telefono,
        cer_der=cert.public_bytes(serialization.Encoding.DER),
        cer_number=efirma.certificate_number(cert),
        cer_curp=curp,
        cer_nombre=(_common_name(cert) or curp)[:300],
        cer_not_after=cert.not_valid_after_utc,
        estatus=EstatusRegistro.PENDIENTE,
        created_at=now,
    )
    session.add(request)
    session.flush()
    return request


def requests(session: Session, estatus: EstatusRegistro | None = None) -> Sequence[RegistrationRequest]:
    query = select(RegistrationRequest).order_by(
        RegistrationRequest.created_at.desc(), RegistrationRequest.id.desc()
    )
    if estatus is not None:
        query = query.where(RegistrationRequest.estatus == estatus)
    return session.scalars(query).all()


def cer_trusted(session: Session, request: RegistrationRequest) -> bool:
    """Whether the officer's certificate was issued by a CA the deployment trusts."""
    return efirma.chains_to(x509.load_der_x509_certificate(request.cer_der), trusted_cas(session))


def _pending(session: Session, request_id: int) -> RegistrationRequest:
    request = session.get(RegistrationRequest, request_id, with_for_update=True)
    if request is None:
        raise AdminError(f"la solicitud {request_id} no existe.")
    if request.estatus is not EstatusRegistro.PENDIENTE:
        raise AdminError(f"la solicitud {request_id} ya fue resuelta ({request.estatus.value}).")
    return request


@dataclass(frozen=True, slots=True)
class Approval:
    request_id: int
    institution_id: str
    username: str
    token: str  # the one-time activation token (shown once)


def approve(session: Session, request_id: int, username: str, *, by: str, now: datetime) -> Approval:
    """Create the institution, its first user and an activation token (flushed, not committed)."""
    request = _pending(session, request_id)
    add_institution(session, request.clave, request.nombre)
    user = add_user(session, username, institution_id=request.clave, operator=False, password=None)
    token = issue_activation(session, user, now=now)
    request.estatus = EstatusRegistro.APROBADA
    request.decided_at = now
    request.decided_by = by
    request.username = user.username
    session.flush()
    return Approval(request.id, request.clave, user.username, token)


def reject(session: Session, request_id: int, motivo: str, *, by: str, now: datetime) -> RegistrationRequest:
    motivo = motivo.strip()
    if not motivo:
        raise AdminError("indique el motivo del rechazo.")
    if len(motivo) > 1000:
        raise AdminError("el motivo admite hasta 1000 caracteres.")
    request = _pending(session, request_id)
    request.estatus = EstatusRegistro.RECHAZADA
    request.decided_at = now
    request.decided_by = by
    request.motivo_rechazo = motivo
    session.flush()
    return request
