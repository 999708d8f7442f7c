"""The institution's ``sello``: RSA PKCS#1 v1.5 + SHA-256 over the UTF-8 cadena, in base64."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from lxml import etree

from mec_ws.certificate.cadena import cadena_original
from mec_ws.certificate.efirma import certificate_number


def sign(cadena: str, key: rsa.RSAPrivateKey) -> str:
    """base64 of the RSA-SHA256 (PKCS#1 v1.5) signature of the cadena's UTF-8 bytes."""
    signature = key.sign(cadena.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode("ascii")


def verify(cadena: str, sello_b64: str, cert: x509.Certificate) -> bool:
    """True when ``sello_b64`` signs ``cadena`` with the certificate's RSA key; never raises on garbage."""
    public_key = cert.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        return False
    try:
        signature = base64.b64decode("".join(sello_b64.split()), validate=True)
    except (binascii.Error, ValueError):
        return False
    if not signature:
        return False
    try:
        public_key.verify(signature, cadena.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        return False
    return True


@dataclass(frozen=True)
class SelloResult:
    valid: bool
    variant: int | None  # 33 or 32 when valid; None otherwise


def verify_document(
    root: etree._Element,
    cert: x509.Certificate,
    *,
    strict: bool = False,
    cadena: Callable[[int], str] | None = None,
) -> SelloResult:
    """Verify ``Dec/@sello``: the 33-field cadena first, then (unless ``strict``) the 32-field one.

    ``cadena(variant)`` gives the cadena of ``root`` when the caller already has it (the rules build
    it once per document); by default it is built from ``root``.
    """
    sello = root.get("sello")
    if not sello:
        return SelloResult(valid=False, variant=None)
    for variant in (33,) if strict else (33, 32):
        text = cadena(variant) if cadena is not None else cadena_original(root, variant=variant)
        if verify(text, sello, cert):
            return SelloResult(valid=True, variant=variant)
    return SelloResult(valid=False, variant=None)


def seal_document(
    root: etree._Element, key: rsa.RSAPrivateKey, cert: x509.Certificate, *, variant: int = 33
) -> None:
    """Set certificadoResponsable, noCertificadoResponsable and the sello (in that order) on ``root``."""
    der = cert.public_bytes(serialization.Encoding.DER)
    root.set("certificadoResponsable", base64.b64encode(der).decode("ascii"))
    root.set("noCertificadoResponsable", certificate_number(cert))
    root.set("sello", sign(cadena_original(root, variant=variant), key))
