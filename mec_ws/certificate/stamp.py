"""The SEP stamp: the ``Dreoe`` and ``SepIpes`` nodes appended to an accepted certificate."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa


@dataclass(frozen=True)
class SepSigner:
    """The SEP officer who stamps accepted certificates, with the stamping key."""

    key: rsa.RSAPrivateKey
    certificate: x509.Certificate
    curp: str
    nombre_completo: str
    id_cargo: int
    cargo: str
