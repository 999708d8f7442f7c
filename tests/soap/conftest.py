"""Fixtures: the WSGI app over a :class:`FakeMec`, and a zeep client mounted on it in-process.

zeep talks HTTP through ``requests-wsgi-adapter`` to the real WSGI app, so every request goes
through the guard, spyne's parser, schema validation and fault serialisation.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
import requests
import wsgiadapter
import zeep
from zeep.transports import Transport

from mec_ws.config import DEFAULT_PUBLIC_URL, Settings
from mec_ws.services import dto
from mec_ws.web.wsgi import make_wsgi_app
from tests.soap.fake import FakeMec

BASE = "http://127.0.0.1:8000"
WSDL_URL = f"{BASE}/mec/ws?wsdl"
USER, PASSWORD, INSTITUTION = "ipes1", "s3creta", "090001"


def make_settings(**env: str) -> Settings:
    return Settings.from_env({"MEC_DATA_DIR": "/nonexistent-mec-data", **env})


@pytest.fixture
def settings() -> Settings:
    settings = make_settings(MEC_MAX_UPLOAD_MB="1")
    assert settings.public_url == DEFAULT_PUBLIC_URL
    return settings


@pytest.fixture
def fake() -> FakeMec:
    fake = FakeMec()
    fake.add_user(USER, PASSWORD, INSTITUTION)
    fake.add_user("otra", "clave", "090002")
    fake.add_user("sep", "operador", None)
    fake.add_folio("F-001", INSTITUTION, 1)
    fake.add_folio("F-002", "090002", 1)
    fake.add_certificado(
        INSTITUTION, resumen("FC-1", "CURP000000HDFAAA01", datetime(2024, 4, 1, 10, tzinfo=UTC)), b"<Dec/>"
    )
    fake.add_certificado(
        INSTITUTION, resumen("FC-2", "CURP000000HDFAAA02", datetime(2024, 4, 2, 10, tzinfo=UTC)), b"<Dec/>"
    )
    fake.add_certificado(
        "090002", resumen("FC-9", "CURP000000HDFAAA09", datetime(2024, 4, 3, 10, tzinfo=UTC)), b"<Dec/>"
    )
    return fake


def resumen(folio_control: str, curp: str, fecha_carga: datetime) -> dto.CertificadoResumen:
    return dto.CertificadoResumen(
        institucion="Universidad de Prueba",
        campus="Campus Centro",
        nombre="ANA PÉREZ LÓPEZ",
        curp=curp,
        carrera="Licenciatura en Derecho",
        folio_pago="F-001",
        folio_control=folio_control,
        folio_digital=f"D-{folio_control}",
        lugar_expedicion="09",
        fecha_expedicion=date(2024, 3, 15),
        fecha_carga=fecha_carga,
        estatus=dto.EstatusCertificado.VIGENTE,
    )


@pytest.fixture
def wsgi_app(fake: FakeMec, settings: Settings) -> Any:
    return make_wsgi_app(fake, settings)


@pytest.fixture
def http(wsgi_app: Any) -> requests.Session:
    session = requests.Session()
    session.mount(BASE, wsgiadapter.WSGIAdapter(wsgi_app))
    return session


@pytest.fixture
def client(http: requests.Session) -> zeep.Client:
    return zeep.Client(WSDL_URL, transport=Transport(session=http))


@pytest.fixture
def auth() -> dict[str, str]:
    return {"usuario": USER, "password": PASSWORD}


@pytest.fixture
def post(http: requests.Session) -> Callable[..., requests.Response]:
    def _post(body: bytes, content_type: str = "text/xml; charset=utf-8") -> requests.Response:
        return http.post(f"{BASE}/mec/ws", data=body, headers={"Content-Type": content_type})

    return _post
