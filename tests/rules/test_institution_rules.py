import dataclasses

import pytest
from rulekit import codes, el, run

from mec_ws.findings import Status
from mec_ws.registry import Institution
from mec_ws.rules.institution import INSTITUTION_RULES


def test_valid_certificate_passes(cert, ctx):
    assert run(INSTITUTION_RULES, cert(), ctx) == []


def test_other_institution_fires_once(cert, ctx):
    root = cert()
    el(root, "Ipes").set("idNombreInstitucion", "000777")
    el(root, "ServicioFirmante").set("idEntidad", "000777")
    findings = run(INSTITUTION_RULES, root, ctx)
    assert codes(findings) == ["INSTITUCION_NO_CORRESPONDE"]  # no campus noise for a foreign document
    assert findings[0].location == "Dec/Ipes/@idNombreInstitucion"
    assert "000777" in findings[0].message and "000001" in findings[0].message


def test_signing_entity_must_equal_institution(cert, ctx):
    root = cert()
    el(root, "ServicioFirmante").set("idEntidad", "000002")
    findings = run(INSTITUTION_RULES, root, ctx)
    assert codes(findings) == ["ENTIDAD_FIRMANTE_NO_CORRESPONDE"]
    assert findings[0].location == "Dec/ServicioFirmante/@idEntidad"


def test_unregistered_campus(cert, ctx):
    root = cert()
    el(root, "Ipes").set("idCampus", "000199")
    findings = run(INSTITUTION_RULES, root, ctx)
    assert codes(findings) == ["CAMPUS_NO_REGISTRADO"]
    assert findings[0].location == "Dec/Ipes/@idCampus"


def test_second_campus_is_registered(cert, ctx, scenario):
    root = cert()
    other = scenario.institution.campuses[1]
    el(root, "Ipes").set("idCampus", other.id)
    el(root, "Ipes").set("idEntidadFederativa", other.state)
    assert run(INSTITUTION_RULES, root, ctx) == []


def test_state_must_match_campus(cert, ctx):
    root = cert()
    el(root, "Ipes").set("idEntidadFederativa", "15")
    findings = run(INSTITUTION_RULES, root, ctx)
    assert codes(findings) == ["ENTIDAD_FEDERATIVA_NO_COINCIDE"]
    assert "MÉXICO" in findings[0].message and "CIUDAD DE MÉXICO" in findings[0].message


def test_unknown_state_key_is_left_to_catalog_rule(cert, ctx):
    root = cert()
    el(root, "Ipes").set("idEntidadFederativa", "33")
    assert run(INSTITUTION_RULES, root, ctx) == []


def test_without_institution_checks_are_omitted(cert, empty_ctx):
    findings = run(INSTITUTION_RULES, cert(), empty_ctx)
    assert sorted(codes(findings)) == ["CAMPUS_NO_REGISTRADO", "INSTITUCION_NO_CORRESPONDE"]
    assert all(f.status is Status.OMITIDA for f in findings)
    assert all(f.message.startswith("Verificación omitida") for f in findings)


def test_id_only_institution_skips_campus(cert, ctx):
    inst = Institution(id=ctx.institution.id, name="", campuses_known=False)
    findings = run(INSTITUTION_RULES, cert(), dataclasses.replace(ctx, institution=inst))
    assert [(f.code, f.status) for f in findings] == [("CAMPUS_NO_REGISTRADO", Status.OMITIDA)]


@pytest.mark.parametrize("path,attr", [("Ipes", "idNombreInstitucion"), ("Ipes", "idCampus")])
def test_missing_attributes_do_not_crash_or_duplicate_xsd(cert, ctx, path, attr):
    root = cert()
    del el(root, path).attrib[attr]
    assert all(f.status is not Status.ERROR for f in run(INSTITUTION_RULES, root, ctx))
