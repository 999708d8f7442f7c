"""A batch above ``MEC_LOTE_TROZO`` is processed in chunks that any worker may take, and stays all or
nothing: the same per-file results, certificates and stamps as one worker processing it whole; a bad
certificate in the last chunk rejects every chunk; a folioControl repeated across chunks is found as
within one run; two workers share the chunks of one batch; a coordinator that dies is taken over.
"""

from __future__ import annotations

import dataclasses
import itertools
import shutil
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, delete, func, select

from mec_ws.batches import chunks, processing
from mec_ws.batches import worker as worker_module
from mec_ws.batches.chunks import TAIL_MIN, ChunkLost, chunk_ranges, claim_chunk, open_work, run_chunk
from mec_ws.batches.worker import Worker, WorkerOptions
from mec_ws.certificate.reader import read_xml
from mec_ws.certificate.stamp import stamp
from mec_ws.services.dto import EstatusArchivo, EstatusLote
from mec_ws.testdata.pki import default_pki
from models import Batch, BatchChunk, BatchFile, Certificate, FolioPago
from tests.services.world import World, build_world, make_zip, with_env

TROZO = 2


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> World:
    return build_world(engine, tmp_path / "data")


@pytest.fixture
def chunked(world: World) -> World:
    """The same world with chunks of :data:`TROZO` certificates."""
    return with_env(world, {"MEC_LOTE_TROZO": str(TROZO)})


def tampered(data: bytes) -> bytes:
    out = data.replace(b'numeroControl="', b'numeroControl="9', 1)
    assert out != data
    return out


