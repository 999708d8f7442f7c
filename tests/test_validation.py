import dataclasses
import itertools

import pytest

from mec_ws import validation
from mec_ws.findings import CODES, Status
from mec_ws.registry import ValidationContext
from mec_ws.rules.base import Rule, error
from mec_ws.testdata.broken import (
    BROKEN_VARIANTS,
    ENGINE_CODES,
    MULTI_FILE_CODES,
    PROGRAM_FILE_CODES,
    broken_context,
    duplicate_folio_upload,
)
from mec_ws.testdata.factory import (
    FIXED_NOW,
    PARCIAL,
    TOTAL,
    default_scenario,
    make_context,
    signed_certificate,
)
from mec_ws.validation import FileResult, iter_validate, validate_file, validate_many

REGISTRY_CHECKS = {
    "INSTITUCION_NO_CORRESPONDE",
    "CAMPUS_NO_REGISTRADO",
    "PROGRAMA_NO_REGISTRADO",
    "ASIGNATURA_NO_REGISTRADA",
    "TOTAL_CREDITOS_NO_COINCIDE",
    "CERTIFICADO_TOTAL_INCOMPLETO",
    "FOLIO_CONTROL_REGISTRADO",
    "CERTIFICADO_NO_CONFIABLE",
    "RESPONSABLE_NO_REGISTRADO",
    "CARGO_NO_COINCIDE",
}


@pytest.fixture(scope="module")
def scenario():
    return default_scenario()


@pytest.fixture(scope="module")
def ctx(scenario):
    return broken_context(scenario)


@pytest.mark.parametrize("tipo", [TOTAL, PARCIAL])
@pytest.mark.parametrize("n", range(3))
def test_valid_certificates_pass_with_full_context(scenario, tipo, n):
    data = signed_certificate(scenario, n, tipo=tipo)
    for context in (make_context(scenario), broken_context(scenario)):
        result = validate_file(f"{n}.xml", data, context)
        assert result.findings == ()
        assert result.ok and result.errors == () and result.skipped == ()
        assert result.sello_variant == 33
        assert result.document is not None
        assert result.folio_control == result.document.folio_control


def test_empty_context_omits_registry_checks_never_passes_them(scenario):
    result = validate_file("a.xml", signed_certificate(scenario, 0), ValidationContext(now=FIXED_NOW))
    assert result.errors == ()
    assert {f.code for f in result.skipped} == REGISTRY_CHECKS
    assert all(f.message.startswith("Verificación omitida") for f in result.skipped)
    assert result.ok  # omitted checks do not reject; they are reported as not done
    assert result.sello_variant == 33


def test_broken_variants_cover_every_single_file_code():
    assert set(BROKEN_VARIANTS) | MULTI_FILE_CODES | ENGINE_CODES | PROGRAM_FILE_CODES == set(CODES)
    assert not set(BROKEN_VARIANTS) & (MULTI_FILE_CODES | ENGINE_CODES | PROGRAM_FILE_CODES)


@pytest.mark.parametrize("code", sorted(BROKEN_VARIANTS))
def test_broken_variant_yields_only_its_code(scenario, ctx, code):
    result = validate_file(f"{code}.xml", BROKEN_VARIANTS[code](scenario), ctx)
    errors = {f.code for f in result.errors}
    if code == "SELLO_VARIANTE_32":
        assert errors == set()
        assert [f.code for f in result.findings if f.status is Status.ADVERTENCIA] == [code]
        assert result.ok and result.sello_variant == 32
    else:
        assert errors == {code}
        assert not result.ok
    assert all(f.message.strip() for f in result.findings)
    assert all(f.location.startswith("Dec") for f in result.errors if not f.code.startswith("XML_"))


def test_variant_32_is_rejected_in_strict_mode(scenario, ctx):
    strict = dataclasses.replace(ctx, strict_sello=True)
    result = validate_file("v32.xml", BROKEN_VARIANTS["SELLO_VARIANTE_32"](scenario), strict)
    assert {f.code for f in result.errors} == {"SELLO_INVALIDO"}
    assert result.sello_variant is None


