"""Another institution's folios, batches, certificates and programs are "not found"."""

from __future__ import annotations

import pytest

from mec_ws import errors
from mec_ws.programs import program_to_xml
from mec_ws.services.dto import EstatusPrograma, FiltroCertificados, FormatoCertificado
from tests.services.world import World


@pytest.fixture
def accepted(world: World) -> tuple[World, str, int]:
    folio = world.folio(1)
    numero = world.app.carga_certificados(world.ipes, folio, "a.xml", world.certificate(0)).numero_lote
    world.drain()
    return world, folio, numero


def test_every_method_hides_another_institutions_data(accepted: tuple[World, str, int]) -> None:
    world, folio, numero = accepted
    intruder = world.other
    with pytest.raises(errors.FolioInexistente):
        world.app.carga_certificados(intruder, folio, "b.xml", world.certificate(0, other=True))
    with pytest.raises(errors.FolioInexistente):
        world.app.consulta_estatus_carga(intruder, folio)
    with pytest.raises(errors.LoteInexistente):
        world.app.descarga_resultado_carga(intruder, numero)
    page = world.app.consulta_certificados(
        intruder, FiltroCertificados(folio_control="UAV-2024-000100"), 1, 10
    )
    assert (page.total_registros, page.certificados) == (0, ())
    page = world.app.consulta_certificados(intruder, FiltroCertificados(id_institucion="000001"), 1, 10)
    assert page.total_registros == 0
    with pytest.raises(errors.CertificadoInexistente):
        world.app.descarga_certificado(intruder, "UAV-2024-000100", FormatoCertificado.XML)
    assert [p.id_carrera for p in world.app.consulta_programas_estudios(intruder)] == ["1021"]
    assert all(p.nombre_carrera for p in world.app.consulta_programas_estudios(intruder))


def test_a_program_naming_another_institutions_campus_is_rejected(world: World) -> None:
    result = world.app.carga_programa_estudios(world.other, "p.xml", program_to_xml(world.scenario.program))
    assert result.estatus is EstatusPrograma.RECHAZADO
    assert "PROGRAMA_CAMPUS_NO_REGISTRADO" in {e.codigo for e in result.errores}


def test_a_certificate_of_another_institution_is_rejected_not_stored(world: World) -> None:
    folio = world.folio(1)
    numero = world.app.carga_certificados(
        world.ipes, folio, "x.xml", world.certificate(0, other=True)
    ).numero_lote
    world.drain()
    lote = world.app.consulta_estatus_carga(world.ipes, folio).lotes[0]
    assert lote.numero_lote == numero
    assert "INSTITUCION_NO_CORRESPONDE" in {e.codigo for d in lote.detalle for e in d.errores}


def test_the_owner_and_an_operator_see_it(accepted: tuple[World, str, int]) -> None:
    world, folio, numero = accepted
    for who in (world.ipes, world.operator):
        assert world.app.consulta_estatus_carga(who, folio).lotes[0].numero_lote == numero
        assert world.app.descarga_resultado_carga(who, numero).contenido.startswith(b"PK")
        assert world.app.descarga_certificado(who, "UAV-2024-000100", FormatoCertificado.XML).contenido
        assert world.app.consulta_certificados(who, FiltroCertificados(), 1, 10).total_registros == 1
