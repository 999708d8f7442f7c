"""End to end: ``mec-ws demo`` → a real ``mec-ws serve`` (gunicorn + embedded worker) →
``client_examples/journey.py`` over HTTP (upload, status, result, query, XML and PDF download,
CSV/XLSX export, cancellation request) → ``GET /salud`` and ``GET /verificacion/<folioDigital>`` on
the same server → ``mec-ws verify`` of the downloaded certificate.

Runs on a fresh SQLite file, and also on PostgreSQL (a throw-away schema, passed to the server
through ``search_path`` in the URL) when ``MEC_TEST_DATABASE_URL`` is set.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

ROOT = Path(__file__).resolve().parents[1]
CLIENT_EXAMPLES = ROOT / "client_examples"
MEC_WS = [sys.executable, "-m", "mec_ws.cli"]
STARTUP_TIMEOUT_S = 60


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def service_env(database_url: str, data_dir: Path, port: int) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("MEC_") or k in ("MEC_SCRYPT_N", "MEC_SCRYPT_DEBIL")
    }
    env.update(
        MEC_DATABASE_URL=database_url,
        MEC_DATA_DIR=str(data_dir),
        MEC_PUBLIC_URL=f"http://127.0.0.1:{port}/mec/ws",
    )
    return env


def run(
    args: list[str | Path], env: dict[str, str], cwd: Path, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args], env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )


def http_get(url: str) -> tuple[int, str, bytes]:
    """``(status, Content-Type, body)`` of a GET, error statuses included."""
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:  # noqa: S310 - our own local server
            return resp.status, resp.headers.get("Content-Type", ""), resp.read()
    except urllib.error.HTTPError as err:
        with err:
            return err.code, err.headers.get("Content-Type", ""), err.read()


def wait_for_wsdl(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"mec-ws serve terminó con {server.returncode}:\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:  # noqa: S310 - our own local server
                if resp.status == 200 and b"wsdl:definitions" in resp.read():
                    return
        except OSError:
            pass
        time.sleep(0.2)
    pytest.fail(f"el WSDL {url} no respondió en {STARTUP_TIMEOUT_S} s:\n{log.read_text(errors='replace')}")


def stop(server: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server's process group (supervisor, gunicorn and its workers, the batch worker),
    then SIGKILL whatever is left."""
    try:
        pgid = os.getpgid(server.pid)
    except ProcessLookupError:
        return
    try:
        os.killpg(pgid, signal.SIGTERM)
        server.wait(30)
    except subprocess.TimeoutExpired:
        pass
    except ProcessLookupError:
        return
    with suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)
    server.wait(10)


@contextmanager
def serving(
    env: dict[str, str], cwd: Path, port: int, options: tuple[str, ...] = ("--procesos", "2")
) -> Iterator[Path]:
    log = cwd / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [*MEC_WS, "serve", "--puerto", str(port), *options],
            env=env,
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stop() reaches every child
        )
        try:
            wait_for_wsdl(f"http://127.0.0.1:{port}/mec/ws?wsdl", server, log)
            yield log
        finally:
            stop(server)


