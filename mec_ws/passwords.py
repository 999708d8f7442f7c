"""Password hashing: scrypt (``hashlib``) with a random salt, self-describing encoding.

Encoded form: ``scrypt$<n>$<r>$<p>$<salt base64>$<hash base64>``.  The parameters travel with
each hash, so raising the cost later only affects new hashes (see :func:`needs_rehash`).

The default cost is OWASP's minimum for scrypt (n=2**17, r=8, p=1: 128 MiB and a few hundred ms
per hash).  Hashes made with a weaker cost are rehashed on the next successful login
(:func:`needs_rehash`).  ``MEC_SCRYPT_N`` (a power of two ≥ 2**10) overrides n.  It may raise the
cost freely, but lowering it below 2**17 is honoured only in the test environment
(``MEC_AMBIENTE=pruebas``) or with the explicit ``MEC_SCRYPT_DEBIL=1`` (what the test suite sets
in tests/conftest.py); otherwise it is a :class:`ConfigurationError`, which ``serve``, ``worker``
and ``admin`` report at start.

At most :data:`MAX_CONCURRENT_HASHES` derivations run at once per process (each takes 128 MiB),
so a burst of logins queues instead of exhausting memory.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
import threading
from dataclasses import dataclass
from functools import cache

from mec_ws.errors import ConfigurationError

ALGORITHM = "scrypt"
DEFAULT_N = 2**17
MIN_N = 2**10
WEAK_FLAG = "MEC_SCRYPT_DEBIL"
MAX_CONCURRENT_HASHES = 4
_hash_slots = threading.BoundedSemaphore(MAX_CONCURRENT_HASHES)
R = 8
P = 1
SALT_BYTES = 16
KEY_BYTES = 32


@dataclass(frozen=True, slots=True)
class ScryptParams:
    n: int
    r: int
    p: int


def current_params() -> ScryptParams:
    raw = os.environ.get("MEC_SCRYPT_N", "").strip()
    n = DEFAULT_N
    if raw:
        try:
            n = int(raw)
        except ValueError:
            raise ConfigurationError(
                f"MEC_SCRYPT_N debe ser un número entero (se recibió {raw!r})."
            ) from None
        if n < MIN_N or n & (n - 1):
            raise ConfigurationError(f"MEC_SCRYPT_N debe ser una potencia de 2 y al menos {MIN_N}.")
        if n < DEFAULT_N and not _weak_allowed():
            raise ConfigurationError(
                f"MEC_SCRYPT_N={n} es menor que el mínimo de producción ({DEFAULT_N}); solo se admite "
                f"con MEC_AMBIENTE=pruebas o {WEAK_FLAG}=1 (pruebas y desarrollo): quite MEC_SCRYPT_N."
            )
    return ScryptParams(n=n, r=R, p=P)


def _weak_allowed() -> bool:
    ambiente = os.environ.get("MEC_AMBIENTE", "").strip().lower()
    return ambiente == "pruebas" or os.environ.get(WEAK_FLAG, "").strip() == "1"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _derive(password: str, salt: bytes, params: ScryptParams, dklen: int = KEY_BYTES) -> bytes:
    maxmem = 128 * params.r * params.n * 2 + 1024 * 1024
    with _hash_slots:
        return hashlib.scrypt(
            password.encode("utf-8"),
            salt=salt,
            n=params.n,
            r=params.r,
            p=params.p,
            maxmem=maxmem,
            dklen=dklen,
        )


def hash_password(password: str) -> str:
    if not password:
        raise ValueError("La contraseña no puede estar vacía.")
    params = current_params()
    salt = secrets.token_bytes(SALT_BYTES)
    digest = _derive(password, salt, params)
    return f"{ALGORITHM}${params.n}${params.r}${params.p}${_b64(salt)}${_b64(digest)}"


def _parse(encoded: str) -> tuple[ScryptParams, bytes, bytes] | None:
    parts = encoded.split("$")
    if len(parts) != 6 or parts[0] != ALGORITHM:
        return None
    try:
        n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
        salt = base64.b64decode(parts[4], validate=True)
        digest = base64.b64decode(parts[5], validate=True)
    except (ValueError, binascii.Error):
        return None
    if n < 2 or n & (n - 1) or not (1 <= r <= 64) or not (1 <= p <= 16) or not salt or not digest:
        return None
    return ScryptParams(n, r, p), salt, digest


def verify_password(password: str, encoded: str) -> bool:
    """True when ``password`` matches ``encoded``; False for a mismatch or a malformed hash.

    The comparison is constant-time.
    """
    parsed = _parse(encoded)
    if parsed is None:
        return False
    params, salt, digest = parsed
    candidate = _derive(password, salt, params, dklen=len(digest))
    return hmac.compare_digest(candidate, digest)


def needs_rehash(encoded: str) -> bool:
    """True for a malformed hash or one made with different parameters than the current ones."""
    parsed = _parse(encoded)
    return parsed is None or parsed[0] != current_params()


@cache
def _dummy_hash(params: ScryptParams) -> str:
    return hash_password(secrets.token_urlsafe(16))


def burn_verify(password: str) -> None:
    """Spend the time of one verification without any account (unknown users), so that response
    times do not reveal which usernames exist."""
    verify_password(password, _dummy_hash(current_params()))
