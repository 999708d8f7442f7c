import copy
import dataclasses

import pytest
from rulekit import codes, el, run, subjects

from mec_ws.findings import Status
from mec_ws.registry import programs_lookup
from mec_ws.rules.program import PROGRAM_RULES
from mec_ws.testdata.factory import PARCIAL, TOTAL


@pytest.mark.parametrize("tipo", [TOTAL, PARCIAL])
def test_valid_certificates_pass(cert, ctx, tipo):
    assert run(PROGRAM_RULES, cert(tipo=tipo), ctx) == []


@pytest.mark.parametrize(("attr", "value"), [("clavePlan", "2015"), ("idCarrera", "9999")])
def test_unregistered_program_fires_once(cert, ctx, attr, value):
    root = cert()
    el(root, "Carrera").set(attr, value)
    findings = run(PROGRAM_RULES, root, ctx)
    assert codes(findings) == ["PROGRAMA_NO_REGISTRADO"]  # subjects are not judged against nothing
    assert findings[0].location == "Dec/Carrera/@idCarrera"


def test_program_not_offered_at_campus(cert, ctx, scenario):
    program = dataclasses.replace(scenario.program, campus_ids=("000102",))
    findings = run(PROGRAM_RULES, cert(), dataclasses.replace(ctx, find_program=programs_lookup([program])))
    assert [(f.code, f.location) for f in findings] == [("PROGRAMA_NO_REGISTRADO", "Dec/Ipes/@idCampus")]


@pytest.mark.parametrize(
    ("path", "attr", "value"),
    [
        ("Rvoe", "numero", "20200399"),
        ("Rvoe", "fechaExpedicion", "2020-03-03T00:00:00"),
        ("Carrera", "idNivelEstudios", "82"),
        ("Carrera", "idTipoPeriodo", "93"),
        ("Carrera", "calificacionMinima", "5"),
        ("Carrera", "calificacionMaxima", "100"),
        ("Carrera", "calificacionMinimaAprobatoria", "7"),
    ],
)
def test_each_program_attribute_is_compared(cert, ctx, path, attr, value):
    root = cert()
    el(root, path).set(attr, value)
    findings = [f for f in run(PROGRAM_RULES, root, ctx) if f.code == "PROGRAMA_NO_COINCIDE"]
    assert [f.location for f in findings] == [f"Dec/{path}/@{attr}"]


@pytest.mark.parametrize(
    ("path", "attr", "value"),
    [
        ("Rvoe", "fechaExpedicion", "2020-03-02T17:45:00"),  # the date counts, not the time
        ("Carrera", "calificacionMaxima", "10.00"),  # numeric equality
        ("Carrera", "calificacionMinimaAprobatoria", "6.0"),
        ("Rvoe", "numero", " 20200302 "),
    ],
)
def test_equal_values_written_differently_pass(cert, ctx, path, attr, value):
    root = cert()
    el(root, path).set(attr, value)
    assert run(PROGRAM_RULES, root, ctx) == []


def test_invalid_scale_is_not_also_a_program_mismatch(cert, ctx):
    root = cert()
    el(root, "Carrera").set("calificacionMinima", "10")
    el(root, "Carrera").set("calificacionMaxima", "0")
    assert run(PROGRAM_RULES, root, ctx) == []


def test_unknown_subject(cert, ctx):
    root = cert()
    subjects(root)[4].set("idAsignatura", "59999")
    found = run(PROGRAM_RULES, root, ctx)
    assert codes(found) == ["ASIGNATURA_NO_REGISTRADA", "CERTIFICADO_TOTAL_INCOMPLETO"]
    assert found[0].location == "Dec/Asignaturas/Asignatura[5]/@idAsignatura"


def test_subject_type_and_credits_compared(cert, ctx):
    root = cert()
    subjects(root)[0].set("idTipoAsignatura", "264")
    subjects(root)[1].set("creditos", "9.00")
    subjects(root)[2].set("creditos", "8")  # same number written without decimals
    findings = run(PROGRAM_RULES, root, ctx)
    assert [(f.code, f.location) for f in findings] == [
        ("ASIGNATURA_NO_COINCIDE", "Dec/Asignaturas/Asignatura[1]/@idTipoAsignatura"),
        ("ASIGNATURA_NO_COINCIDE", "Dec/Asignaturas/Asignatura[2]/@creditos"),
    ]


def test_duplicate_subject_needs_no_program(cert, empty_ctx, ctx):
    root = cert()
    asignaturas = el(root, "Asignaturas")
    asignaturas.append(copy.deepcopy(subjects(root)[3]))
    dup = [f for f in run(PROGRAM_RULES, root, empty_ctx) if f.status is Status.ERROR]
    assert [(f.code, f.location) for f in dup] == [
        ("ASIGNATURA_DUPLICADA", "Dec/Asignaturas/Asignatura[49]/@idAsignatura")
    ]
    assert "posición 4" in dup[0].message
    assert codes(run(PROGRAM_RULES, root, ctx)) == ["ASIGNATURA_DUPLICADA"]


