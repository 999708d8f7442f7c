"""Fixtures: the WSGI app over the real services (:class:`MecApp` on the test database, SQLite and
PostgreSQL through the ``engine`` fixture), and a zeep client mounted on it in-process.

zeep talks HTTP through ``requests-wsgi-adapter`` to the real WSGI app, so every request goes
through the guard, spyne's parser, schema validation, the services, the database and fault
serialisation.  The services are wrapped in a :class:`Recorder`, which only records each call (to
check what reached the services, or that nothing did) and, when told, raises an error instead of
calling them (to check how the edge maps errors no real request can provoke).

The world (:mod:`tests.services.world`): institution 000001 (user ``ipes1``), institution 000002
(user ``ipes2``), an SEP operator (``operador``), all with password ``PASSWORD``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
import wsgiadapter
import zeep
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker
from zeep.transports import Transport

from mec_ws.config import DEFAULT_PUBLIC_URL, Settings
from mec_ws.services.app import MecApp
from mec_ws.web.wsgi import make_wsgi_app
from tests.services.world import PASSWORD, World, add_certificate, build_world

BASE = "http://127.0.0.1:8000"
WSDL_URL = f"{BASE}/mec/ws?wsdl"
USER, INSTITUTION = "ipes1", "000001"
OTHER_USER, OTHER_INSTITUTION = "ipes2", "000002"
OPERATOR = "operador"
MAX_UPLOAD_MB = 1


def make_settings(**env: str) -> Settings:
    return Settings.from_env({"MEC_DATA_DIR": "/nonexistent-mec-data", **env})


class Recorder:
    """The real services, with a record of every call and an optional one-shot error."""

    def __init__(self, services: MecApp) -> None:
        self.services = services
        self.calls: list[tuple[str, tuple[object, ...]]] = []
        self.fail_next: BaseException | None = None

    def __getattr__(self, name: str) -> Any:
        target = getattr(self.services, name)
        if not callable(target):
            return target

        def call(*args: object) -> object:
            # the Principal (first argument of every operation) is left out of the record
            self.calls.append((name, args if name == "authenticate" else args[1:]))
            if self.fail_next is not None:
                error, self.fail_next = self.fail_next, None
                raise error
            return target(*args)

        return call


def unbound_services(settings: Settings) -> MecApp:
    """Real services bound to no database, for tests of what the edge answers by itself (the WSDL,
    schema and guard faults): an operation that reached them would fail as ``Server.Interno``."""
    return MecApp(settings, sessionmaker())


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> World:
    world = build_world(engine, tmp_path / "data")
    settings = dataclasses.replace(world.settings, max_upload_mb=MAX_UPLOAD_MB)
    app = MecApp(settings, world.sessions, clock=world.clock)
    return dataclasses.replace(world, settings=settings, app=app)


@pytest.fixture
def certificates(world: World) -> None:
    """FC-1 and FC-2 of institution 000001 (issued 2024-03-15 and 2024-07-12), FC-9 of 000002."""
    add_certificate(
        world,
        "FC-1",
        fecha_carga=datetime(2024, 4, 1, 10, tzinfo=UTC),
        curp="CURP000000HDFAAA01",
        fecha_expedicion=date(2024, 3, 15),
        nombre="ANA PÉREZ LÓPEZ",
    )
    add_certificate(
        world, "FC-2", fecha_carga=datetime(2024, 4, 2, 10, tzinfo=UTC), curp="CURP000000HDFAAA02"
    )
    add_certificate(
        world,
        "FC-9",
        fecha_carga=datetime(2024, 4, 3, 10, tzinfo=UTC),
        institution_id=OTHER_INSTITUTION,
        campus_id="000201",
        curp="CURP000000HDFAAA09",
    )


@pytest.fixture
def pruebas(world: World) -> World:
    """The same world, served as the test environment (MEC_AMBIENTE=pruebas)."""
    settings = dataclasses.replace(world.settings, ambiente="pruebas")
    app = MecApp(settings, world.sessions, storage=world.app.storage, clock=world.clock)
    return dataclasses.replace(world, settings=settings, app=app)


@pytest.fixture
def recorder(world: World) -> Recorder:
    return Recorder(world.app)


@pytest.fixture
def settings(world: World) -> Settings:
    assert world.settings.public_url == DEFAULT_PUBLIC_URL
    return world.settings


@pytest.fixture
def wsgi_app(recorder: Recorder, settings: Settings) -> Any:
    return make_wsgi_app(recorder, settings)


def mount(wsgi_app: Any) -> requests.Session:
    session = requests.Session()
    session.mount(BASE, wsgiadapter.WSGIAdapter(wsgi_app))
    return session


@pytest.fixture
def http(wsgi_app: Any) -> requests.Session:
    return mount(wsgi_app)


@pytest.fixture
def client(http: requests.Session) -> zeep.Client:
    return zeep.Client(WSDL_URL, transport=Transport(session=http))


def client_of(world: World) -> zeep.Client:
    """A zeep client of ``world``'s own services (without the :class:`Recorder`)."""
    return zeep.Client(WSDL_URL, transport=Transport(session=mount(make_wsgi_app(world.app, world.settings))))


@pytest.fixture
def auth() -> dict[str, str]:
    return {"usuario": USER, "password": PASSWORD}


@pytest.fixture
def other_auth() -> dict[str, str]:
    return {"usuario": OTHER_USER, "password": PASSWORD}


@pytest.fixture
def operator_auth() -> dict[str, str]:
    return {"usuario": OPERATOR, "password": PASSWORD}


@pytest.fixture
def post(http: requests.Session) -> Callable[..., requests.Response]:
    def _post(body: bytes, content_type: str = "text/xml; charset=utf-8") -> requests.Response:
        return http.post(f"{BASE}/mec/ws", data=body, headers={"Content-Type": content_type})

    return _post
