"""The worker: progress while processing, heartbeats, a worker killed mid-batch, the CLI."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from mec_ws.batches.worker import WorkerOptions, run_worker
from mec_ws.services.dto import EstatusLote
from models import Batch, BatchFile, Certificate, WorkerHeartbeat
from tests.services.world import World, build_world, make_zip

WORKER_CMD = [sys.executable, "-c", "import sys; from mec_ws.cli import main; sys.exit(main(sys.argv[1:]))"]


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> World:
    return build_world(engine, tmp_path / "data")


def _wait(condition: Callable[[], bool], timeout: float = 60.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _batch(world: World, numero: int) -> Batch:
    with world.sessions() as s:
        batch = s.get(Batch, numero)
        assert batch is not None
        return batch


def _count(world: World, model: type) -> int:
    with world.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def _upload(world: World, n: int, first: int = 0) -> tuple[str, int]:
    folio = world.folio(n)
    data = make_zip({f"c{i}.xml": world.certificate(i) for i in range(first, first + n)})
    return folio, world.app.carga_certificados(world.ipes, folio, "lote.zip", data).numero_lote


def test_progress_is_visible_while_a_batch_is_processed(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    folio, numero = _upload(world, 3)
    worker = world.worker(progress_files=1)
    record = worker.record_progress

    def record_then_wait(numero_lote: int, done: int, total: int, mensaje: str) -> None:
        record(numero_lote, done, total, mensaje)
        if done == 2:
            time.sleep(1.0)

    monkeypatch.setattr(worker, "record_progress", record_then_wait)
    thread = threading.Thread(target=worker.run, kwargs={"once": True})
    thread.start()
    try:
        _wait(lambda: _batch(world, numero).archivos_procesados == 2, what="progress")
        lote = world.app.consulta_estatus_carga(world.ipes, folio).lotes[0]
        assert lote.estatus is EstatusLote.EN_PROCESO
        assert "2 de 3" in lote.mensaje and lote.total_archivos == 3
        assert lote.detalle == () and lote.fecha_proceso is None
        with world.sessions() as s:
            beat = s.get(WorkerHeartbeat, worker.worker_id)
            assert beat is not None
    finally:
        thread.join(60)
    lote = world.app.consulta_estatus_carga(world.ipes, folio).lotes[0]
    assert lote.estatus is EstatusLote.ACEPTADO and len(lote.detalle) == 3
    assert _count(world, WorkerHeartbeat) == 0  # removed on a clean exit


def test_run_worker_once_drains_the_queue(world: World) -> None:
    _upload(world, 1)
    _upload(world, 2, first=1)
    assert run_worker(world.settings, once=True, options=WorkerOptions(poll_seconds=0.05)) == 2
    assert _count(world, Certificate) == 3


def test_cli_worker_once(world: World, database_url: str) -> None:
    _, numero = _upload(world, 1)
    env = {**os.environ, "MEC_DATABASE_URL": database_url, "MEC_DATA_DIR": str(world.settings.data_dir)}
    done = subprocess.run(
        [*WORKER_CMD, "worker", "--once"], env=env, capture_output=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr.decode()
    assert "lotes tomados: 1" in done.stdout.decode()
    assert _batch(world, numero).estatus is EstatusLote.ACEPTADO


def test_cli_worker_processes_share_the_queue(world: World, database_url: str) -> None:
    batches = [_upload(world, 1, first=n)[1] for n in range(4)]
    env = {**os.environ, "MEC_DATABASE_URL": database_url, "MEC_DATA_DIR": str(world.settings.data_dir)}
    done = subprocess.run(
        [*WORKER_CMD, "worker", "--procesos", "2", "--una-vez"],
        env=env,
        capture_output=True,
        timeout=180,
        check=False,
    )
    out = done.stdout.decode()
    assert done.returncode == 0, done.stderr.decode() + out
    taken = [int(n) for n in re.findall(r"lotes tomados: (\d+)", out)]
    assert len(taken) == 2 and sum(taken) == 4, out  # two processes; each batch taken exactly once
    assert "2 trabajadores detenidos; estados de salida: 0, 0." in out
    assert all(_batch(world, n).estatus is EstatusLote.ACEPTADO for n in batches)
    assert _count(world, Certificate) == 4


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="lee /proc (Linux)")
def test_cli_worker_processes_are_forked_restarted_and_stopped(world: World, database_url: str) -> None:
    """The children are forks of the checked parent (same command line, no second start-up); one
    killed is replaced; SIGTERM ends them all cleanly; a parent killed takes its children along."""
    env = {
        **os.environ,
        "MEC_DATABASE_URL": database_url,
        "MEC_DATA_DIR": str(world.settings.data_dir),
        "MEC_WORKER_POLL_SECONDS": "0.2",
    }
    proc = subprocess.Popen(
        [*WORKER_CMD, "worker", "--procesos", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait(lambda: len(_children(proc.pid)) == 2, what="two worker children")
        first = _children(proc.pid)
        cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes()
        assert all(Path(f"/proc/{c}/cmdline").read_bytes() == cmdline for c in first)  # forked, not exec'd
        os.kill(first[0], signal.SIGKILL)
        _wait(
            lambda: len(_children(proc.pid)) == 2 and first[0] not in _children(proc.pid),
            timeout=30,
            what="the killed child to be replaced",
        )
        _, numero = _upload(world, 2)
        _wait(lambda: _batch(world, numero).estatus is EstatusLote.ACEPTADO, what="the batch")
        second = _children(proc.pid)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "2 trabajadores detenidos." in out and "se reinicia" in err
    assert not any(_alive(c) for c in second)

    orphaned = subprocess.Popen(
        [*WORKER_CMD, "worker", "--procesos", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait(lambda: len(_children(orphaned.pid)) == 2, what="two worker children")
        kids = _children(orphaned.pid)
        orphaned.kill()
        orphaned.wait(30)
        _wait(
            lambda: not any(_alive(c) for c in kids), timeout=30, what="the children to end with their parent"
        )
    finally:
        if orphaned.poll() is None:
            orphaned.kill()


@pytest.mark.parametrize("value", ["0", "-1", "dos"])
def test_cli_worker_processes_must_be_a_positive_number(value: str) -> None:
    done = subprocess.run(
        [*WORKER_CMD, "worker", "--procesos", value], capture_output=True, timeout=60, check=False
    )
    assert done.returncode == 2 and "--procesos" in done.stderr.decode()


SLOW_WORKER = [sys.executable, str(Path(__file__).with_name("slow_worker.py"))]


def test_a_worker_killed_mid_batch_is_taken_over_by_another_within_a_minute(
    world: World, database_url: str
) -> None:
    """SIGKILL mid-batch: nothing is written but the claim; another worker takes the batch over as
    soon as the dead one's heartbeat is stale, says so in the status, and finishes it."""
    folio, numero = _upload(world, 4)
    env = {
        **os.environ,
        "MEC_DATABASE_URL": database_url,
        "MEC_DATA_DIR": str(world.settings.data_dir),
        "MEC_WORKER_PROGRESS_FILES": "1",
        "MEC_WORKER_STALE_SECONDS": "4",
        "MEC_WORKER_HEARTBEAT_SECONDS": "0.5",
        "MEC_WORKER_POLL_SECONDS": "0.2",
    }
    proc = subprocess.Popen(
        [*SLOW_WORKER, "2", "worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        _wait(lambda: _batch(world, numero).archivos_procesados >= 2, what="the worker to pause mid-batch")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        assert proc.stderr is not None
        proc.stderr.close()
    killed_at = time.monotonic()

    batch = _batch(world, numero)
    assert batch.estatus is EstatusLote.EN_PROCESO and batch.claimed_by and batch.claim_count == 1
    assert _count(world, Certificate) == 0 and _count(world, BatchFile) == 0
    status = world.app.consulta_estatus_carga(world.ipes, folio)
    # pending: not used yet (only a judged batch uses an attempt) but held, so not among those left
    assert (status.intentos_usados, status.intentos_restantes) == (0, 1) and status.lotes[0].detalle == ()

    survivor = subprocess.Popen(
        [*WORKER_CMD, "worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        _wait(
            lambda: _batch(world, numero).estatus is EstatusLote.ACEPTADO,
            timeout=60,
            what="another worker to finish the batch",
        )
    finally:
        survivor.send_signal(signal.SIGTERM)
        survivor.wait(30)
    assert time.monotonic() - killed_at < 60
    batch = _batch(world, numero)
    assert batch.claim_count == 2 and _count(world, Certificate) == 4
    status = world.app.consulta_estatus_carga(world.ipes, folio)
    assert status.intentos_usados == 1 and status.estatus_folio.value == "ACEPTADO"


def test_a_resumed_batch_says_so_while_it_is_processed(world: World) -> None:
    folio, numero = _upload(world, 3)
    dead = world.worker()
    assert dead.claim() == numero
    world.clock.advance(seconds=dead.options.stale.total_seconds() + 1)
    survivor = world.worker(progress_files=1)
    assert survivor.claim() == numero
    lote = world.app.consulta_estatus_carga(world.ipes, folio).lotes[0]
    assert lote.estatus is EstatusLote.EN_PROCESO and "reanudado" in lote.mensaje
    seen: list[str] = []
    record = survivor.record_progress

    def spy(numero_lote: int, done: int, total: int, mensaje: str) -> None:
        seen.append(mensaje)
        record(numero_lote, done, total, mensaje)

    survivor.record_progress = spy  # type: ignore[method-assign]
    assert survivor.process(numero) is not None
    assert seen and all("reanudado" in m for m in seen)


def test_the_worker_refuses_to_start_when_it_cannot_stamp(
    engine: Engine, tmp_path: Path, database_url: str
) -> None:
    world = build_world(engine, tmp_path / "data", with_stamp_key=False)
    env = {**os.environ, "MEC_DATABASE_URL": database_url, "MEC_DATA_DIR": str(world.settings.data_dir)}
    done = subprocess.run(
        [*WORKER_CMD, "worker", "--once"], env=env, capture_output=True, timeout=120, check=False
    )
    assert done.returncode != 0
    err = done.stderr.decode()
    assert "no puede sellar" in err and "mec-ws admin set-stamp-key" in err
    errors = [line for line in err.splitlines() if line.startswith("error [")]
    assert "Traceback" not in err and len(errors) == 1 and "no puede sellar" in errors[0]


def test_heartbeats_record_whether_the_worker_can_stamp(engine: Engine, tmp_path: Path) -> None:
    world = build_world(engine, tmp_path / "data", with_stamp_key=False)
    worker = world.worker()
    worker.heartbeat(force=True)
    with world.sessions() as s:
        beat = s.get(WorkerHeartbeat, worker.worker_id)
        assert beat is not None and beat.can_stamp is False


def test_heartbeats_say_the_worker_can_stamp_when_the_key_is_usable(world: World) -> None:
    worker = world.worker()
    worker.heartbeat(force=True)
    with world.sessions() as s:
        beat = s.get(WorkerHeartbeat, worker.worker_id)
        assert beat is not None and beat.can_stamp is True


def test_concurrent_workers_process_each_batch_once(world: World) -> None:
    numeros = [_upload(world, 1, first=i)[1] for i in range(4)]
    workers = [world.worker() for _ in range(3)]
    claimed: list[int] = [0] * len(workers)

    def run(i: int) -> None:
        claimed[i] = workers[i].run(once=True)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(workers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert sum(claimed) == 4
    for numero in numeros:
        batch = _batch(world, numero)
        assert (batch.estatus, batch.claim_count) == (EstatusLote.ACEPTADO, 1)
    assert _count(world, Certificate) == 4
