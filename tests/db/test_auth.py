from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from mec_ws import passwords
from mec_ws.errors import Autenticacion, CuentaBloqueada
from mec_ws.services import auth
from models import User
from tests.db import rows

NOW = datetime(2026, 3, 1, 18, 0, tzinfo=UTC)  # 12:00 in Mexico City


@pytest.fixture
def user(session: Session) -> User:
    rows.institution(session)
    u = User(username="ana", password_hash=passwords.hash_password("secreto-1"), institution_id="000001")
    session.add(u)
    session.add(User(username="sep", password_hash=passwords.hash_password("secreto-2"), is_operator=True))
    session.commit()
    return u


def test_success_returns_principal(session: Session, user: User) -> None:
    who = auth.authenticate(session, "ana", "secreto-1", now=NOW)
    assert (who.user_id, who.username, who.institution_id, who.is_operator) == (
        user.id,
        "ana",
        "000001",
        False,
    )
    assert session.get_one(User, user.id).last_login_at == NOW
    op = auth.authenticate(session, "sep", "secreto-2", now=NOW)
    assert op.is_operator and op.institution_id is None


def test_unknown_user_and_wrong_password_look_the_same(session: Session, user: User) -> None:
    with pytest.raises(Autenticacion) as unknown:
        auth.authenticate(session, "nadie", "secreto-1", now=NOW)
    with pytest.raises(Autenticacion) as wrong:
        auth.authenticate(session, "ana", "otro", now=NOW)
    assert unknown.value.mensaje == wrong.value.mensaje == auth.MENSAJE_AUTENTICACION


def test_five_failures_lock_for_fifteen_minutes(session: Session, user: User) -> None:
    for _ in range(auth.MAX_FAILED_LOGINS - 1):
        with pytest.raises(Autenticacion):
            auth.authenticate(session, "ana", "mal", now=NOW)
    with pytest.raises(CuentaBloqueada) as locked:
        auth.authenticate(session, "ana", "mal", now=NOW)
    assert "12:15 del 01/03/2026" in locked.value.mensaje
    assert "Ciudad de México" in locked.value.mensaje
    # the right password does not help while locked
    with pytest.raises(CuentaBloqueada):
        auth.authenticate(session, "ana", "secreto-1", now=NOW + timedelta(minutes=14))
    # after the lockout it works again
    who = auth.authenticate(session, "ana", "secreto-1", now=NOW + timedelta(minutes=15, seconds=1))
    assert who.username == "ana"


def test_failures_persist_across_sessions(session: Session, user: User) -> None:
    with pytest.raises(Autenticacion):
        auth.authenticate(session, "ana", "mal", now=NOW)
    session.expire_all()
    assert session.get_one(User, user.id).failed_logins == 1


def test_success_resets_the_counter(session: Session, user: User) -> None:
    for _ in range(auth.MAX_FAILED_LOGINS - 1):
        with pytest.raises(Autenticacion):
            auth.authenticate(session, "ana", "mal", now=NOW)
    auth.authenticate(session, "ana", "secreto-1", now=NOW)
    assert session.get_one(User, user.id).failed_logins == 0
    for _ in range(auth.MAX_FAILED_LOGINS - 1):  # four more failures: still not locked
        with pytest.raises(Autenticacion):
            auth.authenticate(session, "ana", "mal", now=NOW)


def test_unlock(session: Session, user: User) -> None:
    for _ in range(auth.MAX_FAILED_LOGINS):
        with pytest.raises((Autenticacion, CuentaBloqueada)):
            auth.authenticate(session, "ana", "mal", now=NOW)
    assert auth.unlock(session, "ana")
    session.commit()
    assert auth.authenticate(session, "ana", "secreto-1", now=NOW).username == "ana"
    assert not auth.unlock(session, "nadie")


def test_weak_legacy_hash_is_upgraded_on_login(
    session: Session, user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEC_SCRYPT_N", "2048")
    auth.authenticate(session, "ana", "secreto-1", now=NOW)
    assert session.get_one(User, user.id).password_hash.startswith("scrypt$2048$")


def test_naive_now_is_refused(session: Session, user: User) -> None:
    with pytest.raises(ValueError, match="zona horaria"):
        auth.authenticate(session, "ana", "secreto-1", now=datetime(2026, 1, 1))


@pytest.mark.parametrize("password", ["secreto-1", "mal"])
def test_password_is_verified_outside_any_transaction(
    session: Session, user: User, monkeypatch: pytest.MonkeyPatch, password: str
) -> None:
    """No row lock (nor SQLite's write lock) is held during the slow scrypt verification."""
    seen: list[bool] = []
    real = passwords.verify_password

    def spy(candidate: str, encoded: str) -> bool:
        seen.append(session.in_transaction())
        return real(candidate, encoded)

    monkeypatch.setattr(passwords, "verify_password", spy)
    with contextlib.suppress(Autenticacion):
        auth.authenticate(session, "ana", password, now=NOW)
    assert seen == [False]


def test_unknown_user_costs_one_verification_at_the_current_cost(
    session: Session, user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unknown user pays one scrypt of the current parameters, like a known one."""
    costs: list[tuple[int, bool]] = []
    real = passwords._derive

    def spy(password: str, salt: bytes, params: passwords.ScryptParams, dklen: int = 32) -> bytes:
        costs.append((params.n, session.in_transaction()))
        return real(password, salt, params, dklen)

    passwords.burn_verify("calentar")  # the dummy hash itself is made once per process
    monkeypatch.setattr(passwords, "_derive", spy)
    with pytest.raises(Autenticacion):
        auth.authenticate(session, "nadie", "x", now=NOW)
    unknown = list(costs)
    costs.clear()
    with pytest.raises(Autenticacion):
        auth.authenticate(session, "ana", "x", now=NOW)
    assert unknown == costs == [(passwords.current_params().n, False)]


def test_concurrent_rehash_restarts_the_check(
    session: Session, user: User, engine: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A hash replaced between the read and the lock is re-read, never verified under the lock."""
    from mec_ws import db

    real = passwords.verify_password
    calls: list[str] = []
    user_id = user.id

    def racing(candidate: str, encoded: str) -> bool:
        calls.append(encoded)
        if len(calls) == 1:  # another login rehashes the same password meanwhile
            with db.session_factory(engine)() as other:  # type: ignore[arg-type]
                other.get_one(User, user_id).password_hash = passwords.hash_password("secreto-1")
                other.commit()
        return real(candidate, encoded)

    monkeypatch.setattr(passwords, "verify_password", racing)
    assert auth.authenticate(session, "ana", "secreto-1", now=NOW).username == "ana"
    assert len(calls) == 2 and calls[0] != calls[1]
