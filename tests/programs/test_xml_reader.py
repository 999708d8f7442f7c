"""The study program XML: reading, every PROGRAMA_* rule, the writer round trip, hostile input."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from lxml import etree

from mec_ws.findings import CODES, Finding, Status
from mec_ws.programs import NS, program_to_xml, read_program_xml, xsd_bytes
from mec_ws.registry import Institution, StudyProgram
from mec_ws.testdata.factory import make_institution, make_program

CAR = "ProgramaEstudios/Carrera"


@pytest.fixture(scope="module")
def institution() -> Institution:
    return make_institution()


@pytest.fixture(scope="module")
def program(institution: Institution) -> StudyProgram:
    return make_program(institution)


@pytest.fixture(scope="module")
def xml(program: StudyProgram) -> bytes:
    return program_to_xml(program)


def edit(xml: bytes, path: str, **attrs: str | None) -> bytes:
    """Set (or with None, remove) attributes of the element at ``path`` (local names, 1-based [n])."""
    root = etree.fromstring(xml)
    el = root
    for step in path.split("/")[1:]:
        name, _, index = step.partition("[")
        el = el.findall(f"{{{NS}}}{name}")[int(index.rstrip("]") or 1) - 1]
    for name, value in attrs.items():
        if value is None:
            del el.attrib[name]
        else:
            el.set(name, value)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def codes(findings: tuple[Finding, ...]) -> list[str]:
    return [f.code for f in findings]


def only(findings: tuple[Finding, ...], code: str) -> list[Finding]:
    return [f for f in findings if f.code == code]


# --- valid file and round trip ---------------------------------------------------------------------


def test_valid_program_reads_without_findings(
    xml: bytes, program: StudyProgram, institution: Institution
) -> None:
    result = read_program_xml(xml, institution=institution)
    assert result.findings == ()
    assert result.program == program
    assert result.ok


def test_round_trip_with_fractional_credits_and_no_optional_attributes(institution: Institution) -> None:
    base = make_program(institution, id_carrera="77", clave_plan="2024-A", fecha_rvoe=date(2023, 12, 31))
    subjects = tuple(replace(s, creditos=Decimal("4.50")) for s in base.subjects if s.id_tipo == 263)
    total = sum((s.creditos for s in subjects), Decimal(0))
    program = replace(
        base,
        subjects=subjects,
        total_creditos=total,
        calificacion_minima=Decimal("5.0"),
        calificacion_minima_aprobatoria=Decimal("7.5"),
        calificacion_maxima=Decimal("100"),
        clave_carrera="",
        modalidad=None,
    )
    result = read_program_xml(program_to_xml(program), institution=institution)
    assert result.findings == ()
    assert result.program == program
    assert b"modalidad" not in program_to_xml(program)
    assert b"claveCarrera" not in program_to_xml(program)


def test_writer_output_validates_against_published_xsd(xml: bytes) -> None:
    schema = etree.XMLSchema(etree.fromstring(xsd_bytes()))
    assert schema.validate(etree.fromstring(xml)), schema.error_log


def test_without_institution_campus_check_is_omitted(xml: bytes, program: StudyProgram) -> None:
    result = read_program_xml(xml, institution=None)
    assert codes(result.findings) == ["PROGRAMA_CAMPUS_NO_REGISTRADO"]
    assert result.findings[0].status is Status.OMITIDA
    assert result.program == replace(program, institution_id="")


def test_institution_with_unknown_campuses_omits_campus_check(xml: bytes) -> None:
    inst = Institution(id="000001", name="", campuses=(), campuses_known=False)
    result = read_program_xml(xml, institution=inst)
    assert [(f.code, f.status) for f in result.findings] == [
        ("PROGRAMA_CAMPUS_NO_REGISTRADO", Status.OMITIDA)
    ]
    assert result.program is not None and result.program.institution_id == "000001"


# --- reading the file ---------------------------------------------------------------------------------


def test_doctype_is_a_finding_not_a_crash(institution: Institution) -> None:
    hostile = (
        b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>\n'
        b'<ProgramaEstudios xmlns="' + NS.encode() + b'" version="1.0">&lol2;</ProgramaEstudios>'
    )
    result = read_program_xml(hostile, institution=institution)
    assert result.program is None
    assert codes(result.findings) == ["XML_DTD_PROHIBIDO"]


def test_external_entity_is_refused(institution: Institution) -> None:
    hostile = (
        b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><ProgramaEstudios>&e;</ProgramaEstudios>'
    )
    result = read_program_xml(hostile, institution=institution)
    assert codes(result.findings) == ["XML_DTD_PROHIBIDO"]


def test_malformed_and_oversized(xml: bytes, institution: Institution) -> None:
    assert codes(read_program_xml(xml[:-40], institution=institution).findings) == ["XML_MAL_FORMADO"]
    big = read_program_xml(xml, institution=institution, max_bytes=100)
    assert codes(big.findings) == ["XML_DEMASIADO_GRANDE"] and big.program is None


def test_wrong_root(institution: Institution) -> None:
    result = read_program_xml(
        b'<Dec xmlns="https://www.siged.sep.gob.mx/certificados/" version="3.0"/>', institution=institution
    )
    assert codes(result.findings) == ["PROGRAMA_RAIZ_INVALIDA"]
    assert "ProgramaEstudios" in result.findings[0].message
    other_ns = read_program_xml(b'<ProgramaEstudios version="1.0"/>', institution=institution)
    assert codes(other_ns.findings) == ["PROGRAMA_RAIZ_INVALIDA"]


# --- XSD -------------------------------------------------------------------------------------------------


def test_missing_required_attribute_is_reported_once_by_the_xsd(xml: bytes, institution: Institution) -> None:
    result = read_program_xml(edit(xml, CAR, nombreCarrera=None), institution=institution)
    assert codes(result.findings) == ["PROGRAMA_XSD_INVALIDO"]
    finding = result.findings[0]
    assert finding.location == f"{CAR}/@nombreCarrera"
    assert "falta el atributo obligatorio nombreCarrera" in finding.message
    assert result.program is None


def test_xsd_type_errors_located_on_the_subject(xml: bytes, institution: Institution) -> None:
    result = read_program_xml(edit(xml, f"{CAR}/Asignatura[3]", creditos="ocho"), institution=institution)
    assert [(f.code, f.location) for f in result.findings] == [
        ("PROGRAMA_XSD_INVALIDO", f"{CAR}/Asignatura[3]/@creditos")
    ]


def test_wrong_version_and_no_carrera(institution: Institution) -> None:
    doc = b'<ProgramaEstudios xmlns="' + NS.encode() + b'" version="2.0"/>'
    result = read_program_xml(doc, institution=institution)
    assert set(codes(result.findings)) == {"PROGRAMA_XSD_INVALIDO"}
    assert "ProgramaEstudios/@version" in [f.location for f in result.findings]
    assert "ProgramaEstudios" in [f.location for f in result.findings]  # missing Carrera
    assert result.program is None


def test_xsd_errors_still_let_the_rules_run(xml: bytes, institution: Institution) -> None:
    broken = edit(xml, CAR, modalidad="PRESENCIAL", idNivelEstudios="999", totalCreditos="1")
    result = read_program_xml(broken, institution=institution)
    assert codes(result.findings) == [
        "PROGRAMA_XSD_INVALIDO",
        "PROGRAMA_CATALOGO_INVALIDO",
        "PROGRAMA_CREDITOS_NO_COINCIDEN",
    ]
    assert result.findings[0].location == f"{CAR}/@modalidad"
    assert result.program is None


# --- the rules, through XML --------------------------------------------------------------------------


def test_catalogs(xml: bytes, institution: Institution) -> None:
    broken = edit(xml, CAR, idNivelEstudios="999", idTipoPeriodo="81")
    broken = edit(broken, f"{CAR}/Asignatura[3]", idTipoAsignatura="91")
    found = only(read_program_xml(broken, institution=institution).findings, "PROGRAMA_CATALOGO_INVALIDO")
    assert [f.location for f in found] == [
        f"{CAR}/@idNivelEstudios",
        f"{CAR}/@idTipoPeriodo",
        f"{CAR}/Asignatura[3]/@idTipoAsignatura",
    ]
    assert "nivel_estudios" in found[0].message and "81 (LICENCIATURA)" in found[0].message


def test_credits_sum(xml: bytes, program: StudyProgram, institution: Institution) -> None:
    result = read_program_xml(
        edit(xml, CAR, totalCreditos=str(program.total_creditos + 1)), institution=institution
    )
    assert [(f.code, f.location) for f in result.findings] == [
        ("PROGRAMA_CREDITOS_NO_COINCIDEN", f"{CAR}/@totalCreditos")
    ]
    assert str(program.total_creditos) in result.findings[0].message


def test_complementary_subject_credits_do_not_count(
    xml: bytes, program: StudyProgram, institution: Institution
) -> None:
    index = next(i for i, s in enumerate(program.subjects, start=1) if s.id_tipo == 266)
    # changing a 266 subject's credits keeps the sum; making it 263 breaks it
    assert read_program_xml(
        edit(xml, f"{CAR}/Asignatura[{index}]", creditos="40"), institution=institution
    ).ok
    retyped = edit(xml, f"{CAR}/Asignatura[{index}]", idTipoAsignatura="263")
    assert codes(read_program_xml(retyped, institution=institution).findings) == [
        "PROGRAMA_CREDITOS_NO_COINCIDEN"
    ]


@pytest.mark.parametrize(
    ("minima", "aprobatoria", "maxima", "bad"),
    [
        ("0", "6", "10", False),
        ("6", "6", "10", False),
        ("0", "10", "10", False),
        ("0", "11", "10", True),
        ("7", "6", "10", True),
        ("10", "6", "5", True),
        ("5", "5", "5", True),
    ],
)
def test_grade_scale(
    xml: bytes, institution: Institution, minima: str, aprobatoria: str, maxima: str, bad: bool
) -> None:
    broken = edit(
        xml,
        CAR,
        calificacionMinima=minima,
        calificacionMinimaAprobatoria=aprobatoria,
        calificacionMaxima=maxima,
    )
    found = codes(read_program_xml(broken, institution=institution).findings)
    assert found == (["PROGRAMA_ESCALA_INVALIDA"] if bad else [])


def test_foreign_campus(xml: bytes, institution: Institution) -> None:
    result = read_program_xml(edit(xml, f"{CAR}/Campus[2]", idCampus="999999"), institution=institution)
    assert [(f.code, f.location, f.status) for f in result.findings] == [
        ("PROGRAMA_CAMPUS_NO_REGISTRADO", f"{CAR}/Campus[2]/@idCampus", Status.ERROR)
    ]
    assert "999999" in result.findings[0].message and result.program is None


def test_duplicate_campus(xml: bytes, institution: Institution) -> None:
    result = read_program_xml(edit(xml, f"{CAR}/Campus[2]", idCampus="000101"), institution=institution)
    assert [(f.code, f.location) for f in result.findings] == [
        ("PROGRAMA_CAMPUS_DUPLICADO", f"{CAR}/Campus[2]/@idCampus")
    ]


def test_duplicate_subject_id(xml: bytes, program: StudyProgram, institution: Institution) -> None:
    broken = edit(xml, f"{CAR}/Asignatura[5]", idAsignatura=program.subjects[0].id_asignatura)
    result = read_program_xml(broken, institution=institution)
    assert [(f.code, f.location) for f in result.findings] == [
        ("PROGRAMA_ASIGNATURA_DUPLICADA", f"{CAR}/Asignatura[5]/@idAsignatura")
    ]
    assert f"{CAR}/Asignatura[1]/@idAsignatura" in result.findings[0].message


def test_duplicate_subject_key_ignores_case(
    xml: bytes, program: StudyProgram, institution: Institution
) -> None:
    broken = edit(xml, f"{CAR}/Asignatura[7]", claveAsignatura=program.subjects[1].clave.lower())
    result = read_program_xml(broken, institution=institution)
    assert [(f.code, f.location) for f in result.findings] == [
        ("PROGRAMA_ASIGNATURA_DUPLICADA", f"{CAR}/Asignatura[7]/@claveAsignatura")
    ]


def test_cycle_beyond_plan(xml: bytes, program: StudyProgram, institution: Institution) -> None:
    last = len(program.subjects)
    ok = edit(xml, f"{CAR}/Asignatura[1]", ciclo=str(program.numero_ciclos))
    assert read_program_xml(ok, institution=institution).ok
    result = read_program_xml(
        edit(xml, f"{CAR}/Asignatura[{last}]", ciclo=str(program.numero_ciclos + 1)), institution=institution
    )
    assert [(f.code, f.location) for f in result.findings] == [
        ("PROGRAMA_CICLO_INVALIDO", f"{CAR}/Asignatura[{last}]/@ciclo")
    ]


def test_all_findings_in_one_run(xml: bytes, program: StudyProgram, institution: Institution) -> None:
    broken = edit(xml, CAR, idTipoPeriodo="1", calificacionMinimaAprobatoria="20")
    broken = edit(broken, f"{CAR}/Campus[1]", idCampus="123456")
    broken = edit(broken, f"{CAR}/Asignatura[2]", ciclo="30", idAsignatura=program.subjects[0].id_asignatura)
    found = set(codes(read_program_xml(broken, institution=institution).findings))
    assert found == {
        "PROGRAMA_CATALOGO_INVALIDO",
        "PROGRAMA_ESCALA_INVALIDA",
        "PROGRAMA_CAMPUS_NO_REGISTRADO",
        "PROGRAMA_CICLO_INVALIDO",
        "PROGRAMA_ASIGNATURA_DUPLICADA",
    }


def test_program_codes_are_documented() -> None:
    mine = {
        "PROGRAMA_RAIZ_INVALIDA",
        "PROGRAMA_XSD_INVALIDO",
        "PROGRAMA_DATO_FALTANTE",
        "PROGRAMA_VALOR_INVALIDO",
        "PROGRAMA_ID_INVALIDO",
        "PROGRAMA_FECHA_INVALIDA",
        "PROGRAMA_CATALOGO_INVALIDO",
        "PROGRAMA_CREDITOS_NO_COINCIDEN",
        "PROGRAMA_ESCALA_INVALIDA",
        "PROGRAMA_CAMPUS_NO_REGISTRADO",
        "PROGRAMA_CAMPUS_DUPLICADO",
        "PROGRAMA_ASIGNATURA_DUPLICADA",
        "PROGRAMA_CICLO_INVALIDO",
    }
    assert all(CODES[c][0] == "programa" for c in mine)
