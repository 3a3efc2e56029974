"""Envelope encryption and the key file: round trips, and every way it must fail."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from punchcard.adapters.crypto import envelope
from punchcard.adapters.crypto.envelope import DecryptionFailed
from punchcard.adapters.crypto.keyfile import FileKeyProvider
from punchcard.domain.privacy.keys import KeyUnavailable, Wrapped

PLAIN = b'{"email":"ada@example.com","name":"Ada"}'


def test_encrypt_then_decrypt_returns_the_plaintext() -> None:
    key = envelope.new_key()
    aad = envelope.data_aad("acme", "cus_1")
    sealed = envelope.seal(key, PLAIN, aad)
    assert PLAIN not in sealed
    assert envelope.open_(key, sealed, aad) == PLAIN
    assert envelope.seal(key, PLAIN, aad) != sealed  # a fresh nonce every time


def test_a_tampered_ciphertext_fails() -> None:
    key = envelope.new_key()
    aad = envelope.data_aad("acme", "cus_1")
    sealed = bytearray(envelope.seal(key, PLAIN, aad))
    sealed[20] ^= 1
    with pytest.raises(DecryptionFailed):
        envelope.open_(key, bytes(sealed), aad)
    with pytest.raises(DecryptionFailed):
        envelope.open_(key, bytes(sealed[:10]), aad)


def test_another_customers_or_tenants_associated_data_fails() -> None:
    key = envelope.new_key()
    sealed = envelope.seal(key, PLAIN, envelope.data_aad("acme", "cus_1"))
    for aad in (envelope.data_aad("acme", "cus_2"), envelope.data_aad("other", "cus_1")):
        with pytest.raises(DecryptionFailed):
            envelope.open_(key, sealed, aad)


def test_a_wrong_key_fails() -> None:
    aad = envelope.data_aad("acme", "cus_1")
    sealed = envelope.seal(envelope.new_key(), PLAIN, aad)
    with pytest.raises(DecryptionFailed):
        envelope.open_(envelope.new_key(), sealed, aad)


def test_lookup_hashes_are_keyed() -> None:
    one, two = os.urandom(32), os.urandom(32)
    assert envelope.lookup_hash(one, "email", "a@b.co") == envelope.lookup_hash(
        one, "email", "a@b.co"
    )
    assert envelope.lookup_hash(one, "email", "a@b.co") != envelope.lookup_hash(
        two, "email", "a@b.co"
    )
    assert len(envelope.lookup_hash(one, "email", "a@b.co")) == 32


def test_the_key_file_is_made_on_first_use_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "keys.json"
    provider = FileKeyProvider(path)
    assert not path.exists()
    dek = envelope.new_key()
    wrapped = provider.wrap("acme", dek, b"ctx")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert dek not in path.read_bytes()
    again = FileKeyProvider(path)  # another process reading the same file
    assert again.unwrap("acme", wrapped, b"ctx") == dek
    assert again.lookup_secret("acme") == provider.lookup_secret("acme")
    assert provider.lookup_secret("acme") != provider.lookup_secret("other")


def test_a_wrapped_key_is_bound_to_its_context(tmp_path: Path) -> None:
    provider = FileKeyProvider(tmp_path / "keys.json")
    wrapped = provider.wrap("acme", envelope.new_key(), b"cus_1")
    with pytest.raises(KeyUnavailable):
        provider.unwrap("acme", wrapped, b"cus_2")
    with pytest.raises(KeyUnavailable):
        provider.unwrap("other", wrapped, b"cus_1")


def test_rotation_rewraps_and_the_old_kek_no_longer_unwraps(tmp_path: Path) -> None:
    provider = FileKeyProvider(tmp_path / "keys.json")
    dek = envelope.new_key()
    old = provider.wrap("acme", dek, b"ctx")
    old_kek = provider.raw_kek("acme", old.kek_id)
    new_id = provider.rotate("acme")
    assert new_id != old.kek_id and provider.current("acme") == new_id
    assert provider.unwrap("acme", old, b"ctx") == dek  # still readable until retired
    new = provider.wrap("acme", provider.unwrap("acme", old, b"ctx"), b"ctx")
    assert new.kek_id == new_id
    assert provider.retire_old("acme") == [old.kek_id]
    assert provider.kek_ids("acme") == [new_id]
    assert provider.unwrap("acme", new, b"ctx") == dek
    with pytest.raises(KeyUnavailable):
        provider.unwrap("acme", old, b"ctx")
    # Even holding the old KEK's bytes, the re-wrapped key does not open with them.
    with pytest.raises(DecryptionFailed):
        envelope.open_(old_kek, new.blob, b"ctx\x00" + new_id.encode())
    with pytest.raises(KeyUnavailable):
        provider.unwrap("acme", Wrapped("kek_unknown", new.blob), b"ctx")


def test_a_damaged_key_file_is_a_typed_error(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    path.write_text("{not json")
    with pytest.raises(KeyUnavailable, match="not a punchcard key file"):
        FileKeyProvider(path).current("acme")
    path.write_text('{"something": "else"}')
    with pytest.raises(KeyUnavailable, match="not a punchcard key file"):
        FileKeyProvider(path).lookup_secret("acme")
