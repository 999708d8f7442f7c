from decimal import Decimal

import pytest
from rulekit import codes, el, run, subjects

from mec_ws.rules.totals import TOTAL_RULES
from mec_ws.testdata.factory import PARCIAL, TOTAL


@pytest.mark.parametrize("tipo", [TOTAL, PARCIAL])
@pytest.mark.parametrize("n", range(4))
def test_factory_totals_are_right(cert, ctx, tipo, n):
    assert run(TOTAL_RULES, cert(n, tipo=tipo), ctx) == []


def test_parcial_has_a_failed_subject(cert):
    asignaturas = el(cert(tipo=PARCIAL), "Asignaturas")
    assert int(asignaturas.get("asignadas")) == int(asignaturas.get("total")) - 1


@pytest.mark.parametrize(
    ("attr", "delta", "code"),
    [
        ("total", 1, "TOTAL_ASIGNATURAS_NO_COINCIDE"),
        ("total", -1, "TOTAL_ASIGNATURAS_NO_COINCIDE"),
        ("asignadas", -1, "ASIGNADAS_NO_COINCIDE"),
        ("promedio", Decimal("0.02"), "PROMEDIO_NO_COINCIDE"),
        ("creditosObtenidos", -6, "CREDITOS_OBTENIDOS_NO_COINCIDE"),
        ("numeroCiclos", 1, "NUMERO_CICLOS_NO_COINCIDE"),
    ],
)
def test_wrong_total_fires_its_code(cert, ctx, attr, delta, code):
    root = cert()
    asignaturas = el(root, "Asignaturas")
    asignaturas.set(attr, str(Decimal(asignaturas.get(attr)) + delta))
    findings = run(TOTAL_RULES, root, ctx)
    assert codes(findings) == [code]
    assert findings[0].location == f"Dec/Asignaturas/@{attr}"


def _with_grades(root, grades):
    """Keep len(grades) counted subjects with these grades (and no complementaria)."""
    asignaturas = el(root, "Asignaturas")
    for subject in subjects(root)[len(grades) :]:
        asignaturas.remove(subject)
    for subject, grade in zip(subjects(root), grades, strict=True):
        subject.set("calificacion", grade)
        subject.set("ciclo", "2020-1")
    asignaturas.set("total", str(len(grades)))
    asignaturas.set("asignadas", str(sum(Decimal(g) >= 6 for g in grades)))
    asignaturas.set("numeroCiclos", "1")
    passed = [s for s in subjects(root) if Decimal(s.get("calificacion")) >= 6]
    asignaturas.set("creditosObtenidos", str(sum(Decimal(s.get("creditos")) for s in passed)))
    return asignaturas


@pytest.mark.parametrize(
    ("grades", "accepted", "rejected"),
    [
        (["8", "9", "9"], ["8.66", "8.67", "8.666"[:4]], ["8.7", "8.68", "8.65"]),  # 8.6666…
        (["8", "8.5"], ["8.25"], ["8.2", "8.3"]),  # exact
        (["7.5", "8", "10", "9.7"], ["8.80", "8.8"], ["8.79", "8.81"]),  # 8.8 exact
        (["8.33", "8.34", "8.33", "9"], ["8.50"], ["8.5001"]),  # 8.5
        (["9.99", "9.98"], ["9.98", "9.99"], ["10", "9.97"]),  # 9.985: truncation or half-up
    ],
)
def test_promedio_truncation_or_half_up(cert, ctx, grades, accepted, rejected):
    for value in accepted:
        root = cert()
        _with_grades(root, grades).set("promedio", value)
        assert codes(run(TOTAL_RULES, root, ctx)) == [], value
    for value in rejected:
        root = cert()
        _with_grades(root, grades).set("promedio", value)
        assert codes(run(TOTAL_RULES, root, ctx)) == ["PROMEDIO_NO_COINCIDE"], value


def test_complementaria_counts_in_nothing(cert, ctx):
    root = cert()
    comp = next(s for s in subjects(root) if s.get("idTipoAsignatura") == "266")
    comp.set("calificacion", "0")  # failing or not, it is outside every total
    assert run(TOTAL_RULES, root, ctx) == []


def test_asignadas_counts_passing_grade_inclusive(cert, ctx):
    root = cert()
    grades = ["6", "5.99", "10"]
    asignaturas = _with_grades(root, grades)
    asignaturas.set("promedio", "7.33")
    assert asignaturas.get("asignadas") == "2"
    assert run(TOTAL_RULES, root, ctx) == []


def test_asignadas_above_total_when_grades_unreadable(cert, ctx):
    root = cert()
    subjects(root)[0].set("calificacion", "x")
    asignaturas = el(root, "Asignaturas")
    asignaturas.set("asignadas", str(int(asignaturas.get("total")) + 1))
    assert codes(run(TOTAL_RULES, root, ctx)) == ["ASIGNADAS_NO_COINCIDE"]


def test_creditos_above_total_when_not_computable(cert, ctx):
    root = cert()
    subjects(root)[0].set("creditos", "x")
    asignaturas = el(root, "Asignaturas")
    asignaturas.set("creditosObtenidos", "331")
    findings = run(TOTAL_RULES, root, ctx)
    assert codes(findings) == ["CREDITOS_OBTENIDOS_NO_COINCIDE"]
    assert "mayor que totalCreditos" in findings[0].message


def test_ciclos_are_distinct_values(cert, ctx):
    root = cert()
    subjects(root)[0].set("ciclo", " 2020-1 ")  # same cycle, whitespace aside
    assert run(TOTAL_RULES, root, ctx) == []
    subjects(root)[0].set("ciclo", "2019-2")
    assert codes(run(TOTAL_RULES, root, ctx)) == ["NUMERO_CICLOS_NO_COINCIDE"]


def test_unknown_subject_type_silences_counts(cert, ctx):
    root = cert()
    subjects(root)[0].set("idTipoAsignatura", "999")
    assert run(TOTAL_RULES, root, ctx) == []  # CLAVE_CATALOGO_INVALIDA reports the type
    el(root, "Asignaturas").set("total", "1")  # the document's own attributes still disagree
    assert codes(run(TOTAL_RULES, root, ctx)) == ["ASIGNADAS_NO_COINCIDE"]


def test_no_subjects_does_not_crash(cert, ctx):
    root = cert()
    asignaturas = el(root, "Asignaturas")
    for subject in subjects(root):
        asignaturas.remove(subject)
    assert codes(run(TOTAL_RULES, root, ctx)) == [
        "TOTAL_ASIGNATURAS_NO_COINCIDE",
        "ASIGNADAS_NO_COINCIDE",
        "CREDITOS_OBTENIDOS_NO_COINCIDE",
        "NUMERO_CICLOS_NO_COINCIDE",
    ]
