"""The cadena original: field order, normalisation, variants, and code/XSLT agreement."""

from __future__ import annotations

import copy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from mec_ws.certificate import cadena
from mec_ws.certificate.document import NS, q


def test_cadena_fields_are_the_33_of_the_spec() -> None:
    assert len(cadena.CADENA_FIELDS) == 33
    assert len(set(cadena.CADENA_FIELDS)) == 33
    assert cadena.CADENA_FIELDS[:3] == (
        ("", "version"),
        ("", "tipoCertificado"),
        ("ServicioFirmante", "idEntidad"),
    )
    assert cadena.CADENA_FIELDS[6] == ("Ipes/Responsable", "curp")
    assert cadena.CADENA_FIELDS[21] == ("Alumno", "segundoApellido")
    assert cadena.CADENA_FIELDS[-1] == ("Asignaturas", "numeroCiclos")
    assert cadena.ASIGNATURA_FIELDS == (
        "idAsignatura",
        "ciclo",
        "calificacion",
        "idTipoAsignatura",
        "creditos",
    )


def test_normalize_is_normalize_space() -> None:
    assert cadena.normalize(None) == ""
    assert cadena.normalize("  a \t\n b\r\n ") == "a b"
    assert cadena.normalize("\u00a0x") == "\u00a0x"  # NBSP is not XML whitespace


def test_cadena_of_document(make_dec) -> None:
    root = make_dec(seal=False)
    text = cadena.cadena_original(root)
    assert text.startswith("||3.0|5|090001|090001|100001|09|")
    assert text.endswith("|700001|2019-1|9|263|8|700002|2019-1|8|263|8||")
    assert text.count("|") == 2 + (33 + 10 - 1) + 2
    assert "|ANA SOFÍA|PÉREZ|MUÑOZ|250|" in text


def test_variant_32_omits_id_entidad(make_dec) -> None:
    root = make_dec(seal=False)
    assert cadena.cadena_original(root, variant=32) == cadena.cadena_original(root).replace(
        "||3.0|5|090001|", "||3.0|5|", 1
    )


def test_absent_optional_keeps_its_empty_field(make_dec) -> None:
    root = make_dec({"Alumno": {"segundoApellido": None}}, seal=False)
    assert "|ANA SOFÍA|PÉREZ||250|" in cadena.cadena_original(root)
    assert cadena.xslt_cadena(root) == cadena.cadena_original(root)


def test_fields_with_pipe(make_dec) -> None:
    root = make_dec({"Alumno": {"nombre": "ANA|SOFÍA"}}, seal=False)
    root.find(q("Asignaturas")).findall(q("Asignatura"))[1].set("ciclo", "2019|1")
    assert cadena.fields_with_pipe(root) == ["Dec/Alumno/@nombre", "Dec/Asignaturas/Asignatura[2]/@ciclo"]
    assert cadena.fields_with_pipe(make_dec(seal=False)) == []


def test_xslt_agrees_on_fixture_both_variants(make_dec) -> None:
    root = make_dec()
    for variant in (33, 32):
        assert cadena.xslt_cadena(root, variant=variant) == cadena.cadena_original(root, variant=variant)


def test_xslt_files_are_downloadable() -> None:
    for name in cadena.XSLT_FILES:
        data = cadena.xslt_bytes(name)
        assert data.startswith(b"<?xml") and b'version="1.0"' in data


def test_stylesheets_cannot_read_files(tmp_path) -> None:
    secret = tmp_path / "secreto.xml"
    secret.write_text("<s>dato</s>")
    sheet = (
        '<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">'
        '<xsl:output method="text"/><xsl:template match="/">'
        f"<xsl:value-of select=\"document('{secret.as_uri()}')/s\"/>"
        "</xsl:template></xsl:stylesheet>"
    ).encode()
    transform = cadena.compile_stylesheet(sheet)
    with pytest.raises(etree.XSLTApplyError):
        transform(etree.fromstring(b"<a/>"))


