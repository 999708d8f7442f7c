"""``/salud``: database reachable, pending batches, age of the newest worker heartbeat; and the
wiring that makes ``mec-ws serve`` answer both public pages."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

from mec_ws.batches.failure import fail_batch
from mec_ws.cli import runtime
from mec_ws.services.app import MecApp
from mec_ws.services.failed import mark_reviewed
from mec_ws.web.health import PATH, STALE_AFTER, health_app
from models import WorkerHeartbeat
from tests.services.world import World
from tests.web.conftest import Seeded, Serve


def get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:  # noqa: S310 - our local server
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read()


def salud(url: str) -> tuple[int, dict[str, Any]]:
    status, headers, body = get(url)
    assert headers["content-type"] == "application/json; charset=utf-8"
    assert headers["cache-control"] == "no-store"
    return status, json.loads(body)


def test_health_reports_batches_and_the_worker_heartbeat(seeded: Seeded, serve: Serve) -> None:
    w: World = seeded.world
    url = serve(health_app(w.sessions, clock=w.clock)) + PATH
    status, body = salud(url)
    assert (status, body["estado"], body["lotesPendientes"], body["ultimoLatidoSegundos"]) == (
        200,
        "degradado",
        0,
        None,
    )
    assert body["motivos"] == ["ningún trabajador de lotes está activo: los lotes esperan (`mec-ws worker`)"]
    folio = w.folio(2)
    w.app.carga_certificados(w.ipes, folio, "uno.xml", w.certificate(1))
    worker = w.worker()
    worker.heartbeat(force=True)
    w.clock.advance(seconds=7.5)
    assert salud(url) == (
        200,
        {
            "estado": "ok",
            "baseDatos": True,
            "lotesPendientes": 1,
            "ultimoLatidoSegundos": 7.5,
            "trabajadoresQuePuedenSellar": 1,
            "lotesFallidos": [],
            "motivos": [],
        },
    )
    w.clock.advance(seconds=STALE_AFTER.total_seconds())
    status, body = salud(url)
    assert status == 200 and body["estado"] == "degradado"
    assert body["ultimoLatidoSegundos"] == 7.5 + STALE_AFTER.total_seconds()
    worker.run(once=True)  # processes the batch, then forgets its heartbeat on the way out
    status, body = salud(url)
    assert (status, body["estado"], body["lotesPendientes"], body["ultimoLatidoSegundos"]) == (
        200,
        "degradado",
        0,
        None,
    )


def test_health_is_degraded_while_a_failed_batch_awaits_an_operator(seeded: Seeded, serve: Serve) -> None:
    w: World = seeded.world
    url = serve(health_app(w.sessions, clock=w.clock)) + PATH
    w.worker().heartbeat(force=True)
    assert salud(url)[1]["estado"] == "ok"
    numero = w.app.carga_certificados(w.ipes, w.folio(1), "uno.xml", w.certificate(1)).numero_lote
    with w.sessions() as s:
        assert fail_batch(s, numero, reason="prueba", now=w.clock.now)
    status, body = salud(url)
    assert (status, body["estado"], body["lotesFallidos"]) == (200, "degradado", [numero])
    assert "FALLIDO" in body["motivos"][0]
    with w.sessions() as s:
        mark_reviewed(s, numero, operator="revisor", now=w.clock.now)
    assert salud(url)[1] | {"ultimoLatidoSegundos": None} == {
        "estado": "ok",
        "baseDatos": True,
        "lotesPendientes": 0,
        "ultimoLatidoSegundos": None,
        "trabajadoresQuePuedenSellar": 1,
        "lotesFallidos": [],
        "motivos": [],
    }


def test_health_is_degraded_when_no_live_worker_can_stamp(seeded: Seeded, serve: Serve) -> None:
    w: World = seeded.world
    url = serve(health_app(w.sessions, clock=w.clock)) + PATH
    worker = w.worker()
    worker.heartbeat(force=True)
    with w.sessions() as s:
        beat = s.get(WorkerHeartbeat, worker.worker_id)
        assert beat is not None
        beat.can_stamp = False
        s.commit()
    status, body = salud(url)
    assert (status, body["estado"], body["trabajadoresQuePuedenSellar"]) == (200, "degradado", 0)
    assert "ningún trabajador activo puede sellar" in body["motivos"][0]


def test_health_when_the_database_is_down(serve: Serve, tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'no-existe' / 'mec.sqlite3'}")
    try:
        url = serve(health_app(sessionmaker(engine))) + PATH
        status, body = salud(url)
        assert (status, body["estado"], body["baseDatos"], body["lotesPendientes"]) == (
            503,
            "error",
            False,
            None,
        )
    finally:
        engine.dispose()


def test_serve_wires_both_pages_next_to_soap(
    seeded: Seeded, serve: Serve, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The app ``mec-ws serve`` gives gunicorn answers /salud, /verificacion/… and /mec/ws?wsdl."""
    built: list[MecApp] = []
    original: Callable[..., MecApp] = MecApp.from_settings

    def recording(settings: Any, **kwargs: Any) -> MecApp:
        app = original(settings, **kwargs)
        built.append(app)
        return app

    monkeypatch.setattr(MecApp, "from_settings", recording)
    app = runtime._gunicorn_app(seeded.world.settings, {}).load()
    try:
        base = serve(app)
        status, body = salud(base + "/salud")
        assert status == 200 and body["baseDatos"] is True
        status, headers, page = get(f"{base}/verificacion/{seeded.cancelado}")
        assert status == 200 and b"<strong>CANCELADO</strong>" in page
        assert headers["content-security-policy"].startswith("default-src 'none'")
        status, _, page = get(f"{base}/verificacion/{seeded.cancelado}?formato=json")
        assert json.loads(page)["estatus"] == "CANCELADO"
        status, _, _ = get(f"{base}/verificacion/")
        assert status == 404
        status, _, wsdl = get(f"{base}/mec/ws?wsdl")
        assert status == 200 and b"definitions" in wsdl
    finally:
        for made in built:
            bind = made.sessions.kw["bind"]
            bind.dispose()
