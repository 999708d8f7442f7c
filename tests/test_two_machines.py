"""Two "machines" on one PostgreSQL database, sharing nothing else: two ``mec-ws serve`` (without
embedded workers) and two ``mec-ws worker`` processes, each with its own ``MEC_DATA_DIR``.

The journey (``client_examples/journey.py``) runs against machine A while only machine B has a
worker: A's upload reaches B through the database (``MEC_ALMACEN=base``, the default with
PostgreSQL), B validates and stamps it, and A answers the status, the result, the downloads and the
exports.  Then machine B receives an upload that machine A's worker (started then, with B's worker
stopped) processes.  Only the SEP stamping key is copied to B, as an operator deploys it on every
worker machine.  PostgreSQL only: an SQLite file cannot be shared by machines.
"""

from __future__ import annotations

import base64
import io
import re
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from mec_ws.testdata.demo_db import SINGLE_DIR
from tests.test_journey import CLIENT_EXAMPLES, MEC_WS, free_port, run, service_env, serving, stop

pytestmark = pytest.mark.slow


@contextmanager
def worker(env: dict[str, str], cwd: Path) -> Iterator[Path]:
    log = cwd / "worker.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*MEC_WS, "worker"],
            env=env,
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            time.sleep(0.5)
            assert proc.poll() is None, log.read_text(errors="replace")
            yield log
        finally:
            stop(proc)


def _soap(port: int, operation: str, fields: str, credentials: dict[str, str]) -> str:
    import urllib.request

    body = (
        '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:m="http://ws.web.mec.sep.mx/schemas/certificados"><s:Body>'
        f"<m:{operation}><m:autenticacion><m:usuario>{credentials['MEC_USUARIO']}</m:usuario>"
        f"<m:password>{credentials['MEC_PASSWORD']}</m:password></m:autenticacion>{fields}"
        f"</m:{operation}></s:Body></s:Envelope>"
    ).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/mec/ws", data=body, headers={"Content-Type": "text/xml; charset=utf-8"}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as resp:  # noqa: S310
            return resp.read().decode("utf-8")
    except urllib.error.HTTPError as err:
        return err.read().decode("utf-8")


def _wait_for(port: int, folio: str, credentials: dict[str, str], estatus: str) -> str:
    deadline = time.monotonic() + 120
    answer = ""
    while time.monotonic() < deadline:
        answer = _soap(port, "consultaEstatusCarga", f"<m:folioPago>{folio}</m:folioPago>", credentials)
        if f"<tns:estatus>{estatus}</tns:estatus>" in answer:
            return answer
        time.sleep(0.3)
    pytest.fail(f"el folio {folio} no llegó a {estatus}: {answer[:2000]}")


def test_two_machines_share_only_the_database(database_url: str, tmp_path: Path) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL only: machines share the database, and an SQLite file cannot be shared")
    a_dir, b_dir = tmp_path / "a", tmp_path / "b"
    a_dir.mkdir()
    b_dir.mkdir()
    port_a, port_b = free_port(), free_port()
    env_a = service_env(database_url, a_dir / "data", port_a) | {"MEC_AMBIENTE": "pruebas"}
    env_b = service_env(database_url, b_dir / "data", port_b) | {"MEC_AMBIENTE": "pruebas"}
    upgraded = run([*MEC_WS, "db", "upgrade"], env_a, a_dir)
    assert upgraded.returncode == 0, upgraded.stdout + upgraded.stderr
    demo_dir = a_dir / "demo"
    demo = run([*MEC_WS, "demo", "--dir", demo_dir], env_a, a_dir)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    shutil.copytree(a_dir / "data" / "keys", b_dir / "data" / "keys")  # the stamping key, deployed to B
    credentials_file = demo_dir / "credenciales.txt"
    credentials = dict(
        line.split("=", 1)
        for line in credentials_file.read_text(encoding="utf-8").splitlines()
        if "=" in line
    )
    only_web = ("--procesos", "1", "--sin-trabajador")

    with serving(env_a, a_dir, port_a, only_web), serving(env_b, b_dir, port_b, only_web):
        with worker(env_b, b_dir) as b_log:
            journey = run(
                [
                    sys.executable,
                    CLIENT_EXAMPLES / "journey.py",
                    "--credenciales",
                    credentials_file,
                    "--demo",
                    demo_dir,
                    "--folio",
                    "DEMO-0001",
                    "--salida",
                    a_dir / "descargas",
                    "--intervalo",
                    "0.2",
                    "--espera-max",
                    "120",
                ],
                env_a,
                a_dir,
            )
            worker_b = b_log.read_text(errors="replace")
        assert journey.returncode == 0, journey.stdout + journey.stderr + worker_b
        assert "Recorrido completo: lote 1 ACEPTADO, 10 certificado(s)" in journey.stdout
        # A received the upload and never wrote it to its disk; B read it from the database
        assert not list((a_dir / "data").rglob("*.bin"))
        assert list((b_dir / "data" / "lotes" / "cache").glob("*.bin"))
        # B answers about A's batch: status and result
        status = _soap(port_b, "consultaEstatusCarga", "<m:folioPago>DEMO-0001</m:folioPago>", credentials)
        assert "<tns:estatus>ACEPTADO</tns:estatus>" in status, status
        result = _soap(port_b, "descargaResultadoCarga", "<m:numeroLote>1</m:numeroLote>", credentials)
        (encoded,) = re.findall(r"<tns:archivoBase64>([^<]+)</tns:archivoBase64>", result)
        with zipfile.ZipFile(io.BytesIO(base64.b64decode(encoded))) as zf:
            assert len([n for n in zf.namelist() if n.endswith(".xml")]) == 10

        # the other way: B receives, A's worker processes (B's worker is stopped)
        (single,) = (demo_dir / SINGLE_DIR).glob("certificado-11.xml")  # the demo's file for DEMO-0002
        with worker(env_a, a_dir) as a_log:
            upload = _soap(
                port_b,
                "cargaCertificados",
                f"<m:folioPago>DEMO-0002</m:folioPago><m:nombreArchivo>{single.name}</m:nombreArchivo>"
                f"<m:archivoBase64>{base64.b64encode(single.read_bytes()).decode()}</m:archivoBase64>",
                credentials,
            )
            assert "<tns:estatus>RECIBIDO</tns:estatus>" in upload, upload
            answer = _wait_for(port_a, "DEMO-0002", credentials, "ACEPTADO")
            worker_a = a_log.read_text(errors="replace")
        assert "Traceback" not in worker_a, worker_a
        assert not list((b_dir / "data" / "lotes").rglob("??/*.bin"))  # B kept no file of its own
        assert list((a_dir / "data" / "lotes" / "cache").glob("*.bin")), answer
