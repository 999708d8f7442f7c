"""SEP-side administration shared by ``mec-ws admin`` and the portal's operator console.

Every function works in the caller's session and does not commit (the caller commits one unit of
work, as ``mec-ws admin`` does); mistakes raise :class:`AdminError` with the Spanish message both
edges show.  One-time activation links (``ActivationToken``) let a new user set its own password:
the token is returned once and only its SHA-256 is stored.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from sqlalchemy import select
from sqlalchemy.orm import Session

from mec_ws import catalogs, passwords
from mec_ws.certificate import efirma
from mec_ws.errors import MecError
from models import ActivationToken, Campus, FolioPago, Institution, TrustedCA, User

ACTIVATION_TTL = timedelta(hours=72)
MIN_PASSWORD = 8
MAX_USERNAME = 100


class AdminError(MecError):
    """A mistake in an administration request (CLI: printed, exit status 2; portal: shown)."""

    codigo = "Administracion"
    cliente = True


def institution(session: Session, institution_id: str) -> Institution:
    inst = session.get(Institution, institution_id)
    if inst is None:
        raise AdminError(f"la institución {institution_id} no está registrada.")
    return inst


def add_institution(session: Session, institution_id: str, nombre: str) -> Institution:
    institution_id, nombre = institution_id.strip(), " ".join(nombre.split())
    if not institution_id or not nombre:
        raise AdminError("indique la clave y el nombre de la institución.")
    if len(institution_id) > 20 or len(nombre) > 300:
        raise AdminError("la clave admite hasta 20 caracteres y el nombre hasta 300.")
    if session.get(Institution, institution_id) is not None:
        raise AdminError(f"la institución {institution_id} ya está registrada.")
    inst = Institution(id=institution_id, name=nombre)
    session.add(inst)
    session.flush()
    return inst


def add_campus(session: Session, institution_id: str, campus_id: str, nombre: str, state: str) -> Campus:
    campus_id, nombre, state = campus_id.strip(), " ".join(nombre.split()), state.strip()
    if not catalogs.is_known("entidad_federativa", state):
        raise AdminError(f"la entidad federativa debe ser una clave INEGI 01–32 (se recibió {state!r}).")
    if not campus_id or not nombre or len(campus_id) > 20 or len(nombre) > 300:
        raise AdminError("indique la clave del campus (hasta 20 caracteres) y su nombre (hasta 300).")
    institution(session, institution_id)
    existing = session.get(Campus, campus_id)
    if existing is not None:
        raise AdminError(f"el campus {campus_id} ya está registrado (institución {existing.institution_id}).")
    campus = Campus(id=campus_id, institution_id=institution_id, name=nombre, state=state)
    session.add(campus)
    session.flush()
    return campus


def _check_username(username: str) -> str:
    username = username.strip()
    if not username or len(username) > MAX_USERNAME or any(c.isspace() for c in username):
        raise AdminError(f"el nombre de usuario debe tener de 1 a {MAX_USERNAME} caracteres, sin espacios.")
    return username


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AdminError(f"la contraseña debe tener al menos {MIN_PASSWORD} caracteres.")


def add_user(
    session: Session,
    username: str,
    *,
    institution_id: str | None,
    operator: bool,
    password: str | None,
) -> User:
    """A new user; with ``password=None`` it has no usable password until activated."""
    username = _check_username(username)
    if operator == bool(institution_id):
        raise AdminError("un usuario es de una institución o es operador de la SEP (uno de los dos).")
    if password is not None:
        check_password(password)
    if institution_id:
        institution(session, institution_id)
    if session.scalars(select(User).where(User.username == username)).first() is not None:
        raise AdminError(f"el usuario {username} ya existe.")
    user = User(
        username=username,
        # without a password, a random secret nobody knows: the account can only be activated
        password_hash=passwords.hash_password(
            password if password is not None else secrets.token_urlsafe(32)
        ),
        institution_id=institution_id or None,
        is_operator=operator,
    )
    session.add(user)
    session.flush()
    return user


def _user(session: Session, username: str) -> User:
    user = session.scalars(select(User).where(User.username == username)).one_or_none()
    if user is None:
        raise AdminError(f"el usuario {username} no existe.")
    return user


def set_disabled(session: Session, username: str, disabled: bool) -> User:
    """Disable (or enable again) an account: a disabled user cannot log in, by SOAP or the portal."""
    user = _user(session, username)
    user.disabled = disabled
    return user


def add_folio(session: Session, folio: str, institution_id: str, count: int) -> FolioPago:
    folio = folio.strip()
    if count < 1:
        raise AdminError("la cantidad de certificados del folio debe ser al menos 1.")
    if not folio or len(folio) > 50:
        raise AdminError("el folio de pago debe tener de 1 a 50 caracteres.")
    institution(session, institution_id)
    if session.scalars(select(FolioPago).where(FolioPago.folio == folio)).first() is not None:
        raise AdminError(f"el folio de pago {folio} ya existe.")
    row = FolioPago(folio=folio, institution_id=institution_id, cantidad=count)
    session.add(row)
    session.flush()
    return row


@dataclass(frozen=True, slots=True)
class TrustResult:
    subject: str
    not_after: datetime
    added: bool  # False: it was already trusted


def trust_ca(session: Session, data: bytes, *, source: str = "archivo") -> list[TrustResult]:
    """Trust the CA certificate(s) in ``data`` (PEM, several, or DER)."""
    try:
        certs = efirma.load_certificates(data)
    except ValueError as exc:
        raise AdminError(f"{source}: {exc}") from None
    not_ca = [c for c in certs if not efirma.is_ca(c)]
    if not_ca:
        raise AdminError(
            f"{source}: {len(not_ca)} certificado(s) no son de una autoridad certificadora "
            f"(basicConstraints CA): {', '.join(c.subject.rfc4514_string() for c in not_ca)}."
        )
    results: list[TrustResult] = []
    for cert in certs:
        der = cert.public_bytes(serialization.Encoding.DER)
        digest = hashlib.sha256(der).hexdigest()
        subject = cert.subject.rfc4514_string()
        known = session.scalars(select(TrustedCA).where(TrustedCA.sha256 == digest)).first() is not None
        if not known:
            session.add(
                TrustedCA(der=der, subject=subject, sha256=digest, not_after=cert.not_valid_after_utc)
            )
            session.flush()
        results.append(TrustResult(subject, cert.not_valid_after_utc, added=not known))
    return results


def trusted_cas(session: Session) -> list[x509.Certificate]:
    return [x509.load_der_x509_certificate(der) for der in session.scalars(select(TrustedCA.der)).all()]


# --- listings -----------------------------------------------------------------------------------


def list_institutions(session: Session) -> Sequence[Institution]:
    return session.scalars(select(Institution).order_by(Institution.id)).all()


def list_users(session: Session) -> Sequence[User]:
    return session.scalars(select(User).order_by(User.is_operator.desc(), User.username)).all()


def list_folios(session: Session, institution_id: str | None = None) -> Sequence[FolioPago]:
    query = select(FolioPago).order_by(FolioPago.institution_id, FolioPago.folio)
    if institution_id:
        institution(session, institution_id)
        query = query.where(FolioPago.institution_id == institution_id)
    return session.scalars(query).all()


def list_trusted(session: Session) -> Sequence[TrustedCA]:
    return session.scalars(select(TrustedCA).order_by(TrustedCA.added_at, TrustedCA.id)).all()


# --- one-time activation links ------------------------------------------------------------------


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def issue_activation(session: Session, user: User, *, now: datetime) -> str:
    """A new one-time token for ``user`` (earlier unused ones stop working); returned only here."""
    for old in session.scalars(
        select(ActivationToken).where(ActivationToken.user_id == user.id, ActivationToken.used_at.is_(None))
    ):
        old.used_at = now
    token = secrets.token_urlsafe(32)
    session.add(
        ActivationToken(
            user_id=user.id, token_sha256=_digest(token), created_at=now, expires_at=now + ACTIVATION_TTL
        )
    )
    session.flush()
    return token


def activation_user(session: Session, token: str, *, now: datetime) -> User | None:
    """The user a still valid token activates, or None (unknown, used or expired: all alike)."""
    row = session.scalars(
        select(ActivationToken).where(ActivationToken.token_sha256 == _digest(token)).with_for_update()
    ).one_or_none()
    if row is None or row.used_at is not None or row.expires_at <= now:
        return None
    return row.user


def activate(session: Session, token: str, password: str, *, now: datetime) -> User:
    """Set the password through a one-time token and spend the token."""
    check_password(password)
    row = session.scalars(
        select(ActivationToken).where(ActivationToken.token_sha256 == _digest(token)).with_for_update()
    ).one_or_none()
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise AdminError("el enlace de activación no es válido, ya se usó o venció; pida uno nuevo a la SEP.")
    row.used_at = now
    user = row.user
    user.password_hash = passwords.hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    user.session_epoch += 1  # a new password ends the sessions begun with the old one
    session.flush()
    return user
