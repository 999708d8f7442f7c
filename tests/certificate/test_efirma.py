"""e.firma certificates: loading, SAT certificate number, identity, validity, trust; the test PKI."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from mec_ws.certificate import efirma
from mec_ws.testdata import pki as testpki

CURP_DICT = "0123456789ABCDEFGHIJKLMNÑOPQRSTUVWXYZ"


def _check_digit_ok(curp: str) -> bool:
    total = sum(CURP_DICT.index(c) * (18 - i) for i, c in enumerate(curp[:17]))
    return curp[17] == str((10 - total % 10) % 10)


def test_fixed_curps_have_valid_check_digits() -> None:
    assert _check_digit_ok(testpki.DEFAULT_OFFICER_CURP)
    assert _check_digit_ok(testpki.SEP_OFFICER_CURP)
    assert not _check_digit_ok(testpki.DEFAULT_OFFICER_CURP[:17] + "0")


def test_sat_shaped_certificate_number(pki) -> None:
    assert efirma.certificate_number(pki.officer_cert) == "00001000000504465028"
    assert pki.officer_cert.serial_number == int.from_bytes(b"00001000000504465028", "big")
    number = efirma.certificate_number(pki.sep_signer.certificate)
    assert len(number) == 20 and number.isdigit() and number.startswith("0000")


def test_certificate_number_falls_back_to_decimal_serial(pki) -> None:
    # the CA has a random (non-ASCII-digit) serial
    assert efirma.certificate_number(pki.ca_cert) == str(pki.ca_cert.serial_number)


def test_load_certificate_pem_der_and_errors(pki) -> None:
    der = testpki.cert_to_der(pki.officer_cert)
    pem = testpki.cert_to_pem(pki.officer_cert)
    assert efirma.load_certificate(der) == pki.officer_cert
    assert efirma.load_certificate(pem) == pki.officer_cert
    with pytest.raises(ValueError, match=r"certificado X\.509"):
        efirma.load_certificate(b"basura")
    bundle = testpki.cert_to_pem(pki.ca_cert) + pem
    assert efirma.load_certificates(bundle) == [pki.ca_cert, pki.officer_cert]
    assert efirma.load_certificates(der) == [pki.officer_cert]


def test_certificate_from_base64(pki) -> None:
    text = base64.b64encode(testpki.cert_to_der(pki.officer_cert)).decode()
    assert efirma.certificate_from_base64(text) == pki.officer_cert
    for junk in ("", "%%%", "QUJD", "   "):
        with pytest.raises(ValueError):
            efirma.certificate_from_base64(junk)


def test_subject_identity(pki) -> None:
    assert efirma.subject_curp(pki.officer_cert) == testpki.DEFAULT_OFFICER_CURP
    assert efirma.subject_rfc(pki.officer_cert) == testpki.DEFAULT_OFFICER_RFC
    assert efirma.subject_curp(pki.ca_cert) is None
    assert efirma.subject_rfc(pki.ca_cert) is None


def test_subject_identity_of_legal_person_form(pki) -> None:
    # SAT legal-person form: "<company> / <representative>"
    _, cert = testpki.make_officer_certificate(
        pki.ca_key,
        pki.ca_cert,
        curp=" / GOMC800101HDFMRR18",
        rfc="UPR010101AB1 / GOMC800101AB1",
        nombre="UNIVERSIDAD DE PRUEBAS SC",
        not_before=datetime(2020, 1, 1, tzinfo=UTC),
        not_after=datetime(2030, 1, 1, tzinfo=UTC),
        key=pki.officer_key,
    )
    assert efirma.subject_curp(cert) == "GOMC800101HDFMRR18"
    assert efirma.subject_rfc(cert) == "UPR010101AB1"


def test_valid_at(pki) -> None:
    cert = pki.officer_cert
    assert efirma.valid_at(cert, datetime(2024, 1, 1, tzinfo=UTC))
    assert not efirma.valid_at(cert, datetime(2019, 12, 31, tzinfo=UTC))
    assert not efirma.valid_at(cert, datetime(2031, 1, 1, tzinfo=UTC))
    with pytest.raises(ValueError):
        efirma.valid_at(cert, datetime(2024, 1, 1))


def test_chains_to_trusted_ca(pki) -> None:
    assert efirma.chains_to(pki.officer_cert, [pki.ca_cert])
    _, other_ca = testpki.make_ca("Otra AC")
    assert not efirma.chains_to(pki.officer_cert, [other_ca])
    assert efirma.chains_to(pki.officer_cert, [other_ca, pki.ca_cert])
    assert not efirma.chains_to(pki.officer_cert, [])


def _intermediate(root_key, root_cert, key, *, ca: bool = True) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "AC intermedia")])
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(root_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(datetime(2020, 1, 1, tzinfo=UTC))
        .not_valid_after(datetime(2034, 1, 1, tzinfo=UTC))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .sign(root_key, hashes.SHA256())
    )


def test_chains_through_one_intermediate(pki) -> None:
    mid_key, _ = testpki.make_ca("llave intermedia")
    mid = _intermediate(pki.ca_key, pki.ca_cert, mid_key)
    mid_ca_key_holder = (mid_key, mid)
    _, leaf = testpki.make_officer_certificate(
        *mid_ca_key_holder,
        curp=testpki.DEFAULT_OFFICER_CURP,
        rfc="GOMC800101AB1",
        nombre="X",
        not_before=datetime(2021, 1, 1, tzinfo=UTC),
        not_after=datetime(2025, 1, 1, tzinfo=UTC),
        key=pki.officer_key,
    )
    assert efirma.chains_to(leaf, [mid])  # the intermediate itself is trusted
    assert not efirma.chains_to(leaf, [pki.ca_cert])  # root only, intermediate not supplied
    assert efirma.chains_to(leaf, [pki.ca_cert], intermediates=[mid])
    not_ca = _intermediate(pki.ca_key, pki.ca_cert, mid_key, ca=False)
    assert not efirma.chains_to(leaf, [not_ca])
    assert not efirma.chains_to(leaf, [pki.ca_cert], intermediates=[not_ca])


def test_end_entity_is_not_a_ca(pki) -> None:
    # a certificate "issued" by the officer (not a CA) is not trusted even if the officer is listed
    _, cert = testpki.make_officer_certificate(
        pki.officer_key,
        pki.officer_cert,
        curp="X",
        rfc="Y",
        nombre="Z",
        not_before=datetime.now(UTC) - timedelta(days=1),
        not_after=datetime.now(UTC) + timedelta(days=1),
    )
    assert not efirma.chains_to(cert, [pki.officer_cert])


def test_private_key_round_trips(pki) -> None:
    key = pki.officer_key
    der = testpki.key_to_sat_der(key, b"s3creta")
    assert efirma.load_private_key(der, b"s3creta").private_numbers() == key.private_numbers()
    assert efirma.load_private_key(testpki.key_to_pem(key)).private_numbers() == key.private_numbers()
    pem_enc = testpki.key_to_pem(key, b"s3creta")
    assert efirma.load_private_key(pem_enc, b"s3creta").private_numbers() == key.private_numbers()
    with pytest.raises(ValueError, match="contraseña"):
        efirma.load_private_key(der, b"otra")
    with pytest.raises(ValueError, match="cifrada"):
        efirma.load_private_key(der, None)
    with pytest.raises(ValueError):
        efirma.load_private_key(b"basura", b"x")


def test_private_key_must_be_rsa() -> None:
    from cryptography.hazmat.primitives import serialization

    ec_pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(ValueError, match="RSA"):
        efirma.load_private_key(ec_pem)


def test_default_pki_is_cached_and_coherent(pki) -> None:
    assert testpki.default_pki() is pki
    assert efirma.chains_to(pki.sep_signer.certificate, [pki.ca_cert])
    assert efirma.subject_curp(pki.sep_signer.certificate) == pki.sep_signer.curp


def _same_ca_with_validity(pki, not_before: datetime, not_after: datetime) -> x509.Certificate:
    """The test CA's name and key, re-issued with another validity period."""
    builder = (
        x509.CertificateBuilder()
        .subject_name(pki.ca_cert.subject)
        .issuer_name(pki.ca_cert.subject)
        .public_key(pki.ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
    )
    for ext in pki.ca_cert.extensions:
        builder = builder.add_extension(ext.value, critical=ext.critical)
    return builder.sign(pki.ca_key, hashes.SHA256())


def test_an_expired_or_future_ca_vouches_for_nothing(pki) -> None:
    at = datetime(2026, 6, 1, tzinfo=UTC)
    expired = _same_ca_with_validity(pki, datetime(2015, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC))
    future = _same_ca_with_validity(pki, datetime(2027, 1, 1, tzinfo=UTC), datetime(2040, 1, 1, tzinfo=UTC))
    assert efirma.chains_to(pki.officer_cert, [pki.ca_cert], at=at)
    assert not efirma.chains_to(pki.officer_cert, [expired], at=at)
    assert not efirma.chains_to(pki.officer_cert, [future], at=at)
    assert efirma.chains_to(pki.officer_cert, [expired], at=datetime(2025, 6, 1, tzinfo=UTC))


def test_an_expired_intermediate_does_not_bridge(pki) -> None:
    mid_key, _ = testpki.make_ca("llave intermedia")
    mid = _intermediate(pki.ca_key, pki.ca_cert, mid_key)  # valid 2020..2034
    _, leaf = testpki.make_officer_certificate(
        mid_key,
        mid,
        curp=testpki.DEFAULT_OFFICER_CURP,
        rfc="GOMC800101AB1",
        nombre="X",
        not_before=datetime(2021, 1, 1, tzinfo=UTC),
        not_after=datetime(2036, 1, 1, tzinfo=UTC),
        key=pki.officer_key,
    )
    assert efirma.chains_to(leaf, [pki.ca_cert], intermediates=[mid], at=datetime(2030, 1, 1, tzinfo=UTC))
    assert not efirma.chains_to(leaf, [pki.ca_cert], intermediates=[mid], at=datetime(2034, 6, 1, tzinfo=UTC))