class ChunkSpy:
    """Records the chunks created (ranges) and which worker ran each chunk."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.created: list[list[tuple[int, int, int]]] = []
        self.ran: list[tuple[str, int, int]] = []
        create, run = chunks._create_chunks, chunks.run_chunk

        def spy_create(*args: Any, **kwargs: Any) -> Any:
            generation, ranges = create(*args, **kwargs)
            self.created.append(list(ranges))
            return generation, ranges

        def spy_run(sessions: Any, work: Any, chunk: Any, **kwargs: Any) -> None:
            self.ran.append((kwargs["worker_id"], chunk.generation, chunk.seq))
            run(sessions, work, chunk, **kwargs)

        monkeypatch.setattr(chunks, "_create_chunks", spy_create)
        monkeypatch.setattr(chunks, "run_chunk", spy_run)
        monkeypatch.setattr(worker_module, "run_chunk", spy_run)


def _upload(world: World, files: dict[str, bytes]) -> tuple[str, int]:
    folio = world.folio(len(files))
    numero = world.app.carga_certificados(world.ipes, folio, "lote.zip", make_zip(files)).numero_lote
    return folio, numero


def _batch(world: World, numero: int) -> Batch:
    with world.sessions() as s:
        batch = s.get(Batch, numero)
        assert batch is not None
        return batch


def _count(world: World, model: type, **where: object) -> int:
    with world.sessions() as s:
        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return int(s.scalar(query) or 0)


def _detail(world: World, numero: int) -> list[tuple[object, ...]]:
    with world.sessions() as s:
        rows = s.scalars(select(BatchFile).where(BatchFile.batch_id == numero).order_by(BatchFile.ordinal))
        return [(r.ordinal, r.nombre, r.folio_control, r.estatus, r.errores) for r in rows]


CERT_FIELDS = (
    "institution_id",
    "campus_id",
    "folio_control",
    "curp",
    "nombre_completo",
    "carrera",
    "id_carrera",
    "clave_plan",
    "lugar_expedicion",
    "fecha_expedicion",
    "fecha_carga",
    "estatus",
)


def _certificates(world: World, numero: int, files: dict[str, bytes]) -> dict[str, tuple[object, ...]]:
    """Each certificate of a batch by folioControl, its row values; checks that its stamped XML is
    what stamping a fresh parse of its file gives (same signer and instant, its own folioDigital)."""
    signer = default_pki().sep_signer
    by_folio = {read_xml(data).getroot().get("folioControl"): data for data in files.values()}
    with world.sessions() as s:
        rows = s.scalars(select(Certificate).where(Certificate.batch_id == numero)).all()
    for c in rows:
        again = stamp(
            read_xml(by_folio[c.folio_control]).getroot(),
            signer,
            now=world.clock.now,
            folio_digital=c.folio_digital,
        )
        assert c.stamped_xml == again.xml
    return {str(c.folio_control): tuple(getattr(c, f) for f in CERT_FIELDS) for c in rows}


def _summary(world: World, numero: int) -> tuple[object, ...]:
    b = _batch(world, numero)
    return (b.estatus, b.total_archivos, b.archivos_procesados, b.archivos_con_error)


def test_a_chunked_batch_gives_what_one_worker_gives(
    world: World, chunked: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    spy = ChunkSpy(monkeypatch)
    files = {f"c{n}.xml": world.certificate(n) for n in range(5)}
    _, in_chunks = _upload(chunked, files)
    assert chunked.drain() == 1
    assert spy.created == [[(0, 0, 2), (1, 2, 4), (2, 4, 5)]]  # processed in chunks
    assert _batch(world, in_chunks).estatus is EstatusLote.ACEPTADO
    detail, certs, summary = (
        _detail(world, in_chunks),
        _certificates(world, in_chunks, files),
        _summary(world, in_chunks),
    )
    assert len(certs) == 5 and _count(world, BatchChunk) == 0
    with world.sessions() as s:  # free the folios de control for the same files, processed whole
        s.execute(delete(Certificate).where(Certificate.batch_id == in_chunks))
        s.commit()

    _, whole = _upload(world, files)
    assert world.drain() == 1
    assert len(spy.created) == 1  # not chunked
    assert _detail(world, whole) == detail
    assert _certificates(world, whole, files) == certs
    assert _summary(world, whole) == summary


def test_a_bad_certificate_in_the_last_chunk_rejects_every_chunk(
    chunked: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    spy = ChunkSpy(monkeypatch)
    stamped: list[int] = []

    def counting_stamp(*args: Any, **kwargs: Any) -> Any:
        stamped.append(1)
        return stamp(*args, **kwargs)

    monkeypatch.setattr(processing, "stamp", counting_stamp)
    world = chunked
    files = {f"c{n}.xml": world.certificate(n) for n in range(5)}
    files["c4.xml"] = tampered(files["c4.xml"])
    folio, numero = _upload(world, files)
    assert world.drain() == 1

    assert [seq for _, _, seq in spy.ran] == [0, 1, 2]
    assert len(stamped) == 4  # the chunks before the bad file were stamped, and all is discarded
    batch = _batch(world, numero)
    assert (batch.estatus, batch.total_archivos, batch.archivos_con_error) == (EstatusLote.RECHAZADO, 5, 1)
    assert "No se registró ningún certificado" in batch.mensaje
    assert _count(world, Certificate) == 0 and _count(world, BatchChunk) == 0
    assert [row[3] for row in _detail(world, numero)] == [EstatusArchivo.CORRECTO] * 4 + [
        EstatusArchivo.CON_ERRORES
    ]
    with world.sessions() as s:
        assert s.scalars(select(FolioPago.intentos_usados).where(FolioPago.folio == folio)).one() == 1


def test_a_folio_control_repeated_across_chunks_is_found_as_in_one_run(
    world: World, chunked: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    spy = ChunkSpy(monkeypatch)
    files = {f"c{n}.xml": world.certificate(n) for n in range(4)}
    files["c4.xml"] = world.certificate(0)  # chunk 2 repeats the folioControl of chunk 0's c0.xml
    files["c5.xml"] = world.certificate(2)  # and of chunk 1's c2.xml
    _, in_chunks = _upload(chunked, files)
    assert chunked.drain() == 1
    assert len(spy.created) == 1 and len(spy.created[0]) == 3
    _, whole = _upload(world, files)
    assert world.drain() == 1

    detail = _detail(world, in_chunks)
    assert detail == _detail(world, whole)
    assert _summary(world, in_chunks) == _summary(world, whole)
    repeated = [row for row in detail if any(e["codigo"] == "FOLIO_CONTROL_DUPLICADO" for e in row[4])]
    assert [row[1] for row in repeated] == ["c4.xml", "c5.xml"]
    assert "c0.xml" in repeated[0][4][-1]["mensaje"] and "c2.xml" in repeated[1][4][-1]["mensaje"]
    assert _batch(world, in_chunks).estatus is EstatusLote.RECHAZADO
    assert _count(world, Certificate) == 0


def test_upload_findings_found_on_reading_a_chunk_reject_the_batch(
    chunked: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An entry that fails only when read (here: made to fail) is an upload finding of the batch."""
    from mec_ws.batches import zipread

    world = chunked
    files = {f"c{n}.xml": world.certificate(n) for n in range(5)}
    _, numero = _upload(world, files)
    original = zipread._read_entry
    calls = {"n": 0}

    def corrupt_third_read(*args: Any) -> bytes:  # a whole entry (the scan only sniffs a head)
        data = original(*args)
        calls["n"] += 1
        if calls["n"] == 3:
            raise zipread.zlib.error("prueba: entrada dañada")
        return data

    monkeypatch.setattr(zipread, "_read_entry", corrupt_third_read)
    assert world.drain() == 1
    batch = _batch(world, numero)
    assert batch.estatus is EstatusLote.RECHAZADO and _count(world, Certificate) == 0
    with world.sessions() as s:
        upload_row = s.scalars(
            select(BatchFile).where(BatchFile.batch_id == numero, BatchFile.ordinal == 0)
        ).one()
    assert [e["codigo"] for e in upload_row.errores] == ["ZIP_INVALIDO"]
    assert "c2.xml" in upload_row.errores[0]["mensaje"]
    assert [row[1] for row in _detail(world, numero)[1:]] == ["c0.xml", "c1.xml", "c3.xml", "c4.xml"]
    assert _count(world, BatchChunk) == 0


