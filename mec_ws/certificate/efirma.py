"""e.firma (SAT) certificates and keys: loading, identity fields, validity and trust.

The SAT issues e.firma certificates whose serial number is 20 ASCII digit bytes (the "número de
certificado", e.g. ``00001000000504465028``); the holder's CURP goes in the subject
``serialNumber`` attribute and the RFC in ``x500UniqueIdentifier`` (OID 2.5.4.45).

For legal persons the SAT writes both attributes as ``"<legal person> / <representative>"``:
``x500UniqueIdentifier = "AAA010101AAA / GOMC800101AB1"`` and ``serialNumber = " / GOMC800101..."``.
:func:`subject_curp` therefore returns the *last* non-empty part (a CURP only ever belongs to the
natural person who signs) and :func:`subject_rfc` the *first* (the holder's own RFC).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import lru_cache

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtensionOID, NameOID

OID_X500_UNIQUE_IDENTIFIER = x509.ObjectIdentifier("2.5.4.45")
_PEM_CERT_MARKER = b"-----BEGIN CERTIFICATE-----"
_ASCII_DIGITS = frozenset(b"0123456789")


def load_certificate(data: bytes) -> x509.Certificate:
    """One certificate from PEM or DER bytes; ``ValueError`` (Spanish) when it is neither."""
    try:
        if _PEM_CERT_MARKER in data:
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    except ValueError:
        raise ValueError("El archivo no contiene un certificado X.509 válido (PEM o DER).") from None


def load_certificates(data: bytes) -> list[x509.Certificate]:
    """Every certificate of a PEM bundle, or the one certificate of a DER file."""
    if _PEM_CERT_MARKER in data:
        try:
            return x509.load_pem_x509_certificates(data)
        except ValueError:
            raise ValueError("El archivo PEM contiene un certificado X.509 inválido.") from None
    return [load_certificate(data)]


def certificate_from_base64(text: str) -> x509.Certificate:
    """The certificate of ``Dec/@certificadoResponsable`` (base64 of DER); ``ValueError`` on garbage."""
    compact = "".join(text.split())
    if not compact:
        raise ValueError("certificadoResponsable está vacío.")
    try:
        der = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("certificadoResponsable no es base64 válido.") from None
    try:
        return x509.load_der_x509_certificate(der)
    except ValueError:
        raise ValueError("certificadoResponsable no contiene un certificado X.509 (DER) válido.") from None


def certificate_number(cert: x509.Certificate) -> str:
    """The SAT certificate number: the serial's big-endian bytes read as ASCII digits.

    A serial that is not made of ASCII digit bytes (a non-SAT certificate) falls back to the
    decimal serial number.
    """
    serial = cert.serial_number
    raw = serial.to_bytes(max(1, (serial.bit_length() + 7) // 8), "big")
    if raw and all(b in _ASCII_DIGITS for b in raw):
        return raw.decode("ascii")
    return str(serial)


def _parts(value: str) -> list[str]:
    return [p.strip() for p in value.split("/") if p.strip()]


def _subject_value(cert: x509.Certificate, oid: x509.ObjectIdentifier) -> str | None:
    attrs = cert.subject.get_attributes_for_oid(oid)
    if not attrs:
        return None
    value = attrs[0].value
    return value if isinstance(value, str) else value.decode("utf-8", "replace")


def subject_curp(cert: x509.Certificate) -> str | None:
    """The CURP in the subject ``serialNumber`` (last non-empty part of ``"A / B"``), upper-cased."""
    value = _subject_value(cert, NameOID.SERIAL_NUMBER)
    parts = _parts(value) if value is not None else []
    return parts[-1].upper() if parts else None


def subject_rfc(cert: x509.Certificate) -> str | None:
    """The holder's RFC in ``x500UniqueIdentifier`` (first non-empty part of ``"A / B"``), upper-cased."""
    value = _subject_value(cert, OID_X500_UNIQUE_IDENTIFIER)
    parts = _parts(value) if value is not None else []
    return parts[0].upper() if parts else None


def valid_at(cert: x509.Certificate, when: datetime) -> bool:
    """True when ``when`` (timezone-aware) lies within the certificate's validity period."""
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError("valid_at requiere una fecha con zona horaria.")
    return cert.not_valid_before_utc <= when <= cert.not_valid_after_utc


def is_ca(cert: x509.Certificate) -> bool:
    """basicConstraints CA=True and, when keyUsage is present, keyCertSign."""
    try:
        basic = cert.extensions.get_extension_for_oid(ExtensionOID.BASIC_CONSTRAINTS).value
    except x509.ExtensionNotFound:
        return False
    if not basic.ca:
        return False
    try:
        usage = cert.extensions.get_extension_for_oid(ExtensionOID.KEY_USAGE).value
    except x509.ExtensionNotFound:
        return True
    return usage.key_cert_sign


@lru_cache(maxsize=1024)  # a pure function of the two certificates; a batch repeats one officer's
def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    if not is_ca(issuer):
        return False
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def chains_to(
    cert: x509.Certificate,
    trusted: Sequence[x509.Certificate],
    *,
    intermediates: Sequence[x509.Certificate] = (),
    at: datetime | None = None,
) -> bool:
    """True when ``cert`` was issued by a trusted CA that is within its own validity period.

    Every certificate in ``trusted`` is a trust anchor (root or intermediate alike: an
    intermediate placed in the trusted set is trusted directly).  ``intermediates`` are
    untrusted CA certificates that may bridge one level: cert <- intermediate <- trusted CA.
    Issuers must carry basicConstraints CA=True (and keyCertSign when keyUsage is present) and be
    valid at ``at`` (timezone-aware; by default now): an expired or not-yet-valid CA vouches for
    nothing.  The validity of ``cert`` itself is not judged here (the firma rules check the
    officer's dates, with their own finding).
    """
    when = datetime.now(UTC) if at is None else at
    live_trusted = [ca for ca in trusted if valid_at(ca, when)]
    if any(_issued_by(cert, ca) for ca in live_trusted):
        return True
    return any(
        valid_at(mid, when) and _issued_by(cert, mid) and any(_issued_by(mid, ca) for ca in live_trusted)
        for mid in intermediates
    )


def load_private_key(data: bytes, password: bytes | None = None) -> rsa.RSAPrivateKey:
    """An RSA private key from PEM or (encrypted) DER PKCS#8, like the SAT ``.key`` files."""
    try:
        if b"-----BEGIN" in data:
            key = serialization.load_pem_private_key(data, password=password)
        else:
            key = serialization.load_der_private_key(data, password=password)
    except TypeError:
        if password is None:
            raise ValueError("La llave privada está cifrada: se requiere la contraseña.") from None
        raise ValueError("La llave privada no está cifrada: no lleva contraseña.") from None
    except ValueError:
        raise ValueError(
            "No se pudo leer la llave privada: la contraseña es incorrecta o el formato no es "
            "PEM ni DER PKCS#8."
        ) from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("La llave privada no es RSA; la e.firma usa llaves RSA.")
    return key
