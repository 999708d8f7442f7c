"""The format-independent program rules (what the XSD does not see for XML, and all of it for XLSX)."""

from __future__ import annotations

from types import MappingProxyType

import pytest

from mec_ws.findings import Status
from mec_ws.programs import RawField, RawProgram, RawRecord, check_program
from mec_ws.registry import Institution
from mec_ws.testdata.factory import make_institution

CARRERA = {
    "idCarrera": "12",
    "claveCarrera": "LC",
    "nombreCarrera": "LICENCIATURA EN CONTADURÍA",
    "idNivelEstudios": "81",
    "idTipoPeriodo": "93",
    "clavePlan": "2022",
    "numeroCiclos": "3",
    "calificacionMinima": "5",
    "calificacionMaxima": "10",
    "calificacionMinimaAprobatoria": "6",
    "totalCreditos": "22.5",
    "numeroRvoe": "RVOE-1",
    "fechaRvoe": "2022-01-31",
    "modalidad": "MIXTA",
}
SUBJECTS = [
    {
        "idAsignatura": "1",
        "claveAsignatura": "C1",
        "nombre": "A",
        "idTipoAsignatura": "263",
        "creditos": "8",
        "ciclo": "1",
    },
    {
        "idAsignatura": "2",
        "claveAsignatura": "C2",
        "nombre": "B",
        "idTipoAsignatura": "264",
        "creditos": "7.5",
        "ciclo": "2",
    },
    {
        "idAsignatura": "3",
        "claveAsignatura": "C3",
        "nombre": "C",
        "idTipoAsignatura": "265",
        "creditos": "7",
        "ciclo": "3",
    },
    {
        "idAsignatura": "4",
        "claveAsignatura": "C4",
        "nombre": "D",
        "idTipoAsignatura": "266",
        "creditos": "3",
        "ciclo": "3",
    },
]


def record(location: str, values: dict[str, str | None]) -> RawRecord:
    return RawRecord(
        location, MappingProxyType({k: RawField(v, f"{location}/{k}") for k, v in values.items()})
    )


def raw(
    carrera: dict[str, str | None] | None = None,
    subjects: list[dict[str, str | None]] | None = None,
    campuses: tuple[str | None, ...] = ("000101",),
) -> RawProgram:
    return RawProgram(
        carrera=record("fila 2", {**CARRERA, **(carrera or {})}),
        campuses=tuple(RawField(c, f"fila 2/ID_CAMPUS[{i}]") for i, c in enumerate(campuses, start=1)),
        subjects=tuple(
            record(f"fila {i + 2}", s) for i, s in enumerate(subjects if subjects is not None else SUBJECTS)
        ),
        campuses_location="ID_CAMPUS",
        subjects_location="hoja",
    )


@pytest.fixture(scope="module")
def institution() -> Institution:
    return make_institution()


def found(result_raw: RawProgram, institution: Institution) -> list[tuple[str, str]]:
    return [(f.code, f.location) for f in check_program(result_raw, institution).findings]


def test_valid(institution: Institution) -> None:
    result = check_program(raw(), institution)
    assert result.findings == ()
    assert result.program is not None
    assert result.program.institution_id == "000001"
    assert [s.id_tipo for s in result.program.subjects] == [263, 264, 265, 266]
    assert result.program.modalidad == "MIXTA"


@pytest.mark.parametrize("value", ["012", "1.0", "-3", "abc", "0"])
def test_id_must_be_positive_integer(institution: Institution, value: str) -> None:
    subjects = [dict(SUBJECTS[0], idAsignatura=value), *SUBJECTS[1:]]
    assert found(raw({"idCarrera": value}, subjects), institution) == [
        ("PROGRAMA_ID_INVALIDO", "fila 2/idCarrera"),
        ("PROGRAMA_ID_INVALIDO", "fila 2/idAsignatura"),
    ]