def test_two_workers_share_the_chunks_of_one_batch(chunked: World, monkeypatch: pytest.MonkeyPatch) -> None:
    spy = ChunkSpy(monkeypatch)
    validate = chunks.validate_file
    first_file = threading.Event()

    def validate_waiting_for_the_other(name: str, data: bytes, ctx: Any) -> Any:
        # the first file waits until both workers have started a chunk: both take part, whichever
        # of them claimed the batch (no timing involved)
        if not first_file.is_set():
            first_file.set()
            deadline = time.monotonic() + 60
            while len({w for w, _, _ in spy.ran}) < 2 and time.monotonic() < deadline:
                time.sleep(0.01)
        return validate(name, data, ctx)

    monkeypatch.setattr(chunks, "validate_file", validate_waiting_for_the_other)
    world = chunked
    files = {f"c{n}.xml": world.certificate(n) for n in range(8)}
    folio, numero = _upload(world, files)
    workers = [world.worker(), world.worker()]
    claimed = [0, 0]

    def run(i: int) -> None:
        claimed[i] = workers[i].run(once=True)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads)

    assert sorted(claimed) == [0, 1]  # one coordinator
    coordinator = workers[claimed.index(1)]
    helper = workers[claimed.index(0)]
    by = {worker_id for worker_id, _, _ in spy.ran}
    assert by == {coordinator.worker_id, helper.worker_id}  # both ran chunks
    assert sorted(seq for _, _, seq in spy.ran) == [0, 1, 2, 3]  # each chunk once
    assert helper.chunks_run >= 1
    batch = _batch(world, numero)
    assert (batch.estatus, batch.claim_count) == (EstatusLote.ACEPTADO, 1)
    assert _count(world, Certificate) == 8 and _count(world, BatchChunk) == 0
    with world.sessions() as s:
        row = s.scalars(select(FolioPago).where(FolioPago.folio == folio)).one()
        assert row.intentos_usados == 1


class Died(BaseException):
    """The coordinator's process dies (not an error the worker handles)."""


