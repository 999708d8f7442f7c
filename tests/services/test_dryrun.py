"""validaCertificados (services/dryrun.py): the worker's checks with the institution's registry,
synchronously, storing nothing, spending nothing, creating no batch."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from sqlalchemy import func, select

from mec_ws import errors
from mec_ws.services.dto import EstatusArchivo
from mec_ws.testdata.factory import seal, to_bytes
from models import Batch, BatchFile, Certificate, FolioPago
from tests.services.world import World, make_zip, with_env


def tampered(data: bytes) -> bytes:
    out = data.replace(b'numeroControl="', b'numeroControl="9', 1)
    assert out != data
    return out


def _rows(world: World) -> tuple[int, ...]:
    with world.sessions() as s:
        return tuple(
            int(s.scalar(select(func.count()).select_from(model)) or 0)
            for model in (Batch, BatchFile, Certificate)
        )


def _stored_files(world: World) -> list[Path]:
    return [p for p in world.settings.data_dir.rglob("*") if p.is_file() and p.suffix != ".pem"]


def _folio_state(world: World, folio: str) -> tuple[int, str]:
    with world.sessions() as s:
        row = s.scalars(select(FolioPago).where(FolioPago.folio == folio)).one()
        return row.intentos_usados, str(row.estatus)


def test_valid_zip_has_no_errors_and_leaves_nothing_behind(world: World) -> None:
    folio = world.folio(2)
    before = (_rows(world), _stored_files(world), _folio_state(world, folio))
    data = make_zip({"a.xml": world.certificate(0), "b.xml": world.certificate(1)})
    for with_folio in (None, folio):
        r = world.app.valida_certificados(world.ipes, "lote.zip", data, with_folio)
        assert (r.total_archivos, r.archivos_con_error) == (2, 0)
        assert [(d.nombre, d.folio_control, d.estatus) for d in r.detalle] == [
            ("a.xml", "UAV-2024-000100", EstatusArchivo.CORRECTO),
            ("b.xml", "UAV-2024-000101", EstatusArchivo.CORRECTO),
        ]
        assert "ni se consumió ningún intento" in r.mensaje
    assert (_rows(world), _stored_files(world), _folio_state(world, folio)) == before
    # and the same bytes are then accepted by a real upload as its first attempt
    assert world.app.carga_certificados(world.ipes, folio, "lote.zip", data).intento == 1


def test_broken_file_gives_its_finding_codes_as_the_worker_would(world: World) -> None:
    data = make_zip({"bien.xml": world.certificate(0), "mal.xml": tampered(world.certificate(1))})
    r = world.app.valida_certificados(world.ipes, "lote.zip", data, None)
    assert (r.total_archivos, r.archivos_con_error) == (2, 1)
    bad = next(d for d in r.detalle if d.nombre == "mal.xml")
    assert bad.estatus is EstatusArchivo.CON_ERRORES and bad.folio_control == "UAV-2024-000101"
    assert any(e.codigo == "SELLO_INVALIDO" and e.ubicacion for e in bad.errores)
    assert "1 de 2" in r.mensaje and "rechazada" in r.mensaje
    # the worker judges the same bytes the same way
    folio = world.folio(2)
    numero = world.app.carga_certificados(world.ipes, folio, "lote.zip", data).numero_lote
    world.drain()
    lote = world.app.consulta_estatus_carga(world.ipes, folio).lotes[0]
    assert lote.numero_lote == numero
    assert {(d.nombre, d.estatus, tuple(e.codigo for e in d.errores)) for d in lote.detalle} == {
        (d.nombre, d.estatus, tuple(e.codigo for e in d.errores)) for d in r.detalle
    }


def test_institution_registry_checks_show_up(world: World) -> None:
    unknown = dataclasses.replace(world.scenario.campus, id="000199")
    other_campus = dataclasses.replace(world.scenario, campus=unknown)
    stray = to_bytes(seal(other_campus.certificate(5, folio_control="UAV-2024-CAMPUS")))
    r = world.app.valida_certificados(world.ipes, "campus.xml", stray, None)
    assert r.archivos_con_error == 1
    assert "CAMPUS_NO_REGISTRADO" in {e.codigo for e in r.detalle[0].errores}
    # a folioControl already accepted for the institution
    folio = world.folio(1)
    world.app.carga_certificados(world.ipes, folio, "a.xml", world.certificate(0))
    world.drain()
    again = world.app.valida_certificados(world.ipes, "a.xml", world.certificate(0), None)
    assert "FOLIO_CONTROL_REGISTRADO" in {e.codigo for e in again.detalle[0].errores}


def test_more_than_the_limit_is_archivo_invalido_saying_it(world: World) -> None:
    small = with_env(world, {"MEC_VALIDA_MAX_ARCHIVOS": "2"})
    data = make_zip({f"{n}.xml": world.certificate(n) for n in range(3)})
    with pytest.raises(
        errors.ArchivoInvalido, match="contiene 3 certificados; el máximo por validación es 2"
    ):
        small.app.valida_certificados(world.ipes, "lote.zip", data, None)
    assert (
        small.app.valida_certificados(world.ipes, "uno.xml", world.certificate(0), None).total_archivos == 1
    )


def test_folio_must_be_the_callers_and_the_count_must_match(world: World) -> None:
    data = world.certificate(0)
    for folio in ("NO-EXISTE", world.folio(1, institution_id="000002")):
        with pytest.raises(errors.FolioInexistente):
            world.app.valida_certificados(world.ipes, "a.xml", data, folio)
    larger = world.folio(3)
    with pytest.raises(
        errors.CantidadNoCoincide,
        match=rf"contiene 1 certificado\(s\) y el folio de pago «{larger}» ampara 3",
    ):
        world.app.valida_certificados(world.ipes, "a.xml", data, larger)
    assert world.app.valida_certificados(world.ipes, "a.xml", data, "  ").total_archivos == 1  # blank: none
    with pytest.raises(errors.SolicitudInvalida):
        world.app.valida_certificados(world.operator, "a.xml", data, None)
    with pytest.raises(errors.ArchivoInvalido, match="vacío"):
        world.app.valida_certificados(world.ipes, "a.xml", b"", None)
    assert _rows(world) == (0, 0, 0)
