"""Runs :class:`mec_ws.cli.forked.ForkedWorkers` with a stand-in child body, in a fresh process (a
test process has threads, and the pool refuses to fork from one).  ``MODE`` picks the body; the
run's exit status is printed last as ``estado N``."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path

from mec_ws.cli.forked import ForkedWorkers
from mec_ws.config import Settings


def main(mode: str, record: Path) -> int:
    def note(text: str) -> None:
        with record.open("a") as out:
            out.write(f"{text}\n")

    def ok(_settings: Settings, once: bool) -> int:
        note(f"hijo {os.getpid()} padre {os.getppid()} una-vez {once}")
        return 0

    def second_fails(_settings: Settings, _once: bool) -> int:
        note(f"hijo {os.getpid()}")
        if len(record.read_text().splitlines()) >= 2:
            raise RuntimeError("falla")
        return 0

    def dies_at_once(_settings: Settings, _once: bool) -> int:
        note(f"hijo {os.getpid()}")
        return 5

    def waits(_settings: Settings, _once: bool) -> int:
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        note(f"hijo {os.getpid()}")
        stop.wait(60)
        note(f"fin {os.getpid()}")
        return 0

    settings = Settings.from_env({"MEC_DATA_DIR": str(record.parent)})
    stop = threading.Event()
    if mode == "once":
        pool = ForkedWorkers(settings, 2, once=True, body=ok)
    elif mode == "once-one-fails":
        pool = ForkedWorkers(settings, 2, once=True, body=second_fails)
    elif mode == "gives-up":
        pool = ForkedWorkers(
            settings, 2, once=False, body=dies_at_once, restart_delay=0.05, max_quick_deaths=3
        )
    elif mode == "stop":
        pool = ForkedWorkers(settings, 2, once=False, body=waits)
        signal.signal(signal.SIGALRM, lambda *_: stop.set())
        signal.setitimer(signal.ITIMER_REAL, 1.0)
    else:
        raise SystemExit(f"modo desconocido: {mode}")
    started = time.monotonic()
    code = pool.run(stop)
    print(f"restarts {pool.restarts} seconds {time.monotonic() - started:.1f}")
    print(f"estado {code}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], Path(sys.argv[2])))
