"""XSD validation: upload and stamped forms; Spanish findings with locations."""

from __future__ import annotations

import threading

from lxml import etree

from mec_ws.certificate import schema
from mec_ws.certificate.document import q
from mec_ws.certificate.stamp import stamp


def _reparsed(root):
    return etree.fromstring(etree.tostring(root, pretty_print=True))


def test_good_upload_is_valid(make_dec) -> None:
    assert schema.validate_upload(make_dec()) == []


def test_xsd_invalido_findings_are_located_and_spanish(make_dec) -> None:
    root = make_dec()
    root.find(q("Asignaturas")).findall(q("Asignatura"))[1].set("calificacion", "nueve")
    root.find(q("Alumno")).set("curp", "ABC")
    del root.find(q("Rvoe")).attrib["numero"]
    root.find(q("Expedicion")).set("fecha", "2024-06-15")
    root.find(q("Ipes")).set("idEntidadFederativa", "33")
    findings = schema.validate_upload(_reparsed(root))
    assert {f.code for f in findings} == {"XSD_INVALIDO"}
    locations = [f.location.split(" (")[0] for f in findings]
    assert locations == [
        "Dec/Ipes/@idEntidadFederativa",
        "Dec/Rvoe/@numero",
        "Dec/Alumno/@curp",
        "Dec/Expedicion/@fecha",
        "Dec/Asignaturas/Asignatura[2]/@calificacion",
    ]
    assert all("(línea " in f.location for f in findings)
    by_loc = dict(zip(locations, findings, strict=True))
    assert "falta el atributo obligatorio numero" in by_loc["Dec/Rvoe/@numero"].message
    assert "debe medir 18" in by_loc["Dec/Alumno/@curp"].message


def test_folio_control_is_optional_but_never_empty(make_dec) -> None:
    assert schema.validate_upload(make_dec({"Dec": {"folioControl": None}})) == []
    [finding] = schema.validate_upload(make_dec({"Dec": {"folioControl": ""}}))
    assert "folioControl" in finding.message


def test_upload_allows_empty_placeholders_at_the_end(make_dec) -> None:
    root = make_dec()
    etree.SubElement(root, q("Dreoe"))
    etree.SubElement(root, q("SepIpes"))
    assert schema.validate_upload(root) == []
    root[-1].set("folioDigital", "x")
    assert any("SepIpes" in f.location for f in schema.validate_upload(root))


def test_upload_must_not_carry_sep_nodes(make_dec, pki) -> None:
    root = make_dec()
    stamp(root, pki.sep_signer)
    assert any("Dreoe" in f.location for f in schema.validate_upload(root))
    assert schema.validate_stamped(root) == []


def test_stamped_form_requires_sep_nodes(make_dec) -> None:
    findings = schema.validate_stamped(make_dec())
    assert findings and "faltan elementos" in findings[0].message


def test_wrong_root(make_dec) -> None:
    [finding] = schema.validate_upload(etree.Element("Dec"))
    assert finding.code == "XSD_INVALIDO"


def test_xsd_bytes_are_the_schemas() -> None:
    for name in schema.XSD_FILES:
        etree.XMLSchema(etree.fromstring(schema.xsd_bytes(name)))


def test_validation_in_threads(make_dec) -> None:
    good = make_dec()
    bad = make_dec({"Alumno": {"curp": "X"}})
    results: list[tuple[int, int]] = []

    def work() -> None:
        for _ in range(20):
            results.append((len(schema.validate_upload(good)), len(schema.validate_upload(bad))))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(results) == {(0, 1)}