def test_all_findings_of_a_file_are_reported(scenario, ctx):
    from mec_ws.testdata.factory import seal, to_bytes

    root = scenario.certificate(60)
    ns = root.nsmap[None]
    alumno = root.find(f"{{{ns}}}Alumno")
    alumno.set("curp", alumno.get("curp")[:17] + "X")
    alumno.set("idGenero", "7")
    asignaturas = root.find(f"{{{ns}}}Asignaturas")
    asignaturas.set("promedio", "1.00")
    asignaturas.set("numeroCiclos", "99")
    result = validate_file("muchos.xml", to_bytes(seal(root)), ctx)
    assert {f.code for f in result.errors} == {
        "CURP_INVALIDA",
        "CLAVE_CATALOGO_INVALIDA",
        "PROMEDIO_NO_COINCIDE",
        "NUMERO_CICLOS_NO_COINCIDE",
    }


def test_unreadable_file_is_one_finding_without_location(ctx):
    result = validate_file("roto.xml", b"<Dec", ctx)
    assert [(f.code, f.location) for f in result.findings] == [("XML_MAL_FORMADO", "")]
    assert result.document is None and result.folio_control is None and result.sello_variant is None


def test_size_limit_comes_from_context(scenario, ctx):
    data = signed_certificate(scenario, 0)
    small = dataclasses.replace(ctx, max_xml_bytes=len(data) - 1)
    assert [f.code for f in validate_file("a.xml", data, small).errors] == ["XML_DEMASIADO_GRANDE"]


def test_wrong_root_stops_early(ctx):
    data = b'<?xml version="1.0" encoding="UTF-8"?><Dec xmlns="urn:otro" version="3.0"/>'
    result = validate_file("otro.xml", data, ctx)
    assert [f.code for f in result.findings] == ["XML_RAIZ_INVALIDA"]
    assert result.document is None


def test_duplicate_folio_within_upload(scenario, ctx):
    files = duplicate_folio_upload(scenario)
    third = ("tercero.xml", files[0][1])
    results = validate_many([*files, ("roto.xml", b"nada"), third], ctx)
    assert [sorted({f.code for f in r.errors}) for r in results] == [
        [],
        ["FOLIO_CONTROL_DUPLICADO"],
        ["XML_MAL_FORMADO"],
        ["FOLIO_CONTROL_DUPLICADO"],
    ]
    dup = results[3].errors[0]
    assert dup.location == "Dec/@folioControl"
    assert files[0][0] in dup.message  # names the first file that used the folio


def test_distinct_folios_are_not_duplicates(scenario, ctx):
    files = [(f"{n}.xml", signed_certificate(scenario, n)) for n in range(3)]
    assert all(r.ok for r in validate_many(files, ctx))


def test_iter_validate_is_lazy(scenario, ctx):
    data = signed_certificate(scenario, 0)
    endless = ((f"{i}.xml", data) for i in itertools.count())
    first, second = itertools.islice(iter_validate(endless, ctx), 2)
    assert first.ok and [f.code for f in second.errors] == ["FOLIO_CONTROL_DUPLICADO"]


def test_crashing_rule_becomes_a_finding_and_the_run_goes_on(scenario, ctx, monkeypatch, caplog):
    def boom(doc, context):
        raise RuntimeError("fallo de prueba")

    def always(doc, context):
        yield error("PROMEDIO_NO_COINCIDE", "marca de la regla siguiente", "Dec")

    rules = (
        Rule("regla rota", ("PROMEDIO_NO_COINCIDE",), boom),
        Rule("siguiente", ("PROMEDIO_NO_COINCIDE",), always),
    )
    monkeypatch.setattr(validation, "ALL_RULES", rules)
    result = validate_file("a.xml", signed_certificate(scenario, 0), ctx)
    assert [f.code for f in result.findings] == ["ERROR_INTERNO_REGLA", "PROMEDIO_NO_COINCIDE"]
    assert "regla rota" in result.findings[0].message
    assert not result.ok and result.sello_variant is None
    assert "fallo de prueba" in caplog.text