# --- property: code == XSLT ------------------------------------------------------------------

_ws = st.sampled_from([" ", "\t", "\n", "\r"])
_chars = st.sampled_from([*"abcXYZ019áéíóúÁÉÍÓÚñÑüÜ .-/&<>\"'", "\t", "\n", "\u00a0"])
_value = st.one_of(
    st.none(),
    st.just(""),
    st.builds(
        lambda a, b, c: a + b + c,
        st.text(_ws, max_size=2),
        st.text(_chars, max_size=12),
        st.text(_ws, max_size=2),
    ),
)


@st.composite
def documents(draw: st.DrawFn) -> etree._Element:
    root = etree.Element(q("Dec"), nsmap={None: NS})
    elements: dict[str, etree._Element] = {"": root}
    for path, attr in cadena.CADENA_FIELDS:
        if path not in elements:
            parent_path, _, local = path.rpartition("/")
            if draw(st.integers(0, 19)) == 0:  # occasionally a whole element is missing
                elements[path] = etree.Element("ausente")
            else:
                elements[path] = etree.SubElement(elements[parent_path], q(local))
        value = draw(_value)
        if value is not None:
            elements[path].set(attr, value)
    if elements["Asignaturas"].getparent() is not None:
        for _ in range(draw(st.integers(0, 4))):
            subject = etree.SubElement(elements["Asignaturas"], q("Asignatura"))
            for attr in cadena.ASIGNATURA_FIELDS:
                value = draw(_value)
                if value is not None:
                    subject.set(attr, value)
    # empty <Dreoe/> <SepIpes/> placeholders of public generators: never part of the Dec cadena
    for local in draw(st.sampled_from([(), ("Dreoe", "SepIpes"), ("Dreoe",), ("SepIpes",)])):
        etree.SubElement(root, q(local)).text = draw(st.sampled_from([None, "", "\n  "]))
    if draw(st.booleans()):  # folioControl is optional and never in the cadena either
        root.set("folioControl", draw(st.text(_chars, max_size=8)))
    return root


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents(), st.sampled_from([33, 32]), st.booleans())
def test_code_and_xslt_agree(root: etree._Element, variant: int, reparse: bool) -> None:
    if reparse:  # through serialisation: attribute-value normalisation of the parser applies
        root = etree.fromstring(etree.tostring(root))
    assert cadena.xslt_cadena(root, variant=variant) == cadena.cadena_original(root, variant=variant)
    bare = copy.deepcopy(root)
    for el in [el for el in bare if el.tag in (q("Dreoe"), q("SepIpes"))]:
        bare.remove(el)
    bare.attrib.pop("folioControl", None)
    assert cadena.cadena_original(bare, variant=variant) == cadena.cadena_original(root, variant=variant)


@settings(max_examples=60, deadline=None)
@given(st.lists(_value, min_size=5, max_size=5), st.lists(_value, min_size=5, max_size=5))
def test_dreoe_and_sepipes_code_and_xslt_agree(
    dreoe_values: list[str | None], sep_values: list[str | None]
) -> None:
    root = etree.Element(q("Dec"), nsmap={None: NS})
    dreoe = etree.SubElement(root, q("Dreoe"))
    sepipes = etree.SubElement(root, q("SepIpes"))
    for attr, value in zip(cadena.DREOE_FIELDS, dreoe_values, strict=True):
        if value is not None:
            dreoe.set(attr, value)
    for attr, value in zip(cadena.SEPIPES_FIELDS, sep_values, strict=True):
        if value is not None:
            sepipes.set(attr, value)
    assert cadena.xslt_cadena_dreoe(root) == cadena.cadena_dreoe(dreoe)
    assert cadena.xslt_cadena_sepipes(root) == cadena.cadena_sepipes(sepipes)
    assert cadena.xslt_cadena_dreoe(dreoe) == cadena.cadena_dreoe(dreoe)
