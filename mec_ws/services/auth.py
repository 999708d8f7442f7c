"""Authentication of the ``autenticacion`` block, with lockout after repeated failures.

An unknown user and a wrong password get the same fault and take the same time (a dummy hash is
verified), so that usernames cannot be probed.  ``MAX_FAILED_LOGINS`` consecutive failures lock the
account for ``LOCKOUT``; a success resets the counter.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from mec_ws import db, passwords
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

    Runs as its own units of work, in three steps, so that no lock is held during the (slow,
    deliberately) password verification: a plain read of the account, ending its transaction;
    the verification (or, for an unknown user, one against a dummy hash of the same cost); then a
    short write transaction that locks the row, re-checks the lockout and counts the failure or
    records the success.  Should the stored hash change between the read and the lock (a
    concurrent rehash or a password reset), the whole check starts again on the new hash.  A
    failure is committed even though the request fails.
    """
    _require_aware(now)
    for _ in range(_MAX_ROUNDS - 1):
        result = _attempt(session, usuario, password, now)
        if result is not None:
            return result
    result = _attempt(session, usuario, password, now)
    if result is None:  # the hash kept changing under us: refuse, without counting a failure
        raise Autenticacion(MENSAJE_AUTENTICACION)
    return result


_MAX_ROUNDS = 3


def _attempt(session: Session, usuario: str, password: str, now: datetime) -> Principal | None:
    if session.in_transaction():
        session.rollback()
    db.read_only(session)  # on SQLite, the read does not take the write lock
    row = session.execute(
        select(User.id, User.password_hash, User.locked_until).where(User.username == usuario)
    ).one_or_none()
    session.rollback()  # end the read transaction: nothing is held while verifying
    if row is None:
        passwords.burn_verify(password)
        raise Autenticacion(MENSAJE_AUTENTICACION)
    user_id, stored_hash, locked_until = row
    if locked_until is not None and locked_until > now:
        raise CuentaBloqueada(_locked_message(locked_until))
    valid = passwords.verify_password(password, stored_hash)
    new_hash = passwords.hash_password(password) if valid and passwords.needs_rehash(stored_hash) else None

    locking = select(User).where(User.id == user_id).with_for_update()
    user = session.scalars(locking.execution_options(populate_existing=True)).one_or_none()
    if user is None or user.password_hash != stored_hash:
        session.rollback()
        return None
    if user.locked_until is not None and user.locked_until > now:  # locked meanwhile
        until = user.locked_until
        session.rollback()
        raise CuentaBloqueada(_locked_message(until))
    if not valid:
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
    if new_hash is not None:
        user.password_hash = new_hash
    principal = Principal(
        user_id=user.id,
        username=user.username,
        institution_id=user.institution_id,
        is_operator=user.is_operator,
    )
    session.commit()
    return principal


def active_principal(session: Session, user_id: int, epoch: int | None = None) -> Principal | None:
    """The identity of a logged-in user, or None when the account is gone or disabled since, or
    (with the ``epoch`` its portal session began in) when that session was ended since."""
    user = session.get(User, user_id)
    if user is None or user.disabled or (epoch is not None and epoch != user.session_epoch):
        return None
    return Principal(
        user_id=user.id,
        username=user.username,
        institution_id=user.institution_id,
        is_operator=user.is_operator,
    )


def session_epoch(session: Session, user_id: int) -> int:
    """The epoch a portal session beginning now carries (see :func:`end_sessions`)."""
    user = session.get(User, user_id)
    return user.session_epoch if user is not None else 0


def end_sessions(session: Session, user_id: int) -> None:
    """End every portal session of the account (``Salir``; a copied cookie stops working too).

    The caller commits.
    """
    session.execute(update(User).where(User.id == user_id).values(session_epoch=User.session_epoch + 1))


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
