"""Shared fixtures.

Database fixtures (use these in any test that needs the database):

- ``database_url`` — the URL of an empty database, parametrized: ``"sqlite"`` (a fresh file under
  ``tmp_path``) always, and ``"postgresql"`` when ``MEC_TEST_DATABASE_URL`` is set (e.g.
  ``postgresql+psycopg://postgres@127.0.0.1:5432/test``). Each PostgreSQL test gets its own
  throw-away schema (through ``search_path`` in the URL), dropped afterwards, so tests never see
  each other's rows.  PostgreSQL tests carry the ``postgres`` marker.
- ``engine`` — a :func:`mec_ws.db.make_engine` engine on that database, migrated to head.
- ``session`` — a session on ``engine`` (``expire_on_commit=False``); commit as the code under
  test would; it is closed afterwards.

Password hashing uses a small scrypt cost in tests (``MEC_SCRYPT_N``, set below) so that logins
stay fast; hashes record their own parameters, so verification is unaffected.  A cost below the
production minimum is honoured only with ``MEC_SCRYPT_DEBIL=1`` (or ``MEC_AMBIENTE=pruebas``), also
set below; subprocesses started by tests inherit both.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from mec_ws import db

os.environ.setdefault("MEC_SCRYPT_N", "1024")
os.environ.setdefault("MEC_SCRYPT_DEBIL", "1")

PG_URL_ENV = "MEC_TEST_DATABASE_URL"


def _backends() -> list[object]:
    params: list[object] = [pytest.param("sqlite", id="sqlite")]
    if os.environ.get(PG_URL_ENV):
        params.append(pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres))
    return params


@pytest.fixture(params=_backends())
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("db") / "mec.sqlite3"
        yield f"sqlite:///{path}"
        return
    base = make_url(os.environ[PG_URL_ENV])
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(base)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = base.update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        admin.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    eng = db.make_engine(database_url)
    db.upgrade(eng)
    try:
        yield eng
    finally:
        eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with db.session_factory(engine)() as s:
        yield s
