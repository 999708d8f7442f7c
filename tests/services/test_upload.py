"""cargaCertificados: intake checks, attempt accounting, idempotent retries, concurrency."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import func, select

from mec_ws import errors
from mec_ws.batches.storage import BatchStorage
from mec_ws.services.app import MecApp
from mec_ws.services.dto import CargaResult, EstatusFolio, EstatusLote
from models import Batch, FolioPago, UploadBlob
from tests.batches.packages import CASES, LIMITS_ENV, Case
from tests.services.world import World, make_zip, with_env

NOT_A_CERT = b'<?xml version="1.0" encoding="UTF-8"?><Otro/>'


def _batches(world: World) -> int:
    with world.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(Batch)) or 0)


def test_upload_is_stored_durably_and_recorded_as_received(world: World) -> None:
    folio = world.folio(1)
    data = world.certificate(0)
    result = world.app.carga_certificados(world.ipes, folio, "cert.xml", data)
    assert (result.intento, result.intentos_restantes, result.estatus) == (1, 1, EstatusLote.RECIBIDO)
    assert str(result.numero_lote) in result.mensaje
    with world.sessions() as s:
        batch = s.get(Batch, result.numero_lote)
        assert batch is not None
        assert batch.total_archivos == 1
        stored = world.app.storage.read(batch.stored_path)
        assert stored == data
        assert (
            s.scalars(select(FolioPago).where(FolioPago.folio == folio)).one().estatus
            is EstatusFolio.EN_PROCESO
        )


def test_two_rejected_attempts_spend_the_folio(world: World) -> None:
    folio = world.folio(1)
    first = world.app.carga_certificados(world.ipes, folio, "a.xml", NOT_A_CERT)
    world.drain()
    second = world.app.carga_certificados(world.ipes, folio, "b.xml", NOT_A_CERT + b"\n")
    assert (first.intento, second.intento) == (1, 2)
    assert second.intentos_restantes == 0
    world.drain()
    status = world.app.consulta_estatus_carga(world.ipes, folio)
    assert status.estatus_folio is EstatusFolio.AGOTADO
    assert (status.intentos_usados, status.intentos_restantes) == (2, 0)
    assert [lote.estatus for lote in status.lotes] == [EstatusLote.RECHAZADO] * 2
    with pytest.raises(errors.FolioAgotado):
        world.app.carga_certificados(world.ipes, folio, "c.xml", world.certificate(0))
    assert _batches(world) == 2


def test_same_bytes_of_a_rejected_batch_return_it_and_spend_nothing(world: World) -> None:
    folio = world.folio(1)
    first = world.app.carga_certificados(world.ipes, folio, "a.xml", NOT_A_CERT)
    world.drain()
    again = world.app.carga_certificados(world.ipes, folio, "otro.xml", NOT_A_CERT)
    assert (again.numero_lote, again.intento, again.estatus) == (first.numero_lote, 1, EstatusLote.RECHAZADO)
    assert again.intentos_restantes == 1 and "no se consumió" in again.mensaje
    status = world.app.consulta_estatus_carga(world.ipes, folio)
    assert (status.intentos_usados, status.intentos_restantes, len(status.lotes)) == (1, 1, 1)
    assert _batches(world) == 1


def test_same_bytes_again_is_the_same_batch_and_consumes_nothing(world: World) -> None:
    folio = world.folio(1)
    data = world.certificate(0)
    first = world.app.carga_certificados(world.ipes, folio, "cert.xml", data)
    retry = world.app.carga_certificados(world.ipes, folio, "otro-nombre.xml", data)
    assert retry.numero_lote == first.numero_lote
    assert (retry.intento, retry.intentos_restantes, retry.estatus) == (1, 1, EstatusLote.RECIBIDO)
    assert "no se consumió" in retry.mensaje
    with pytest.raises(errors.CargaEnProceso):
        world.app.carga_certificados(world.ipes, folio, "x.xml", world.certificate(1))
    world.drain()
    after = world.app.carga_certificados(world.ipes, folio, "cert.xml", data)
    assert (after.numero_lote, after.estatus, after.intentos_restantes) == (
        first.numero_lote,
        EstatusLote.ACEPTADO,
        0,
    )
    with pytest.raises(errors.FolioAceptado):
        world.app.carga_certificados(world.ipes, folio, "x.xml", world.certificate(1))
    assert _batches(world) == 1


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "vacío"),
        (b"%PDF-1.7 not a certificate", "ni un ZIP"),
        (b"PK\x03\x04" + b"\x00" * 64, "dañado"),
        (b"<" + b" " * (1024 * 1024 + 1), "1 MB"),
    ],
    ids=["empty", "neither", "corrupt-zip", "too-large"],
)
def test_unusable_upload_is_refused_without_consuming(world: World, content: bytes, words: str) -> None:
    small = MecApp(
        world.settings.__class__.from_env(
            {"MEC_DATA_DIR": str(world.settings.data_dir), "MEC_MAX_UPLOAD_MB": "1"}
        ),
        world.sessions,
        clock=world.clock,
    )
    folio = world.folio(1)
    with pytest.raises(errors.ArchivoInvalido, match=words):
        small.carga_certificados(world.ipes, folio, "x", content)
    assert _batches(world) == 0
    status = world.app.consulta_estatus_carga(world.ipes, folio)
    assert (status.intentos_usados, status.estatus_folio) == (0, EstatusFolio.DISPONIBLE)


def test_zip_announces_its_entries_at_intake(world: World) -> None:
    folio = world.folio(2)
    data = make_zip({"a.xml": world.certificate(0), "b.xml": world.certificate(1)})
    result = world.app.carga_certificados(world.ipes, folio, "lote.zip", data)
    with world.sessions() as s:
        batch = s.get(Batch, result.numero_lote)
        assert batch is not None and batch.total_archivos == 2 and batch.kind == "zip"


def test_unknown_or_foreign_folio_is_not_found(world: World) -> None:
    foreign = world.folio(1, institution_id="000002")
    for folio in ("NO-EXISTE", foreign):
        with pytest.raises(errors.FolioInexistente):
            world.app.carga_certificados(world.ipes, folio, "cert.xml", world.certificate(0))
    assert _batches(world) == 0


def test_operator_does_not_upload_for_an_institution(world: World) -> None:
    folio = world.folio(1)
    with pytest.raises(errors.SolicitudInvalida):
        world.app.carga_certificados(world.operator, folio, "cert.xml", world.certificate(0))


def _race(world: World, payloads: list[bytes]) -> list[CargaResult | Exception]:
    barrier = threading.Barrier(len(payloads))
    outcomes: list[CargaResult | Exception] = [RuntimeError("not run")] * len(payloads)
    folio = world.folio(1)

    def upload(i: int) -> None:
        barrier.wait()
        try:
            outcomes[i] = world.app.carga_certificados(world.ipes, folio, f"{i}.xml", payloads[i])
        except Exception as exc:
            outcomes[i] = exc

    threads = [threading.Thread(target=upload, args=(i,)) for i in range(len(payloads))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return outcomes


def test_concurrent_uploads_for_one_folio_count_once(world: World) -> None:
    outcomes = _race(world, [NOT_A_CERT + b" " * i for i in range(6)])
    kinds = Counter(type(o).__name__ for o in outcomes)
    assert kinds == {"CargaResult": 1, "CargaEnProceso": 5}, outcomes
    assert _batches(world) == 1


def test_concurrent_identical_uploads_get_the_same_batch(world: World) -> None:
    outcomes = _race(world, [NOT_A_CERT] * 4)
    assert all(isinstance(o, CargaResult) for o in outcomes), outcomes
    assert len({o.numero_lote for o in outcomes if isinstance(o, CargaResult)}) == 1
    assert _batches(world) == 1


def test_the_file_is_written_and_fsyncd_without_holding_a_lock(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the upload is fsync'd, another transaction can lock the very folio row at once
    (on SQLite: take the database's write lock)."""
    folio = world.folio(1)
    engine = world.sessions.kw["bind"]
    kind = type(world.app.storage)  # files (SQLite) or the database (PostgreSQL)
    real = kind.store
    seen: list[str] = []

    def spy(self: BatchStorage, data: bytes) -> object:
        with engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                conn.connection.dbapi_connection.execute("PRAGMA busy_timeout=0")  # type: ignore[union-attr]
            with conn.begin():
                conn.execute(
                    select(FolioPago.id).where(FolioPago.folio == folio).with_for_update(nowait=True)
                )
        seen.append("libre")
        return real(self, data)

    monkeypatch.setattr(kind, "store", spy)
    result = world.app.carga_certificados(world.ipes, folio, "cert.xml", world.certificate(0))
    assert seen == ["libre"] and result.estatus is EstatusLote.RECIBIDO


