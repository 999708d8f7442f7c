"""Nothing that passes validation can fail to be stored (``certificate.md``).

Every text a certificate or a batch keeps is either bounded by the XSD within its column
(``folioControl``: 100) or kept unbounded (``TEXT``).  For each, a certificate at the limit (or far
beyond the old column width, for the unbounded ones) is accepted and stored as sent, and one past a
bound is rejected as a finding of its file: on PostgreSQL too, where a too-long value would fail
the insert and leave the batch stuck.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from mec_ws.certificate.document import q
from mec_ws.services.dto import EstatusLote
from mec_ws.testdata.factory import seal, to_bytes
from models import BatchFile, Certificate
from tests.services.world import World, build_world, make_zip


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> World:
    return build_world(engine, tmp_path / "data")


def _certificate(world: World, n: int, folio_control: str, **attrs: tuple[str, str]) -> bytes:
    root = world.scenario.certificate(n, folio_control=folio_control)
    for element, (attribute, value) in attrs.items():
        node = root.find(f".//{q(element)}")
        assert node is not None
        node.set(attribute, value)
    return to_bytes(seal(root))


def _process(world: World, data: bytes, name: str = "c.xml") -> tuple[str, int]:
    folio = world.folio(1)
    numero = world.app.carga_certificados(world.ipes, folio, name, data).numero_lote
    assert world.drain() == 1
    return folio, numero


@pytest.mark.parametrize(
    ("element", "attribute", "column"),
    [
        ("Alumno", "nombre", "nombre_completo"),
        ("Alumno", "primerApellido", "nombre_completo"),
        ("Alumno", "segundoApellido", "nombre_completo"),
        ("Carrera", "nombreCarrera", "carrera"),
        ("Expedicion", "lugarExpedicion", "lugar_expedicion"),
    ],
)
@pytest.mark.parametrize("length", [450, 5000])
def test_unbounded_texts_are_stored_whole(
    world: World, element: str, attribute: str, column: str, length: int
) -> None:
    value = ("Á" + "b" * (length - 1)) if attribute != "segundoApellido" else "Ñ" * length
    data = _certificate(world, 0, "UAV-LARGO-1", **{element: (attribute, value)})
    folio, numero = _process(world, data)
    status = world.app.consulta_estatus_carga(world.ipes, folio)
    assert status.lotes[0].estatus is EstatusLote.ACEPTADO, status.lotes[0].mensaje
    with world.sessions() as s:
        stored = s.scalar(select(getattr(Certificate, column)).where(Certificate.batch_id == numero))
    assert stored is not None and value in stored


def test_folio_control_at_its_limit_is_stored(world: World) -> None:
    folio_control = "F" * 100
    folio, numero = _process(world, _certificate(world, 0, folio_control))
    status = world.app.consulta_estatus_carga(world.ipes, folio)
    assert status.lotes[0].estatus is EstatusLote.ACEPTADO, status.lotes[0].mensaje
    with world.sessions() as s:
        assert (
            s.scalar(select(Certificate.folio_control).where(Certificate.batch_id == numero)) == folio_control
        )


def test_folio_control_one_past_its_limit_is_a_finding_and_the_batch_ends(world: World) -> None:
    folio_control = "F" * 101
    folio, _ = _process(world, _certificate(world, 0, folio_control))
    status = world.app.consulta_estatus_carga(world.ipes, folio)
    (lote,) = status.lotes
    assert lote.estatus is EstatusLote.RECHAZADO and lote.archivos_con_error == 1
    (archivo,) = lote.detalle
    assert archivo.folio_control == folio_control  # kept as read, whole
    assert any("folioControl" in e.ubicacion for e in archivo.errores), archivo.errores


def test_a_long_folio_control_in_a_rejected_batch_is_kept_whole(world: World) -> None:
    """A rejected batch stores each file's folioControl as read, however long (it explains the finding)."""
    folio_control = "X" * 3000
    folio, _ = _process(world, _certificate(world, 0, folio_control))
    (archivo,) = world.app.consulta_estatus_carga(world.ipes, folio).lotes[0].detalle
    assert archivo.folio_control == folio_control


def test_long_entry_names_are_kept_whole(world: World) -> None:
    name = "certificado-" + "n" * 600 + ".xml"
    folio, numero = _process(world, make_zip({name: world.certificate(0)}), name="lote.zip")
    status = world.app.consulta_estatus_carga(world.ipes, folio)
    assert status.lotes[0].estatus is EstatusLote.ACEPTADO, status.lotes[0].mensaje
    with world.sessions() as s:
        assert s.scalar(select(BatchFile.nombre).where(BatchFile.batch_id == numero)) == name


def test_a_long_upload_name_is_cut_to_its_column(world: World) -> None:
    folio = world.folio(1)
    result = world.app.carga_certificados(world.ipes, folio, "n" * 1000 + ".xml", world.certificate(0))
    assert world.drain() == 1
    lote = world.app.consulta_estatus_carga(world.ipes, folio).lotes[0]
    assert lote.numero_lote == result.numero_lote and lote.estatus is EstatusLote.ACEPTADO
    assert len(lote.nombre_archivo) == 255
