"""Where the vault's keys come from: a key provider, per tenant.

The vault never sees a key-encryption key (KEK) itself, only asks the provider to
wrap and unwrap a customer's data key (DEK), so a KMS or an HSM that never lets a
key out fits the same interface as the local key file. ``context`` is bound to the
wrapping (associated data): a wrapped key moved to another customer does not unwrap.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from punchcard.domain.errors import PunchcardError


class KeyUnavailable(PunchcardError):
    """The key needed for this is not available (retired, destroyed or not readable)."""

    code = "key_unavailable"
    http_status = 500


@dataclass(frozen=True, slots=True)
class Wrapped:
    kek_id: str
    """Which of the tenant's KEKs wrapped the key."""
    blob: bytes


class KeyProvider(Protocol):
    def wrap(self, tenant: str, dek: bytes, context: bytes) -> Wrapped:
        """Wrap ``dek`` with the tenant's current KEK (creating it on first use)."""
        ...

    def unwrap(self, tenant: str, wrapped: Wrapped, context: bytes) -> bytes:
        """The data key; ``KeyUnavailable`` if its KEK is gone or the blob was altered."""
        ...

    def current(self, tenant: str) -> str:
        """The id of the tenant's current KEK (creating it on first use)."""
        ...

    def rotate(self, tenant: str) -> str:
        """Make a new current KEK; the old ones still unwrap until retired."""
        ...

    def retire_old(self, tenant: str) -> list[str]:
        """Destroy every KEK of the tenant but the current one; their ids. The vault
        calls it once no data key is wrapped by them any more."""
        ...

    def lookup_secret(self, tenant: str) -> bytes:
        """The tenant's secret for keyed lookup hashes (HMAC-SHA256)."""
        ...
