"""The vault's rows: ciphertexts, wrapped data keys, lookup hashes and erasures.

It stores and returns bytes; it never sees a key or a plaintext (the service
layer encrypts before and decrypts after).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from punchcard.adapters.postgres.queries import query
from punchcard.adapters.postgres.types import Connection
from punchcard.domain.errors import UnknownCustomer
from punchcard.domain.privacy.keys import Wrapped


@dataclass(frozen=True, slots=True)
class Erasure:
    customer_id: str
    erased_at: datetime
    erased_by: str


@dataclass(frozen=True, slots=True)
class Sealed:
    ciphertext: bytes
    key: Wrapped | None
    """None once the data key is destroyed (erased)."""


class VaultStore:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def lock(self, tenant: str, customer: str) -> None:
        """Take the customer's row lock (every vault write does), or say it is unknown."""
        found = self._conn.execute(
            query("vault_lock_customer"), {"tenant": tenant, "customer": customer}
        ).fetchone()
        if found is None:
            raise UnknownCustomer(f"customer {customer} is not enrolled in tenant {tenant!r}")

    def exists(self, tenant: str, customer: str) -> None:
        found = self._conn.execute(
            query("vault_customer"), {"tenant": tenant, "customer": customer}
        ).fetchone()
        if found is None:
            raise UnknownCustomer(f"customer {customer} is not enrolled in tenant {tenant!r}")

    def share_tenant(self, tenant: str) -> None:
        """Using a data key takes this (shared) lock, so a rotation that holds it
        exclusively knows no key is being wrapped or unwrapped with a KEK it is about
        to retire."""
        self._conn.execute(query("vault_share_tenant"), {"tenant": tenant})

    def hold_tenant(self, tenant: str) -> None:
        self._conn.execute(query("vault_hold_tenant"), {"tenant": tenant})

    def erasure(self, tenant: str, customer: str) -> Erasure | None:
        row = self._conn.execute(
            query("vault_erasure"), {"tenant": tenant, "customer": customer}
        ).fetchone()
        return None if row is None else Erasure(customer, row[0], row[1])

    def record(self, tenant: str, customer: str) -> Sealed | None:
        row = self._conn.execute(
            query("vault_record"), {"tenant": tenant, "customer": customer}
        ).fetchone()
        if row is None:
            return None
        key = None if row[1] is None else Wrapped(row[1], bytes(row[2]))
        return Sealed(bytes(row[0]), key)

    def data_key(self, tenant: str, customer: str) -> Wrapped | None:
        row = self._conn.execute(
            query("vault_data_key"), {"tenant": tenant, "customer": customer}
        ).fetchone()
        return None if row is None else Wrapped(row[0], bytes(row[1]))

    def save_key(self, tenant: str, customer: str, key: Wrapped) -> None:
        self._conn.execute(
            query("vault_save_key"),
            {"tenant": tenant, "customer": customer, "kek_id": key.kek_id, "wrapped": key.blob},
        )

    def save_data(self, tenant: str, customer: str, ciphertext: bytes) -> None:
        self._conn.execute(
            query("vault_save_data"),
            {"tenant": tenant, "customer": customer, "ciphertext": ciphertext},
        )

    def replace_hashes(self, tenant: str, customer: str, hashes: dict[str, bytes]) -> None:
        self._conn.execute(query("vault_forget_hashes"), {"tenant": tenant, "customer": customer})
        for kind, digest in hashes.items():
            self._conn.execute(
                query("vault_save_hash"),
                {"tenant": tenant, "kind": kind, "digest": digest, "customer": customer},
            )

    def find(self, tenant: str, kind: str, digest: bytes) -> str | None:
        row = self._conn.execute(
            query("vault_find_hash"), {"tenant": tenant, "kind": kind, "digest": digest}
        ).fetchone()
        return None if row is None else str(row[0])

    def erase(self, tenant: str, customer: str, at: datetime, by: str) -> Erasure:
        """Destroy the data key and the lookup hashes, and record who did it."""
        params = {"tenant": tenant, "customer": customer}
        self._conn.execute(query("vault_destroy_key"), params)
        self._conn.execute(query("vault_forget_hashes"), params)
        row = self._conn.execute(
            query("vault_record_erasure"), {**params, "at": at, "by": by}
        ).fetchone()
        assert row is not None
        return Erasure(customer, row[0], row[1])

    def keys_to_rewrap(self, tenant: str, current: str, limit: int) -> list[tuple[str, Wrapped]]:
        rows = self._conn.execute(
            query("vault_keys_to_rewrap"), {"tenant": tenant, "current": current, "limit": limit}
        ).fetchall()
        return [(row[0], Wrapped(row[1], bytes(row[2]))) for row in rows]

    def rewrap(self, tenant: str, customer: str, key: Wrapped) -> None:
        self._conn.execute(
            query("vault_rewrap"),
            {"tenant": tenant, "customer": customer, "kek_id": key.kek_id, "wrapped": key.blob},
        )

    def keks_in_use(self, tenant: str) -> set[str]:
        return {
            row[0] for row in self._conn.execute(query("vault_keks_in_use"), {"tenant": tenant})
        }

    def redemptions(self, tenant: str, customer: str) -> list[dict[str, Any]]:
        rows = self._conn.execute(
            query("vault_redemptions"), {"tenant": tenant, "customer": customer}
        ).fetchall()
        names = ("transaction_id", "option", "points", "value", "order_id", "hold_id",
                 "effective_at")  # fmt: skip
        return [dict(zip(names, row, strict=True)) for row in rows]
