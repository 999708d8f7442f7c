"""What an operator sees when ``serve``/``worker`` cannot start: one Spanish line saying what to
run, a non-zero exit, never a traceback (each case through a real subprocess)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from mec_ws import db
from tests.services.world import build_world

CLI = [sys.executable, "-c", "import sys; from mec_ws.cli import main; sys.exit(main(sys.argv[1:]))"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(args: list[str], env: dict[str, str], timeout: float = 60) -> tuple[int, str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("MEC_") or k.startswith("MEC_SCRYPT")}
    full.update(env)
    done = subprocess.run(
        [*CLI, *args], env=full, capture_output=True, text=True, timeout=timeout, check=False
    )
    return done.returncode, done.stdout + done.stderr


def _one_spanish_line(output: str, *needles: str) -> str:
    assert "Traceback" not in output, output
    errors = [line for line in output.splitlines() if line.startswith("error [")]
    assert len(errors) == 1, output
    for needle in needles:
        assert needle in errors[0], output
    return errors[0]


def _serve(port: int | None = None, *extra: str) -> list[str]:
    return ["serve", "--port", str(port or _free_port()), *extra]


def test_unreachable_postgresql(tmp_path: Path) -> None:
    url = f"postgresql+psycopg://postgres@127.0.0.1:{_free_port()}/mec"
    code, out = _run(_serve(), {"MEC_DATABASE_URL": url, "MEC_DATA_DIR": str(tmp_path)})
    assert code != 0
    _one_spanish_line(out, "no se pudo conectar", "MEC_DATABASE_URL")


@pytest.mark.parametrize("url", ["esto no es una url", "oracle://u@h/db"])
def test_bad_database_url(tmp_path: Path, url: str) -> None:
    code, out = _run(_serve(), {"MEC_DATABASE_URL": url, "MEC_DATA_DIR": str(tmp_path)})
    assert code != 0
    _one_spanish_line(out, "MEC_DATABASE_URL")


def test_database_that_does_not_exist(tmp_path: Path) -> None:
    base = os.environ.get("MEC_TEST_DATABASE_URL")
    if not base:
        pytest.skip("needs PostgreSQL (MEC_TEST_DATABASE_URL)")
    url = make_url(base).set(database="mec_no_existe_en_absoluto").render_as_string(hide_password=False)
    code, out = _run(_serve(), {"MEC_DATABASE_URL": url, "MEC_DATA_DIR": str(tmp_path)})
    assert code != 0
    _one_spanish_line(out, "createdb mec_no_existe_en_absoluto", "mec-ws db upgrade")


def test_empty_database(database_url: str, tmp_path: Path) -> None:
    """Not migrated (PostgreSQL) → `mec-ws db upgrade`; no users (SQLite is migrated on the spot,
    or PostgreSQL once upgraded) → `mec-ws demo` / `mec-ws admin`."""
    env = {"MEC_DATABASE_URL": database_url, "MEC_DATA_DIR": str(tmp_path)}
    if not database_url.startswith("sqlite"):
        code, out = _run(_serve(), env)
        assert code != 0
        _one_spanish_line(out, "mec-ws db upgrade")
        upgraded, out = _run(["db", "upgrade"], env)
        assert upgraded == 0, out
    code, out = _run(_serve(), env)
    assert code != 0
    _one_spanish_line(out, "no tiene usuarios", "mec-ws demo")
    code, out = _run(["worker", "--once"], env)
    assert code != 0
    _one_spanish_line(out, "no tiene usuarios")


def test_unreadable_stamping_key(engine: Engine, database_url: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    build_world(engine, data)
    (data / "claves" / "sello-sep.pem").write_bytes(b"-----BEGIN PRIVATE KEY-----\nroto\n")
    env = {"MEC_DATABASE_URL": database_url, "MEC_DATA_DIR": str(data)}
    for args in (_serve(), ["worker", "--once"]):
        code, out = _run(args, env)
        assert code != 0
        _one_spanish_line(out, "llave de sellado")
    (data / "claves" / "sello-sep.pem").unlink()
    code, out = _run(["worker", "--once"], env)
    assert code != 0
    _one_spanish_line(out, "llave de sellado")


def test_port_in_use(engine: Engine, database_url: str, tmp_path: Path) -> None:
    build_world(engine, tmp_path / "data")
    env = {"MEC_DATABASE_URL": database_url, "MEC_DATA_DIR": str(tmp_path / "data")}
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, out = _run(_serve(port), env, timeout=20)
    assert code != 0
    _one_spanish_line(out, f"el puerto {port}", "--port")
    assert "Connection in use" not in out


def test_database_errors_elsewhere_are_one_line_too(tmp_path: Path) -> None:
    url = f"postgresql+psycopg://postgres@127.0.0.1:{_free_port()}/mec"
    code, out = _run(["db", "current"], {"MEC_DATABASE_URL": url, "MEC_DATA_DIR": str(tmp_path)})
    assert code != 0
    _one_spanish_line(out, "no se pudo conectar")
    assert db.explain(ValueError("x"), "::").startswith("MEC_DATABASE_URL")
