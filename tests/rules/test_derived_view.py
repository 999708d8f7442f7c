"""The figures the rules share per document give exactly what each rule computed on its own.

``validate_file`` parses a file once and every rule reads the grades, counted subjects and cadena
from one derived view (:func:`mec_ws.rules.common.figures`, :func:`document_cadena`).  These tests
hold that view to the straightforward computation, file by file, on the demo's broken set (one file
per finding code) and its valid files.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from mec_ws.certificate.cadena import cadena_original, fields_with_pipe
from mec_ws.certificate.document import DecDocument, Node
from mec_ws.certificate.reader import read_xml
from mec_ws.errors import XmlReadError
from mec_ws.findings import Finding
from mec_ws.registry import ValidationContext
from mec_ws.rules import ALL_RULES
from mec_ws.rules.common import (
    COUNTED_TYPES,
    document_cadena,
    figures,
    grade_value,
    pipe_fields,
    subject_type,
)
from mec_ws.testdata.broken import broken_context, sample_upload
from mec_ws.validation import validate_file

UPLOAD = sample_upload()
IDS = [name for name, _ in UPLOAD]


def _document(data: bytes) -> DecDocument | None:
    try:
        return DecDocument.from_tree(read_xml(data))
    except XmlReadError:
        return None


def _one_rule_at_a_time(data: bytes, ctx: ValidationContext) -> list[Finding]:
    """Every rule on a document of its own: nothing derived is shared between rules."""
    out: list[Finding] = []
    for rule in ALL_RULES:
        doc = _document(data)
        assert doc is not None
        out.extend(rule.run(doc, ctx))
    return out


@pytest.fixture(scope="module")
def ctx() -> ValidationContext:
    return broken_context()


def test_the_set_covers_the_shared_figures() -> None:
    assert len(UPLOAD) > 40
    assert {
        "roto_promedio_no_coincide.xml",
        "roto_calificacion_invalida.xml",
        "roto_sello_variante_32.xml",
    } <= {name for name, _ in UPLOAD}


@pytest.mark.parametrize(("name", "data"), UPLOAD, ids=IDS)
def test_shared_view_gives_the_same_findings(name: str, data: bytes, ctx: ValidationContext) -> None:
    result = validate_file(name, data, ctx)
    if result.document is None:
        return  # unreadable: one reader finding, no rule ran
    rules_only = [f for f in result.findings if f.code != "XSD_INVALIDO"]
    assert rules_only == _one_rule_at_a_time(data, ctx)


def _naive_counted(doc: DecDocument) -> list[Node] | None:
    types = [subject_type(node) for node in doc.asignatura]
    if any(t is None for t in types):
        return None
    return [node for node, t in zip(doc.asignatura, types, strict=True) if t in COUNTED_TYPES]


def _naive_grades(nodes: list[Node]) -> list[Decimal] | None:
    values = [grade_value(n.get("calificacion")) for n in nodes]
    return None if any(v is None for v in values) else [v for v in values if v is not None]


@pytest.mark.parametrize(("name", "data"), UPLOAD, ids=IDS)
def test_figures_equal_the_straightforward_computation(name: str, data: bytes) -> None:
    doc = _document(data)
    if doc is None:
        return
    fig = figures(doc)
    assert figures(doc) is fig  # computed once, then shared
    assert list(fig.grades) == [grade_value(n.get("calificacion")) for n in doc.asignatura]
    counted = _naive_counted(doc)
    assert (list(fig.counted) if fig.counted is not None else None) == counted
    grades = _naive_grades(counted) if counted is not None else None
    assert (list(fig.counted_grades) if fig.counted_grades is not None else None) == grades
    passed = None
    if counted is not None and grades is not None and fig.scale is not None:
        passed = [n for n, g in zip(counted, grades, strict=True) if g >= fig.scale.aprobatoria]
    assert (list(fig.passed) if fig.passed is not None else None) == passed


@pytest.mark.parametrize(("name", "data"), UPLOAD, ids=IDS)
def test_cadena_built_once_equals_the_cadena(name: str, data: bytes) -> None:
    doc = _document(data)
    if doc is None:
        return
    for variant in (33, 32):
        assert document_cadena(doc, variant) == cadena_original(doc.root, variant=variant)
    assert pipe_fields(doc) == fields_with_pipe(doc.root)


def test_a_pipe_and_an_unreadable_grade_are_seen_through_the_view(ctx: ValidationContext) -> None:
    valid = next(data for name, data in UPLOAD if name.startswith("valido_"))
    text = valid.replace(b'calificacion="', b'calificacion="x|', 1)
    doc = _document(text)
    assert doc is not None
    assert figures(doc).grades[0] is None and figures(doc).counted_grades is None
    assert pipe_fields(doc) == ["Dec/Asignaturas/Asignatura[1]/@calificacion"]
    codes = {f.code for f in validate_file("x.xml", text, ctx).findings}
    assert {"VALOR_CON_BARRA", "CALIFICACION_INVALIDA", "SELLO_INVALIDO"} <= codes


@pytest.mark.parametrize(
    "value",
    [
        " JUAN",  # leading space (first field of its element, after a separator)
        "JUAN ",  # trailing space
        "JUAN  CARLOS",  # a run of spaces
        "JUAN\tCARLOS",  # a tab
        "JUAN\n CARLOS",  # a line break (an attribute value keeps it as a character reference)
        "JUAN | CARLOS",  # a pipe with spaces around it
        "JUAN|CARLOS",
        "",
    ],
)
def test_cadena_built_once_normalises_like_the_cadena(value: str) -> None:
    """The joined text is taken as is only when no value needs normalising; any other value falls
    back to normalising each one, and both give the cadena the reference code builds."""
    valid = next(data for name, data in UPLOAD if name.startswith("valido_"))
    root = read_xml(valid).getroot()
    alumno = root.find("{https://www.siged.sep.gob.mx/certificados/}Alumno")
    assert alumno is not None
    alumno.set("nombre", value)
    if value:
        root.set("version", f" {root.get('version')}")  # the very first field, with a leading space
    doc = DecDocument.from_tree(root)
    for variant in (33, 32):
        assert document_cadena(doc, variant) == cadena_original(root, variant=variant)
    assert pipe_fields(doc) == fields_with_pipe(root)


def test_cadena_of_a_document_without_optional_nodes() -> None:
    valid = next(data for name, data in UPLOAD if name.startswith("valido_"))
    root = read_xml(valid).getroot()
    for local in ("ServicioFirmante", "Rvoe"):
        el = root.find(f"{{https://www.siged.sep.gob.mx/certificados/}}{local}")
        assert el is not None
        root.remove(el)
    root.set("tipoCertificado", "5 ")  # a trailing space before a separator
    doc = DecDocument.from_tree(root)
    for variant in (33, 32):
        assert document_cadena(doc, variant) == cadena_original(root, variant=variant)
