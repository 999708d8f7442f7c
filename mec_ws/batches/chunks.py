"""A large batch in chunks: any worker process (this machine or another) validates and stamps a part.

A ZIP with more readable entries than ``MEC_LOTE_TROZO`` (1000) is cut, by the worker that claimed
the batch (its *coordinator*), into ``batch_chunks`` rows of ``MEC_LOTE_TROZO`` entries each
(``readable[first:stop]`` of the upload's scan; the chunks of an earlier claim of the batch are
deleted first).  Any worker with nothing else to do claims a chunk (``SELECT … FOR UPDATE SKIP
LOCKED`` on PostgreSQL; a chunk whose worker stopped beating or whose claim expired is claimed
again), reads the upload from the storage, validates its entries with the batch's registry at the
batch's reception instant, stamps them while every file of the chunk is correct (as
:class:`~mec_ws.batches.processing._Stamper` does for a whole batch), and writes the per-file
findings, the values of each certificate row and the stamped XMLs into the chunk row, only if the
chunk is still its own (same claimer, same claim of the batch).  The coordinator runs chunks of its
own batch too, then waits for the rest, re-claiming any whose worker died.

Nothing of a chunk is a certificate.  The final step is the coordinator's alone and is the one of
an unchunked batch: it reads the chunks in order, numbers the files, adds
``FOLIO_CONTROL_DUPLICADO`` across the whole batch exactly as :func:`mec_ws.validation.iter_validate`
does within one run (same message, naming the first file), adds the upload's findings (those of the
scan, then those found on reading each chunk, in order) and ``CANTIDAD_NO_COINCIDE``, and calls the
same :func:`~mec_ws.batches.processing._reject` or :func:`~mec_ws.batches.processing._accept`,
which delete the chunks in that same transaction.  A missing or foreign chunk, a chunk that failed,
or a stamping failure on a batch that would be accepted, take the paths an unchunked batch takes
(retried, then ``FALLIDO``): an accepted batch is never half-written, a rejected one keeps nothing.
"""

from __future__ import annotations

import hashlib
import io
import logging
import tempfile
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date, datetime
from typing import IO, Any

from sqlalchemy import Select, delete, exists, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from mec_ws import db
from mec_ws.batches.processing import (
    SPOOL_BUFFER,
    BatchOutcome,
    ChunkPolicy,
    ClaimLost,
    FileOutcome,
    ProgressFn,
    RetryBatch,
    _accept,
    _BatchInfo,
    _load_info,
    _lock_claimed,
    _open,
    _reject,
    _Stamped,
    _Stamper,
    count_check,
    finding_dict,
    signer_or_reason,
)
from mec_ws.batches.storage import BatchStorage
from mec_ws.batches.zipread import UploadScan
from mec_ws.certificate.stamp import SepSigner
from mec_ws.config import Settings
from mec_ws.errors import ConfigurationError
from mec_ws.findings import Finding, Status
from mec_ws.registry import ValidationContext
from mec_ws.registry_source import context_for
from mec_ws.validation import duplicate_finding, validate_file
from models import Batch, BatchChunk, WorkerHeartbeat
from models.enums import EstatusLote

log = logging.getLogger(__name__)


class ChunkLost(Exception):
    """The chunk is no longer this worker's (its claim expired and another took it, or the batch
    was claimed again): its results are not written."""


@dataclass(frozen=True, slots=True)
class ClaimedChunk:
    numero_lote: int
    seq: int
    generation: int
    first: int
    stop: int


@dataclass
class ChunkWork:
    """What a process keeps to run chunks of one claim of one batch: the scan of the upload, the
    validation context (with its own read-only session for the lookups) and the signer."""

    info: _BatchInfo
    generation: int
    scan: UploadScan
    lookups: Session
    ctx: ValidationContext
    signer: SepSigner | None
    no_signer: ConfigurationError | None
    owns_session: bool = True

    def close(self) -> None:
        if self.owns_session:
            self.lookups.close()


def _now(policy: ChunkPolicy, session: Session) -> datetime:
    return policy.now(session) if policy.now is not None else db.database_now(session)


def _fresh_read(session: Session) -> None:
    """End the lookups' read transaction; the next one opens read-only (no SQLite write lock)."""
    if session.in_transaction():
        session.rollback()
    db.read_only(session)


