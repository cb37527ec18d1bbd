"""Password hashes: argon2id at argon2-cffi's recommended cost in the app. The test runs hash
at the cheapest argon2id cost (``crm_core.testing``), which must not leak into the app."""

from __future__ import annotations

from argon2 import profiles

from crm_core.auth import passwords


def test_the_app_hashes_with_argon2id_at_the_recommended_cost():
    expected = profiles.RFC_9106_LOW_MEMORY
    previous = passwords.use_hasher(passwords.RECOMMENDED)
    try:
        made = passwords.hash_password("Kettle-Drum-42x")
    finally:
        passwords.use_hasher(previous)
    assert made.startswith(f"$argon2id$v=19$m={expected.memory_cost},t={expected.time_cost},"
                           f"p={expected.parallelism}$")
    assert passwords.verify_password(made, "Kettle-Drum-42x")


def test_a_hash_made_at_another_cost_still_verifies_after_the_hasher_changes():
    cheap = passwords.hash_password("Kettle-Drum-42x")
    previous = passwords.use_hasher(passwords.RECOMMENDED)
    try:
        assert passwords.verify_password(cheap, "Kettle-Drum-42x")
        assert not passwords.verify_password(cheap, "Kettle-Drum-43x")
    finally:
        passwords.use_hasher(previous)
