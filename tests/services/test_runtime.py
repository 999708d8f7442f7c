"""``mec-ws serve``: gunicorn plus a supervised worker child that is restarted when it dies."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from mec_ws import db
from models import WorkerHeartbeat

CLI = [sys.executable, "-c", "import sys; from mec_ws.cli import main; sys.exit(main(sys.argv[1:]))"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if condition():
                return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.slow
def test_serve_refuses_to_start_when_its_worker_could_not_stamp(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'mec.sqlite3'}"
    env = {**os.environ, "MEC_DATA_DIR": str(tmp_path / "data"), "MEC_DATABASE_URL": url}
    done = subprocess.run(
        [*CLI, "serve", "--port", str(_free_port()), "--workers", "1"],
        env=env,
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 2
    err = done.stderr.decode()
    assert "no puede sellar" in err and "mec-ws admin set-stamp-key" in err and "Traceback" not in err
    assert done.stdout == b""  # it never announced a listening service


def test_serve_runs_the_soap_endpoint_and_supervises_a_worker(tmp_path: Path) -> None:
    port = _free_port()
    url = f"sqlite:///{tmp_path / 'mec.sqlite3'}"
    env = {**os.environ, "MEC_DATA_DIR": str(tmp_path / "data"), "MEC_DATABASE_URL": url}
    demo = subprocess.run(
        [*CLI, "demo", "--dir", str(tmp_path / "demo")], env=env, capture_output=True, timeout=180
    )
    assert demo.returncode == 0, demo.stderr  # a usable stamping key: serve refuses to start without one
    proc = subprocess.Popen(
        [*CLI, "serve", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    engine = db.make_engine(url)

    def worker_pids() -> set[int]:
        with engine.connect() as conn:
            ids = conn.execute(select(WorkerHeartbeat.worker_id)).scalars().all()
        return {int(i.split(":")[1]) for i in ids}

    try:
        assert proc.stdout is not None
        banner = proc.stdout.readline().decode()
        assert f"127.0.0.1:{port}" in banner and "?wsdl" in banner

        def wsdl_served() -> bool:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/mec/ws?wsdl", timeout=5) as r:
                return r.status == 200 and b"definitions" in r.read()

        _wait(wsdl_served, 60, "the WSDL")
        _wait(lambda: len(worker_pids()) == 1, 60, "the embedded worker")
        (first,) = worker_pids()
        os.kill(first, signal.SIGKILL)
        _wait(lambda: len(worker_pids() - {first}) == 1, 60, "the worker to be restarted")
        (second,) = worker_pids() - {first}
        assert _alive(second)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        finally:
            if proc.poll() is None:
                proc.kill()
            assert proc.stdout is not None
            proc.stdout.close()
            engine.dispose()
    assert proc.returncode == 0
    _wait(lambda: not _alive(second), 10, "the worker to stop with the server")


@pytest.mark.slow
def test_children_die_when_serve_is_killed(tmp_path: Path) -> None:
    """SIGKILL on ``serve`` leaves no orphan gunicorn or worker holding the port or the batches."""
    port = _free_port()
    url = f"sqlite:///{tmp_path / 'mec.sqlite3'}"
    env = {**os.environ, "MEC_DATA_DIR": str(tmp_path / "data"), "MEC_DATABASE_URL": url}
    demo = subprocess.run(
        [*CLI, "demo", "--dir", str(tmp_path / "demo")], env=env, capture_output=True, timeout=180
    )
    assert demo.returncode == 0, demo.stderr  # a usable stamping key: serve refuses to start without one
    proc = subprocess.Popen(
        [*CLI, "serve", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    engine = db.make_engine(url)
    try:

        def worker_pid() -> int:
            with engine.connect() as conn:
                (wid,) = conn.execute(select(WorkerHeartbeat.worker_id)).scalars().all()
            return int(wid.split(":")[1])

        def wsdl_served() -> bool:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/mec/ws?wsdl", timeout=5) as r:
                return r.status == 200

        _wait(wsdl_served, 60, "the WSDL")
        _wait(lambda: worker_pid() > 0, 60, "the embedded worker")
        worker = worker_pid()
        proc.kill()
        proc.wait(10)
        _wait(lambda: not _alive(worker), 20, "the worker to die with serve")

        def port_closed() -> bool:
            with socket.socket() as s:
                return s.connect_ex(("127.0.0.1", port)) != 0

        _wait(port_closed, 30, "gunicorn to die with serve")
    finally:
        if proc.poll() is None:
            proc.kill()
        engine.dispose()
