"""The batch worker: claim a batch, process it, record the outcome; heartbeats on the way.

Claims, takeover and tries (``contract.md``: a batch always ends, within minutes):

- A worker beats from a thread of its own every ``MEC_WORKER_HEARTBEAT_SECONDS`` (5), whatever
  the batch it is working on, and records whether it can read the SEP stamping key.
- A batch is claimable when ``RECIBIDO``; when ``EN_PROCESO`` and its worker's heartbeat is older
  than ``MEC_WORKER_STALE_SECONDS`` (30) or gone (the worker died: it is taken over, and its
  status says it was resumed); when its claim expired (``MEC_WORKER_LEASE_SECONDS``, 300: a
  worker alive but stuck, renewed by every progress write); or when released for a retry whose
  time has come.  The claim is a short transaction with ``SELECT … FOR UPDATE SKIP LOCKED`` on
  PostgreSQL; on SQLite writers are serialized.  Times are the database's clock on PostgreSQL
  (workers on several machines compare like with like) and this machine's on SQLite.
- Each claim counts (``claim_count``).  A batch that cannot be finished through a fault of ours
  (an unexpected error, no usable stamping key, a worker that dies on it) is retried after a short
  back-off; the claim after ``MEC_WORKER_MAX_TRIES`` (3) tries ends it ``FALLIDO``: no attempt
  spent, the folio free for a new upload, the cause kept for the operators
  (``mec-ws admin lotes-fallidos``) and shown on ``/salud`` until one of them reviews it.
- While processing, the worker writes progress in short transactions every
  ``MEC_WORKER_PROGRESS_FILES`` (100) files or half a second, whichever comes first (each write is a
  commit: writing one every 10 files took close to a tenth of a batch's time);
  if its claim was taken over meanwhile, it stops without writing anything else.  Any number of
  workers may run against one PostgreSQL database.
- A batch of more than ``MEC_LOTE_TROZO`` (1000) certificates is cut into chunks by the worker that
  claimed it; a worker with no batch to claim runs chunks of such a batch (with ``--una-vez`` it
  waits while one is being cut or has chunks left), and the claiming worker judges the whole batch
  in the one final transaction (:mod:`mec_ws.batches.chunks`).

Environment (all optional): ``MEC_WORKER_LEASE_SECONDS`` (300), ``MEC_WORKER_STALE_SECONDS``
(30), ``MEC_WORKER_HEARTBEAT_SECONDS`` (5), ``MEC_WORKER_MAX_TRIES`` (3),
``MEC_WORKER_RETRY_SECONDS`` (5, doubled on each try), ``MEC_WORKER_POLL_SECONDS`` (2),
``MEC_WORKER_PROGRESS_FILES`` (100).
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

from sqlalchemy import and_, delete, exists, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from mec_ws import db
from mec_ws.batches.chunks import (
    ChunkLost,
    ChunkWork,
    chunk_claimable,
    chunks_pending,
    claim_chunk,
    drop_chunks,
    open_work,
    run_chunk,
)
from mec_ws.batches.failure import fail_batch, service_fault_message
from mec_ws.batches.processing import BatchOutcome, ChunkPolicy, ClaimLost, RetryBatch, process_batch
from mec_ws.batches.signer import load_sep_signer
from mec_ws.batches.storage import BatchStorage, storage_for
from mec_ws.cancellations import apply_due_cancellations
from mec_ws.config import Settings
from mec_ws.errors import ConfigurationError
from models import Batch, BatchChunk, WorkerHeartbeat, utcnow
from models.enums import EstatusLote

log = logging.getLogger(__name__)

CHUNK_LOOK_SECONDS = 0.25
RESUMED = "reanudado por otro trabajador: el anterior dejó de responder"


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
    stale: timedelta = timedelta(seconds=30)
    poll_seconds: float = 2.0
    heartbeat_seconds: float = 5.0
    progress_files: int = 100
    progress_seconds: float = 0.5
    max_tries: int = 3
    retry_seconds: float = 5.0
    stamp_check_seconds: float = 60.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> WorkerOptions:
        env = os.environ if env is None else env
        stale = _env_number(env, "MEC_WORKER_STALE_SECONDS", 30, minimum=1)
        beat = _env_number(env, "MEC_WORKER_HEARTBEAT_SECONDS", min(5.0, stale / 3), minimum=0.05)
        if beat * 2 > stale:
            raise ConfigurationError(
                "MEC_WORKER_HEARTBEAT_SECONDS debe ser a lo más la mitad de MEC_WORKER_STALE_SECONDS "
                f"(latido {beat:g} s, plazo {stale:g} s): un trabajador vivo no debe parecer caído."
            )
        return cls(
            lease=timedelta(seconds=_env_number(env, "MEC_WORKER_LEASE_SECONDS", 300, minimum=1)),
            stale=timedelta(seconds=stale),
            poll_seconds=_env_number(env, "MEC_WORKER_POLL_SECONDS", 2.0, minimum=0.05),
            heartbeat_seconds=beat,
            progress_files=int(_env_number(env, "MEC_WORKER_PROGRESS_FILES", 100, minimum=1)),
            max_tries=int(_env_number(env, "MEC_WORKER_MAX_TRIES", 3, minimum=1)),
            retry_seconds=_env_number(env, "MEC_WORKER_RETRY_SECONDS", 5.0, minimum=0),
        )


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def can_stamp(sessions: sessionmaker[Session], settings: Settings) -> str | None:
    """``None`` when the active SEP stamping key is usable, else why not (Spanish)."""
    try:
        with sessions() as s:
            load_sep_signer(s, settings.data_dir)
    except ConfigurationError as exc:
        return exc.mensaje
    return None


@dataclass
class _Progress:
    """Writes progress (and renews the claim) every few files or seconds."""

    worker: Worker
    numero_lote: int
    resumed: bool = False
    last_done: int = -1
    last_write: float = field(default_factory=time.monotonic)

    def __call__(self, done: int, total: int, mensaje: str) -> None:
        opts = self.worker.options
        due = (
            self.last_done < 0
            or done - self.last_done >= opts.progress_files
            or time.monotonic() - self.last_write >= opts.progress_seconds
            or done == total
        )
        if due:
            if self.resumed:
                mensaje = f"{mensaje} (lote {RESUMED}.)"
            self.worker.record_progress(self.numero_lote, done, total, mensaje)
            self.last_done, self.last_write = done, time.monotonic()


class Worker:
    """Claims and processes batches.

    ``clock`` is for tests (a settable clock); by default instants come from the database on
    PostgreSQL and from this machine on SQLite (see the module docstring).
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        settings: Settings,
        *,
        storage: BatchStorage | None = None,
        options: WorkerOptions | None = None,
        clock: Callable[[], datetime] | None = None,
        worker_id: str | None = None,
    ) -> None:
        self.sessions = sessions
        self.settings = settings
        self.storage = storage or storage_for(settings, sessions)
        self.options = options or WorkerOptions()
        self.clock = clock
        self.worker_id = worker_id or new_worker_id()
        self._last_heartbeat = 0.0
        self._stamp_checked = 0.0
        self._can_stamp = False
        self._beat_lock = threading.Lock()
        self._resumed = False
        self._works: dict[tuple[int, int], ChunkWork] = {}  # chunks of other workers' batches
        self.chunks_run = 0  # chunks of batches claimed by other workers that this one ran
        self._skip_batches: set[int] = set()  # batches whose chunks failed here: left to others

    @property
    def chunk_policy(self) -> ChunkPolicy:
        return ChunkPolicy(lease=self.options.lease, stale=self.options.stale, now=self.now)

    # --- time ---------------------------------------------------------------------------------
    def now(self, session: Session) -> datetime:
        """The instant claims and heartbeats are compared with (the database's, see above)."""
        if self.clock is not None:
            return self.clock()
        return db.database_now(session)

    def wall_clock(self) -> datetime:
        """The instant written into stamps and ``processed_at``."""
        return self.clock() if self.clock is not None else utcnow()

    # --- bookkeeping --------------------------------------------------------------------------
    def heartbeat(self, *, force: bool = False) -> None:
        """Record that this worker is alive (and whether it can stamp); thread-safe."""
        with self._beat_lock:
            if not force and time.monotonic() - self._last_heartbeat < self.options.heartbeat_seconds:
                return
            if force or time.monotonic() - self._stamp_checked >= self.options.stamp_check_seconds:
                problem = can_stamp(self.sessions, self.settings)
                if problem is not None and self._can_stamp:
                    log.error("el trabajador %s ya no puede sellar: %s", self.worker_id, problem)
                self._can_stamp = problem is None
                self._stamp_checked = time.monotonic()
            with self.sessions() as s:
                now = self.now(s)
                row = s.get(WorkerHeartbeat, self.worker_id)
                if row is None:
                    s.add(
                        WorkerHeartbeat(
                            worker_id=self.worker_id, started_at=now, seen_at=now, can_stamp=self._can_stamp
                        )
                    )
                else:
                    row.seen_at = now
                    row.can_stamp = self._can_stamp
                s.commit()
            self._last_heartbeat = time.monotonic()

    def forget_heartbeat(self) -> None:
        with self.sessions() as s:
            s.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.worker_id == self.worker_id))
            s.commit()

    def record_progress(self, numero_lote: int, done: int, total: int, mensaje: str) -> None:
        """Progress plus a renewed claim, in its own short transaction; ClaimLost if taken over."""
        with self.sessions() as s:
            now = self.now(s)
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

    def _release(self, numero_lote: int, *, tries: int) -> None:
        """Give a claimed batch back for another try after a back-off (doubling with each try)."""
        with self.sessions() as s:
            retry_at = self.now(s) + timedelta(seconds=self.options.retry_seconds * 2 ** max(tries - 1, 0))
            self._drop_chunks_if_mine(s, numero_lote)
            s.execute(
                update(Batch)
                .where(Batch.numero_lote == numero_lote, Batch.claimed_by == self.worker_id)
                .values(
                    claimed_by=None,
                    claim_expires_at=retry_at,
                    mensaje="En espera de un nuevo intento de procesamiento (falla temporal del servicio).",
                )
                .execution_options(synchronize_session=False)
            )
            s.commit()

    def _drop_chunks_if_mine(self, s: Session, numero_lote: int) -> None:
        """Delete the chunks of a batch this worker still holds (no other claim's chunks)."""
        mine = (
            select(Batch.numero_lote)
            .where(Batch.numero_lote == numero_lote, Batch.claimed_by == self.worker_id)
            .with_for_update()  # the batch row first, as everywhere (no lock-order inversion)
        )
        if s.scalar(mine) is not None:
            drop_chunks(s, numero_lote)

    def _fail(self, numero_lote: int, reason: str, *, claimed: bool) -> None:
        with self.sessions() as s:
            fail_batch(
                s,
                numero_lote,
                reason=reason,
                now=self.wall_clock(),
                worker_id=self.worker_id if claimed else None,
            )
        log.error("lote %s FALLIDO: %s", numero_lote, reason)

    # --- the loop -------------------------------------------------------------------------------
    def _claimable(self, now: datetime) -> object:
        stale_before = now - self.options.stale
        alive = exists().where(
            WorkerHeartbeat.worker_id == Batch.claimed_by, WorkerHeartbeat.seen_at >= stale_before
        )
        return or_(
            Batch.estatus == EstatusLote.RECIBIDO,
            and_(
                Batch.estatus == EstatusLote.EN_PROCESO,
                or_(
                    and_(Batch.claimed_by.is_(None), func.coalesce(Batch.claim_expires_at, now) <= now),
                    and_(Batch.claimed_by.is_not(None), ~alive),
                    Batch.claim_expires_at < now,
                ),
            ),
        )

    def claim(self) -> int | None:
        """Take the oldest claimable batch; its ``numero_lote``, or None when there is none.

        A claimable batch that already had its ``max_tries`` ends ``FALLIDO`` instead.
        """
        while True:
            with self.sessions() as s:
                now = self.now(s)
                batch = s.scalars(
                    select(Batch)
                    .where(self._claimable(now))  # type: ignore[arg-type]
                    .order_by(Batch.received_at, Batch.numero_lote)
                    .limit(1)
                    .with_for_update(skip_locked=True)
                ).first()
                if batch is None:
                    s.rollback()
                    return None
                numero = batch.numero_lote
                tries = batch.claim_count
                if tries >= self.options.max_tries:
                    s.rollback()
                    self._fail(
                        numero,
                        f"se intentó procesar {tries} veces sin terminar "
                        "(el trabajador falló o dejó de responder en cada intento)",
                        claimed=False,
                    )
                    continue
                taken_over = batch.estatus is EstatusLote.EN_PROCESO and batch.claimed_by is not None
                batch.estatus = EstatusLote.EN_PROCESO
                batch.claimed_by = self.worker_id
                batch.claim_expires_at = now + self.options.lease
                batch.claim_count += 1
                batch.archivos_procesados = 0
                batch.mensaje = (
                    f"En proceso ({RESUMED}): iniciando de nuevo la revisión de los archivos."
                    if taken_over
                    else "En proceso: iniciando la revisión de los archivos."
                )
                self._resumed = taken_over
                s.commit()
            if taken_over:
                log.warning("lote %s retomado: su trabajador anterior dejó de dar señales", numero)
            return numero

    def process(self, numero_lote: int) -> BatchOutcome | None:
        """Process a claimed batch; None when it could not be finished now.

        A fault of ours is retried after a back-off, and ends the batch ``FALLIDO`` once it has
        had its tries.
        """
        with self.sessions() as s:
            tries = int(s.scalar(select(Batch.claim_count).where(Batch.numero_lote == numero_lote)) or 1)
        try:
            outcome = process_batch(
                self.sessions,
                numero_lote,
                worker_id=self.worker_id,
                settings=self.settings,
                storage=self.storage,
                clock=self.wall_clock,
                progress=_Progress(self, numero_lote, resumed=self._resumed),
                policy=self.chunk_policy,
            )
        except ClaimLost:
            log.warning("lote %s: otro trabajador lo retomó; se abandona sin escribir", numero_lote)
            return None
        except RetryBatch as exc:
            log.warning("lote %s: %s; se procesará de nuevo", numero_lote, exc)
            self._retry_or_fail(numero_lote, tries, str(exc))
            return None
        except ConfigurationError as exc:
            log.error("lote %s: %s", numero_lote, exc.mensaje)
            self._retry_or_fail(numero_lote, tries, exc.mensaje)
            return None
        except Exception as exc:
            log.exception("lote %s: error inesperado", numero_lote)
            self._retry_or_fail(numero_lote, tries, f"error inesperado ({type(exc).__name__})")
            return None
        log.info("lote %s: %s", numero_lote, outcome.mensaje)
        return outcome

    def _retry_or_fail(self, numero_lote: int, tries: int, reason: str) -> None:
        try:
            if tries >= self.options.max_tries:
                self._fail(numero_lote, f"{reason}; {tries} intento(s) de procesamiento", claimed=True)
            else:
                self._release(numero_lote, tries=tries)
        except ClaimLost:
            log.warning("lote %s: otro trabajador lo retomó", numero_lote)

    def apply_cancellations(self) -> int:
        """Apply the cancellations whose review window has passed; a failure is logged, not raised."""
        try:
            with self.sessions() as s:
                applied = apply_due_cancellations(s, now=self.wall_clock())
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

    def run_chunk(self) -> bool:
        """Claim a chunk of a batch another worker coordinates and run it; False when there is none."""
        chunk = claim_chunk(self.sessions, self.worker_id, self.chunk_policy, skip=self._skip_batches)
        if chunk is None:
            return False
        key = (chunk.numero_lote, chunk.generation)
        try:
            work = self._works.get(key)
            if work is None:
                work = open_work(
                    self.sessions,
                    chunk.numero_lote,
                    chunk.generation,
                    settings=self.settings,
                    storage=self.storage,
                )
                for old in [k for k in self._works if k[0] == chunk.numero_lote or len(self._works) >= 2]:
                    self._works.pop(old).close()
                self._works[key] = work
            run_chunk(
                self.sessions,
                work,
                chunk,
                worker_id=self.worker_id,
                clock=self.wall_clock,
                policy=self.chunk_policy,
            )
            self.chunks_run += 1
            log.info("lote %s: trozo %s revisado", chunk.numero_lote, chunk.seq)
        except ChunkLost:
            log.warning("lote %s: el trozo %s lo tomó otro trabajador", chunk.numero_lote, chunk.seq)
        except Exception:  # e.g. the upload unreadable on this machine: give the chunk back, and
            # leave this batch's chunks to the others (its coordinator runs them if nobody else can)
            log.exception("lote %s: no se pudo revisar el trozo %s", chunk.numero_lote, chunk.seq)
            self._release_chunk(chunk.numero_lote, chunk.seq, chunk.generation)
            if len(self._skip_batches) >= 1000:
                self._skip_batches.clear()
            self._skip_batches.add(chunk.numero_lote)
        return True

    def _release_chunk(self, numero_lote: int, seq: int, generation: int) -> None:
        """Give a chunk that failed here back to its coordinator, which will run it itself."""
        try:
            with self.sessions() as s:
                now = self.now(s)
                s.execute(
                    update(BatchChunk)
                    .where(
                        BatchChunk.numero_lote == numero_lote,
                        BatchChunk.seq == seq,
                        BatchChunk.generation == generation,
                        BatchChunk.claimed_by == self.worker_id,
                    )
                    .values(claimed_by=None, claim_expires_at=now + self.options.lease)
                    .execution_options(synchronize_session=False)
                )
                s.commit()
        except Exception:  # pragma: no cover - the claim expires anyway
            log.exception("no se pudo liberar el trozo %s del lote %s", seq, numero_lote)

    def close_chunk_works(self) -> None:
        for work in self._works.values():
            work.close()
        self._works.clear()

    def _beat_until(self, stop: threading.Event) -> None:
        while not stop.wait(self.options.heartbeat_seconds):
            try:
                self.heartbeat(force=True)
            except Exception:  # the database may be briefly unreachable: keep trying
                log.exception("no se pudo registrar el latido del trabajador %s", self.worker_id)

    def _idle_wait(self, stop: threading.Event) -> None:
        """Wait ``poll_seconds`` before looking for batches again, but stop waiting as soon as a
        chunk of a batch another worker coordinates can be claimed (a read-only look every
        :data:`CHUNK_LOOK_SECONDS`): an idle worker joins a large batch within a fraction of a
        second of its being cut, not a whole poll later."""
        deadline = time.monotonic() + self.options.poll_seconds
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or stop.wait(min(left, CHUNK_LOOK_SECONDS)):
                return
            if chunk_claimable(self.sessions, self.chunk_policy):
                return

    def run(self, *, once: bool = False, stop_event: threading.Event | None = None) -> int:
        """Loop until ``stop_event`` is set (or, with ``once``, until nothing is claimable).

        A thread beats for this worker meanwhile.  Returns how many batches were claimed.
        """
        stop = stop_event or threading.Event()
        beats_done = threading.Event()
        claimed = 0
        self.heartbeat(force=True)
        beater = threading.Thread(
            target=self._beat_until, args=(beats_done,), name=f"latido-{self.worker_id}", daemon=True
        )
        beater.start()
        try:
            while not stop.is_set():
                if self.run_once() is not None:
                    claimed += 1
                    continue
                if self.run_chunk():
                    continue
                if once:
                    if not chunks_pending(self.sessions, self.settings):
                        break
                    stop.wait(min(self.options.poll_seconds, 0.2))  # the coordinator is cutting a batch
                    continue
                self._idle_wait(stop)
        finally:
            self.close_chunk_works()
            beats_done.set()
            beater.join(self.options.heartbeat_seconds + 30)
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
    """A worker on the configured database; returns the batches claimed.

    Refuses to start (:class:`ConfigurationError`) when the schema is outdated or the SEP
    stamping key cannot be used: a worker that cannot stamp would only make batches fail.
    """
    engine = db.make_engine(settings.database_url)
    try:
        db.ensure_schema(engine)
        sessions = db.session_factory(engine)
        check_stamping(sessions, settings)
        worker = Worker(sessions, settings, options=options or WorkerOptions.from_env())
        log.info("trabajador %s iniciado", worker.worker_id)
        return worker.run(once=once, stop_event=stop_event)
    finally:
        engine.dispose()


def check_stamping(sessions: sessionmaker[Session], settings: Settings) -> None:
    """:class:`ConfigurationError` (one Spanish line saying what to run) when the SEP key is unusable."""
    problem = can_stamp(sessions, settings)
    if problem is not None:
        raise ConfigurationError(
            f"el trabajador no puede sellar certificados: {problem.rstrip('.')}. Registre una llave "
            "válida con `mec-ws admin set-stamp-key --cer ARCHIVO --key ARCHIVO` y vuelva a iniciarlo."
        )


__all__ = [
    "RESUMED",
    "Worker",
    "WorkerOptions",
    "can_stamp",
    "check_stamping",
    "new_worker_id",
    "run_worker",
    "service_fault_message",
]
