"""Database engine, sessions and schema migrations (Alembic, driven from code).

SQLite is the embedded default; PostgreSQL behaves the same.  ``serve``, ``worker`` and ``admin``
call :func:`ensure_schema`: an embedded SQLite database is upgraded on the spot, an outdated
PostgreSQL one is refused with a message pointing at ``mec-ws db upgrade``.

SQLite connections run with WAL, ``synchronous=FULL`` (a committed row — a ``RECIBIDO`` batch —
survives a power loss, not only a crash), ``foreign_keys=ON`` and a busy timeout.  Transactions
open with ``BEGIN IMMEDIATE`` unless marked read-only: a transaction that reads then writes
(claiming a batch, counting an attempt) would otherwise fail at once with "database is locked"
when another writer got there first, instead of waiting its turn.  A unit of work that only reads
calls :func:`read_only` first; it then opens with a deferred ``BEGIN`` and, under WAL, neither
waits for nor blocks the writer, and every statement in it sees the same snapshot (WAL keeps the
one of its first read).  On PostgreSQL :func:`read_only` opens the transaction ``REPEATABLE READ``
for the same reason: a page of ``consultaCertificados``, its ``totalRegistros`` and the counts
that locate it come from one snapshot even if a batch is accepted in between (at PostgreSQL's
default ``READ COMMITTED`` each statement would see the newest rows).
"""

from __future__ import annotations

import re
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
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

import models
from mec_ws.errors import ConfigurationError

SQLITE_BUSY_TIMEOUT_MS = 30_000
READ_ONLY_OPTION = "mec_read_only"
SCRIPT_LOCATION = Path(models.__file__).resolve().parent / "alembic"


def _prepare_sqlite(url: URL) -> None:
    db = url.database
    if db and db != ":memory:" and not db.startswith("file:"):
        Path(db).expanduser().parent.mkdir(parents=True, exist_ok=True)


def _safe_url(url: str | URL) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return "(no válida)"


def explain(exc: BaseException, url: str | URL) -> str:
    """One Spanish line for a database error at start-up, saying what to do about it."""
    shown = _safe_url(url)
    text = str(getattr(exc, "orig", None) or exc)
    if isinstance(exc, ArgumentError | ValueError):
        return f"MEC_DATABASE_URL no es una URL de base de datos válida: {shown}."
    if isinstance(exc, NoSuchModuleError):
        return (
            f"MEC_DATABASE_URL usa un tipo de base de datos desconocido ({shown}): use "
            "sqlite:///ruta/mec.sqlite3 o postgresql+psycopg://usuario@servidor/base."
        )
    if isinstance(exc, ModuleNotFoundError):
        return (
            f"falta el controlador de la base de datos ({exc.name}) para {shown}: "
            "instale mec-ws de nuevo (`pip install -e .`), que incluye psycopg."
        )
    if match := re.search(r'database "([^"]+)" does not exist', text):
        return (
            f"la base de datos «{match.group(1)}» no existe en el servidor de {shown}: créela con "
            f"`createdb {match.group(1)}` y ejecute `mec-ws db upgrade`."
        )
    if re.search(r'(role|user) "([^"]+)" does not exist|password authentication failed', text):
        return (
            f"el servidor de base de datos rechazó el usuario o la contraseña de MEC_DATABASE_URL ({shown})."
        )
    if "Connection refused" in text or "could not translate host name" in text or "timeout expired" in text:
        return (
            f"no se pudo conectar al servidor de base de datos de {shown}: revise que esté en marcha y "
            "que MEC_DATABASE_URL sea correcta."
        )
    if "unable to open database file" in text or "readonly database" in text:
        return (
            f"no se pudo abrir la base SQLite {shown}: revise MEC_DATA_DIR (o "
            "MEC_DATABASE_URL) y los permisos del directorio."
        )
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return f"no se pudo usar la base de datos {shown}: {first}"


def make_engine(url: str | URL, **kwargs: Any) -> Engine:
    """An engine for ``url`` with the settings mec-ws relies on (see the module docstring).

    A URL that cannot be parsed, an unknown dialect or a missing driver raise
    :class:`ConfigurationError` with a Spanish line (:func:`explain`).
    """
    try:
        backend = make_url(url).get_backend_name()
        if backend not in ("sqlite", "postgresql"):
            raise ConfigurationError(
                f"MEC_DATABASE_URL usa {backend}, que mec-ws no admite: use sqlite:///ruta/mec.sqlite3 o "
                "postgresql+psycopg://usuario@servidor/base."
            )
        return _make_engine(url, **kwargs)
    except (ArgumentError, NoSuchModuleError, ModuleNotFoundError, ValueError) as exc:
        raise ConfigurationError(explain(exc, url)) from None


def _make_engine(url: str | URL, **kwargs: Any) -> Engine:
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
                cur.execute("PRAGMA synchronous=FULL")
            finally:
                cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            read_only = conn.get_execution_options().get(READ_ONLY_OPTION, False)
            conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("hide_parameters", True)  # SQL parameters carry personal data: never log them
    return create_engine(parsed, **kwargs)


def read_only(session: Session) -> Session:
    """Start ``session``'s next transaction as a read-only one (see the module docstring).

    Call it before the first statement of the unit of work; the mark lasts until that transaction
    ends.  Writing in it is a programming error that SQLite reports as "database is locked" if it
    races a writer.
    """
    if session.in_transaction():
        raise RuntimeError("read_only() debe llamarse antes de la primera consulta de la transacción")
    options: dict[str, Any] = {READ_ONLY_OPTION: True}
    if session.get_bind().dialect.name == "postgresql":
        options["isolation_level"] = "REPEATABLE READ"  # one snapshot for the whole read
    session.connection(execution_options=options)
    return session


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
    """:func:`make_engine` + :func:`ensure_schema`: what ``serve``, ``worker`` and ``admin`` use.

    Any database error on the way (no server, no such database, bad credentials) is a
    :class:`ConfigurationError` with one Spanish line saying what to do (:func:`explain`).
    """
    engine = make_engine(database_url)
    try:
        ensure_schema(engine, auto_upgrade_sqlite=auto_upgrade_sqlite)
    except SQLAlchemyError as exc:
        engine.dispose()
        raise ConfigurationError(explain(exc, database_url)) from None
    except BaseException:
        engine.dispose()
        raise
    return engine
