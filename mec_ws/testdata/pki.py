"""A test PKI shaped like the SAT's e.firma: a CA, officer certificates, the SEP signer.

Officer certificates carry what the SAT puts in an e.firma: a serial number made of 20 ASCII
digit bytes (the "número de certificado"), the CURP in the subject ``serialNumber`` and the RFC
in ``x500UniqueIdentifier``.  RSA key generation is slow: :func:`default_pki` builds one PKI per
process and caches it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from mec_ws.certificate.efirma import OID_X500_UNIQUE_IDENTIFIER, load_private_key
from mec_ws.certificate.stamp import SepSigner

__all__ = [
    "DEFAULT_OFFICER_CURP",
    "DEFAULT_OFFICER_NOMBRE",
    "DEFAULT_OFFICER_RFC",
    "SEP_OFFICER_CURP",
    "TestPki",
    "cert_to_der",
    "cert_to_pem",
    "default_pki",
    "key_to_pem",
    "key_to_sat_der",
    "load_private_key",
    "make_ca",
    "make_officer_certificate",
    "make_sep_signer",
]

_CURP_DICTIONARY = "0123456789ABCDEFGHIJKLMNÑOPQRSTUVWXYZ"


def _with_curp_check_digit(first17: str) -> str:
    """RENAPO check digit: weights 18..2 over the first 17 characters."""
    total = sum(_CURP_DICTIONARY.index(ch) * (18 - i) for i, ch in enumerate(first17))
    return first17 + str((10 - total % 10) % 10)


# Fixed identities (CURP check digits computed with the RENAPO algorithm; a test re-checks them).
DEFAULT_OFFICER_NOMBRE = "CARLOS GOMEZ MARTINEZ"
DEFAULT_OFFICER_CURP = _with_curp_check_digit("GOMC800101HDFMRR1")
DEFAULT_OFFICER_RFC = "GOMC800101AB1"
SEP_OFFICER_NOMBRE = "LAURA PEREZ HERNANDEZ"
SEP_OFFICER_CURP = _with_curp_check_digit("PEHL750312MDFRRR2")
SEP_OFFICER_RFC = "PEHL750312KT4"

_KEY_SIZE = 2048


def _new_key(key_size: int = _KEY_SIZE) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=key_size)


def sat_serial(digits: str) -> int:
    """The X.509 serial whose big-endian bytes are the 20 ASCII digits (as the SAT issues them)."""
    if len(digits) != 20 or not digits.isascii() or not digits.isdigit():
        raise ValueError("el número de certificado SAT tiene 20 dígitos ASCII")
    return int.from_bytes(digits.encode("ascii"), "big")


def random_sat_number() -> str:
    """A 20-digit certificate number starting with ``0000`` like the SAT's ``00001000000...``."""
    return "00001" + "".join(secrets.choice("0123456789") for _ in range(15))


def make_ca(
    common_name: str = "AC de pruebas mec-ws", *, key_size: int = _KEY_SIZE
) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    """A self-signed CA (basicConstraints CA, keyCertSign + cRLSign), valid 2020-01-01 .. 2035-01-01."""
    key = _new_key(key_size)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "mec-ws pruebas"),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "MX"),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(datetime(2020, 1, 1, tzinfo=UTC))
        .not_valid_after(datetime(2035, 1, 1, tzinfo=UTC))
        .add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def make_officer_certificate(
    ca_key: rsa.RSAPrivateKey,
    ca_cert: x509.Certificate,
    *,
    curp: str,
    rfc: str,
    nombre: str,
    not_before: datetime,
    not_after: datetime,
    serial: str | None = None,
    key: rsa.RSAPrivateKey | None = None,
) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    """An e.firma-like end-entity certificate for a natural person (2048-bit RSA)."""
    key = key or _new_key()
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, nombre),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, nombre),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "MX"),
            x509.NameAttribute(OID_X500_UNIQUE_IDENTIFIER, rfc),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, curp),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(sat_serial(serial or random_sat_number()))
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=True,
                key_agreement=True,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    return key, cert


def make_sep_signer(ca_key: rsa.RSAPrivateKey, ca_cert: x509.Certificate) -> SepSigner:
    """A plausible SEP officer (Dirección General de Acreditación) with a fresh e.firma."""
    key, cert = make_officer_certificate(
        ca_key,
        ca_cert,
        curp=SEP_OFFICER_CURP,
        rfc=SEP_OFFICER_RFC,
        nombre=SEP_OFFICER_NOMBRE,
        not_before=datetime(2020, 1, 1, tzinfo=UTC),
        not_after=datetime(2030, 12, 31, 23, 59, 59, tzinfo=UTC),
    )
    return SepSigner(
        key=key,
        certificate=cert,
        curp=SEP_OFFICER_CURP,
        nombre_completo=SEP_OFFICER_NOMBRE,
        id_cargo=1,
        cargo="DIRECTORA GENERAL DE ACREDITACIÓN, INCORPORACIÓN Y REVALIDACIÓN",
    )


def key_to_pem(key: rsa.RSAPrivateKey, password: bytes | None = None) -> bytes:
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    )
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)


def key_to_sat_der(key: rsa.RSAPrivateKey, password: bytes) -> bytes:
    """Encrypted PKCS#8 DER, like the SAT ``.key`` files."""
    return key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(password),
    )


def cert_to_der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def cert_to_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


@dataclass(frozen=True)
class TestPki:
    __test__ = False  # not a pytest test class

    ca_key: rsa.RSAPrivateKey
    ca_cert: x509.Certificate
    officer_key: rsa.RSAPrivateKey
    officer_cert: x509.Certificate
    officer_curp: str
    officer_rfc: str
    officer_nombre: str
    sep_signer: SepSigner


@cache
def default_pki() -> TestPki:
    """One PKI per process: a CA, the default officer (valid 2020-01-01..2030-12-31), the SEP signer."""
    ca_key, ca_cert = make_ca()
    officer_key, officer_cert = make_officer_certificate(
        ca_key,
        ca_cert,
        curp=DEFAULT_OFFICER_CURP,
        rfc=DEFAULT_OFFICER_RFC,
        nombre=DEFAULT_OFFICER_NOMBRE,
        not_before=datetime(2020, 1, 1, tzinfo=UTC),
        not_after=datetime(2030, 12, 31, 23, 59, 59, tzinfo=UTC),
        serial="00001000000504465028",
    )
    return TestPki(
        ca_key=ca_key,
        ca_cert=ca_cert,
        officer_key=officer_key,
        officer_cert=officer_cert,
        officer_curp=DEFAULT_OFFICER_CURP,
        officer_rfc=DEFAULT_OFFICER_RFC,
        officer_nombre=DEFAULT_OFFICER_NOMBRE,
        sep_signer=make_sep_signer(ca_key, ca_cert),
    )
