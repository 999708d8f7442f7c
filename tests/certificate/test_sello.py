"""The institution's sello: sign/verify, variants, garbage tolerance."""

from __future__ import annotations

import base64

from mec_ws.certificate import cadena, sello
from mec_ws.certificate.efirma import certificate_from_base64, certificate_number


def test_sign_and_verify(pki) -> None:
    signature = sello.sign("||a|b||", pki.officer_key)
    assert len(base64.b64decode(signature)) == 256
    assert sello.verify("||a|b||", signature, pki.officer_cert)
    assert not sello.verify("||a|c||", signature, pki.officer_cert)
    assert not sello.verify("||a|b||", signature, pki.sep_signer.certificate)


def test_verify_never_raises_on_garbage(pki) -> None:
    for junk in ("", "!!!", "no es base64", "QUJD", "QUJD=", "   "):
        assert sello.verify("||a||", junk, pki.officer_cert) is False


def test_verify_tolerates_wrapped_base64(pki) -> None:
    signature = sello.sign("||a||", pki.officer_key)
    wrapped = "\n".join(signature[i : i + 64] for i in range(0, len(signature), 64))
    assert sello.verify("||a||", wrapped, pki.officer_cert)


def test_seal_document_sets_attributes(make_dec, pki) -> None:
    root = make_dec()
    assert certificate_from_base64(root.get("certificadoResponsable")) == pki.officer_cert
    assert (
        root.get("noCertificadoResponsable") == certificate_number(pki.officer_cert) == "00001000000504465028"
    )
    assert sello.verify(cadena.cadena_original(root), root.get("sello"), pki.officer_cert)


def test_verify_document_33(make_dec, pki) -> None:
    root = make_dec()
    assert sello.verify_document(root, pki.officer_cert) == sello.SelloResult(valid=True, variant=33)
    assert sello.verify_document(root, pki.officer_cert, strict=True).variant == 33


def test_verify_document_32_only_when_not_strict(make_dec, pki) -> None:
    root = make_dec(variant=32)
    assert sello.verify_document(root, pki.officer_cert) == sello.SelloResult(valid=True, variant=32)
    assert sello.verify_document(root, pki.officer_cert, strict=True) == sello.SelloResult(False, None)


def test_verify_document_detects_tampering(make_dec, pki) -> None:
    root = make_dec()
    root.find("{*}Alumno").set("nombre", "OTRA PERSONA")
    assert sello.verify_document(root, pki.officer_cert) == sello.SelloResult(False, None)


def test_whitespace_only_changes_keep_the_sello(make_dec, pki) -> None:
    root = make_dec()
    root.find("{*}Alumno").set("nombre", "  ANA\tSOFÍA ")
    assert sello.verify_document(root, pki.officer_cert).valid


def test_verify_document_without_sello(make_dec, pki) -> None:
    root = make_dec()
    del root.attrib["sello"]
    assert sello.verify_document(root, pki.officer_cert) == sello.SelloResult(False, None)
