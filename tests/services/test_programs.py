"""cargaProgramaEstudios (XML) and consultaProgramasEstudios."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from mec_ws import errors
from mec_ws.programs import program_to_xml
from mec_ws.services.dto import EstatusPrograma
from tests.services.world import World


def test_a_correct_program_is_registered_and_listed(world: World) -> None:
    program = dataclasses.replace(world.scenario.program, clave_plan="2024")
    result = world.app.carga_programa_estudios(world.ipes, "programa.xml", program_to_xml(program))
    assert result.estatus is EstatusPrograma.ACEPTADO, result.errores
    assert (result.id_carrera, result.clave_plan) == ("1021", "2024")
    assert "2024" in result.mensaje
    listed = world.app.consulta_programas_estudios(world.ipes)
    assert [(p.id_carrera, p.clave_plan) for p in listed] == [("1021", "2019"), ("1021", "2024")]
    new = listed[1]
    assert new.numero_asignaturas == 48 and new.nombre_carrera == "LICENCIATURA EN DERECHO"
    assert Decimal(new.total_creditos) == program.total_creditos
    assert (new.numero_rvoe, new.fecha_rvoe, new.clave_carrera) == (
        program.numero_rvoe,
        program.fecha_rvoe,
        program.clave_carrera,
    )


def test_a_wrong_program_is_rejected_with_findings_and_not_saved(world: World) -> None:
    program = dataclasses.replace(
        world.scenario.program, clave_plan="2030", total_creditos=world.scenario.program.total_creditos + 1
    )
    result = world.app.carga_programa_estudios(world.ipes, "programa.xml", program_to_xml(program))
    assert result.estatus is EstatusPrograma.RECHAZADO
    assert "PROGRAMA_CREDITOS_NO_COINCIDEN" in {e.codigo for e in result.errores}
    assert all(e.mensaje for e in result.errores)
    assert result.id_carrera is None
    assert [p.clave_plan for p in world.app.consulta_programas_estudios(world.ipes)] == ["2019"]


def test_not_xml_is_a_finding(world: World) -> None:
    result = world.app.carga_programa_estudios(world.ipes, "programa.xml", b"esto no es xml")
    assert result.estatus is EstatusPrograma.RECHAZADO and result.errores


def test_unused_program_is_replaced_used_one_is_not(world: World) -> None:
    program = world.scenario.program
    renamed = dataclasses.replace(program, nombre_carrera="LICENCIATURA EN DERECHO Y CIENCIAS JURÍDICAS")
    replaced = world.app.carga_programa_estudios(world.ipes, "p.xml", program_to_xml(renamed))
    assert replaced.estatus is EstatusPrograma.ACEPTADO
    (only,) = world.app.consulta_programas_estudios(world.ipes)
    assert only.nombre_carrera == renamed.nombre_carrera

    folio = world.folio(1)
    world.app.carga_programa_estudios(world.ipes, "p.xml", program_to_xml(program))
    world.app.carga_certificados(world.ipes, folio, "a.xml", world.certificate(0))
    world.drain()
    refused = world.app.carga_programa_estudios(world.ipes, "p.xml", program_to_xml(renamed))
    assert refused.estatus is EstatusPrograma.RECHAZADO
    assert [e.codigo for e in refused.errores] == ["PROGRAMA_EN_USO"]
    (still,) = world.app.consulta_programas_estudios(world.ipes)
    assert still.nombre_carrera == program.nombre_carrera


def test_operator_lists_every_institution_but_does_not_upload(world: World) -> None:
    listed = world.app.consulta_programas_estudios(world.operator)
    assert len(listed) == 2
    with pytest.raises(errors.SolicitudInvalida):
        world.app.carga_programa_estudios(world.operator, "p.xml", program_to_xml(world.scenario.program))
