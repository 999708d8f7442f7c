"""Structure rules: each code fires on a bad document and stays silent on a good one."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from lxml import etree

from mec_ws.certificate.document import NS, DecDocument, q
from mec_ws.registry import ValidationContext
from mec_ws.rules.structure import STRUCTURE_RULES

CTX = ValidationContext(now=datetime(2024, 7, 1, tzinfo=UTC))


def _run(root) -> list:
    doc = DecDocument.from_tree(root)
    return [f for rule in STRUCTURE_RULES for f in rule.run(doc, CTX)]


def test_good_document_passes(make_dec) -> None:
    assert _run(make_dec()) == []


def test_xml_raiz_invalida() -> None:
    for root in (etree.Element("Dec"), etree.Element(f"{{{NS}}}Certificado"), etree.Element("{urn:x}Dec")):
        root.set("version", "3.0")
        root.set("tipoCertificado", "5")
        assert [f.code for f in _run(root)] == ["XML_RAIZ_INVALIDA"]


def test_version_no_soportada(make_dec) -> None:
    for version in ("2.0", "3.1", ""):
        findings = _run(make_dec({"Dec": {"version": version}}, seal=False))
        assert [(f.code, f.location) for f in findings] == [("VERSION_NO_SOPORTADA", "Dec/@version")]
    assert [f.code for f in _run(make_dec({"Dec": {"version": None}}, seal=False))] == [
        "VERSION_NO_SOPORTADA"
    ]


def test_tipo_certificado_invalido(make_dec) -> None:
    for tipo in ("1", "05x", None):
        findings = _run(make_dec({"Dec": {"tipoCertificado": tipo}}, seal=False))
        assert [f.code for f in findings] == ["TIPO_CERTIFICADO_INVALIDO"]


def test_nodos_sep_presentes(make_dec) -> None:
    root = make_dec()
    etree.SubElement(root, q("Dreoe")).set("curp", "X")
    etree.SubElement(root, q("SepIpes")).set("folioDigital", "X")
    findings = _run(root)
    assert [(f.code, f.location) for f in findings] == [
        ("NODOS_SEP_PRESENTES", "Dec/Dreoe"),
        ("NODOS_SEP_PRESENTES", "Dec/SepIpes"),
    ]


def test_empty_placeholders_are_allowed(make_dec) -> None:
    root = make_dec()
    etree.SubElement(root, q("Dreoe"))
    etree.SubElement(root, q("SepIpes")).text = "\n  "
    assert _run(root) == []
    assert not DecDocument.from_tree(root).is_stamped


@pytest.mark.parametrize(
    "fill",
    [
        lambda el: el.set("fechaDreoe", "2024-01-01T00:00:00"),
        lambda el: setattr(el, "text", "x"),
        lambda el: el.append(etree.Element(q("Otro"))),
        lambda el: el.append(etree.Comment("nota")),
        lambda el: el.set("{http://www.w3.org/2001/XMLSchema-instance}nil", "true"),
    ],
    ids=["attribute", "text", "child", "comment", "xsi-nil"],
)
def test_placeholder_with_content_is_rejected(make_dec, fill) -> None:
    root = make_dec()
    fill(etree.SubElement(root, q("Dreoe")))
    etree.SubElement(root, q("SepIpes"))
    assert [(f.code, f.location) for f in _run(root)] == [("NODOS_SEP_PRESENTES", "Dec/Dreoe")]
    assert DecDocument.from_tree(root).is_stamped


def test_valor_con_barra(make_dec) -> None:
    root = make_dec({"Alumno": {"nombre": "ANA|SOFÍA"}}, seal=False)
    findings = _run(root)
    assert [(f.code, f.location) for f in findings] == [("VALOR_CON_BARRA", "Dec/Alumno/@nombre")]
    # '|' outside the cadena (nombreCarrera is not in it) is not this rule's concern
    assert _run(make_dec({"Carrera": {"nombreCarrera": "A|B"}}, seal=False)) == []
