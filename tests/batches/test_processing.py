"""Processing a batch: all or nothing, count against the folio, upload findings, the result ZIP."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from mec_ws.batches.failure import fail_batch
from mec_ws.certificate.stamp import verify_stamped
from mec_ws.services.dto import EstatusArchivo, EstatusFolio, EstatusLote
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


def _files(world: World, numero: int) -> list[BatchFile]:
    with world.sessions() as s:
        return list(
            s.scalars(select(BatchFile).where(BatchFile.batch_id == numero).order_by(BatchFile.ordinal))
        )


def _folio(world: World, folio: str) -> FolioPago:
    with world.sessions() as s:
        return s.scalars(select(FolioPago).where(FolioPago.folio == folio)).one()


def test_one_bad_file_rejects_the_whole_batch(world: World) -> None:
    folio = world.folio(10)
    files = {f"cert-{n:02d}.xml": world.certificate(n) for n in range(9)}
    files["cert-09.xml"] = tampered(world.certificate(9))
    numero = world.app.carga_certificados(world.ipes, folio, "lote.zip", make_zip(files)).numero_lote
    assert world.drain() == 1

    assert _count(world, Certificate) == 0
    rows = _files(world, numero)
    assert [r.ordinal for r in rows] == list(range(1, 11))
    bad = [r for r in rows if r.estatus is EstatusArchivo.CON_ERRORES]
    assert [r.nombre for r in bad] == ["cert-09.xml"]
    assert "SELLO_INVALIDO" in {e["codigo"] for e in bad[0].errores}
    assert all(r.estatus is EstatusArchivo.CORRECTO for r in rows if r is not bad[0])

    status = world.app.consulta_estatus_carga(world.ipes, folio)
    lote = status.lotes[0]
    assert (lote.estatus, lote.total_archivos, lote.archivos_con_error) == (EstatusLote.RECHAZADO, 10, 1)
    assert lote.fecha_proceso is not None and "rechazado" in lote.mensaje.lower()
    assert len(lote.detalle) == 10
    detail = next(d for d in lote.detalle if d.nombre == "cert-09.xml")
    assert detail.folio_control == "UAV-2024-000109"
    assert any(e.codigo == "SELLO_INVALIDO" and e.ubicacion for e in detail.errores)
    assert (status.estatus_folio, status.intentos_usados, status.intentos_restantes) == (
        EstatusFolio.DISPONIBLE,
        1,
        1,
    )
    assert _folio(world, folio).intentos_usados == 1


def test_all_correct_files_are_stamped_and_stored(world: World) -> None:
    folio = world.folio(3)
    files = {f"c{n}.xml": world.certificate(n) for n in range(3)}
    result = world.app.carga_certificados(world.ipes, folio, "lote.zip", make_zip(files))
    world.drain()

    with world.sessions() as s:
        batch = s.get(Batch, result.numero_lote)
        assert batch is not None and batch.estatus is EstatusLote.ACEPTADO
        assert batch.claimed_by is None and batch.processed_at == world.clock.now
        certs = s.scalars(select(Certificate).order_by(Certificate.folio_control)).all()
    assert [c.folio_control for c in certs] == ["UAV-2024-000100", "UAV-2024-000101", "UAV-2024-000102"]
    sep = default_pki().sep_signer.certificate
    for n, cert in enumerate(certs):
        assert cert.fecha_carga == world.clock.now
        assert cert.folio_pago == folio and cert.campus_id == world.scenario.campus.id
        assert cert.curp == world.scenario.student(n).curp
        assert cert.carrera == "LICENCIATURA EN DERECHO" and cert.id_carrera == "1021"
        check = verify_stamped(cert.stamped_xml, sep)
        assert check.ok, check.problems
        assert check.folio_digital == cert.folio_digital
    assert _folio(world, folio).estatus is EstatusFolio.ACEPTADO
    assert _folio(world, folio).intentos_usados == 0


def test_count_must_match_the_folio(world: World) -> None:
    folio = world.folio(3)
    data = make_zip({"a.xml": world.certificate(0), "b.xml": world.certificate(1)})
    numero = world.app.carga_certificados(world.ipes, folio, "lote.zip", data).numero_lote
    world.drain()
    rows = _files(world, numero)
    assert rows[0].ordinal == 0 and rows[0].nombre == "lote.zip"
    assert [e["codigo"] for e in rows[0].errores] == ["CANTIDAD_NO_COINCIDE"]
    assert "2 certificado(s)" in rows[0].errores[0]["mensaje"] and "ampara 3" in rows[0].errores[0]["mensaje"]
    assert all(r.estatus is EstatusArchivo.CORRECTO for r in rows[1:])
    assert _count(world, Certificate) == 0
    lote = world.app.consulta_estatus_carga(world.ipes, folio).lotes[0]
    assert lote.estatus is EstatusLote.RECHAZADO and lote.archivos_con_error == 0


def test_single_xml_against_a_larger_folio_is_a_count_mismatch(world: World) -> None:
    folio = world.folio(2)
    numero = world.app.carga_certificados(world.ipes, folio, "uno.xml", world.certificate(0)).numero_lote
    world.drain()
    assert [e["codigo"] for e in _files(world, numero)[0].errores] == ["CANTIDAD_NO_COINCIDE"]


def test_zip_findings_reject_the_upload(world: World) -> None:
    folio = world.folio(1)
    data = make_zip({"a.xml": world.certificate(0), "notas.txt": b"hola"})
    numero = world.app.carga_certificados(world.ipes, folio, "lote.zip", data).numero_lote
    world.drain()
    rows = _files(world, numero)
    assert rows[0].ordinal == 0
    assert {e["codigo"] for e in rows[0].errores} == {"ZIP_ENTRADA_NO_XML"}
    assert _count(world, Certificate) == 0


def test_repeated_folio_control_in_one_upload(world: World) -> None:
    folio = world.folio(2)
    same = world.certificate(0)
    numero = world.app.carga_certificados(
        world.ipes, folio, "l.zip", make_zip({"a.xml": same, "b.xml": same})
    ).numero_lote
    world.drain()
    rows = _files(world, numero)
    assert rows[0].estatus is EstatusArchivo.CORRECTO
    assert "FOLIO_CONTROL_DUPLICADO" in {e["codigo"] for e in rows[1].errores}
    assert _count(world, Certificate) == 0


def test_folio_control_already_accepted_is_rejected_next_time(world: World) -> None:
    first, second = world.folio(1), world.folio(1)
    world.app.carga_certificados(world.ipes, first, "a.xml", world.certificate(0))
    world.drain()
    numero = world.app.carga_certificados(world.ipes, second, "a.xml", world.certificate(0)).numero_lote
    world.drain()
    assert "FOLIO_CONTROL_REGISTRADO" in {e["codigo"] for e in _files(world, numero)[0].errores}
    assert _count(world, Certificate) == 1


def _result(world: World, numero: int) -> tuple[list[list[str]], dict[str, bytes], bytes]:
    archivo = world.app.descarga_resultado_carga(world.ipes, numero)
    assert archivo.nombre_archivo == f"resultado-lote-{numero}.zip"
    with zipfile.ZipFile(io.BytesIO(archivo.contenido)) as zf:
        raw = zf.read("resultado.csv")
        members = {n: zf.read(n) for n in zf.namelist() if n != "resultado.csv"}
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw[3:].decode("utf-8"))))
    return rows, members, raw


def test_result_zip_of_an_accepted_batch(world: World) -> None:
    folio = world.folio(2)
    data = make_zip({"uno.xml": world.certificate(0), "dos.xml": world.certificate(1)})
    numero = world.app.carga_certificados(world.ipes, folio, "lote.zip", data).numero_lote
    world.drain()
    rows, members, _ = _result(world, numero)
    assert rows[0] == ["ARCHIVO", "ESTATUS", "FOLIO CONTROL", "CODIGO", "DESCRIPCION"]
    assert [(r[0], r[1], r[2], r[3]) for r in rows[1:]] == [
        ("uno.xml", "CORRECTO", "UAV-2024-000100", ""),
        ("dos.xml", "CORRECTO", "UAV-2024-000101", ""),
    ]
    with world.sessions() as s:
        digital = dict(s.execute(select(Certificate.folio_control, Certificate.folio_digital)).all())
    assert digital["UAV-2024-000100"] in rows[1][4]
    assert set(members) == {"certificados/uno.xml", "certificados/dos.xml"}
    sep = default_pki().sep_signer.certificate
    assert verify_stamped(members["certificados/uno.xml"], sep).folio_digital == digital["UAV-2024-000100"]


def test_result_zip_of_a_rejected_batch(world: World) -> None:
    folio = world.folio(3)
    data = make_zip({"bien.xml": world.certificate(0), "mal.xml": tampered(world.certificate(1))})
    numero = world.app.carga_certificados(world.ipes, folio, "lote.zip", data).numero_lote
    world.drain()
    rows, members, raw = _result(world, numero)
    assert members == {}
    assert ("lote.zip", "CON_ERRORES", "", "CANTIDAD_NO_COINCIDE") in {tuple(r[:4]) for r in rows}
    assert ("bien.xml", "CORRECTO", "UAV-2024-000100", "") in {tuple(r[:4]) for r in rows}
    bad = [r for r in rows if r[0] == "mal.xml"]
    assert bad and all(r[1] == "CON_ERRORES" for r in bad)
    assert "SELLO_INVALIDO" in {r[3] for r in bad}
    assert any("ubicación: Dec" in r[4] for r in bad)
    assert "Ó".encode() in raw or "é".encode() in raw  # UTF-8 text, not mangled


def test_result_waits_for_processing(world: World) -> None:
    from mec_ws import errors

    folio = world.folio(1)
    numero = world.app.carga_certificados(world.ipes, folio, "a.xml", world.certificate(0)).numero_lote
    with pytest.raises(errors.CargaEnProceso):
        world.app.descarga_resultado_carga(world.ipes, numero)


def test_without_a_stamp_key_the_batch_ends_fallido_and_spends_nothing(
    engine: Engine, tmp_path: Path
) -> None:
    world = build_world(engine, tmp_path / "data", with_stamp_key=False)
    folio = world.folio(1)
    numero = world.app.carga_certificados(world.ipes, folio, "a.xml", world.certificate(0)).numero_lote
    worker = world.worker(max_tries=3, retry_seconds=5)
    assert worker.run_once() is not None  # try 1: released for a retry 5 s later
    with world.sessions() as s:
        batch = s.get(Batch, numero)
        assert batch is not None and batch.estatus is EstatusLote.EN_PROCESO and batch.claimed_by is None
        assert batch.claim_expires_at is not None and batch.claim_expires_at > world.clock.now
    assert worker.claim() is None  # not before its back-off
    world.clock.advance(seconds=6)
    assert worker.run_once() is not None  # try 2, back-off 10 s
    world.clock.advance(seconds=11)
    assert worker.run_once() is not None  # try 3: the last one ends it
    assert _count(world, Certificate) == 0 and _count(world, BatchFile) == 0
    status = world.app.consulta_estatus_carga(world.ipes, folio)
    (lote,) = status.lotes
    assert lote.estatus is EstatusLote.FALLIDO and "falla del servicio" in lote.mensaje
    assert "no se consumió ningún intento" in lote.mensaje and lote.fecha_proceso is not None
    assert (status.intentos_usados, status.intentos_restantes) == (0, 2)
    assert str(status.estatus_folio) == "DISPONIBLE"
    assert _folio(world, folio).intentos_usados == 0
    with world.sessions() as s:
        batch = s.get(Batch, numero)
        assert batch is not None and "llave de sellado" in (batch.failure_reason or "")
        assert "llave" not in lote.mensaje  # the cause is for the operators


def test_a_worker_whose_claim_was_taken_over_writes_nothing(world: World) -> None:
    folio = world.folio(1)
    numero = world.app.carga_certificados(world.ipes, folio, "a.xml", world.certificate(0)).numero_lote
    slow, fast = world.worker(), world.worker()
    slow.heartbeat(force=True)
    assert slow.claim() == numero
    assert fast.claim() is None  # its worker is alive
    world.clock.advance(seconds=slow.options.stale.total_seconds() - 1)
    assert fast.claim() is None  # still within the heartbeat bound
    world.clock.advance(seconds=2)
    assert fast.claim() == numero  # slow stopped beating: taken over
    assert slow.process(numero) is None
    assert _count(world, Certificate) == 0 and _count(world, BatchFile) == 0
    outcome = fast.process(numero)
    assert outcome is not None and outcome.accepted
    with world.sessions() as s:
        batch = s.get(Batch, numero)
        assert batch is not None and batch.claim_count == 2
    assert _count(world, Certificate) == 1


def test_a_stuck_worker_that_still_beats_loses_its_claim_when_it_expires(world: World) -> None:
    folio = world.folio(1)
    numero = world.app.carga_certificados(world.ipes, folio, "a.xml", world.certificate(0)).numero_lote
    stuck, other = world.worker(), world.worker()
    assert stuck.claim() == numero
    world.clock.advance(seconds=stuck.options.lease.total_seconds() + 1)
    stuck.heartbeat(force=True)  # alive, but no progress for the whole lease
    other.heartbeat(force=True)
    assert other.claim() == numero


def test_a_batch_whose_worker_dies_on_every_try_ends_fallido(world: World) -> None:
    folio = world.folio(1)
    numero = world.app.carga_certificados(world.ipes, folio, "a.xml", world.certificate(0)).numero_lote
    for _ in range(3):  # three workers claim it and die without a word
        dying = world.worker(max_tries=3)
        assert dying.claim() == numero
        world.clock.advance(seconds=dying.options.stale.total_seconds() + 1)
    survivor = world.worker(max_tries=3)
    assert survivor.claim() is None  # the fourth claim ends it instead
    status = world.app.consulta_estatus_carga(world.ipes, folio)
    assert status.lotes[0].estatus is EstatusLote.FALLIDO
    assert (status.intentos_usados, status.intentos_restantes, str(status.estatus_folio)) == (
        0,
        2,
        "DISPONIBLE",
    )
    with world.sessions() as s:
        batch = s.get(Batch, numero)
        assert batch is not None and "3 veces" in (batch.failure_reason or "")


def test_the_same_bytes_after_a_failure_resume_the_same_batch(world: World) -> None:
    folio = world.folio(1)
    data = world.certificate(0)
    numero = world.app.carga_certificados(world.ipes, folio, "a.xml", data).numero_lote
    with world.sessions() as s:
        assert fail_batch(s, numero, reason="prueba", now=world.clock.now)
    again = world.app.carga_certificados(world.ipes, folio, "a.xml", data)
    assert (again.numero_lote, again.intento, again.intentos_restantes) == (numero, 1, 1)
    assert again.estatus is EstatusLote.RECIBIDO and "falla del servicio" in again.mensaje
    world.drain()
    status = world.app.consulta_estatus_carga(world.ipes, folio)
    assert [lote.estatus for lote in status.lotes] == [EstatusLote.ACEPTADO]
    assert status.intentos_usados == 1 and _count(world, Certificate) == 1


def test_a_new_upload_after_a_failure_takes_the_attempt_the_failure_left(world: World) -> None:
    folio = world.folio(1)
    numero = world.app.carga_certificados(
        world.ipes, folio, "a.xml", tampered(world.certificate(0))
    ).numero_lote
    with world.sessions() as s:
        assert fail_batch(s, numero, reason="prueba", now=world.clock.now)
    fixed = world.app.carga_certificados(world.ipes, folio, "b.xml", world.certificate(0))
    assert fixed.numero_lote != numero and fixed.intento == 1 and fixed.intentos_restantes == 1
    world.drain()
    status = world.app.consulta_estatus_carga(world.ipes, folio)
    assert [lote.estatus for lote in status.lotes] == [EstatusLote.FALLIDO, EstatusLote.ACEPTADO]
    assert status.intentos_usados == 1


def test_result_file_of_a_failed_batch_says_it_was_our_fault(world: World) -> None:
    folio = world.folio(1)
    numero = world.app.carga_certificados(world.ipes, folio, "a.xml", world.certificate(0)).numero_lote
    with world.sessions() as s:
        assert fail_batch(s, numero, reason="prueba", now=world.clock.now)
    rows, members, _ = _result(world, numero)
    assert members == {}
    assert [r[:4] for r in rows[1:]] == [["a.xml", "CON_ERRORES", "", "FALLIDO"]]
    assert "falla del servicio" in rows[1][4]
