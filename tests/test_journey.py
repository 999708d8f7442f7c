"""End to end: ``mec-ws demo`` → a real ``mec-ws serve`` (gunicorn + embedded worker) →
``client_examples/journey.py`` over HTTP → ``mec-ws verify`` of the downloaded certificate.

Runs on a fresh SQLite file, and also on PostgreSQL (a throw-away schema, passed to the server
through ``search_path`` in the URL) when ``MEC_TEST_DATABASE_URL`` is set.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CLIENT_EXAMPLES = ROOT / "client_examples"
MEC_WS = [sys.executable, "-m", "mec_ws.cli"]
STARTUP_TIMEOUT_S = 60


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def service_env(database_url: str, data_dir: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEC_") or k == "MEC_SCRYPT_N"}
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
def serving(env: dict[str, str], cwd: Path, port: int) -> Iterator[Path]:
    log = cwd / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [*MEC_WS, "serve", "--port", str(port), "--workers", "2"],
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
        server_log = log.read_text(errors="replace")
    assert journey.returncode == 0, journey.stdout + journey.stderr + server_log
    out = journey.stdout
    assert "[1/6]" in out and "ACEPTADO: Programa de estudios registrado" in out
    assert "RECIBIDO" in out
    assert "lote 1, intento 1" in out
    assert "resultado.csv y 10 certificado(s) sellado(s)" in out
    assert "10 certificado(s) aceptado(s)" in out
    assert "Recorrido completo: lote 1 ACEPTADO, 10 certificado(s)" in out
    assert "Traceback" not in journey.stderr + server_log

    downloaded = sorted((tmp_path / "descargas").glob("*.xml"))
    assert len(downloaded) == 1
    assert (tmp_path / "descargas" / "resultado-lote-1.zip").is_file()
    verify = run([*MEC_WS, "verify", "--sep-cer", demo_dir / "sep.cer", downloaded[0]], env, tmp_path)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert "VÁLIDO" in verify.stdout and "NO VÁLIDO" not in verify.stdout


def test_a_fault_is_printed_readably(tmp_path: Path):
    """The examples turn an errorMec fault into one line and exit status 2 (no traceback)."""
    port = free_port()
    env = service_env(f"sqlite:///{tmp_path / 'data' / 'mec.sqlite3'}", tmp_path / "data", port)
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