def test_total_credits_against_program(cert, ctx):
    root = cert()
    el(root, "Asignaturas").set("totalCreditos", "340")
    findings = run(PROGRAM_RULES, root, ctx)
    assert [(f.code, f.location) for f in findings] == [
        ("TOTAL_CREDITOS_NO_COINCIDE", "Dec/Asignaturas/@totalCreditos")
    ]
    assert "330" in findings[0].message


def test_total_certificate_missing_subjects(cert, ctx):
    root = cert(tipo=PARCIAL)
    el(root, "Expedicion").set("idTipoCertificacion", "79")
    findings = run(PROGRAM_RULES, root, ctx)
    assert codes(findings) == ["CERTIFICADO_TOTAL_INCOMPLETO"]
    assert "faltan 18 asignaturas" in findings[0].message  # 3 semesters not taken + 1 failed subject
    assert findings[0].location == "Dec/Expedicion/@idTipoCertificacion"


def test_total_certificate_with_failed_subject(cert, ctx):
    root = cert()
    counted = next(s for s in subjects(root) if s.get("idTipoAsignatura") == "263")
    counted.set("calificacion", "5")
    assert codes(run(PROGRAM_RULES, root, ctx)) == ["CERTIFICADO_TOTAL_INCOMPLETO"]


def test_total_certificate_without_complementaria_is_complete(cert, ctx):
    root = cert()
    comp = next(s for s in subjects(root) if s.get("idTipoAsignatura") == "266")
    el(root, "Asignaturas").remove(comp)
    assert run(PROGRAM_RULES, root, ctx) == []


def test_parcial_certificate_covering_everything(cert, ctx):
    root = cert(tipo=TOTAL)
    el(root, "Expedicion").set("idTipoCertificacion", "80")
    findings = run(PROGRAM_RULES, root, ctx)
    assert codes(findings) == ["CERTIFICADO_PARCIAL_COMPLETO"]


def test_without_programs_everything_is_omitted_but_duplicates(cert, empty_ctx):
    findings = run(PROGRAM_RULES, cert(), empty_ctx)
    assert sorted(codes(findings)) == [
        "ASIGNATURA_NO_REGISTRADA",
        "CERTIFICADO_TOTAL_INCOMPLETO",
        "PROGRAMA_NO_REGISTRADO",
        "TOTAL_CREDITOS_NO_COINCIDE",
    ]
    assert all(f.status is Status.OMITIDA for f in findings)


def test_lookup_without_institution_uses_document_institution(cert, ctx):
    assert run(PROGRAM_RULES, cert(), dataclasses.replace(ctx, institution=None)) == []


def test_garbage_values_do_not_crash(cert, ctx):
    root = cert()
    el(root, "Carrera").set("calificacionMaxima", "diez")
    el(root, "Carrera").set("idNivelEstudios", "LIC")
    el(root, "Rvoe").set("fechaExpedicion", "marzo")
    subjects(root)[0].set("creditos", "ocho")
    subjects(root)[1].set("idTipoAsignatura", "")
    del subjects(root)[2].attrib["idAsignatura"]
    findings = run(PROGRAM_RULES, root, ctx)
    # the missing subject id makes the total incomplete; the unreadable values are the XSD's to report
    assert codes(findings) == ["CERTIFICADO_TOTAL_INCOMPLETO"]


def test_subjects_remembered_as_matching_are_judged_again_against_another_program(cert, ctx, scenario):
    """A subject that matched one program (remembered as such) is still compared with a program
    whose credits differ, and a later mismatch in the same program is still found."""
    root = cert()
    assert run(PROGRAM_RULES, root, ctx) == []
    assert run(PROGRAM_RULES, cert(), ctx) == []  # the same subjects again: remembered, no finding
    first = scenario.program.subjects[0]
    changed = dataclasses.replace(
        scenario.program,
        subjects=(dataclasses.replace(first, creditos=first.creditos + 1), *scenario.program.subjects[1:]),
    )
    other = dataclasses.replace(ctx, find_program=programs_lookup([changed]))
    found = [f for f in run(PROGRAM_RULES, cert(), other) if f.code == "ASIGNATURA_NO_COINCIDE"]
    assert [f.location for f in found] == ["Dec/Asignaturas/Asignatura[1]/@creditos"]
    again = cert()
    subjects(again)[1].set("creditos", "9.00")
    found = run(PROGRAM_RULES, again, ctx)
    assert [(f.code, f.location) for f in found] == [
        ("ASIGNATURA_NO_COINCIDE", "Dec/Asignaturas/Asignatura[2]/@creditos")
    ]