def test_a_coordinator_that_dies_after_cutting_the_batch_is_taken_over(
    chunked: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = chunked
    files = {f"c{n}.xml": world.certificate(n) for n in range(5)}
    folio, numero = _upload(world, files)
    dead = world.worker()
    dead.heartbeat(force=True)
    assert dead.claim() == numero

    real_claim = chunks.claim_chunk

    def die(*args: Any, **kwargs: Any) -> Any:
        raise Died

    monkeypatch.setattr(chunks, "claim_chunk", die)
    with pytest.raises(Died):
        dead.process(numero)
    monkeypatch.setattr(chunks, "claim_chunk", real_claim)
    assert _count(world, BatchChunk) == 3  # the chunks of its claim, none done

    # a helper took a chunk of that claim before the coordinator died
    helper = world.worker()
    helper.heartbeat(force=True)
    old = claim_chunk(world.sessions, helper.worker_id, helper.chunk_policy)
    assert old is not None and (old.numero_lote, old.generation) == (numero, 1)

    world.clock.advance(seconds=dead.options.stale.total_seconds() + 1)
    helper.heartbeat(force=True)  # the helper is alive, the coordinator is not
    survivor = world.worker()
    assert survivor.run(once=True) == 1
    batch = _batch(world, numero)
    assert (batch.estatus, batch.claim_count) == (EstatusLote.ACEPTADO, 2)
    assert _count(world, Certificate) == 5 and _count(world, BatchChunk) == 0

    # the helper's chunk of the dead claim is never written
    work = open_work(world.sessions, numero, old.generation, settings=world.settings, storage=helper.storage)
    try:
        with pytest.raises(ChunkLost):
            run_chunk(
                world.sessions,
                work,
                old,
                worker_id=helper.worker_id,
                clock=world.clock,
                policy=helper.chunk_policy,
            )
    finally:
        work.close()
    assert _count(world, BatchChunk) == 0 and _count(world, Certificate) == 5
    status = world.app.consulta_estatus_carga(world.ipes, folio)
    assert status.intentos_usados == 1 and status.estatus_folio.value == "ACEPTADO"


def test_a_chunk_whose_worker_stopped_beating_is_run_by_the_coordinator(
    chunked: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    spy = ChunkSpy(monkeypatch)
    world = chunked
    files = {f"c{n}.xml": world.certificate(n) for n in range(5)}
    _, numero = _upload(world, files)
    ghost = world.worker()
    create = chunks._create_chunks  # the spy's

    def create_then_ghost_claims(*args: Any, **kwargs: Any) -> Any:
        result = create(*args, **kwargs)
        ghost.heartbeat(force=True)
        assert claim_chunk(world.sessions, ghost.worker_id, ghost.chunk_policy) is not None
        return result

    monkeypatch.setattr(chunks, "_create_chunks", create_then_ghost_claims)

    class Waiting:  # the coordinator's wait for the ghost's chunk: the ghost stops beating meanwhile
        @staticmethod
        def sleep(_seconds: float) -> None:
            world.clock.advance(seconds=ghost.options.stale.total_seconds() + 1)

        monotonic = staticmethod(chunks.time.monotonic)

    monkeypatch.setattr(chunks, "time", Waiting)
    coordinator = world.worker()
    coordinator.heartbeat(force=True)
    assert coordinator.run(once=True) == 1
    assert [(w, seq) for w, _, seq in spy.ran] == [
        (coordinator.worker_id, 1),
        (coordinator.worker_id, 2),
        (coordinator.worker_id, 0),  # taken back from the ghost
    ]
    assert _batch(world, numero).estatus is EstatusLote.ACEPTADO
    assert _count(world, Certificate) == 5 and _count(world, BatchChunk) == 0


def test_a_failure_to_stamp_a_chunk_of_an_accepted_batch_stores_nothing(
    chunked: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = {"n": 0}

    def failing_stamp(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 5:  # the last chunk
            raise ValueError("falla de prueba al sellar")
        return stamp(*args, **kwargs)

    monkeypatch.setattr(processing, "stamp", failing_stamp)
    world = chunked
    files = {f"c{n}.xml": world.certificate(n) for n in range(5)}
    folio, numero = _upload(world, files)
    assert world.worker(max_tries=3).run_once() is not None
    batch = _batch(world, numero)
    # released for another try, as an unchunked batch: nothing stored, no attempt spent
    assert batch.estatus is EstatusLote.EN_PROCESO and batch.claimed_by is None
    assert _count(world, Certificate) == 0 and _count(world, BatchFile) == 0
    assert _count(world, BatchChunk) == 0
    with world.sessions() as s:
        assert s.scalars(select(FolioPago.intentos_usados).where(FolioPago.folio == folio)).one() == 0


def test_a_helper_that_cannot_read_the_upload_gives_the_chunk_back(
    chunked: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    spy = ChunkSpy(monkeypatch)
    world = chunked
    files = {f"c{n}.xml": world.certificate(n) for n in range(5)}
    _, numero = _upload(world, files)
    helper = world.worker()
    helper.heartbeat(force=True)

    def unreadable(_relative_path: str) -> Path:
        raise FileNotFoundError("la carga no está en esta máquina")

    monkeypatch.setattr(helper.storage, "path", unreadable)
    create = chunks._create_chunks  # the spy's
    tries: list[tuple[bool, bool]] = []

    def create_then_helper_tries(*args: Any, **kwargs: Any) -> Any:
        result = create(*args, **kwargs)
        first = helper.run_chunk()  # claims chunk 0, cannot read the upload: gives it back
        with world.sessions() as s:
            claimed = s.scalars(select(BatchChunk.claimed_by).where(BatchChunk.seq == 0)).one()
        tries.append((first, claimed is None))
        tries.append((helper.run_chunk(), False))  # this batch is now left to the others
        return result

    monkeypatch.setattr(chunks, "_create_chunks", create_then_helper_tries)
    coordinator = world.worker()
    assert coordinator.run(once=True) == 1
    assert tries == [(True, True), (False, False)]
    assert helper.chunks_run == 0
    assert sorted(seq for w, _, seq in spy.ran if w == coordinator.worker_id) == [0, 1, 2]
    assert _batch(world, numero).estatus is EstatusLote.ACEPTADO
    assert _count(world, Certificate) == 5 and _count(world, BatchChunk) == 0


@pytest.mark.parametrize("count", [5, 999, 1001, 1500, 2000, 2001, 2049, 2050, 3999, 10_000, 10_007])
@pytest.mark.parametrize("size", [2, 100, 1000])
def test_chunk_ranges_cover_every_entry_once_with_shorter_chunks_at_the_end(count: int, size: int) -> None:
    ranges = chunk_ranges(count, size)
    assert [seq for seq, _, _ in ranges] == list(range(len(ranges)))
    assert ranges[0][1] == 0 and ranges[-1][2] == count
    assert all(a < b for _, a, b in ranges)
    assert all(prev[2] == nxt[1] for prev, nxt in itertools.pairwise(ranges))
    sizes = [b - a for _, a, b in ranges]
    assert max(sizes) <= size + TAIL_MIN  # a chunk plus at most a few files left over
    tail = min(size, max(size // 4, TAIL_MIN))
    if tail < size:
        assert all(s <= tail + TAIL_MIN for s in sizes[-4:])  # the end comes in short chunks
        assert len(sizes) == 1 or all(s >= TAIL_MIN for s in sizes)
    else:
        assert sizes[:-1] == [size] * (len(sizes) - 1)


def test_an_idle_worker_stops_waiting_when_a_chunk_can_be_claimed(chunked: World) -> None:
    """A worker between polls (here 30 s) looks for claimable chunks every quarter second, read
    only: it joins a batch as soon as the coordinator has cut it, and otherwise waits its poll."""
    world = chunked
    idle = Worker(world.sessions, world.settings, options=WorkerOptions(poll_seconds=30), clock=world.clock)
    quiet = Worker(world.sessions, world.settings, options=WorkerOptions(poll_seconds=0.6), clock=world.clock)
    started = time.monotonic()
    quiet._idle_wait(threading.Event())  # nothing to claim: the whole poll
    assert time.monotonic() - started >= 0.6

    _, numero = _upload(world, {f"c{n}.xml": world.certificate(n) for n in range(5)})
    coordinator = world.worker()
    coordinator.heartbeat(force=True)
    assert coordinator.claim() == numero
    chunks._create_chunks(world.sessions, numero, coordinator.worker_id, 5, 2)
    with world.sessions() as s:
        before = s.scalars(select(BatchChunk.claimed_by)).all()
    started = time.monotonic()
    idle._idle_wait(threading.Event())
    assert time.monotonic() - started < 10  # not the 30 s poll
    with world.sessions() as s:
        assert s.scalars(select(BatchChunk.claimed_by)).all() == before  # the look claims nothing
    assert idle.run_chunk() is True  # and the chunk is there to take


def test_a_chunk_runs_on_another_machine_with_its_own_data_dir(
    chunked: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the uploads in the database (PostgreSQL), a worker whose MEC_DATA_DIR is another
    machine's (only the stamping key deployed there) runs a chunk of a batch another machine
    coordinates: it reads the upload from the database, and the batch is accepted whole."""
    world = chunked
    if world.settings.almacen != "base":
        pytest.skip("las cargas se guardan en la base sólo con PostgreSQL")
    other_dir = tmp_path / "otra-maquina"
    shutil.copytree(world.settings.data_dir / "claves", other_dir / "claves")
    helper = Worker(
        world.sessions,
        dataclasses.replace(world.settings, data_dir=other_dir),
        options=WorkerOptions(poll_seconds=0.05),
        clock=world.clock,
    )
    helper.heartbeat(force=True)
    spy = ChunkSpy(monkeypatch)
    create = chunks._create_chunks  # the spy's

    def create_then_the_other_machine_runs_one(*args: Any, **kwargs: Any) -> Any:
        result = create(*args, **kwargs)
        assert helper.run_chunk() is True
        return result

    monkeypatch.setattr(chunks, "_create_chunks", create_then_the_other_machine_runs_one)
    files = {f"c{n}.xml": world.certificate(n) for n in range(5)}
    _, numero = _upload(world, files)
    coordinator = world.worker()
    assert coordinator.run(once=True) == 1
    assert helper.chunks_run == 1
    assert (helper.worker_id, 0) in [(w, seq) for w, _, seq in spy.ran]
    assert _batch(world, numero).estatus is EstatusLote.ACEPTADO
    assert _count(world, Certificate) == 5 and _count(world, BatchChunk) == 0
    with world.sessions() as s:
        stored = s.scalars(select(Certificate.stamped_xml).order_by(Certificate.id)).all()
    assert all(read_xml(xml).find(".//{*}Dreoe") is not None for xml in stored)  # every one stamped