def test_journey_against_a_real_server(database_url: str, tmp_path: Path):
    port = free_port()
    env = service_env(database_url, tmp_path / "data", port)
    demo_dir = tmp_path / "demo"
    if not database_url.startswith("sqlite"):  # PostgreSQL is never migrated implicitly
        upgraded = run([*MEC_WS, "db", "upgrade"], env, tmp_path)
        assert upgraded.returncode == 0, upgraded.stdout + upgraded.stderr
    demo = run([*MEC_WS, "demo", "--dir", demo_dir], env, tmp_path)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert f"http://127.0.0.1:{port}/mec/ws?wsdl" in demo.stdout
    credentials = demo_dir / "credenciales.txt"
    assert "MEC_PASSWORD=" in credentials.read_text(encoding="utf-8")

    base = f"http://127.0.0.1:{port}"
    with serving(env, tmp_path, port) as log:
        journey = run(
            [
                sys.executable,
                CLIENT_EXAMPLES / "journey.py",
                "--credenciales",
                credentials,
                "--demo",
                demo_dir,
                "--folio",
                "DEMO-0001",
                "--salida",
                tmp_path / "descargas",
                "--intervalo",
                "0.2",
                "--espera-max",
                "120",
            ],
            env,
            tmp_path,
        )
        # the folio digital of each accepted certificate, as step 5 lists them
        folios_digitales = dict(
            re.findall(r"^    (\S+)  VIGENTE  .+  folio digital (\S+)$", journey.stdout, re.M)
        )
        salud = http_get(f"{base}/salud")
        pages = {fc: http_get(f"{base}/verificacion/{fd}") for fc, fd in folios_digitales.items()}
        as_json = {
            fc: http_get(f"{base}/verificacion/{fd}?formato=json") for fc, fd in folios_digitales.items()
        }
        server_log = log.read_text(errors="replace")
    assert journey.returncode == 0, journey.stdout + journey.stderr + server_log
    out = journey.stdout
    assert "[1/10]" in out and "ACEPTADO: Programa de estudios registrado" in out
    assert "RECIBIDO" in out
    assert "lote 1, intento 1" in out
    assert "resultado.csv y 10 certificado(s) sellado(s)" in out
    assert "10 certificado(s) aceptado(s)" in out
    assert re.search(r"^  CSV: \S+certificados-[0-9-]+\.csv \(\d+ bytes, 10 fila\(s\)\)$", out, re.M), out
    assert re.search(r"^  XLSX: \S+certificados-[0-9-]+\.xlsx \(\d+ bytes\)$", out, re.M), out
    assert "Recorrido completo: lote 1 ACEPTADO, 10 certificado(s)" in out
    assert "Traceback" not in journey.stderr + server_log

    # solicitaCancelacion (step 9), then consultaCertificados of that certificate (step 10)
    assert len(folios_digitales) == 10, out
    requested = re.search(r"^  (\S+): CANCELACION_SOLICITADA; surte efecto (.+)$", out, re.M)
    assert requested, out
    cancelado, efectiva = requested.group(1), datetime.fromisoformat(requested.group(2))
    assert cancelado in folios_digitales
    assert timedelta(hours=47) < efectiva - datetime.now(UTC) <= timedelta(hours=48)
    after = out.partition("[10/10]")[2]
    assert f"\n  {cancelado}: CANCELACION_SOLICITADA\n" in after, out
    assert f"{cancelado} CANCELACION_SOLICITADA" in out.rpartition("Recorrido completo")[2]

    # the public pages of the same server
    status, content_type, body = salud
    assert status == 200 and content_type.startswith("application/json"), salud
    assert json.loads(body)["baseDatos"] is True
    for folio_control, (status, content_type, body) in pages.items():
        assert status == 200 and content_type.startswith("text/html"), (folio_control, status, content_type)
        page = body.decode("utf-8")
        word = "CANCELACIÓN SOLICITADA" if folio_control == cancelado else "VIGENTE"
        assert f"Estatus: <strong>{word}</strong>" in page, page
        assert folios_digitales[folio_control] in page
    for folio_control, (status, _, body) in as_json.items():
        assert status == 200
        wanted = "CANCELACION_SOLICITADA" if folio_control == cancelado else "VIGENTE"
        assert json.loads(body)["estatus"] == wanted

    # the saved files: XML, PDF, the CSV and XLSX exports (taken before the cancellation)
    descargas = tmp_path / "descargas"
    downloaded = sorted(descargas.glob("*.xml"))
    assert len(downloaded) == 1
    assert (descargas / "resultado-lote-1.zip").is_file()
    pdfs = sorted(descargas.glob("*.pdf"))
    assert [p.stem for p in pdfs] == [downloaded[0].stem]
    assert pdfs[0].read_bytes().startswith(b"%PDF")
    (csv_path,) = descargas.glob("certificados-*.csv")
    rows = list(csv.DictReader(io.StringIO(csv_path.read_bytes().decode("utf-8-sig"), newline="")))
    assert len(rows) == 10
    assert {r["FOLIO PAGO"] for r in rows} == {"DEMO-0001"} and {r["ESTATUS"] for r in rows} == {"VIGENTE"}
    assert {r["FOLIO CONTROL"] for r in rows} == set(folios_digitales)
    assert {r["FOLIO DIGITAL"] for r in rows} == set(folios_digitales.values())
    (xlsx_path,) = descargas.glob("certificados-*.xlsx")
    workbook = load_workbook(xlsx_path, read_only=True)
    try:
        assert sum(1 for _ in workbook.worksheets[0].iter_rows(min_row=2, values_only=True)) == 10
    finally:
        workbook.close()
    verify = run([*MEC_WS, "verify", "--sep-cer", demo_dir / "sep.cer", downloaded[0]], env, tmp_path)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert "VÁLIDO" in verify.stdout and "NO VÁLIDO" not in verify.stdout


@pytest.mark.usefixtures("engine")  # the test database, migrated (PostgreSQL is never migrated implicitly)
def test_a_fault_is_printed_readably(database_url: str, tmp_path: Path):
    """The examples turn an errorMec fault into one line and exit status 2 (no traceback)."""
    port = free_port()
    env = service_env(database_url, tmp_path / "data", port)
    demo = run([*MEC_WS, "demo", "--dir", tmp_path / "demo"], env, tmp_path)
    assert demo.returncode == 0, demo.stderr
    with serving(env, tmp_path, port):
        bad = run(
            [
                sys.executable,
                CLIENT_EXAMPLES / "consulta_estatus_carga.py",
                "--credenciales",
                tmp_path / "demo" / "credenciales.txt",
                "NO-EXISTE",
            ],
            env,
            tmp_path,
        )
        wrong = run(
            [
                sys.executable,
                CLIENT_EXAMPLES / "consulta_programas_estudios.py",
                "--credenciales",
                tmp_path / "demo" / "credenciales.txt",
                "--password",
                "equivocada",
            ],
            env,
            tmp_path,
        )
    assert bad.returncode == 2, bad.stdout + bad.stderr
    assert bad.stderr.startswith("Error MEC [FolioInexistente]: "), bad.stderr
    assert wrong.returncode == 2 and wrong.stderr.startswith("Error MEC [Autenticacion]: "), wrong.stderr
    assert "Traceback" not in bad.stderr + wrong.stderr
