"""The client examples of the later operations, run as a user would: a subprocess speaking HTTP to
a real (threaded wsgiref) server over the real services on the test database."""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from sqlalchemy import func, select

from mec_ws.web.wsgi import make_wsgi_app
from models import Batch, Certificate
from tests.services.world import PASSWORD, World, make_zip
from tests.soap.conftest import USER

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "client_examples"


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def serve(world: World) -> Iterator[str]:
    """The WSDL URL of a live HTTP server over ``world``'s services."""
    httpd: WSGIServer = make_server("127.0.0.1", 0, lambda e, s: [], handler_class=QuietHandler)
    port = httpd.server_port
    settings = dataclasses.replace(world.settings, public_url=f"http://127.0.0.1:{port}/mec/ws")
    httpd.set_app(make_wsgi_app(world.app, settings))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}/mec/ws?wsdl"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(10)


@pytest.fixture
def server(world: World) -> Iterator[str]:
    yield from serve(world)


@pytest.fixture
def pruebas_server(pruebas: World) -> Iterator[str]:
    yield from serve(pruebas)


def example(wsdl: str, script: str, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(EXAMPLES / script), "--wsdl", wsdl, "--usuario", USER, "--password", PASSWORD]
        + [str(a) for a in args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=EXAMPLES,
    )


def test_exporta_certificados_saves_the_file(server: str, certificates: None, tmp_path: Path) -> None:
    done = example(server, "exporta_certificados.py", "--curp", "CURP000000HDFAAA02", "--salida", tmp_path)
    assert done.returncode == 0, done.stderr
    (saved,) = tmp_path.glob("*.csv")
    rows = list(csv.reader(io.StringIO(saved.read_text("utf-8-sig"))))
    assert [r[6] for r in rows[1:]] == ["FC-2"]
    assert saved.name in done.stdout


def test_solicita_cancelacion_prints_the_effective_date(
    server: str, world: World, certificates: None
) -> None:
    done = example(
        server, "solicita_cancelacion.py", "FC-1", "--motivo", "C1", "--observaciones", "CURP errónea"
    )
    assert done.returncode == 0, done.stderr
    efectiva = world.clock.now + timedelta(hours=world.settings.cancelacion_horas)
    assert "FC-1: CANCELACION_SOLICITADA" in done.stdout and f"surte efecto {efectiva}" in done.stdout
    again = example(server, "solicita_cancelacion.py", "FC-1", "--motivo", "C1")
    assert again.returncode == 2
    assert again.stderr.startswith("Error MEC [CancelacionNoPermitida]: ")


def test_consulta_y_descarga_documento(server: str, world: World, tmp_path: Path) -> None:
    listed = example(server, "consulta_documentos.py")
    assert listed.returncode == 0, listed.stderr
    documentos = world.app.consulta_documentos(world.ipes)
    (catalog,) = [d for d in documentos if d.nombre == "catalogo_motivo_cancelacion.csv"]
    assert f"{len(documentos)} documento(s)" in listed.stdout and catalog.sha256 in listed.stdout
    done = example(server, "descarga_documento.py", catalog.nombre, "--salida", tmp_path)
    assert done.returncode == 0, done.stderr
    assert hashlib.sha256((tmp_path / catalog.nombre).read_bytes()).hexdigest() == catalog.sha256
    assert catalog.sha256 in done.stdout
    missing = example(server, "descarga_documento.py", "no-existe.pdf", "--salida", tmp_path)
    assert (missing.returncode, missing.stderr.split("]")[0]) == (2, "Error MEC [DocumentoInexistente")


def test_concluye_pruebas_reports_what_is_missing_then_concludes(pruebas_server: str, pruebas: World) -> None:
    refused = example(pruebas_server, "concluye_pruebas.py")
    assert refused.returncode == 2
    assert refused.stderr.startswith("Error MEC [PruebasIncompletas]: ")
    assert "faltan 10 certificados aceptados" in refused.stderr
    app, who = pruebas.app, pruebas.ipes
    app.carga_certificados(who, pruebas.folio(1), "a.xml", pruebas.certificate(1))
    zipped = make_zip({f"c{n}.xml": pruebas.certificate(n) for n in range(2, 11)})
    app.carga_certificados(who, pruebas.folio(9), "b.zip", zipped)
    pruebas.drain()
    done = example(pruebas_server, "concluye_pruebas.py")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("CONCLUIDAS: Fase de pruebas concluida el ")
    assert "10 certificado(s) aceptado(s), 1 por XML individual y 9 por ZIP" in done.stdout


def test_descarga_and_cancel_by_folio_digital(
    server: str, certificates: None, world: World, tmp_path: Path
) -> None:
    with world.sessions() as s:
        folio, digital, xml = s.execute(
            select(Certificate.folio_control, Certificate.folio_digital, Certificate.stamped_xml).where(
                Certificate.folio_control == "FC-1"
            )
        ).one()
    done = example(server, "descarga_certificado.py", "--folio-digital", digital, "--salida", tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / f"{folio}.xml").read_bytes() == xml
    (tmp_path / f"{folio}.xml").unlink()
    old = example(
        server, "descarga_certificado.py", folio, "--salida", tmp_path
    )  # by folioControl, as before
    assert old.returncode == 0, old.stderr
    assert (tmp_path / f"{folio}.xml").read_bytes() == xml
    for script, extra in (("descarga_certificado.py", []), ("solicita_cancelacion.py", ["--motivo", "C1"])):
        both = example(server, script, folio, "--folio-digital", digital, *extra)
        neither = example(server, script, *extra)
        assert both.returncode == neither.returncode == 2
        assert "exactamente uno" in both.stderr and "exactamente uno" in neither.stderr
    cancelled = example(server, "solicita_cancelacion.py", "--folio-digital", digital, "--motivo", "C1")
    assert cancelled.returncode == 0, cancelled.stderr
    assert f"folio digital {digital}" in cancelled.stdout and "CANCELACION_SOLICITADA" in cancelled.stdout


def test_valida_certificados_prints_findings_and_exits_by_result(
    server: str, world: World, tmp_path: Path
) -> None:
    good, bad = tmp_path / "bien.xml", tmp_path / "mal.xml"
    good.write_bytes(world.certificate(0))
    bad.write_bytes(b"<Dec>")
    folio = world.folio(1)
    done = example(server, "valida_certificados.py", good, "--folio", folio, "--todo")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 archivo(s), 0 con error" in done.stdout
    assert "bien.xml (folio de control UAV-2024-000100): CORRECTO" in done.stdout
    wrong = example(server, "valida_certificados.py", bad)
    assert wrong.returncode == 1, wrong.stdout + wrong.stderr
    assert "mal.xml: CON_ERRORES" in wrong.stdout and "XML_MAL_FORMADO" in wrong.stdout
    missing = example(server, "valida_certificados.py", good, "--folio", "NO-EXISTE")
    assert (missing.returncode, missing.stderr.split("]")[0]) == (2, "Error MEC [FolioInexistente")
    with world.sessions() as s:  # the dry run stored nothing
        assert s.scalar(select(func.count()).select_from(Batch)) == 0
