"""``mec-ws worker`` for tests that kill a worker mid-batch: it sleeps after recording progress.

Run as ``python tests/batches/slow_worker.py PAUSE_AFTER [worker args…]``.  The pause is wrapped
around the production worker from outside (no hook in the product): after the progress write
that reports ``PAUSE_AFTER`` files, the worker sleeps for an hour, its heartbeat thread still
beating, until the test kills it.
"""

from __future__ import annotations

import sys
import time

from mec_ws.batches import worker
from mec_ws.cli import main

PAUSE_AFTER = int(sys.argv[1])
_record = worker.Worker.record_progress


def _record_then_pause(self: worker.Worker, numero_lote: int, done: int, total: int, mensaje: str) -> None:
    _record(self, numero_lote, done, total, mensaje)
    if done >= PAUSE_AFTER:
        time.sleep(3600)


worker.Worker.record_progress = _record_then_pause  # type: ignore[method-assign]

if __name__ == "__main__":
    sys.exit(main(sys.argv[2:]))
