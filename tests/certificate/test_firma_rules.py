"""Firma rules: each code fires on a bad document and stays silent on a good one."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mec_ws.certificate.document import DecDocument
from mec_ws.findings import Status
from mec_ws.registry import RegisteredOfficer, ValidationContext
from mec_ws.rules import firma
from mec_ws.testdata import pki as testpki

NOW = datetime(2024, 7, 1, 12, 0, tzinfo=UTC)


def _ctx(pki, **kwargs) -> ValidationContext:
    base = {
        "now": NOW,
        "trusted_cas": (pki.ca_cert,),
        "officers": (
            RegisteredOfficer(
                campus_id="100001", certificate_der=testpki.cert_to_der(pki.officer_cert), cargo_id=3
            ),
        ),
    }
    base.update(kwargs)
    return ValidationContext(**base)


def _run(root, ctx) -> list:
    doc = DecDocument.from_tree(root)
    return [f for rule in firma.FIRMA_RULES for f in rule.run(doc, ctx)]


def _codes(findings, status=Status.ERROR) -> set[str]:
    return {f.code for f in findings if f.status is status}


def test_good_document_has_no_findings(make_dec, pki) -> None:
    assert _run(make_dec(), _ctx(pki)) == []
    assert firma.sello_variant(DecDocument.from_tree(make_dec()), _ctx(pki)) == 33


@pytest.mark.parametrize("value", [None, "", "no-es-base64!!", "QUJDRA=="])
def test_certificado_responsable_invalido(make_dec, pki, value) -> None:
    root = make_dec()
    if value is None:
        del root.attrib["certificadoResponsable"]
    else:
        root.set("certificadoResponsable", value)
    findings = _run(root, _ctx(pki))
    assert _codes(findings) == {"CERTIFICADO_RESPONSABLE_INVALIDO"}
    assert all(f.location for f in findings)
    # every dependent check says it was omitted, none claims to have passed
    assert len(_codes(findings, Status.OMITIDA)) == len(firma.FIRMA_RULES) - 1


def test_no_certificado_no_coincide(make_dec, pki) -> None:
    root = make_dec()
    root.set("noCertificadoResponsable", "00001000000999999999")
    findings = _run(root, _ctx(pki))
    assert _codes(findings) == {"NO_CERTIFICADO_NO_COINCIDE"}
    assert findings[0].location == "Dec/@noCertificadoResponsable"


def test_curp_responsable_no_coincide(make_dec, pki) -> None:
    root = make_dec({"Responsable": {"curp": "HEGT761003MDFRNN07"}})
    findings = _run(root, _ctx(pki))
    assert _codes(findings) == {"CURP_RESPONSABLE_NO_COINCIDE"}
    assert [f.location for f in findings] == ["Dec/Ipes/Responsable/@curp"]


def test_curp_comparison_ignores_case_and_spaces(make_dec, pki) -> None:
    root = make_dec({"Responsable": {"curp": f" {pki.officer_curp.lower()} "}})
    assert "CURP_RESPONSABLE_NO_COINCIDE" not in _codes(_run(root, _ctx(pki)))


def _officer(pki, not_before: datetime, not_after: datetime):
    return testpki.make_officer_certificate(
        pki.ca_key,
        pki.ca_cert,
        curp=pki.officer_curp,
        rfc=pki.officer_rfc,
        nombre=pki.officer_nombre,
        not_before=not_before,
        not_after=not_after,
        key=pki.officer_key,
    )


def test_certificado_no_vigente_expedicion(make_dec, pki) -> None:
    key, cert = _officer(pki, datetime(2024, 7, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC))
    from mec_ws.certificate.sello import seal_document

    root = make_dec(seal=False)  # issued 2024-06-15, before the certificate existed
    seal_document(root, key, cert)
    findings = _run(root, _ctx(pki, officers=None))
    assert _codes(findings) == {"CERTIFICADO_NO_VIGENTE_EXPEDICION"}


def test_issue_date_is_read_in_mexico_city_time(make_dec, pki) -> None:
    # certificate starts 2024-06-15T16:30Z = 10:30 in Mexico City; issued 10:00 local -> not valid yet
    key, cert = _officer(pki, datetime(2024, 6, 15, 16, 30, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC))
    from mec_ws.certificate.sello import seal_document

    root = make_dec(seal=False)
    seal_document(root, key, cert)
    assert "CERTIFICADO_NO_VIGENTE_EXPEDICION" in _codes(_run(root, _ctx(pki)))
    root = make_dec({"Expedicion": {"fecha": "2024-06-15T11:00:00"}}, seal=False)
    seal_document(root, key, cert)
    assert "CERTIFICADO_NO_VIGENTE_EXPEDICION" not in _codes(_run(root, _ctx(pki)))


def test_unreadable_issue_date_skips_validity(make_dec, pki) -> None:
    root = make_dec({"Expedicion": {"fecha": "15/06/2024"}})
    findings = _run(root, _ctx(pki))
    assert _codes(findings, Status.OMITIDA) == {"CERTIFICADO_NO_VIGENTE_EXPEDICION"}
    assert _codes(findings) == set()


def test_certificado_vencido(make_dec, pki) -> None:
    root = make_dec()
    findings = _run(root, _ctx(pki, now=datetime(2031, 6, 1, tzinfo=UTC)))
    assert _codes(findings) == {"CERTIFICADO_VENCIDO"}


def test_certificado_no_confiable(make_dec, pki) -> None:
    _, other_ca = testpki.make_ca("AC ajena")
    findings = _run(make_dec(), _ctx(pki, trusted_cas=(other_ca,)))
    assert _codes(findings) == {"CERTIFICADO_NO_CONFIABLE"}


def test_trust_and_registry_skipped_without_context(make_dec, pki) -> None:
    findings = _run(make_dec(), _ctx(pki, trusted_cas=None, officers=None))
    assert _codes(findings) == set()
    assert _codes(findings, Status.OMITIDA) == {
        "CERTIFICADO_NO_CONFIABLE",
        "RESPONSABLE_NO_REGISTRADO",
        "CARGO_NO_COINCIDE",
    }


def test_cargo_must_be_the_registered_one(make_dec, pki) -> None:
    root = make_dec()
    (responsable,) = root.iter("{*}Responsable")
    registered = _ctx(pki).officers[0].cargo_id
    responsable.set("idCargo", str(registered))
    assert "CARGO_NO_COINCIDE" not in _codes(_run(root, _ctx(pki)))
    responsable.set("idCargo", "1" if registered != 1 else "2")
    findings = [f for f in _run(root, _ctx(pki)) if f.code == "CARGO_NO_COINCIDE"]
    assert len(findings) == 1 and findings[0].status is Status.ERROR
    assert findings[0].location == "Dec/Ipes/Responsable/@idCargo"
    assert f"con el cargo {registered}" in findings[0].message


def test_responsable_no_registrado(make_dec, pki) -> None:
    # registered for another campus
    other_campus = (
        RegisteredOfficer(
            campus_id="100002", certificate_der=testpki.cert_to_der(pki.officer_cert), cargo_id=3
        ),
    )
    assert _codes(_run(make_dec(), _ctx(pki, officers=other_campus))) == {"RESPONSABLE_NO_REGISTRADO"}
    # another certificate registered for this campus
    other_cert = (
        RegisteredOfficer(
            campus_id="100001", certificate_der=testpki.cert_to_der(pki.sep_signer.certificate), cargo_id=3
        ),
    )
    assert _codes(_run(make_dec(), _ctx(pki, officers=other_cert))) == {"RESPONSABLE_NO_REGISTRADO"}


def test_sello_invalido_on_tampering(make_dec, pki) -> None:
    root = make_dec()
    root.find("{*}Asignaturas").find("{*}Asignatura").set("calificacion", "10")
    findings = _run(root, _ctx(pki))
    assert _codes(findings) == {"SELLO_INVALIDO"}
    assert findings[0].location == "Dec/@sello"


def test_sello_invalido_when_missing(make_dec, pki) -> None:
    root = make_dec()
    del root.attrib["sello"]
    assert _codes(_run(root, _ctx(pki))) == {"SELLO_INVALIDO"}


def test_sello_variante_32_is_an_advertencia(make_dec, pki) -> None:
    root = make_dec(variant=32)
    findings = _run(root, _ctx(pki))
    assert _codes(findings) == set()
    assert _codes(findings, Status.ADVERTENCIA) == {"SELLO_VARIANTE_32"}
    assert firma.sello_variant(DecDocument.from_tree(root), _ctx(pki)) == 32


def test_sello_variante_32_rejected_in_strict_mode(make_dec, pki) -> None:
    root = make_dec(variant=32)
    ctx = _ctx(pki, strict_sello=True)
    findings = _run(root, ctx)
    assert _codes(findings) == {"SELLO_INVALIDO"}
    assert "32 campos" in findings[0].message
    assert firma.sello_variant(DecDocument.from_tree(root), ctx) is None
    assert _run(make_dec(), ctx) == []