def open_work(
    sessions: sessionmaker[Session],
    numero_lote: int,
    generation: int,
    *,
    settings: Settings,
    storage: BatchStorage,
) -> ChunkWork:
    """Everything a worker that did not claim the batch needs to run its chunks."""
    lookups = sessions()
    try:
        info = _load_info(lookups, numero_lote)
        lookups.rollback()
        path = storage.path(info.stored_path)
        signer, no_signer = signer_or_reason(lookups, settings.data_dir)
        lookups.rollback()
        scan = _open(path, info, settings)
        _fresh_read(lookups)
        ctx = context_for(lookups, info.institution_id, now=info.received_at, settings=settings)
        _fresh_read(lookups)
    except BaseException:
        lookups.close()
        raise
    return ChunkWork(info, generation, scan, lookups, ctx, signer, no_signer)


def _names_digest(names: list[str]) -> str:
    return hashlib.sha256("\n".join(names).encode("utf-8", "surrogatepass")).hexdigest()


def _failure(exc: BaseException) -> dict[str, Any]:
    if isinstance(exc, ConfigurationError):
        return {"configuracion": True, "mensaje": exc.mensaje}
    return {"configuracion": False, "mensaje": f"{type(exc).__name__}: {exc}"}


def run_range(
    work: ChunkWork,
    first: int,
    stop: int,
    *,
    clock: Callable[[], datetime],
    on_file: Callable[[int], None],
) -> tuple[dict[str, Any], bytes | None]:
    """Validate and stamp ``readable[first:stop]``: the chunk's ``outcomes`` and ``stamped``."""
    scan = work.scan
    before = len(scan.findings)
    spool = io.BytesIO()
    stamper = _Stamper(work.signer, work.no_signer, spool, clock)
    files: list[dict[str, Any]] = []
    work.lookups.rollback()
    for n, (name, data) in enumerate(scan.entries(first, stop), start=1):
        result = validate_file(name, data, work.ctx)
        work.lookups.rollback()  # end the read transaction the lookups opened (none once warm)
        files.append(
            {
                "nombre": result.name,
                "folio_control": result.folio_control,
                "hallazgos": [finding_dict(f) for f in result.findings],
                "sello": None,
            }
        )
        stamper.add(n, result)
        on_file(n)
    work.lookups.rollback()
    failure = _failure(stamper.failure) if stamper.failure is not None else None
    if stamper.failure is not None and not isinstance(stamper.failure, ConfigurationError):
        log.warning("lote %s: no se pudo sellar un archivo: %r", work.info.numero_lote, stamper.failure)
    stamped: bytes | None = None
    if failure is None and stamper.active and len(stamper.stamped) == len(files):
        stamped = spool.getvalue()
        for item in stamper.stamped:
            files[item.ordinal - 1]["sello"] = {
                "folio_control": item.folio_control,
                "folio_digital": item.folio_digital,
                "campus_id": item.campus_id,
                "curp": item.curp,
                "nombre_completo": item.nombre_completo,
                "carrera": item.carrera,
                "id_carrera": item.id_carrera,
                "clave_plan": item.clave_plan,
                "lugar_expedicion": item.lugar_expedicion,
                "fecha_expedicion": item.fecha_expedicion.isoformat(),
                "offset": item.offset,
                "length": item.length,
            }
    outcomes = {
        "nombres": _names_digest(scan.readable_names(first, stop)),
        "archivos": files,
        "carga": [finding_dict(f) for f in scan.findings[before:]],
        "falla": failure,
    }
    return outcomes, stamped


# --- claims -------------------------------------------------------------------------------------


def _claimable(query: Select[Any], now: datetime, policy: ChunkPolicy) -> Select[Any]:
    """``query`` over the chunks nobody works on: of a batch being processed under its current
    claim, not done, and unclaimed, expired or held by a worker that stopped beating."""
    alive = exists().where(
        WorkerHeartbeat.worker_id == BatchChunk.claimed_by,
        WorkerHeartbeat.seen_at >= now - policy.stale,
    )
    return query.join(Batch, Batch.numero_lote == BatchChunk.numero_lote).where(
        Batch.estatus == EstatusLote.EN_PROCESO,
        Batch.claimed_by.is_not(None),
        BatchChunk.generation == Batch.claim_count,
        BatchChunk.done.is_(False),
        or_(BatchChunk.claimed_by.is_(None), BatchChunk.claim_expires_at < now, ~alive),
    )


