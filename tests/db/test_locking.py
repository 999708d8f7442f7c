"""Transactions and locks: reads never wait for SQLite's write lock; commits are fully durable."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from mec_ws import db, passwords
from mec_ws.errors import Autenticacion
from mec_ws.services import auth
from models import User
from tests.db import rows
from tests.db.test_auth import NOW


def _writer_holding_the_lock(engine: Engine) -> Session:
    """A session inside an uncommitted write transaction (on SQLite: the database's write lock)."""
    writer = db.session_factory(engine)()
    writer.add(User(username="escritor", password_hash="x", is_operator=True))
    writer.flush()
    return writer


def _in_thread(target: object, timeout: float = 5.0) -> tuple[bool, list[object]]:
    out: list[object] = []
    thread = threading.Thread(target=lambda: out.append(target()), daemon=True)  # type: ignore[operator]
    thread.start()
    thread.join(timeout)
    return not thread.is_alive(), out


def test_read_only_transaction_proceeds_while_a_write_transaction_is_open(engine: Engine) -> None:
    writer = _writer_holding_the_lock(engine)
    try:

        def read() -> int:
            with db.session_factory(engine)() as reader:
                return int(db.read_only(reader).scalar(select(func.count()).select_from(User)) or 0)

        finished, out = _in_thread(read)
        assert finished, "the read waited for the write lock"
        assert out == [0]  # and it does not see the uncommitted row
    finally:
        writer.rollback()
        writer.close()


def test_login_verifies_while_a_write_transaction_is_open(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A login reads the account and runs scrypt without waiting for the write lock; only the
    short final write (counting the failure) waits for it."""
    with db.session_factory(engine)() as s:
        rows.institution(s)
        s.add(User(username="ana", password_hash=passwords.hash_password("secreto"), institution_id="000001"))
        s.commit()
    verifying = threading.Event()
    real = passwords.verify_password

    def spy(candidate: str, encoded: str) -> bool:
        verifying.set()
        return real(candidate, encoded)

    monkeypatch.setattr(passwords, "verify_password", spy)
    out: list[str] = []

    def login() -> None:
        with db.session_factory(engine)() as s:
            try:
                auth.authenticate(s, "ana", "otra", now=NOW)
            except Autenticacion:
                out.append("rechazado")

    writer = _writer_holding_the_lock(engine)
    thread = threading.Thread(target=login, daemon=True)
    try:
        thread.start()
        assert verifying.wait(5), "the login waited for the write lock before verifying"
    finally:
        writer.rollback()
        writer.close()
    thread.join(10)
    assert out == ["rechazado"]
    with db.session_factory(engine)() as s:
        assert s.scalars(select(User.failed_logins).where(User.username == "ana")).one() == 1


def test_write_transactions_still_take_the_lock_first(engine: Engine) -> None:
    """Without read_only() a transaction starts as a writer (SQLite: BEGIN IMMEDIATE)."""
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's locking and pragmas")
    writer = _writer_holding_the_lock(engine)
    try:
        with engine.connect() as conn:
            conn.connection.dbapi_connection.execute("PRAGMA busy_timeout=50")  # type: ignore[union-attr]
            try:
                with conn.begin():
                    pass
            except Exception as exc:
                assert "locked" in str(exc)
            else:
                raise AssertionError("a write transaction began without the lock")
    finally:
        writer.rollback()
        writer.close()


def test_sqlite_commits_survive_power_loss(engine: Engine) -> None:
    """synchronous=FULL: WAL frames are fsync'd at every commit (NORMAL may lose the last ones)."""
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's locking and pragmas")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
