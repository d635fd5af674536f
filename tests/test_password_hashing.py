"""Passwords are hashed with production-strength argon2id unless a test explicitly asks for cheap parameters."""

from __future__ import annotations

from types import SimpleNamespace

from argon2 import Type
from argon2 import extract_parameters
from argon2 import profiles

from engine.services.accounts import hash_password
from engine.services.accounts import verify_password
from engine.settings import EngineSettings
from engine.settings import PasswordHashing
from tests.conftest import FAST_PASSWORD_HASHING


def _ctx(settings: EngineSettings) -> SimpleNamespace:
    # hash_password reads nothing but ctx.settings; a whole EngineContext would add a database for nothing.
    return SimpleNamespace(settings=settings)


def test_default_settings_hash_with_rfc_9106_parameters() -> None:
    # The suite runs on FAST_PASSWORD_HASHING; this is the one place that proves what production gets.
    encoded = hash_password(_ctx(EngineSettings()), "correct horse 42")  # type: ignore[arg-type]
    params = extract_parameters(encoded)
    strong = profiles.RFC_9106_LOW_MEMORY
    assert params.type is Type.ID
    assert params.time_cost >= strong.time_cost
    assert params.memory_cost >= strong.memory_cost
    assert params.parallelism == strong.parallelism
    assert encoded.startswith("$argon2id$v=19$m=65536,t=3,p=4$")


def test_production_defaults_are_not_the_test_parameters() -> None:
    assert EngineSettings().password_hashing == PasswordHashing()
    assert PasswordHashing() != FAST_PASSWORD_HASHING


def test_hashes_verify_whatever_parameters_made_them() -> None:
    # Verification reads the parameters from the stored hash, so a settings change never locks anyone out.
    cheap = hash_password(_ctx(EngineSettings(password_hashing=FAST_PASSWORD_HASHING)), "pw-12345678")  # type: ignore[arg-type]
    strong = hash_password(_ctx(EngineSettings()), "pw-12345678")  # type: ignore[arg-type]
    assert extract_parameters(cheap).memory_cost == FAST_PASSWORD_HASHING.memory_cost_kib
    assert verify_password(cheap, "pw-12345678") and verify_password(strong, "pw-12345678")
    assert not verify_password(cheap, "pw-12345679") and not verify_password(strong, "wrong")
