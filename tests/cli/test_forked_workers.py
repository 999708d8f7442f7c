"""``mec-ws worker --procesos N``: the pool of forked workers (its waiting, restarting and stopping).

The pool runs in a fresh process (``forked_script.py``) with stand-in child bodies; the real
workers are tested through the command in tests/batches/test_worker.py.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).with_name("forked_script.py")


def _run(mode: str, tmp_path: Path) -> tuple[str, list[str]]:
    record = tmp_path / "hijos.txt"
    record.touch()
    done = subprocess.run(
        [sys.executable, str(SCRIPT), mode, str(record)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout, record.read_text().splitlines()


def test_once_waits_for_every_child_and_reports_their_exit_statuses(tmp_path: Path) -> None:
    out, children = _run("once", tmp_path)
    assert "2 trabajadores detenidos; estados de salida: 0, 0." in out
    assert out.strip().endswith("estado 0")
    assert len(children) == 2 and all("una-vez True" in line for line in children)
    parents = {line.split(" padre ")[1].split()[0] for line in children}
    assert len(parents) == 1  # both forked from the one parent


def test_once_fails_when_a_child_fails(tmp_path: Path) -> None:
    out, children = _run("once-one-fails", tmp_path)
    assert len(children) == 2
    assert "estados de salida: 0, 1." in out or "estados de salida: 1, 0." in out
    assert out.strip().endswith("estado 1")


def test_a_child_that_dies_at_start_is_restarted_then_given_up_on(tmp_path: Path) -> None:
    out, children = _run("gives-up", tmp_path)
    assert len(children) == 6  # 2 slots × 3 quick deaths
    assert "restarts 4" in out  # the first start of each slot is not a restart
    assert out.strip().endswith("estado 1")


def test_a_stop_reaches_every_child_and_they_end_cleanly(tmp_path: Path) -> None:
    out, lines = _run("stop", tmp_path)
    started = [line for line in lines if line.startswith("hijo ")]
    ended = [line for line in lines if line.startswith("fin ")]
    assert len(started) == 2 and len(ended) == 2
    assert "2 trabajadores detenidos." in out and "restarts 0" in out
    assert out.strip().endswith("estado 0")
