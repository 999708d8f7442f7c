import pytest
from rulekit import codes, el, run, subjects

from mec_ws.rules.catalogs import CATALOG_RULES


def test_valid_certificate_passes(cert, ctx):
    assert run(CATALOG_RULES, cert(), ctx) == []


@pytest.mark.parametrize(
    ("path", "attr", "value"),
    [
        ("Ipes", "idEntidadFederativa", "33"),
        ("Ipes/Responsable", "idCargo", "9"),
        ("Carrera", "idTipoPeriodo", "90"),
        ("Carrera", "idNivelEstudios", "86"),
        ("Alumno", "idGenero", "252"),
        ("Expedicion", "idTipoCertificacion", "81"),
        ("Expedicion", "idLugarExpedicion", "00"),
    ],
)
def test_every_catalog_attribute_is_checked(cert, ctx, path, attr, value):
    root = cert()
    el(root, path).set(attr, value)
    findings = run(CATALOG_RULES, root, ctx)
    assert codes(findings) == ["CLAVE_CATALOGO_INVALIDA"]
    assert findings[0].location == f"Dec/{path}/@{attr}"
    assert value in findings[0].message


@pytest.mark.parametrize(("attr", "value"), [("idTipoAsignatura", "267"), ("idObservaciones", "103")])
def test_subject_catalogs(cert, ctx, attr, value):
    root = cert()
    subjects(root)[2].set(attr, value)
    findings = run(CATALOG_RULES, root, ctx)
    assert codes(findings) == ["CLAVE_CATALOGO_INVALIDA"]
    assert findings[0].location == f"Dec/Asignaturas/Asignatura[3]/@{attr}"


def test_observaciones_is_optional(cert, ctx):
    root = cert()
    for subject in subjects(root):
        subject.attrib.pop("idObservaciones", None)
    assert run(CATALOG_RULES, root, ctx) == []


def test_all_bad_ids_are_reported(cert, ctx):
    root = cert()
    el(root, "Alumno").set("idGenero", "1")
    for subject in subjects(root)[:3]:
        subject.set("idTipoAsignatura", "1")
    assert codes(run(CATALOG_RULES, root, ctx)) == ["CLAVE_CATALOGO_INVALIDA"] * 4


def test_long_catalog_message_is_summarised(cert, ctx):
    root = cert()
    el(root, "Expedicion").set("idLugarExpedicion", "40")
    (finding,) = run(CATALOG_RULES, root, ctx)
    assert "01 a 32" in finding.message
