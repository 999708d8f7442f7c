"""Authentication of the ``autenticacion`` block, with lockout after repeated failures.

An unknown user and a wrong password get the same fault and take the same time (a dummy hash is
verified), so that usernames cannot be probed.  ``MAX_FAILED_LOGINS`` consecutive failures lock the
account for ``LOCKOUT``; a success resets the counter.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from mec_ws import passwords
from mec_ws.errors import Autenticacion, CuentaBloqueada
from mec_ws.services.dto import Principal
from models import User

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
MEXICO_CITY = ZoneInfo("America/Mexico_City")
MENSAJE_AUTENTICACION = "Usuario o contraseña incorrectos."
MENSAJE_DESHABILITADA = "La cuenta está deshabilitada; pida a la SEP que la habilite."


def _require_aware(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now debe tener zona horaria")


def _locked_message(until: datetime) -> str:
    local = until.astimezone(MEXICO_CITY)
    return (
        "La cuenta está bloqueada por intentos fallidos de acceso hasta las "
        f"{local:%H:%M} del {local:%d/%m/%Y} (hora de la Ciudad de México)."
    )


def authenticate(session: Session, usuario: str, password: str, *, now: datetime) -> Principal:
    """The caller's identity, or :class:`Autenticacion` / :class:`CuentaBloqueada`.

    Runs as its own unit of work: the session is committed before returning or raising, so a
    failure is counted even though the request fails.
    """
    _require_aware(now)
    user = session.scalars(select(User).where(User.username == usuario).with_for_update()).one_or_none()
    if user is None:
        session.rollback()
        passwords.burn_verify(password)
        raise Autenticacion(MENSAJE_AUTENTICACION)
    if user.locked_until is not None and user.locked_until > now:
        until = user.locked_until
        session.rollback()
        raise CuentaBloqueada(_locked_message(until))
    if not passwords.verify_password(password, user.password_hash):
        user.failed_logins += 1
        locked = user.failed_logins >= MAX_FAILED_LOGINS
        if locked:
            user.failed_logins = 0
            user.locked_until = now + LOCKOUT
        until = user.locked_until
        session.commit()
        if locked and until is not None:
            raise CuentaBloqueada(_locked_message(until))
        raise Autenticacion(MENSAJE_AUTENTICACION)
    if user.disabled:  # told only to whoever knows the password
        session.rollback()
        raise Autenticacion(MENSAJE_DESHABILITADA)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    principal = Principal(
        user_id=user.id,
        username=user.username,
        institution_id=user.institution_id,
        is_operator=user.is_operator,
    )
    session.commit()
    return principal


def active_principal(session: Session, user_id: int) -> Principal | None:
    """The identity of a logged-in user, or None when the account is gone or disabled since."""
    user = session.get(User, user_id)
    if user is None or user.disabled:
        return None
    return Principal(
        user_id=user.id,
        username=user.username,
        institution_id=user.institution_id,
        is_operator=user.is_operator,
    )


def unlock(session: Session, username: str) -> bool:
    """Clear the lockout and the failure counter; False when there is no such user.

    The caller commits.
    """
    user = session.scalars(select(User).where(User.username == username)).one_or_none()
    if user is None:
        return False
    user.failed_logins = 0
    user.locked_until = None
    return True