def chunk_claimable(sessions: sessionmaker[Session], policy: ChunkPolicy) -> bool:
    """Whether some chunk could be claimed now (a read-only look, nothing is claimed)."""
    with sessions() as s:
        db.read_only(s)
        now = _now(policy, s)
        found = s.scalar(select(exists(_claimable(select(BatchChunk.seq), now, policy))))
        s.rollback()
    return bool(found)


def claim_chunk(
    sessions: sessionmaker[Session],
    worker_id: str,
    policy: ChunkPolicy,
    *,
    numero_lote: int | None = None,
    skip: Collection[int] = (),
) -> ClaimedChunk | None:
    """Claim the first chunk nobody works on (of ``numero_lote``, or of the oldest batch not in
    ``skip``)."""
    with sessions() as s:
        now = _now(policy, s)
        query = _claimable(
            select(
                BatchChunk.numero_lote,
                BatchChunk.seq,
                BatchChunk.generation,
                BatchChunk.first,
                BatchChunk.stop,
            ),
            now,
            policy,
        )
        if numero_lote is not None:
            query = query.where(BatchChunk.numero_lote == numero_lote)
        if skip:
            query = query.where(BatchChunk.numero_lote.not_in(list(skip)))
        row = s.execute(
            query.order_by(Batch.received_at, BatchChunk.numero_lote, BatchChunk.seq)
            .limit(1)
            .with_for_update(of=BatchChunk, skip_locked=True)
        ).first()
        if row is None:
            s.rollback()
            return None
        chunk = ClaimedChunk(*row)
        result = s.execute(
            update(BatchChunk)
            .where(
                BatchChunk.numero_lote == chunk.numero_lote,
                BatchChunk.seq == chunk.seq,
                BatchChunk.generation == chunk.generation,
                BatchChunk.done.is_(False),
            )
            .values(claimed_by=worker_id, claim_expires_at=now + policy.lease)
            .execution_options(synchronize_session=False)
        )
        s.commit()
    return chunk if result.rowcount == 1 else None  # type: ignore[attr-defined]


def _mine(chunk: ClaimedChunk, worker_id: str) -> list[Any]:
    return [
        BatchChunk.numero_lote == chunk.numero_lote,
        BatchChunk.seq == chunk.seq,
        BatchChunk.generation == chunk.generation,
        BatchChunk.claimed_by == worker_id,
        BatchChunk.done.is_(False),
    ]


def _renew(sessions: sessionmaker[Session], chunk: ClaimedChunk, worker_id: str, policy: ChunkPolicy) -> None:
    with sessions() as s:
        now = _now(policy, s)
        result = s.execute(
            update(BatchChunk)
            .where(*_mine(chunk, worker_id))
            .values(claim_expires_at=now + policy.lease)
            .execution_options(synchronize_session=False)
        )
        s.commit()
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise ChunkLost(f"el trozo {chunk.seq} del lote {chunk.numero_lote} ya no es de {worker_id}")


def run_chunk(
    sessions: sessionmaker[Session],
    work: ChunkWork,
    chunk: ClaimedChunk,
    *,
    worker_id: str,
    clock: Callable[[], datetime],
    policy: ChunkPolicy,
    on_file: Callable[[int], None] | None = None,
) -> None:
    """Run a claimed chunk and write its results if it is still this worker's (else ChunkLost).

    An unexpected error is written as the chunk's result (``error``): the coordinator then takes
    the path of an unexpected error of an unchunked batch (retried, then ``FALLIDO``).
    """
    renew_every = max(0.5, min(policy.lease.total_seconds() / 4, 5.0))
    last_renew = time.monotonic()

    def each(n: int) -> None:
        nonlocal last_renew
        if time.monotonic() - last_renew >= renew_every:
            _renew(sessions, chunk, worker_id, policy)
            last_renew = time.monotonic()
        if on_file is not None:
            on_file(n)

    stamped: bytes | None = None
    try:
        outcomes, stamped = run_range(work, chunk.first, chunk.stop, clock=clock, on_file=each)
    except (ChunkLost, ClaimLost):
        raise
    except Exception as exc:
        log.exception("lote %s, trozo %s: error inesperado", chunk.numero_lote, chunk.seq)
        outcomes = {"error": f"error inesperado ({type(exc).__name__})"}
    with sessions() as s:
        result = s.execute(
            update(BatchChunk)
            .where(*_mine(chunk, worker_id))
            .values(done=True, outcomes=outcomes, stamped=stamped, claim_expires_at=None)
            .execution_options(synchronize_session=False)
        )
        s.commit()
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise ChunkLost(f"el trozo {chunk.seq} del lote {chunk.numero_lote} ya no es de {worker_id}")


