"""The batch worker: claim a batch, process it, record the outcome; heartbeats on the way.

A claim is a lease: ``claimed_by`` plus ``claim_expires_at``, taken in a short transaction with
``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL (on SQLite every transaction starts with
``BEGIN IMMEDIATE``, which serializes claimers).  A batch is claimable when ``RECIBIDO``, or
``EN_PROCESO`` with an expired lease (its worker died).  While processing, the worker writes
progress in short transactions every few files or seconds and renews the lease with each write;
if the lease was taken over meanwhile, it stops without writing anything else.  Any number of
workers may run against one PostgreSQL database.

Environment (all optional): ``MEC_WORKER_LEASE_SECONDS`` (default 300), ``MEC_WORKER_POLL_SECONDS``
(2), ``MEC_WORKER_PROGRESS_FILES`` (10).  For tests only: ``MEC_TEST_WORKER_PAUSE_AFTER=N`` makes
the worker record its progress and then sleep (``MEC_TEST_WORKER_PAUSE_SECONDS``, default 3600)
after validating N files of a batch, so that a test can kill it mid-batch.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from mec_ws import db
from mec_ws.batches.processing import BatchOutcome, ClaimLost, RetryBatch, process_batch
from mec_ws.batches.storage import BatchStorage
from mec_ws.cancellations import apply_due_cancellations
from mec_ws.config import Settings
from mec_ws.errors import ConfigurationError
from models import Batch, WorkerHeartbeat, utcnow
from models.enums import EstatusLote

log = logging.getLogger(__name__)


def _env_number(env: Mapping[str, str], name: str, default: float, *, minimum: float = 0) -> float:
    raw = env.get(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigurationError(f"{name} debe ser un número (se recibió {raw!r}).") from None
    if value < minimum:
        raise ConfigurationError(f"{name} debe ser al menos {minimum} (se recibió {raw}).")
    return value


@dataclass(frozen=True)
class WorkerOptions:
    lease: timedelta = timedelta(minutes=5)
    poll_seconds: float = 2.0
    heartbeat_seconds: float = 10.0
    progress_files: int = 10
    progress_seconds: float = 2.0
    pause_after: int | None = None  # tests only
    pause_seconds: float = 3600.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> WorkerOptions:
        env = os.environ if env is None else env
        pause = env.get("MEC_TEST_WORKER_PAUSE_AFTER")
        return cls(
            lease=timedelta(seconds=_env_number(env, "MEC_WORKER_LEASE_SECONDS", 300, minimum=1)),
            poll_seconds=_env_number(env, "MEC_WORKER_POLL_SECONDS", 2.0, minimum=0.05),
            progress_files=int(_env_number(env, "MEC_WORKER_PROGRESS_FILES", 10, minimum=1)),
            pause_after=int(pause) if pause else None,
            pause_seconds=_env_number(env, "MEC_TEST_WORKER_PAUSE_SECONDS", 3600.0),
        )


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class _Progress:
    """Writes progress (and renews the lease) every few files or seconds."""

    worker: Worker
    numero_lote: int
    last_done: int = -1
    last_write: float = field(default_factory=time.monotonic)
    paused: bool = False

    def __call__(self, done: int, total: int, mensaje: str) -> None:
        opts = self.worker.options
        due = (
            self.last_done < 0
            or done - self.last_done >= opts.progress_files
            or time.monotonic() - self.last_write >= opts.progress_seconds
            or done == total
        )
        pause = opts.pause_after is not None and not self.paused and done >= opts.pause_after
        if due or pause:
            self.worker.record_progress(self.numero_lote, done, total, mensaje)
            self.last_done, self.last_write = done, time.monotonic()
        if pause:
            self.paused = True
            log.warning("pausa de prueba: lote %s tras %s archivos", self.numero_lote, done)
            time.sleep(opts.pause_seconds)


class Worker:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        settings: Settings,
        *,
        storage: BatchStorage | None = None,
        options: WorkerOptions | None = None,
        clock: Callable[[], datetime] = utcnow,
        worker_id: str | None = None,
    ) -> None:
        self.sessions = sessions
        self.settings = settings
        self.storage = storage or BatchStorage(settings.data_dir)
        self.options = options or WorkerOptions()
        self.clock = clock
        self.worker_id = worker_id or new_worker_id()
        self._last_heartbeat = 0.0

    # --- bookkeeping --------------------------------------------------------------------------
    def heartbeat(self, *, force: bool = False) -> None:
        if not force and time.monotonic() - self._last_heartbeat < self.options.heartbeat_seconds:
            return
        now = self.clock()
        with self.sessions() as s:
            row = s.get(WorkerHeartbeat, self.worker_id)
            if row is None:
                s.add(WorkerHeartbeat(worker_id=self.worker_id, started_at=now, seen_at=now))
            else:
                row.seen_at = now
            s.commit()
        self._last_heartbeat = time.monotonic()

    def forget_heartbeat(self) -> None:
        with self.sessions() as s:
            s.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.worker_id == self.worker_id))
            s.commit()

    def record_progress(self, numero_lote: int, done: int, total: int, mensaje: str) -> None:
        """Progress plus a renewed lease, in its own short transaction; ClaimLost if taken over."""
        now = self.clock()
        with self.sessions() as s:
            result = s.execute(
                update(Batch)
                .where(
                    Batch.numero_lote == numero_lote,
                    Batch.claimed_by == self.worker_id,
                    Batch.estatus == EstatusLote.EN_PROCESO,
                )
                .values(
                    archivos_procesados=done,
                    total_archivos=total,
                    mensaje=mensaje,
                    claim_expires_at=now + self.options.lease,
                )
                .execution_options(synchronize_session=False)
            )
            s.commit()
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise ClaimLost(f"el lote {numero_lote} ya no pertenece a {self.worker_id}")
        self.heartbeat()

    def _release(self, numero_lote: int, *, retry_at: datetime) -> None:
        with self.sessions() as s:
            s.execute(
                update(Batch)
                .where(Batch.numero_lote == numero_lote, Batch.claimed_by == self.worker_id)
                .values(claimed_by=None, claim_expires_at=retry_at)
                .execution_options(synchronize_session=False)
            )
            s.commit()

    # --- the loop -------------------------------------------------------------------------------
    def claim(self) -> int | None:
        """Take the oldest claimable batch; its ``numero_lote``, or None when there is none."""
        now = self.clock()
        with self.sessions() as s:
            batch = s.scalars(
                select(Batch)
                .where(
                    or_(
                        Batch.estatus == EstatusLote.RECIBIDO,
                        and_(Batch.estatus == EstatusLote.EN_PROCESO, Batch.claim_expires_at < now),
                    )
                )
                .order_by(Batch.received_at, Batch.numero_lote)
                .limit(1)
                .with_for_update(skip_locked=True)
            ).first()
            if batch is None:
                s.rollback()
                return None
            taken_over = batch.estatus is EstatusLote.EN_PROCESO and batch.claimed_by is not None
            batch.estatus = EstatusLote.EN_PROCESO
            batch.claimed_by = self.worker_id
            batch.claim_expires_at = now + self.options.lease
            batch.claim_count += 1
            batch.archivos_procesados = 0
            batch.mensaje = "En proceso: iniciando la revisión de los archivos."
            numero = batch.numero_lote
            s.commit()
        if taken_over:
            log.warning("lote %s retomado: su trabajador anterior dejó vencer el plazo", numero)
        return numero

    def process(self, numero_lote: int) -> BatchOutcome | None:
        """Process a claimed batch; None when it could not be finished now (it will be retried)."""
        try:
            outcome = process_batch(
                self.sessions,
                numero_lote,
                worker_id=self.worker_id,
                settings=self.settings,
                storage=self.storage,
                clock=self.clock,
                progress=_Progress(self, numero_lote),
            )
        except ClaimLost:
            log.warning("lote %s: otro trabajador lo retomó; se abandona sin escribir", numero_lote)
            return None
        except RetryBatch as exc:
            log.warning("lote %s: %s; se procesará de nuevo", numero_lote, exc)
            self._release(numero_lote, retry_at=self.clock())
            return None
        except ConfigurationError as exc:
            log.error("lote %s en espera: %s", numero_lote, exc.mensaje)
            self._release(numero_lote, retry_at=self.clock() + self.options.lease)
            return None
        except Exception:
            log.exception("lote %s: error inesperado; se reintentará", numero_lote)
            self._release(numero_lote, retry_at=self.clock() + self.options.lease)
            return None
        log.info("lote %s: %s", numero_lote, outcome.mensaje)
        return outcome

    def apply_cancellations(self) -> int:
        """Apply the cancellations whose review window has passed; a failure is logged, not raised."""
        try:
            with self.sessions() as s:
                applied = apply_due_cancellations(s, now=self.clock())
        except Exception:
            log.exception("no se pudieron aplicar las cancelaciones vencidas; se reintentará")
            return 0
        if applied:
            log.info("%s cancelación(es) aplicada(s)", applied)
        return applied

    def run_once(self) -> tuple[int, BatchOutcome | None] | None:
        """Apply due cancellations, then claim and process one batch; None when nothing was claimable."""
        self.heartbeat()
        self.apply_cancellations()
        numero = self.claim()
        if numero is None:
            return None
        return numero, self.process(numero)

    def run(self, *, once: bool = False, stop_event: threading.Event | None = None) -> int:
        """Loop until ``stop_event`` is set (or, with ``once``, until nothing is claimable).

        Returns how many batches were claimed.
        """
        stop = stop_event or threading.Event()
        claimed = 0
        self.heartbeat(force=True)
        try:
            while not stop.is_set():
                if self.run_once() is not None:
                    claimed += 1
                    continue
                if once:
                    break
                stop.wait(self.options.poll_seconds)
        finally:
            try:
                self.forget_heartbeat()
            except Exception:  # pragma: no cover - best effort on the way out
                log.exception("no se pudo borrar el latido del trabajador")
        return claimed


def run_worker(
    settings: Settings,
    *,
    once: bool = False,
    stop_event: threading.Event | None = None,
    options: WorkerOptions | None = None,
) -> int:
    """A worker on the configured database (schema checked first); returns the batches claimed."""
    engine = db.make_engine(settings.database_url)
    try:
        db.ensure_schema(engine)
        worker = Worker(db.session_factory(engine), settings, options=options or WorkerOptions.from_env())
        log.info("trabajador %s iniciado", worker.worker_id)
        return worker.run(once=once, stop_event=stop_event)
    finally:
        engine.dispose()
