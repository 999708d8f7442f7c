"""Database engine, sessions and schema migrations (Alembic, driven from code).

SQLite is the embedded default; PostgreSQL behaves the same.  ``serve``, ``worker`` and ``admin``
call :func:`ensure_schema`: an embedded SQLite database is upgraded on the spot, an outdated
PostgreSQL one is refused with a message pointing at ``mec-ws db upgrade``.

SQLite connections run with WAL, ``foreign_keys=ON``, a busy timeout, and every transaction opened
with ``BEGIN IMMEDIATE``: a transaction that reads then writes (claiming a batch, counting an
attempt) would otherwise fail at once with "database is locked" when another writer got there
first, instead of waiting its turn.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.script.revision import ResolutionError
from alembic.util import CommandError
from sqlalchemy import Engine, create_engine, event, func, select
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.orm import Session, sessionmaker

import models
from mec_ws.errors import ConfigurationError

SQLITE_BUSY_TIMEOUT_MS = 30_000
SCRIPT_LOCATION = Path(models.__file__).resolve().parent / "alembic"


def _prepare_sqlite(url: URL) -> None:
    db = url.database
    if db and db != ":memory:" and not db.startswith("file:"):
        Path(db).expanduser().parent.mkdir(parents=True, exist_ok=True)


def make_engine(url: str | URL, **kwargs: Any) -> Engine:
    """An engine for ``url`` with the settings mec-ws relies on (see the module docstring)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        _prepare_sqlite(parsed)
        connect_args = dict(kwargs.pop("connect_args", {}))
        connect_args.setdefault("timeout", SQLITE_BUSY_TIMEOUT_MS / 1000)
        kwargs.setdefault("hide_parameters", True)
        engine = create_engine(parsed, connect_args=connect_args, **kwargs)

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (below)
            cur = dbapi_conn.cursor()
            try:
                cur.execute("PRAGMA foreign_keys=ON")
                cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=NORMAL")
            finally:
                cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("hide_parameters", True)  # SQL parameters carry personal data: never log them
    return create_engine(parsed, **kwargs)


def database_now(session: Session) -> datetime:
    """The database server's clock on PostgreSQL (one clock for every machine); this machine's
    on an embedded SQLite database (the same machine by definition)."""
    if session.get_bind().dialect.name == "postgresql":
        value = session.scalar(select(func.statement_timestamp()))
        if isinstance(value, datetime):
            return value.astimezone(UTC)
    return datetime.now(UTC)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded values after commit (results outlive their transaction)."""
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(SCRIPT_LOCATION))
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships its migrations
        raise ConfigurationError("no se encontraron las migraciones de la base de datos.")
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at; ``None`` for an empty database."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _sqlite_pragma(conn: Connection, statement: str) -> None:
    # On the raw DBAPI connection: outside any transaction (SQLite ignores foreign_keys changes
    # inside one) and without triggering our BEGIN IMMEDIATE.
    conn.connection.dbapi_connection.execute(statement)  # type: ignore[union-attr]


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply the pending migrations, in one transaction.

    On SQLite, foreign keys are switched off for the migration (Alembic's batch mode recreates
    tables, and dropping a referenced table with them on would cascade or fail) and checked as a
    whole before committing.
    """
    cfg = alembic_config()
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            _sqlite_pragma(conn, "PRAGMA foreign_keys=OFF")
        try:
            with conn.begin():
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, revision)
                if sqlite:
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise ConfigurationError(
                            f"la migración dejó {len(broken)} referencia(s) rotas; no se aplicó "
                            f"(primera: tabla {broken[0][0]}, fila {broken[0][1]})."
                        )
        finally:
            if sqlite:
                _sqlite_pragma(conn, "PRAGMA foreign_keys=ON")


def _known(script: ScriptDirectory, revision: str) -> bool:
    try:
        return script.get_revision(revision) is not None
    except (ResolutionError, CommandError):
        return False


def ensure_schema(engine: Engine, *, auto_upgrade_sqlite: bool = True) -> None:
    """Make sure the schema is at head before the service uses it.

    SQLite (embedded) is upgraded automatically when ``auto_upgrade_sqlite``; any other database
    at an older (or unknown) revision raises :class:`ConfigurationError`.
    """
    head = head_revision()
    current = current_revision(engine)
    if current == head:
        return
    script = ScriptDirectory.from_config(alembic_config())
    if current is not None and not _known(script, current):
        raise ConfigurationError(
            f"la base de datos está en la revisión {current}, que esta versión de mec-ws no conoce "
            "(¿es de una versión más nueva?)."
        )
    if engine.dialect.name == "sqlite" and auto_upgrade_sqlite:
        upgrade(engine)
        return
    actual = current or "vacía"
    raise ConfigurationError(
        f"la base de datos está desactualizada: ejecute `mec-ws db upgrade` "
        f"(revisión actual: {actual}; requerida: {head})."
    )


def open_database(database_url: str | URL, *, auto_upgrade_sqlite: bool = True) -> Engine:
    """:func:`make_engine` + :func:`ensure_schema`: what ``serve``, ``worker`` and ``admin`` use."""
    engine = make_engine(database_url)
    try:
        ensure_schema(engine, auto_upgrade_sqlite=auto_upgrade_sqlite)
    except BaseException:
        engine.dispose()
        raise
    return engine
