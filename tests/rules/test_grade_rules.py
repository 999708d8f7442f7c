import pytest
from rulekit import codes, el, run, subjects

from mec_ws.rules.common import grade_value
from mec_ws.rules.grades import GRADE_RULES


def test_valid_certificate_passes(cert, ctx):
    assert run(GRADE_RULES, cert(), ctx) == []


@pytest.mark.parametrize(
    ("minima", "aprobatoria", "maxima"), [("10", "6", "0"), ("0", "11", "10"), ("7", "6", "10")]
)
def test_incoherent_scale(cert, ctx, minima, aprobatoria, maxima):
    root = cert()
    carrera = el(root, "Carrera")
    carrera.set("calificacionMinima", minima)
    carrera.set("calificacionMinimaAprobatoria", aprobatoria)
    carrera.set("calificacionMaxima", maxima)
    findings = run(GRADE_RULES, root, ctx)
    assert codes(findings) == ["ESCALA_CALIFICACION_INVALIDA"]  # no range noise on every grade
    assert findings[0].location == "Dec/Carrera/@calificacionMinimaAprobatoria"


def test_degenerate_but_coherent_scale_passes(cert, ctx):
    root = cert()
    carrera = el(root, "Carrera")
    carrera.set("calificacionMinima", "6")
    assert run(GRADE_RULES, root, ctx) == []


@pytest.mark.parametrize("value", ["8.555", "8,5", "NA", "1e1", "NaN", "Infinity", "", "8.5.1"])
def test_invalid_grade(cert, ctx, value):
    root = cert()
    subjects(root)[6].set("calificacion", value)
    findings = run(GRADE_RULES, root, ctx)
    assert codes(findings) == ["CALIFICACION_INVALIDA"]
    assert findings[0].location == "Dec/Asignaturas/Asignatura[7]/@calificacion"


@pytest.mark.parametrize("value", ["8.55", "10", "0", "8.50", "8.500", " 9.5 ", ".5", "7."])
def test_valid_grade_forms(value):
    assert grade_value(value) is not None


@pytest.mark.parametrize("value", ["10.01", "-1", "11"])
def test_out_of_range(cert, ctx, value):
    root = cert()
    subjects(root)[0].set("calificacion", value)
    findings = run(GRADE_RULES, root, ctx)
    assert codes(findings) == ["CALIFICACION_FUERA_DE_RANGO"]
    assert "[0, 10]" in findings[0].message


def test_bounds_are_inclusive(cert, ctx):
    root = cert()
    subjects(root)[0].set("calificacion", "10.00")
    subjects(root)[1].set("calificacion", "0")
    assert run(GRADE_RULES, root, ctx) == []


def test_every_bad_grade_is_reported(cert, ctx):
    root = cert()
    for subject in subjects(root)[:3]:
        subject.set("calificacion", "12")
    subjects(root)[3].set("calificacion", "x")
    assert codes(run(GRADE_RULES, root, ctx)) == ["CALIFICACION_FUERA_DE_RANGO"] * 3 + [
        "CALIFICACION_INVALIDA"
    ]


def test_unreadable_scale_is_left_to_xsd(cert, ctx):
    root = cert()
    el(root, "Carrera").set("calificacionMaxima", "diez")
    subjects(root)[0].set("calificacion", "99")
    assert run(GRADE_RULES, root, ctx) == []
