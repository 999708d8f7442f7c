"""Fixtures for the public pages: a registered world with certificates in each status, and a real
HTTP server (wsgiref, threaded) serving the app on 127.0.0.1."""

from __future__ import annotations

import itertools
import socketserver
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from sqlalchemy import Engine

from mec_ws.services import cancellation
from mec_ws.services.dto import EstatusLote
from models import Batch, BatchKind, Certificate, FolioPago
from tests.services.world import World, build_world

_seq = itertools.count(1)
CAMPUS = {"000001": "000101", "000002": "000201"}
CURP = "GOMC800101HDFMRR05"


def add_certificate(
    world: World,
    folio_control: str,
    *,
    nombre: str = "CARLOS GÓMEZ MARTÍNEZ",
    carrera: str = "LICENCIATURA EN DERECHO",
    institution_id: str = "000001",
) -> str:
    """A stamped certificate row (its batch already accepted); returns its folio digital."""
    n = next(_seq)
    digital = f"5a1e0c2b-7d3f-4e8a-9b6c-{n:012d}"
    with world.sessions() as s:
        folio = FolioPago(folio=f"WEB-{n:05d}", institution_id=institution_id, cantidad=1)
        s.add(folio)
        s.flush()
        batch = Batch(
            folio_id=folio.id,
            institution_id=institution_id,
            intento=1,
            nombre_archivo="a.xml",
            stored_path="lotes/x.bin",
            sha256=f"{n:064d}",
            size_bytes=1,
            kind=BatchKind.XML,
            estatus=EstatusLote.ACEPTADO,
            received_at=world.clock.now,
        )
        s.add(batch)
        s.flush()
        s.add(
            Certificate(
                institution_id=institution_id,
                campus_id=CAMPUS[institution_id],
                folio_pago=folio.folio,
                batch_id=batch.numero_lote,
                folio_control=folio_control,
                folio_digital=digital,
                curp=CURP,
                nombre_completo=nombre,
                carrera=carrera,
                id_carrera="1021",
                clave_plan="2019",
                lugar_expedicion="CIUDAD DE MÉXICO",
                fecha_expedicion=date(2024, 7, 12),
                fecha_carga=world.clock.now,
                stamped_xml=b"<Dec/>",
            )
        )
        s.commit()
    return digital


@dataclass(frozen=True)
class Seeded:
    world: World
    vigente: str
    solicitada: str
    cancelado: str
    escaped: str


@pytest.fixture
def seeded(engine: Engine, tmp_path: Path) -> Seeded:
    """Certificates VIGENTE, CANCELACION_SOLICITADA and CANCELADO (through the real service)."""
    world = build_world(engine, tmp_path / "data")
    vigente = add_certificate(world, "V-1", nombre="ANA LUISA PÉREZ NÚÑEZ")
    solicitada = add_certificate(world, "S-1", nombre="BRUNO DÍAZ ROJAS")
    cancelado = add_certificate(world, "C-1", nombre="CARMEN ÁVILA SOTO")
    escaped = add_certificate(
        world, "E-1", nombre="<script>alert(1)</script> O'HARA & HIJOS", carrera='INGENIERÍA "A" <B>'
    )
    with world.sessions() as s:
        for folio in ("S-1", "C-1"):
            cancellation.solicita_cancelacion(
                s, world.ipes, folio, "C1", None, settings=world.settings, now=world.clock()
            )
        cancellation.approve(s, "C-1", "000001", now=world.clock(), by="revisor")
    return Seeded(world, vigente, solicitada, cancelado, escaped)


class _ThreadingServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


Serve = Callable[[Callable[..., Any]], str]


@pytest.fixture
def serve() -> Iterator[Serve]:
    """``serve(app)`` runs ``app`` on a real HTTP server at 127.0.0.1:<free port>; returns its base URL."""
    servers: list[tuple[WSGIServer, threading.Thread]] = []

    def start(app: Callable[..., Any]) -> str:
        server = make_server("127.0.0.1", 0, app, server_class=_ThreadingServer, handler_class=_QuietHandler)
        thread = threading.Thread(target=server.serve_forever, name="test-http", daemon=True)
        thread.start()
        servers.append((server, thread))
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server, thread in servers:
        server.shutdown()
        server.server_close()
        thread.join(10)
