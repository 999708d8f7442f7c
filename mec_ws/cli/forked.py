"""``mec-ws worker --procesos N``: N batch workers forked from the process that checked the set-up.

The parent runs the start-up checks once (:func:`mec_ws.cli.runtime.preflight`: database, schema,
stamping key), with every module the worker needs already imported, and then forks the children:
each one starts working at once instead of paying a new interpreter's imports and checks (about 2 s
of every child's start, during which the batch's coordinator works alone).  The parent forks only
from its main thread, while it runs no other thread and holds no database connection, so a child
inherits no lock held by somebody else.

Each child is a :func:`~mec_ws.batches.worker.run_worker` with its own engine and its own stop
event (SIGTERM/SIGINT: it finishes the batch or chunk in hand and ends); Linux sends it SIGTERM if
the parent dies, even by SIGKILL.  The parent only waits: with ``--una-vez`` until every child has
ended; without it, restarting a child that dies (after ``restart_delay``), and giving up on a slot
whose child dies right after starting ``max_quick_deaths`` times in a row.  A stop signal to the
parent is passed to every child.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType

from mec_ws.config import Settings
from mec_ws.errors import MecError

log = logging.getLogger("mec_ws.serve")


def die_with_parent() -> None:
    """Ask Linux to SIGTERM this process when its parent dies, even by SIGKILL."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the parent's own signal handling remains
        pass


WORKER_STOPS = "el trabajador termina tras el lote en curso"


def stop_on_signals(what: str = WORKER_STOPS) -> threading.Event:
    """An event set by SIGTERM or SIGINT (logged as "señal N: ``what``"); a worker finishes the
    batch or chunk in hand and ends."""
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("señal %s: %s", signum, what)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    return stop


def run_one_worker(settings: Settings, once: bool, stop: threading.Event) -> int:
    """One worker in this process until ``stop`` (or, ``once``, until nothing is pending)."""
    from mec_ws.batches.worker import run_worker

    claimed = run_worker(settings, once=once, stop_event=stop)
    print(f"Trabajador detenido; lotes tomados: {claimed}.")
    return 0


def _child_main(settings: Settings, once: bool) -> int:
    """The body of a forked child: its errors end it with a status, as they end ``mec-ws worker``."""
    die_with_parent()
    try:
        return run_one_worker(settings, once, stop_on_signals())
    except MecError as exc:
        print(f"error [{exc.codigo}]: {exc.mensaje}", file=sys.stderr)
        return 2
    except Exception:
        log.exception("el trabajador terminó por un error inesperado")
        return 1


@dataclass
class QuickDeaths:
    """Counts a child's deaths within ``quick`` s of its start, in a row; :meth:`died` says (and
    logs) when there have been ``limit`` of them: the child is not started again."""

    quick: float
    limit: int
    count: int = 0

    def died(self, lived: float, name: str) -> bool:
        self.count = self.count + 1 if lived < self.quick else 0
        if self.count < self.limit:
            return False
        log.error("%s terminó %d veces seguidas al poco de iniciar; no se reinicia más", name, self.count)
        return True


@dataclass
class _Slot:
    index: int
    deaths: QuickDeaths
    pid: int | None = None
    started_at: float = 0.0
    restart_at: float | None = None
    exit_code: int | None = None
    gave_up: bool = False


ChildBody = Callable[[Settings, bool], int]


class ForkedWorkers:
    """``count`` worker processes forked from this one (see the module docstring)."""

    def __init__(
        self,
        settings: Settings,
        count: int,
        *,
        once: bool,
        body: ChildBody = _child_main,
        restart_delay: float = 2.0,
        quick: float = 10.0,
        max_quick_deaths: int = 5,
        poll: float = 0.2,
    ) -> None:
        self.settings = settings
        self.once = once
        self.body = body
        self.restart_delay = restart_delay
        self.poll = poll
        self.slots = [_Slot(i, QuickDeaths(quick, max_quick_deaths)) for i in range(count)]
        self.restarts = 0

    def _fork(self, slot: _Slot) -> None:
        if threading.active_count() != 1:  # a thread could hold a lock the child would inherit
            raise RuntimeError("no se bifurcan trabajadores desde un proceso con otros hilos")
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the child: never returns into the parent's code
            code = 1
            try:
                code = self.body(self.settings, self.once)
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        slot.pid, slot.started_at, slot.restart_at = pid, time.monotonic(), None

    def _ended(self, slot: _Slot, status: int) -> None:
        code = os.waitstatus_to_exitcode(status)
        slot.pid, slot.exit_code = None, code
        if self.once:
            return
        if slot.deaths.died(time.monotonic() - slot.started_at, f"el trabajador {slot.index + 1}"):
            slot.gave_up = True
            return
        log.warning("el trabajador %d terminó con %s; se reinicia", slot.index + 1, code)
        slot.restart_at = time.monotonic() + self.restart_delay

    def _reap(self) -> None:
        for slot in self.slots:
            if slot.pid is None:
                continue
            try:
                pid, status = os.waitpid(slot.pid, os.WNOHANG)
            except ChildProcessError:  # reaped elsewhere: count it as gone
                pid, status = slot.pid, 0
            if pid:
                self._ended(slot, status)

    def _stop_all(self, timeout: float) -> None:
        live = [slot for slot in self.slots if slot.pid is not None]
        for slot in live:
            with contextlib.suppress(ProcessLookupError):
                os.kill(slot.pid, signal.SIGTERM)  # type: ignore[arg-type]
        deadline = time.monotonic() + timeout
        while any(slot.pid is not None for slot in live) and time.monotonic() < deadline:
            self._reap()
            time.sleep(0.05)
        for slot in live:
            if slot.pid is not None:
                log.warning(
                    "el trabajador %d no terminó en %s s; se detiene a la fuerza", slot.index + 1, timeout
                )
                os.kill(slot.pid, signal.SIGKILL)
                _, status = os.waitpid(slot.pid, 0)
                self._ended(slot, status)

    def run(self, stop: threading.Event, *, stop_timeout: float = 15.0) -> int:
        """Fork the children and wait (see the module docstring); the exit status of the command."""
        for slot in self.slots:
            self._fork(slot)
        log.info(
            "%d trabajadores iniciados (pid %s)",
            len(self.slots),
            ", ".join(str(slot.pid) for slot in self.slots),
        )
        try:
            while not stop.wait(self.poll):
                self._reap()
                if self.once and all(slot.pid is None for slot in self.slots):
                    break
                if not self.once and all(slot.gave_up for slot in self.slots):
                    log.error("todos los trabajadores fallan al iniciar; se detiene")
                    break
                now = time.monotonic()
                for slot in self.slots:
                    if slot.restart_at is not None and now >= slot.restart_at:
                        self.restarts += 1
                        self._fork(slot)
        finally:
            self._stop_all(stop_timeout)
        if self.once:
            codes = [slot.exit_code for slot in self.slots]
            print(
                f"{len(self.slots)} trabajadores detenidos; estados de salida: "
                f"{', '.join(str(c) for c in codes)}."
            )
            return 0 if all(code == 0 for code in codes) else 1
        print(f"{len(self.slots)} trabajadores detenidos.")
        return 0 if stop.is_set() else 1


__all__ = ["ForkedWorkers", "QuickDeaths", "die_with_parent", "run_one_worker", "stop_on_signals"]
