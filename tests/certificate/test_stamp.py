"""The SEP stamp: round trip, offline verification, tamper detection."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from lxml import etree

from mec_ws.certificate import cadena, sello
from mec_ws.certificate.document import q
from mec_ws.certificate.efirma import certificate_number
from mec_ws.certificate.stamp import stamp, verify_stamped

NOW = datetime(2024, 7, 1, 18, 30, 15, 123456, tzinfo=UTC)


def _stamped(make_dec, pki, **kwargs):
    return stamp(make_dec(**kwargs), pki.sep_signer, now=NOW)


def test_stamp_round_trip(make_dec, pki) -> None:
    result = _stamped(make_dec, pki)
    assert result.xml.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    assert uuid.UUID(result.folio_digital).version == 4
    assert result.fecha_sep_ipes.isoformat() == "2024-07-01T12:30:15-06:00"  # Mexico City, no DST
    root = etree.fromstring(result.xml)
    dreoe, sepipes = root[-2], root[-1]
    assert (dreoe.tag, sepipes.tag) == (q("Dreoe"), q("SepIpes"))
    assert dreoe.get("fechaDreoe") == sepipes.get("fechaSepIpes") == "2024-07-01T12:30:15"
    assert dreoe.get("selloDec") == root.get("sello")
    number = certificate_number(pki.sep_signer.certificate)
    assert dreoe.get("noCertificadoDreoe") == sepipes.get("noCertificadoSepIpes") == number
    assert dreoe.get("curp") == pki.sep_signer.curp
    assert sepipes.get("version") == "1.0"
    assert sepipes.get("selloDreoe") == dreoe.get("selloDreoe")
    assert cadena.cadena_dreoe(dreoe) == (
        f"||2024-07-01T12:30:15|{root.get('sello')}|{number}|{pki.sep_signer.curp}|{pki.sep_signer.id_cargo}||"
    )
    assert sello.verify(cadena.cadena_dreoe(dreoe), dreoe.get("selloDreoe"), pki.sep_signer.certificate)
    assert cadena.xslt_cadena_dreoe(root) == cadena.cadena_dreoe(dreoe)
    assert cadena.xslt_cadena_sepipes(root) == cadena.cadena_sepipes(sepipes)
    verification = verify_stamped(result.xml, pki.sep_signer.certificate)
    assert verification.ok, verification.problems
    assert verification.folio_digital == result.folio_digital
    assert verification.sello_variant == 33


def test_institution_sello_still_verifies_on_stamped_file(make_dec, pki) -> None:
    result = _stamped(make_dec, pki)
    root = etree.fromstring(result.xml)
    assert sello.verify_document(root, pki.officer_cert) == sello.SelloResult(True, 33)


def test_summer_time_date(make_dec, pki) -> None:
    # Mexico City had DST until 2022: 2021-07-01 18:00Z is 13:00 local
    result = stamp(make_dec(), pki.sep_signer, now=datetime(2021, 7, 1, 18, 0, tzinfo=UTC))
    assert b'fechaSepIpes="2021-07-01T13:00:00"' in result.xml


def test_given_folio_and_refusals(make_dec, pki) -> None:
    folio = str(uuid.uuid4())
    root = make_dec()
    assert stamp(root, pki.sep_signer, now=NOW, folio_digital=folio).folio_digital == folio
    with pytest.raises(ValueError, match="Dreoe"):
        stamp(root, pki.sep_signer, now=NOW)
    with pytest.raises(ValueError, match="zona horaria"):
        stamp(make_dec(), pki.sep_signer, now=datetime(2024, 1, 1))
    unsigned = make_dec(seal=False)
    with pytest.raises(ValueError, match="sello"):
        stamp(unsigned, pki.sep_signer, now=NOW)


def _tamper(xml: bytes, element: str | None, attr: str, value: str) -> bytes:
    root = etree.fromstring(xml)
    target = root if element is None else root.find(q(element))
    target.set(attr, value)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


@pytest.mark.parametrize(
    ("element", "attr", "value", "expected"),
    [
        ("Alumno", "nombre", "OTRO NOMBRE", "Dec/@sello"),
        (None, "sello", "QUJD" * 86 + "QQ==", "Dec/@sello"),
        ("Dreoe", "selloDec", "QUJD", "selloDec"),
        ("Dreoe", "fechaDreoe", "2024-07-02T12:30:15", "Dreoe/@selloDreoe no verifica"),
        ("Dreoe", "curp", "HEGT761003MDFRNN07", "Dreoe/@selloDreoe no verifica"),
        ("Dreoe", "selloDreoe", "QUJD" * 86 + "QQ==", "Dreoe/@selloDreoe"),
        ("SepIpes", "folioDigital", str(uuid.UUID(int=4, version=4)), "SepIpes/@selloSepIpes no verifica"),
        ("SepIpes", "selloDreoe", "QUJD", "SepIpes/@selloDreoe no es copia"),
        ("SepIpes", "selloSepIpes", "QUJD" * 86 + "QQ==", "SepIpes/@selloSepIpes no verifica"),
        ("SepIpes", "noCertificadoSepIpes", "00001000000000000001", "noCertificadoSepIpes"),
        ("Dreoe", "noCertificadoDreoe", "00001000000000000001", "noCertificadoDreoe"),
    ],
)
def test_tampering_is_detected(make_dec, pki, element, attr, value, expected) -> None:
    xml = _tamper(_stamped(make_dec, pki).xml, element, attr, value)
    verification = verify_stamped(xml, pki.sep_signer.certificate)
    assert not verification.ok
    assert any(expected in p for p in verification.problems), verification.problems


def test_other_sep_certificate_is_rejected(make_dec, pki) -> None:
    xml = _stamped(make_dec, pki).xml
    verification = verify_stamped(xml, pki.officer_cert)
    assert not verification.ok
    assert len(verification.problems) == 4  # two numbers and two seals


def test_unstamped_or_unreadable_input(make_dec, pki) -> None:
    upload = etree.tostring(make_dec(), xml_declaration=True, encoding="UTF-8")
    verification = verify_stamped(upload, pki.sep_signer.certificate)
    assert not verification.ok and any("no está sellado" in p for p in verification.problems)
    broken = verify_stamped(b"<Dec", pki.sep_signer.certificate)
    assert not broken.ok and broken.problems
    dtd = verify_stamped(b'<!DOCTYPE x [<!ENTITY a "b">]><x/>', pki.sep_signer.certificate)
    assert not dtd.ok


# --- empty placeholders of public generators: <Dreoe/> <SepIpes/> --------------------------------


def _with_placeholders(make_dec, *names: str, text: str | None = None, pretty: bool = False):
    root = make_dec()
    for name in names:
        el = etree.SubElement(root, q(name))
        el.text = text
    if pretty:
        root = etree.fromstring(etree.tostring(root, pretty_print=True))
    return root


@pytest.mark.parametrize(
    "names", [("Dreoe", "SepIpes"), ("Dreoe",), ("SepIpes",)], ids=["both", "dreoe", "sepipes"]
)
@pytest.mark.parametrize("pretty", [False, True], ids=["compact", "pretty"])
def test_stamp_replaces_placeholders(make_dec, pki, names, pretty) -> None:
    root = _with_placeholders(make_dec, *names, pretty=pretty)
    result = stamp(root, pki.sep_signer, now=NOW)
    stamped = etree.fromstring(result.xml)
    assert len(stamped.findall(q("Dreoe"))) == 1
    assert len(stamped.findall(q("SepIpes"))) == 1
    elements = [el for el in stamped if isinstance(el.tag, str)]
    assert [el.tag for el in elements[-3:]] == [q("Asignaturas"), q("Dreoe"), q("SepIpes")]
    assert stamped.find(q("Dreoe")).get("selloDreoe")
    assert stamped.find(q("SepIpes")).get("folioDigital") == result.folio_digital
    assert b"xmlns" not in result.xml.split(b"<Dreoe", 1)[1]  # no redundant namespace declaration
    verification = verify_stamped(result.xml, pki.sep_signer.certificate)
    assert verification.ok, verification.problems
    assert sello.verify_document(stamped, pki.officer_cert) == sello.SelloResult(True, 33)
    assert cadena.xslt_cadena(stamped) == cadena.cadena_original(stamped)
    assert cadena.xslt_cadena_dreoe(stamped) == cadena.cadena_dreoe(stamped.find(q("Dreoe")))
    assert cadena.xslt_cadena_sepipes(stamped) == cadena.cadena_sepipes(stamped.find(q("SepIpes")))


def test_stamp_replaces_whitespace_only_placeholders(make_dec, pki) -> None:
    root = _with_placeholders(make_dec, "Dreoe", "SepIpes", text="\n   ")
    stamped = etree.fromstring(stamp(root, pki.sep_signer, now=NOW).xml)
    assert [el.text for el in stamped[-2:]] == [None, None]
    assert verify_stamped(etree.tostring(stamped), pki.sep_signer.certificate).ok


def test_stamp_refuses_filled_or_repeated_sep_nodes(make_dec, pki) -> None:
    filled = _with_placeholders(make_dec, "Dreoe", "SepIpes")
    filled[-2].set("curp", "X")
    with pytest.raises(ValueError, match="Dreoe"):
        stamp(filled, pki.sep_signer, now=NOW)
    with_text = _with_placeholders(make_dec, "Dreoe", text="algo")
    with pytest.raises(ValueError, match="Dreoe"):
        stamp(with_text, pki.sep_signer, now=NOW)
    twice = _with_placeholders(make_dec, "Dreoe", "Dreoe", "SepIpes")
    with pytest.raises(ValueError, match="repite"):
        stamp(twice, pki.sep_signer, now=NOW)


def test_placeholders_alone_are_not_a_stamp(make_dec, pki) -> None:
    root = _with_placeholders(make_dec, "Dreoe", "SepIpes")
    verification = verify_stamped(etree.tostring(root), pki.sep_signer.certificate)
    assert not verification.ok
    assert any("no está sellado" in p for p in verification.problems)


@pytest.mark.parametrize(
    "when",
    [
        datetime(2026, 12, 1, 0, 32, 5),
        datetime(1999, 1, 9, 23, 59, 59, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59),
        datetime(999, 3, 4, 5, 6, 7),  # strftime does not pad a three-digit year
        datetime(2026, 1, 2, 3, 4, 5, 678),
    ],
)
def test_stamp_date_is_the_date_format(when: datetime) -> None:
    from mec_ws.certificate.stamp import DATE_FORMAT, stamp_date

    assert stamp_date(when) == when.strftime(DATE_FORMAT)