def test_unknown_folio_writes_nothing(world: World) -> None:
    with pytest.raises(errors.FolioInexistente):
        world.app.carga_certificados(world.ipes, "NO-EXISTE", "cert.xml", world.certificate(0))
    assert not (world.settings.data_dir / "lotes").exists() or not any(
        (world.settings.data_dir / "lotes").rglob("*.bin")
    )
    with world.sessions() as s:
        assert s.scalars(select(UploadBlob)).all() == []


# --- package faults and the count: refused at upload, nothing spent -------------------------------


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_package_fault_is_refused_at_upload_and_spends_nothing(world: World, case: Case) -> None:
    small = with_env(world, LIMITS_ENV)
    folio = world.folio(1)
    with pytest.raises(errors.PaqueteInvalido) as caught:
        small.app.carga_certificados(world.ipes, folio, "lote.zip", case.build(world.certificate(0)))
    fault = caught.value
    assert fault.codigo == "ArchivoInvalido" and set(fault.hallazgos) == case.codes
    assert f"«{case.entry}»" in fault.mensaje if case.entry else "«lote.zip»" in fault.mensaje
    assert "no se consumió ningún intento" in fault.mensaje
    assert _batches(world) == 0
    status = world.app.consulta_estatus_carga(world.ipes, folio)
    assert (status.intentos_usados, status.intentos_restantes, status.estatus_folio) == (
        0,
        2,
        EstatusFolio.DISPONIBLE,
    )
    # nothing was blocked either: the right package is taken at once, as attempt 1
    accepted = small.app.carga_certificados(world.ipes, folio, "bien.xml", world.certificate(0))
    assert (accepted.intento, accepted.estatus) == (1, EstatusLote.RECIBIDO)