@pytest.mark.parametrize("value", ["31/01/2022", "2022-02-30", "2022-1-5", "ayer"])
def test_rvoe_date(institution: Institution, value: str) -> None:
    assert found(raw({"fechaRvoe": value}), institution) == [("PROGRAMA_FECHA_INVALIDA", "fila 2/fechaRvoe")]


def test_missing_values_are_named(institution: Institution) -> None:
    result = check_program(raw({"nombreCarrera": "  ", "clavePlan": None}), institution)
    assert [(f.code, f.location) for f in result.findings] == [
        ("PROGRAMA_DATO_FALTANTE", "fila 2/nombreCarrera"),
        ("PROGRAMA_DATO_FALTANTE", "fila 2/clavePlan"),
    ]
    assert result.program is None


def test_absent_field_is_located_on_its_record(institution: Institution) -> None:
    carrera = {k: v for k, v in CARRERA.items() if k != "numeroRvoe"}
    program = RawProgram(
        carrera=record("Carrera", carrera),
        campuses=(RawField("000101", "c"),),
        subjects=tuple(record(f"s{i}", s) for i, s in enumerate(SUBJECTS)),
        campuses_location="c",
        subjects_location="s",
    )
    assert found(program, institution) == [("PROGRAMA_DATO_FALTANTE", "Carrera/@numeroRvoe")]


def test_no_campus_and_no_subject(institution: Institution) -> None:
    assert found(raw(subjects=[], campuses=(), carrera={"totalCreditos": "0"}), institution) == [
        ("PROGRAMA_DATO_FALTANTE", "ID_CAMPUS"),
        ("PROGRAMA_DATO_FALTANTE", "hoja"),
    ]


@pytest.mark.parametrize(
    ("changes", "location"),
    [
        ({"calificacionMaxima": "diez"}, "fila 2/calificacionMaxima"),
        ({"numeroCiclos": "0"}, "fila 2/numeroCiclos"),
        ({"numeroCiclos": "3.5"}, "fila 2/numeroCiclos"),
        ({"totalCreditos": "-22.5"}, "fila 2/totalCreditos"),
        ({"totalCreditos": "1e3"}, "fila 2/totalCreditos"),
        ({"totalCreditos": "NaN"}, "fila 2/totalCreditos"),
        ({"modalidad": "PRESENCIAL"}, "fila 2/modalidad"),
    ],
)
def test_invalid_values(institution: Institution, changes: dict[str, str], location: str) -> None:
    assert found(raw(changes), institution) == [("PROGRAMA_VALOR_INVALIDO", location)]


def test_negative_subject_credits(institution: Institution) -> None:
    subjects = [dict(SUBJECTS[0], creditos="-8"), *SUBJECTS[1:]]
    assert found(raw(subjects=subjects), institution) == [("PROGRAMA_VALOR_INVALIDO", "fila 2/creditos")]


@pytest.mark.parametrize("ciclo", ["0", "4", "x"])
def test_cycle(institution: Institution, ciclo: str) -> None:
    subjects = [*SUBJECTS[:3], dict(SUBJECTS[3], ciclo=ciclo)]
    assert found(raw(subjects=subjects), institution) == [("PROGRAMA_CICLO_INVALIDO", "fila 5/ciclo")]


def test_unknown_catalog_does_not_also_claim_a_credit_mismatch(institution: Institution) -> None:
    subjects = [dict(SUBJECTS[0], idTipoAsignatura="999"), *SUBJECTS[1:]]
    assert found(raw(subjects=subjects), institution) == [
        ("PROGRAMA_CATALOGO_INVALIDO", "fila 2/idTipoAsignatura")
    ]


def test_omitted_campus_check_keeps_the_program() -> None:
    result = check_program(raw(), None)
    assert [(f.code, f.status) for f in result.findings] == [
        ("PROGRAMA_CAMPUS_NO_REGISTRADO", Status.OMITIDA)
    ]
    assert result.program is not None and result.program.institution_id == ""
