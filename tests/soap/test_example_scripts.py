"""The client examples of the later operations, run as a user would: a subprocess speaking HTTP to
a real (threaded wsgiref) server over the stateful fake."""

from __future__ import annotations

import csv
import hashlib
import io
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest

from mec_ws.services import dto
from mec_ws.web.wsgi import make_wsgi_app
from tests.soap.conftest import PASSWORD, USER, make_settings
from tests.soap.fake import FakeMec

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "client_examples"


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server(fake: FakeMec) -> Iterator[str]:
    """The WSDL URL of a live HTTP server over ``fake``."""
    httpd: WSGIServer = make_server("127.0.0.1", 0, lambda e, s: [], handler_class=QuietHandler)
    port = httpd.server_port
    settings = make_settings(MEC_PUBLIC_URL=f"http://127.0.0.1:{port}/mec/ws")
    httpd.set_app(make_wsgi_app(fake, settings))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}/mec/ws?wsdl"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(10)


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


def test_exporta_certificados_saves_the_file(server: str, tmp_path: Path) -> None:
    done = example(server, "exporta_certificados.py", "--curp", "CURP000000HDFAAA02", "--salida", tmp_path)
    assert done.returncode == 0, done.stderr
    rows = list(csv.reader(io.StringIO((tmp_path / "certificados.csv").read_text("utf-8-sig"))))
    assert [r[6] for r in rows[1:]] == ["FC-2"]
    assert "certificados.csv" in done.stdout


def test_solicita_cancelacion_prints_the_effective_date(server: str, fake: FakeMec) -> None:
    done = example(
        server, "solicita_cancelacion.py", "FC-1", "--motivo", "C1", "--observaciones", "CURP errónea"
    )
    assert done.returncode == 0, done.stderr
    assert "FC-1: CANCELACION_SOLICITADA" in done.stdout and "2024-05-03 17:03:00" in done.stdout
    assert fake.calls[-1] == ("solicita_cancelacion", ("FC-1", "C1", "CURP errónea"))
    again = example(server, "solicita_cancelacion.py", "FC-1", "--motivo", "C1")
    assert again.returncode == 2
    assert again.stderr.startswith("Error MEC [CancelacionNoPermitida]: ")


def test_consulta_y_descarga_documento(server: str, fake: FakeMec, tmp_path: Path) -> None:
    listed = example(server, "consulta_documentos.py")
    assert listed.returncode == 0, listed.stderr
    content = fake.documentos["motivo_cancelacion.csv"][1]
    digest = hashlib.sha256(content).hexdigest()
    assert "2 documento(s)" in listed.stdout and digest in listed.stdout
    done = example(server, "descarga_documento.py", "motivo_cancelacion.csv", "--salida", tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "motivo_cancelacion.csv").read_bytes() == content
    assert digest in done.stdout
    missing = example(server, "descarga_documento.py", "no-existe.pdf", "--salida", tmp_path)
    assert (missing.returncode, missing.stderr.split("]")[0]) == (2, "Error MEC [DocumentoInexistente")


def test_concluye_pruebas_reports_what_is_missing_then_concludes(server: str, fake: FakeMec) -> None:
    refused = example(server, "concluye_pruebas.py")
    assert refused.returncode == 2
    assert (
        refused.stderr.startswith("Error MEC [PruebasIncompletas]: Faltan")
        and "10 certificados" in refused.stderr
    )
    who = fake.users[USER].principal
    fake.add_folio("F-ZIP", "090001", 9)
    fake.carga_certificados(who, "F-001", "a.xml", b"<Dec/>")
    fake.procesar(1, (dto.ArchivoDetalle("a.xml", "FC-100", dto.EstatusArchivo.CORRECTO),))
    fake.carga_certificados(who, "F-ZIP", "b.zip", b"PK\x03\x04")
    fake.procesar(
        2, tuple(dto.ArchivoDetalle(f"{i}.xml", None, dto.EstatusArchivo.CORRECTO) for i in range(9))
    )
    done = example(server, "concluye_pruebas.py")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "CONCLUIDAS: Fase de pruebas concluida."


def test_descarga_and_cancel_by_folio_digital(server: str, fake: FakeMec, tmp_path: Path) -> None:
    digital = fake.certificados[0].resumen.folio_digital
    folio = fake.certificados[0].resumen.folio_control
    done = example(server, "descarga_certificado.py", "--folio-digital", digital, "--salida", tmp_path)
    assert done.returncode == 0, done.stderr
    assert fake.calls[-1] == ("descarga_certificado", (None, dto.FormatoCertificado.XML, digital))
    assert (tmp_path / f"{folio}.xml").read_bytes() == fake.certificados[0].xml
    old = example(server, "descarga_certificado.py", folio, "--formato", "PDF", "--salida", tmp_path)
    assert old.returncode == 0, old.stderr
    assert fake.calls[-1] == ("descarga_certificado", (folio, dto.FormatoCertificado.PDF))
    for script, extra in (("descarga_certificado.py", []), ("solicita_cancelacion.py", ["--motivo", "C1"])):
        both = example(server, script, folio, "--folio-digital", digital, *extra)
        neither = example(server, script, *extra)
        assert both.returncode == neither.returncode == 2
        assert "exactamente uno" in both.stderr and "exactamente uno" in neither.stderr
    cancelled = example(server, "solicita_cancelacion.py", "--folio-digital", digital, "--motivo", "C1")
    assert cancelled.returncode == 0, cancelled.stderr
    assert f"folio digital {digital}" in cancelled.stdout and "CANCELACION_SOLICITADA" in cancelled.stdout
    assert fake.calls[-1] == ("solicita_cancelacion", (None, "C1", None, digital))


def test_valida_certificados_prints_findings_and_exits_by_result(
    server: str, fake: FakeMec, tmp_path: Path
) -> None:
    good, bad = tmp_path / "bien.xml", tmp_path / "mal.xml"
    good.write_bytes(b"<Dec/>")
    bad.write_bytes(b"no es xml")
    done = example(server, "valida_certificados.py", good, "--folio", "F-001", "--todo")
    assert done.returncode == 0, done.stderr
    assert "1 archivo(s), 0 con error" in done.stdout and "bien.xml: CORRECTO" in done.stdout
    assert fake.calls[-1] == ("valida_certificados", ("bien.xml", b"<Dec/>", "F-001"))
    wrong = example(server, "valida_certificados.py", bad)
    assert wrong.returncode == 1, wrong.stderr
    assert "mal.xml: CON_ERRORES" in wrong.stdout and "XML_MAL_FORMADO [mal.xml]" in wrong.stdout
    assert fake.calls[-1][1][2] is None  # no folio sent
    missing = example(server, "valida_certificados.py", good, "--folio", "NO-EXISTE")
    assert (missing.returncode, missing.stderr.split("]")[0]) == (2, "Error MEC [FolioInexistente")