@pytest.mark.parametrize(
    ("case_id", "limit"),
    [
        ("too-many-entries", "el máximo por carga es 3"),
        ("entry-over-xml-limit", "el máximo permitido es 1 MB"),
    ],
)
def test_package_fault_says_the_limit(world: World, case_id: str, limit: str) -> None:
    case = next(c for c in CASES if c.id == case_id)
    small = with_env(world, LIMITS_ENV)
    with pytest.raises(errors.ArchivoInvalido, match=limit):
        small.app.carga_certificados(world.ipes, world.folio(1), "x.zip", case.build(world.certificate(0)))


def test_count_mismatch_is_a_fault_saying_both_numbers_and_spends_nothing(world: World) -> None:
    folio = world.folio(3)
    data = make_zip({"a.xml": world.certificate(0), "b.xml": world.certificate(1)})
    with pytest.raises(errors.CantidadNoCoincide) as caught:
        world.app.carga_certificados(world.ipes, folio, "lote.zip", data)
    assert caught.value.codigo == "CantidadNoCoincide"
    assert (
        f"La carga contiene 2 certificado(s) y el folio de pago «{folio}» ampara 3." in caught.value.mensaje
    )
    single = world.folio(2)
    with pytest.raises(errors.CantidadNoCoincide, match=r"contiene 1 certificado\(s\) .* ampara 2"):
        world.app.carga_certificados(world.ipes, single, "uno.xml", world.certificate(0))
    assert _batches(world) == 0
    for name in (folio, single):
        status = world.app.consulta_estatus_carga(world.ipes, name)
        assert (status.intentos_usados, status.intentos_restantes) == (0, 2)


def test_package_is_checked_before_the_count(world: World) -> None:
    folio = world.folio(2)
    with pytest.raises(errors.PaqueteInvalido, match="ZIP_VACIO"):
        world.app.carga_certificados(world.ipes, folio, "vacio.zip", make_zip({}))
    data = make_zip({"a.xml": world.certificate(0), "carpeta/b.xml": world.certificate(1)})
    with pytest.raises(errors.PaqueteInvalido, match="ZIP_DIRECTORIO"):  # not a count of 1 or 2
        world.app.carga_certificados(world.ipes, folio, "lote.zip", data)


def test_same_bytes_of_an_accepted_batch_return_it(world: World) -> None:
    folio = world.folio(1)
    first = world.app.carga_certificados(world.ipes, folio, "a.xml", world.certificate(0))
    world.drain()
    again = world.app.carga_certificados(world.ipes, folio, "a.xml", world.certificate(0))
    assert (again.numero_lote, again.estatus, again.intentos_restantes) == (
        first.numero_lote,
        EstatusLote.ACEPTADO,
        0,
    )
    assert _batches(world) == 1
