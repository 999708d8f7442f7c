"""Each file is stamped right after its validation, on the tree validation parsed; the batch stays
all or nothing.

- The stored stamped XML is byte for byte what stamping a fresh parse of the uploaded file gives
  (same signer, instant and folioDigital: the RSA PKCS#1 v1.5 signatures are deterministic).
- The first file with an error stops the stamping; a rejected batch stores nothing, whatever was
  stamped before its bad file (first, middle or last).
- A failure to stamp (no usable key, an unexpected error) does not change the verdict of a batch
  that is rejected anyway; on a batch that would be accepted it is a fault of the service, as
  before (retried, nothing stored).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from mec_ws.batches import processing
from mec_ws.certificate.reader import read_xml
from mec_ws.certificate.stamp import stamp
from mec_ws.services.dto import EstatusArchivo, EstatusLote
from mec_ws.testdata.pki import default_pki
from models import Batch, BatchFile, Certificate, FolioPago
from tests.services.world import World, build_world, make_zip


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> World:
    return build_world(engine, tmp_path / "data")


def tampered(data: bytes) -> bytes:
    """A sealed certificate changed after sealing: its sello no longer verifies."""
    out = data.replace(b'numeroControl="', b'numeroControl="9', 1)
    assert out != data
    return out


def _count(world: World, model: type) -> int:
    with world.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def _batch(world: World, numero: int) -> Batch:
    with world.sessions() as s:
        batch = s.get(Batch, numero)
        assert batch is not None
        return batch


class StampSpy:
    """Counts the files ``processing`` stamps (optionally failing on the n-th)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, *, fail_on: int | None = None) -> None:
        self.calls = 0
        self.fail_on = fail_on
        monkeypatch.setattr(processing, "stamp", self)

    def __call__(self, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        self.calls += 1
        if self.calls == self.fail_on:
            raise ValueError("falla de prueba al sellar")
        return stamp(*args, **kwargs)  # type: ignore[arg-type]


def test_stored_stamp_equals_stamping_a_fresh_parse_of_the_upload(world: World) -> None:
    files = {f"c{n}.xml": world.certificate(n) for n in range(4)}
    folio = world.folio(len(files))
    numero = world.app.carga_certificados(world.ipes, folio, "lote.zip", make_zip(files)).numero_lote
    assert world.drain() == 1
    assert _batch(world, numero).estatus is EstatusLote.ACEPTADO

    signer = default_pki().sep_signer
    with world.sessions() as s:
        stored = {
            c.folio_control: c
            for c in s.scalars(select(Certificate).where(Certificate.batch_id == numero)).all()
        }
    assert len(stored) == len(files)
    for data in files.values():
        root = read_xml(data).getroot()
        cert = stored[root.get("folioControl")]
        again = stamp(root, signer, now=world.clock.now, folio_digital=cert.folio_digital)
        assert cert.stamped_xml == again.xml


@pytest.mark.parametrize("bad", [0, 2, 5], ids=["primero", "en-medio", "ultimo"])
def test_a_bad_file_stops_the_stamping_and_nothing_is_kept(
    world: World, monkeypatch: pytest.MonkeyPatch, bad: int
) -> None:
    spy = StampSpy(monkeypatch)
    files = {f"c{n}.xml": world.certificate(n) for n in range(6)}
    files[f"c{bad}.xml"] = tampered(files[f"c{bad}.xml"])
    folio = world.folio(len(files))
    numero = world.app.carga_certificados(world.ipes, folio, "lote.zip", make_zip(files)).numero_lote
    assert world.drain() == 1

    assert spy.calls == bad  # the files before the bad one were stamped, none after it
    batch = _batch(world, numero)
    assert batch.estatus is EstatusLote.RECHAZADO and batch.archivos_con_error == 1
    assert _count(world, Certificate) == 0
    with world.sessions() as s:
        rows = s.scalars(select(BatchFile).where(BatchFile.batch_id == numero).order_by(BatchFile.ordinal))
        estatus = [r.estatus for r in rows]
    assert estatus == [
        EstatusArchivo.CON_ERRORES if n == bad else EstatusArchivo.CORRECTO for n in range(len(files))
    ]


def test_a_repeated_folio_control_last_is_found_after_stamping_the_rest(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    spy = StampSpy(monkeypatch)
    files = {f"c{n}.xml": world.certificate(n) for n in range(3)}
    files["c3.xml"] = world.certificate(0)  # the same folioControl as c0.xml, last
    folio = world.folio(len(files))
    numero = world.app.carga_certificados(world.ipes, folio, "lote.zip", make_zip(files)).numero_lote
    assert world.drain() == 1
    assert spy.calls == 3
    assert _batch(world, numero).estatus is EstatusLote.RECHAZADO
    assert _count(world, Certificate) == 0


def test_a_failure_to_stamp_does_not_change_a_rejection(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    StampSpy(monkeypatch, fail_on=1)
    files = {f"c{n}.xml": world.certificate(n) for n in range(3)}
    files["c2.xml"] = tampered(files["c2.xml"])
    folio = world.folio(len(files))
    numero = world.app.carga_certificados(world.ipes, folio, "lote.zip", make_zip(files)).numero_lote
    assert world.drain() == 1
    batch = _batch(world, numero)
    assert batch.estatus is EstatusLote.RECHAZADO and batch.failure_reason is None
    assert _count(world, Certificate) == 0 and _count(world, BatchFile) == 3


def test_a_failure_to_stamp_an_accepted_batch_is_a_fault_of_the_service(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    StampSpy(monkeypatch, fail_on=2)
    files = {f"c{n}.xml": world.certificate(n) for n in range(3)}
    folio = world.folio(len(files))
    numero = world.app.carga_certificados(world.ipes, folio, "lote.zip", make_zip(files)).numero_lote
    worker = world.worker(max_tries=3)
    assert worker.run_once() is not None
    batch = _batch(world, numero)
    # released for another try, as any unexpected error: nothing stored, no attempt spent
    assert batch.estatus is EstatusLote.EN_PROCESO and batch.claimed_by is None
    assert _count(world, Certificate) == 0 and _count(world, BatchFile) == 0
    with world.sessions() as s:
        assert s.scalars(select(FolioPago.intentos_usados).where(FolioPago.folio == folio)).one() == 0


def test_without_a_stamp_key_a_bad_batch_is_still_rejected(engine: Engine, tmp_path: Path) -> None:
    world = build_world(engine, tmp_path / "data", with_stamp_key=False)
    folio = world.folio(2)
    files = {"a.xml": world.certificate(0), "b.xml": tampered(world.certificate(1))}
    numero = world.app.carga_certificados(world.ipes, folio, "lote.zip", make_zip(files)).numero_lote
    assert world.worker().run_once() is not None
    batch = _batch(world, numero)
    assert batch.estatus is EstatusLote.RECHAZADO and batch.archivos_con_error == 1
    assert _count(world, Certificate) == 0 and _count(world, BatchFile) == 2