def test_file_result_properties():
    from mec_ws.findings import Finding

    findings = (
        Finding("SELLO_VARIANTE_32", "m", "Dec/@sello", Status.ADVERTENCIA),
        Finding("PROGRAMA_NO_REGISTRADO", "m", "Dec/Carrera", Status.OMITIDA),
    )
    result = FileResult("a.xml", "F1", findings, None)
    assert result.ok and result.errors == ()
    assert result.skipped == (findings[1],) and result.warnings == (findings[0],)
    assert result.sello_variant == 32


def test_sample_upload_as_one_set(scenario, ctx):
    from mec_ws.testdata.broken import sample_upload

    results = validate_many(sample_upload(scenario), ctx)
    for result in results:
        errors = {f.code for f in result.errors}
        if result.name.startswith("valido_"):
            assert result.ok and result.findings == (), result.name
        elif result.name == "roto_sello_variante_32.xml":
            assert errors == set()
        else:
            assert errors == {result.name.removeprefix("roto_").removesuffix(".xml").upper()}
    assert len(results) == 3 + len(BROKEN_VARIANTS)


# --- files of public generators: empty placeholders, no folioControl ------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [{"placeholders": True}, {"folio_control": None}, {"placeholders": True, "folio_control": None}],
    ids=["placeholders", "sin-folio", "ambos"],
)
def test_generator_variants_pass_with_full_context(scenario, kwargs):
    data = signed_certificate(scenario, 5, **kwargs)
    for context in (make_context(scenario), broken_context(scenario)):
        result = validate_file("g.xml", data, context)
        assert result.findings == (), result.findings
        assert result.sello_variant == 33
    if kwargs.get("placeholders"):
        assert data.rstrip().endswith(b"<Dreoe/><SepIpes/></Dec>")
    if "folio_control" in kwargs:
        assert b"folioControl" not in data
        assert validate_file("g.xml", data, make_context(scenario)).folio_control is None


def _placeholder_variant(scenario, change) -> bytes:
    from lxml import etree

    from mec_ws.certificate.document import q
    from mec_ws.testdata.factory import seal

    root = scenario.certificate(6, placeholders=True)
    change(root, root.find(q("Dreoe")))
    return etree.tostring(seal(root), xml_declaration=True, encoding="UTF-8")


def test_dreoe_with_an_attribute_is_rejected_with_its_code(scenario, ctx):
    data = _placeholder_variant(scenario, lambda root, dreoe: dreoe.set("selloDreoe", "QUJD"))
    result = validate_file("d.xml", data, ctx)
    assert [(f.code, f.location) for f in result.errors] == [("NODOS_SEP_PRESENTES", "Dec/Dreoe")]


def test_misplaced_or_repeated_placeholder_fails_the_xsd(scenario, ctx):
    from lxml import etree

    from mec_ws.certificate.document import q

    def first(root, dreoe):
        root.remove(dreoe)
        root.insert(0, dreoe)

    def twice(root, dreoe):
        dreoe.addnext(etree.Element(q("Dreoe")))

    for change in (first, twice):
        result = validate_file("m.xml", _placeholder_variant(scenario, change), ctx)
        assert [f.code for f in result.errors] == ["XSD_INVALIDO"], result.errors


def test_files_without_folio_are_never_duplicates(scenario, ctx):
    files = [(f"{n}.xml", signed_certificate(scenario, n, folio_control=None)) for n in range(3)]
    results = validate_many(files, ctx)
    assert all(r.ok for r in results), [r.errors for r in results]
    assert [r.folio_control for r in results] == [None, None, None]
