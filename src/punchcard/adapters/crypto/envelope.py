"""Envelope encryption of personal data with AES-256-GCM (``cryptography``'s AESGCM).

A ciphertext is ``nonce (12 bytes) || AES-GCM(key, nonce, plaintext, aad)``: a fresh
random nonce per encryption, the 16-byte tag at the end. The associated data names
the tenant and the customer, so a ciphertext or a wrapped key copied to another
customer's row fails to decrypt instead of disclosing someone else's data.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from punchcard.domain.errors import PunchcardError

KEY_BYTES = 32
NONCE_BYTES = 12


class DecryptionFailed(PunchcardError):
    """The data could not be decrypted: wrong key, wrong owner, or altered."""

    code = "decryption_failed"
    http_status = 500


def new_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def open_(key: bytes, sealed: bytes, aad: bytes) -> bytes:
    if len(key) != KEY_BYTES or len(sealed) < NONCE_BYTES + 16:
        raise DecryptionFailed()
    try:
        return AESGCM(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], aad)
    except InvalidTag:
        raise DecryptionFailed() from None


def data_aad(tenant: str, customer_id: str) -> bytes:
    """What a customer's personal-data ciphertext is bound to."""
    return b"\x00".join((b"punchcard/pii/v1", tenant.encode(), customer_id.encode()))


def key_aad(tenant: str, customer_id: str) -> bytes:
    """What a customer's wrapped data key is bound to."""
    return b"\x00".join((b"punchcard/dek/v1", tenant.encode(), customer_id.encode()))


def lookup_hash(secret: bytes, kind: str, value: str) -> bytes:
    """HMAC-SHA256 of a normalized value: equal values match, and without the
    tenant's secret the digest says nothing of the value (no dictionary attack)."""
    return hmac.new(secret, kind.encode() + b"\x00" + value.encode(), hashlib.sha256).digest()
