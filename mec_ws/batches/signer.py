"""The SEP signer that stamps accepted certificates, from the active ``SepStampKey`` row.

The certificate (DER) is in the database; the private key is a PEM file under the data directory
(``mec-ws admin set-stamp-key`` writes both).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select
from sqlalchemy.orm import Session

from mec_ws.certificate import efirma
from mec_ws.certificate.stamp import SepSigner
from mec_ws.errors import ConfigurationError
from models import SepStampKey

_KEYS: dict[bytes, rsa.RSAPrivateKey] = {}
"""Parsed stamping keys by the SHA-256 of their file: loading (and checking) an RSA key costs as much
as hundreds of signatures, and a worker process stamps batch after batch with the same file."""


def _private_key(data: bytes) -> rsa.RSAPrivateKey:
    digest = hashlib.sha256(data).digest()
    key = _KEYS.get(digest)
    if key is None:
        key = efirma.load_private_key(data, None)
        if len(_KEYS) >= 4:  # a key rotation now and then: keep only the last few
            _KEYS.clear()
        _KEYS[digest] = key
    return key


def load_sep_signer(session: Session, data_dir: Path) -> SepSigner:
    """The active stamping identity; :class:`ConfigurationError` when none is usable."""
    row = session.scalars(select(SepStampKey).where(SepStampKey.active.is_(True))).one_or_none()
    if row is None:
        raise ConfigurationError(
            "no hay llave de sellado de la SEP activa: regístrela con `mec-ws admin set-stamp-key`."
        )
    root = Path(data_dir).resolve()
    key_path = (root / row.key_path).resolve()
    if root not in key_path.parents:
        raise ConfigurationError(f"la llave de sellado {row.key_path!r} está fuera de MEC_DATA_DIR.")
    try:
        key = _private_key(key_path.read_bytes())
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"no se pudo leer la llave de sellado {row.key_path}: {exc}") from None
    cert = x509.load_der_x509_certificate(row.certificate_der)
    public = cert.public_key()
    if (
        not isinstance(public, rsa.RSAPublicKey)
        or public.public_numbers() != key.public_key().public_numbers()
    ):
        raise ConfigurationError("la llave de sellado de la SEP no corresponde a su certificado.")
    return SepSigner(
        key=key,
        certificate=cert,
        curp=row.curp,
        nombre_completo=row.nombre_completo,
        id_cargo=row.id_cargo,
        cargo=row.cargo,
    )