def chunks_pending(sessions: sessionmaker[Session], settings: Settings) -> bool:
    """Whether a batch being processed has (or is about to have) chunks not yet done: a worker
    started with ``--una-vez`` then waits instead of leaving its coordinator alone."""
    with sessions() as s:
        db.read_only(s)
        open_chunks = exists().where(
            BatchChunk.numero_lote == Batch.numero_lote,
            BatchChunk.generation == Batch.claim_count,
            BatchChunk.done.is_(False),
        )
        any_chunk = exists().where(BatchChunk.numero_lote == Batch.numero_lote)
        about_to = (~any_chunk) & (Batch.total_archivos > settings.lote_trozo)
        found = s.scalar(
            select(
                exists().where(
                    Batch.estatus == EstatusLote.EN_PROCESO,
                    Batch.claimed_by.is_not(None),
                    or_(open_chunks, about_to),
                )
            )
        )
        s.rollback()
    return bool(found)


# --- the coordinator ----------------------------------------------------------------------------


TAIL_MIN = 50  # below this many files a chunk costs more to hand over than it saves


def chunk_ranges(count: int, size: int) -> list[tuple[int, int, int]]:
    """``(seq, first, stop)`` of the chunks of ``count`` entries: ``size`` each, except at the end:
    the last ``2 × size`` entries (from the end of the last whole chunk before them) go in chunks of
    a quarter of ``size`` (at least :data:`TAIL_MIN`), so that the workers of a batch run out of
    chunks within a short chunk of each other, instead of one of them running a whole chunk alone
    while the others wait for the final step."""
    tail_size = min(size, max(size // 4, TAIL_MIN))
    tail_start = (max(0, count - 2 * size) // size) * size if tail_size < size else count
    starts = [*range(0, tail_start, size), *range(tail_start, count, tail_size)]
    if tail_size < size and len(starts) > 1 and count - starts[-1] < TAIL_MIN:
        starts.pop()  # a few files left over: they go with the chunk before
    return [
        (seq, first, starts[seq + 1] if seq + 1 < len(starts) else count) for seq, first in enumerate(starts)
    ]


def _create_chunks(
    sessions: sessionmaker[Session], numero_lote: int, worker_id: str, count: int, size: int
) -> tuple[int, list[tuple[int, int, int]]]:
    ranges = chunk_ranges(count, size)
    with sessions() as s:
        batch, _ = _lock_claimed(s, numero_lote, worker_id)
        generation = batch.claim_count
        s.execute(delete(BatchChunk).where(BatchChunk.numero_lote == numero_lote))
        s.execute(
            insert(BatchChunk),
            [
                {"numero_lote": numero_lote, "seq": seq, "generation": generation, "first": a, "stop": b}
                for seq, a, b in ranges
            ],
        )
        s.commit()
    return generation, ranges


def _done_files(sessions: sessionmaker[Session], numero_lote: int, generation: int) -> tuple[int, int, int]:
    """(chunks of this claim, chunks done, entries of the chunks done)."""
    with sessions() as s:
        db.read_only(s)
        row = s.execute(
            select(
                func.count(),
                func.count().filter(BatchChunk.done.is_(True)),
                func.coalesce(
                    func.sum(BatchChunk.stop - BatchChunk.first).filter(BatchChunk.done.is_(True)), 0
                ),
            ).where(BatchChunk.numero_lote == numero_lote, BatchChunk.generation == generation)
        ).one()
        s.rollback()
    return int(row[0]), int(row[1]), int(row[2])


def drop_chunks(session: Session, numero_lote: int) -> None:
    """Delete the chunks of a batch (in the caller's transaction)."""
    session.execute(delete(BatchChunk).where(BatchChunk.numero_lote == numero_lote))


def _finding(d: dict[str, Any]) -> Finding:
    return Finding(d["codigo"], d["mensaje"], d["ubicacion"], Status(d["estatus"]))


class _Gathered:
    """The results of the chunks done so far, taken in order by the coordinator as they finish
    (between its own chunks and while it waits), so that the final step has little left to read:
    each chunk's outcomes are kept and its stamped XMLs appended to one spool file.  A done chunk
    never changes (it is written once, ``done``); chunks of another claim are never taken."""

    def __init__(
        self, numero_lote: int, generation: int, ranges: list[tuple[int, int, int]], spool: IO[bytes]
    ) -> None:
        self.numero_lote = numero_lote
        self.generation = generation
        self.ranges = ranges
        self.taken: list[tuple[dict[str, Any], int | None]] = []  # (outcomes, spool offset of its XMLs)
        self.spool = spool

    @property
    def complete(self) -> bool:
        return len(self.taken) == len(self.ranges)

    def absorb(self, sessions: sessionmaker[Session]) -> None:
        """Take every chunk done next in order (stops at the first one not done)."""
        while not self.complete:
            seq, first, stop = self.ranges[len(self.taken)]
            with sessions() as s:
                db.read_only(s)
                row = s.execute(
                    select(BatchChunk.first, BatchChunk.stop, BatchChunk.outcomes, BatchChunk.stamped).where(
                        BatchChunk.numero_lote == self.numero_lote,
                        BatchChunk.seq == seq,
                        BatchChunk.generation == self.generation,
                        BatchChunk.done.is_(True),
                    )
                ).first()
                s.rollback()
            if row is None:
                return
            if (row.first, row.stop) != (first, stop) or row.outcomes is None:
                raise RuntimeError(f"el trozo {seq} del lote {self.numero_lote} no es el que se creó")
            offset: int | None = None
            if row.stamped is not None:
                offset = self.spool.tell()
                self.spool.write(row.stamped)
            self.taken.append((row.outcomes, offset))


def process_chunked(
    sessions: sessionmaker[Session],
    session: Session,
    info: _BatchInfo,
    scan: UploadScan,
    *,
    signer: SepSigner | None,
    no_signer: ConfigurationError | None,
    worker_id: str,
    settings: Settings,
    clock: Callable[[], datetime],
    progress: ProgressFn,
    policy: ChunkPolicy,
) -> BatchOutcome:
    """Coordinate a claimed batch in chunks and judge it in one final transaction."""
    numero = info.numero_lote
    scan_findings = scan.findings  # before any entry is read: the scan's own
    known = scan.entry_count
    progress(0, known, f"En proceso: 0 de {known} archivos revisados.")
    generation, ranges = _create_chunks(
        sessions, numero, worker_id, scan.candidate_count, settings.lote_trozo
    )
    log.info("lote %s: %s trozos de hasta %s archivos", numero, len(ranges), settings.lote_trozo)
    _fresh_read(session)
    ctx = context_for(session, info.institution_id, now=info.received_at, settings=settings)
    work = ChunkWork(info, generation, scan, session, ctx, signer, no_signer, owns_session=False)
    # a large buffer: ~14 KiB per certificate would otherwise be one write call each
    with tempfile.TemporaryFile(prefix="mec-sellados-", buffering=SPOOL_BUFFER) as spool:
        gathered = _Gathered(numero, generation, ranges, spool)
        try:
            while True:
                gathered.absorb(sessions)
                chunk = claim_chunk(sessions, worker_id, policy, numero_lote=numero)
                if chunk is not None:
                    _, _, base = _done_files(sessions, numero, generation)

                    def report(n: int, base: int = base) -> None:
                        done = min(base + n, known)
                        progress(done, known, f"En proceso: {done} de {known} archivos revisados.")

                    try:
                        run_chunk(
                            sessions,
                            work,
                            chunk,
                            worker_id=worker_id,
                            clock=clock,
                            policy=policy,
                            on_file=report,
                        )
                    except ChunkLost:
                        log.warning("lote %s: el trozo %s lo tomó otro trabajador", numero, chunk.seq)
                    continue
                count, done_count, done = _done_files(sessions, numero, generation)
                done = min(done, known)
                progress(done, known, f"En proceso: {done} de {known} archivos revisados.")
                if count != len(ranges):
                    raise ClaimLost(f"los trozos del lote {numero} ya no son de este reclamo")
                if done_count == count:
                    gathered.absorb(sessions)
                    break
                time.sleep(policy.wait_seconds)
        finally:
            if session.in_transaction():
                session.rollback()
        return _judge(session, info, gathered, scan, scan_findings, worker_id, clock)


def _judge(
    session: Session,
    info: _BatchInfo,
    gathered: _Gathered,
    scan: UploadScan,
    scan_findings: tuple[Finding, ...],
    worker_id: str,
    clock: Callable[[], datetime],
) -> BatchOutcome:
    """The final step: the chunks' results as one batch, rejected or accepted in one transaction."""
    numero = info.numero_lote
    if not gathered.complete:
        raise RuntimeError(f"los trozos del lote {numero} no están completos")
    outcomes: list[FileOutcome] = []
    stamped: list[_Stamped] = []
    read_findings: list[Finding] = []
    failure: dict[str, Any] | None = None
    unstamped = False
    first_by_folio: dict[str, str] = {}
    for (seq, first, stop), (data, offset) in zip(gathered.ranges, gathered.taken, strict=True):
        if "error" in data:
            raise RuntimeError(f"trozo {seq}: {data['error']}")
        if data["nombres"] != _names_digest(scan.readable_names(first, stop)):
            raise RuntimeError(f"el trozo {seq} leyó otras entradas (¿límites distintos entre trabajadores?)")
        for f in data["archivos"]:
            findings = [_finding(d) for d in f["hallazgos"]]
            folio = f["folio_control"]
            if folio is not None:
                if folio in first_by_folio:
                    findings.append(duplicate_finding(folio, first_by_folio[folio]))
                else:
                    first_by_folio[folio] = f["nombre"]
            outcomes.append(FileOutcome(len(outcomes) + 1, f["nombre"], folio, tuple(findings)))
            seal = f["sello"]
            if seal is None or offset is None:
                unstamped = True
            elif not unstamped:
                stamped.append(_stamped(len(outcomes), seal, offset))
        read_findings.extend(_finding(d) for d in data["carga"])
        if data["falla"] is not None and failure is None:
            failure = data["falla"]
    upload_findings = [*scan_findings, *read_findings]
    if not upload_findings and len(outcomes) != info.cantidad:
        upload_findings.append(count_check(info, len(outcomes)))

    def cleanup(s: Session) -> None:
        drop_chunks(s, numero)

    if upload_findings or not all(o.ok for o in outcomes):
        return _reject(session, info, worker_id, outcomes, tuple(upload_findings), clock(), cleanup)
    if failure is not None:
        if failure["configuracion"]:
            raise ConfigurationError(failure["mensaje"])
        raise RuntimeError(f"no se pudo sellar: {failure['mensaje']}")
    if unstamped or len(stamped) != len(outcomes):
        raise RuntimeError(f"se sellaron {len(stamped)} de {len(outcomes)} archivos del lote {numero}")
    gathered.spool.flush()
    try:
        return _accept(session, info, worker_id, outcomes, stamped, gathered.spool, clock(), cleanup)
    except IntegrityError as exc:
        session.rollback()
        raise RetryBatch(f"conflicto al registrar el lote {numero}: {exc.orig}") from exc


def _stamped(ordinal: int, seal: dict[str, Any], base: int) -> _Stamped:
    return _Stamped(
        ordinal=ordinal,
        folio_control=seal["folio_control"],
        folio_digital=seal["folio_digital"],
        campus_id=seal["campus_id"],
        curp=seal["curp"],
        nombre_completo=seal["nombre_completo"],
        carrera=seal["carrera"],
        id_carrera=seal["id_carrera"],
        clave_plan=seal["clave_plan"],
        lugar_expedicion=seal["lugar_expedicion"],
        fecha_expedicion=date.fromisoformat(seal["fecha_expedicion"]),
        offset=base + seal["offset"],
        length=seal["length"],
    )


__all__ = [
    "ChunkLost",
    "ChunkWork",
    "ClaimedChunk",
    "chunk_claimable",
    "chunk_ranges",
    "chunks_pending",
    "claim_chunk",
    "drop_chunks",
    "open_work",
    "process_chunked",
    "run_chunk",
]
