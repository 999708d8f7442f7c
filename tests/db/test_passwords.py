from __future__ import annotations

import pytest

from mec_ws import passwords
from mec_ws.errors import ConfigurationError


def test_hash_format_and_verify() -> None:
    encoded = passwords.hash_password("correcto-caballo")
    algo, n, r, p, salt, digest = encoded.split("$")
    assert (algo, n, r, p) == ("scrypt", "1024", "8", "1")  # MEC_SCRYPT_N from tests/conftest.py
    assert salt and digest
    assert passwords.verify_password("correcto-caballo", encoded)
    assert not passwords.verify_password("correcto-caballO", encoded)


def test_salt_is_random() -> None:
    assert passwords.hash_password("igual") != passwords.hash_password("igual")


def test_default_cost_is_strong(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MEC_SCRYPT_N", raising=False)
    assert passwords.current_params().n == 2**17  # OWASP's minimum for scrypt


def test_production_cannot_lower_the_cost(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MEC_SCRYPT_DEBIL", raising=False)
    monkeypatch.setenv("MEC_AMBIENTE", "produccion")
    monkeypatch.setenv("MEC_SCRYPT_N", str(2**15))
    with pytest.raises(ConfigurationError, match="MEC_SCRYPT_N=32768 es menor"):
        passwords.current_params()
    monkeypatch.setenv("MEC_SCRYPT_N", str(2**18))  # raising it is always allowed
    assert passwords.current_params().n == 2**18


@pytest.mark.parametrize(("env", "value"), [("MEC_AMBIENTE", "pruebas"), ("MEC_SCRYPT_DEBIL", "1")])
def test_low_cost_needs_the_test_environment_or_the_explicit_flag(
    monkeypatch: pytest.MonkeyPatch, env: str, value: str
) -> None:
    monkeypatch.delenv("MEC_SCRYPT_DEBIL", raising=False)
    monkeypatch.delenv("MEC_AMBIENTE", raising=False)
    monkeypatch.setenv("MEC_SCRYPT_N", "1024")
    with pytest.raises(ConfigurationError):
        passwords.current_params()
    monkeypatch.setenv(env, value)
    assert passwords.current_params().n == 1024


def test_legacy_default_hash_is_rehashed_at_the_new_default(monkeypatch: pytest.MonkeyPatch) -> None:
    legacy = (
        "scrypt$32768$8$1$" + "YWFhYWFhYWFhYWFhYWFhYQ==$" + "YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWE="
    )
    monkeypatch.delenv("MEC_SCRYPT_N", raising=False)
    assert passwords.needs_rehash(legacy)


@pytest.mark.parametrize(
    "bad", ["", "scrypt$1024$8$1$###$abc", "bcrypt$x", "scrypt$1000$8$1$YQ==$YQ==", "plain"]
)
def test_malformed_hashes_never_verify(bad: str) -> None:
    assert not passwords.verify_password("x", bad)
    assert passwords.needs_rehash(bad)


def test_needs_rehash_when_cost_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    encoded = passwords.hash_password("x")
    assert not passwords.needs_rehash(encoded)
    monkeypatch.setenv("MEC_SCRYPT_N", "2048")
    assert passwords.needs_rehash(encoded)
    assert passwords.verify_password("x", encoded)  # old hashes keep working


@pytest.mark.parametrize("value", ["abc", "1000", "512"])
def test_bad_cost_override_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("MEC_SCRYPT_N", value)
    with pytest.raises(ConfigurationError, match="MEC_SCRYPT_N"):
        passwords.hash_password("x")


def test_empty_password_is_refused() -> None:
    with pytest.raises(ValueError, match="vacía"):
        passwords.hash_password("")
