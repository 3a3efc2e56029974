"""Tenant set-up: tenants, assets and account policies. Idempotent by natural key."""

from __future__ import annotations

from punchcard.adapters.postgres.errors import translated
from punchcard.adapters.postgres.queries import query
from punchcard.adapters.postgres.types import Connection
from punchcard.domain.model import AccountPolicy


class SetupStore:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add_tenant(self, tenant: str, name: str) -> None:
        self._conn.execute(query("insert_tenant"), {"tenant": tenant, "name": name})

    def add_asset(self, tenant: str, code: str, precision: int) -> int:
        """Insert the asset if new; return the precision it has now."""
        with translated():
            self._conn.execute(
                query("insert_asset"), {"tenant": tenant, "code": code, "precision": precision}
            )
        existing: dict[str, int] = dict(
            self._conn.execute(query("assets"), {"tenant": tenant}).fetchall()
        )
        return existing[code]

    def set_policy(self, tenant: str, pattern: str, policy: AccountPolicy) -> None:
        with translated():
            self._conn.execute(
                query("upsert_account_policy"),
                {"tenant": tenant, "pattern": pattern, "kind": policy.kind.value,
                 "allow_negative": policy.allow_negative},
            )  # fmt: skip
