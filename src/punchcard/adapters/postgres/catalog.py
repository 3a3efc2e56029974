"""Tenants, assets and accounts as the write path sees them, with a process cache.

All three are append-only in the database, so a row once seen committed can be
cached for the life of the process. Rows created inside a unit of work are
cached only after it commits: a rolled-back account must never be reused.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterable

from punchcard.adapters.postgres.errors import translated
from punchcard.adapters.postgres.queries import query
from punchcard.adapters.postgres.types import Connection
from punchcard.domain import policies
from punchcard.domain.errors import UnknownAsset, UnknownTenant
from punchcard.domain.model import Account, AccountKind, AccountPolicy

MAX_CACHED_ACCOUNTS = 250_000


class Catalog:
    """Process-wide cache of committed tenants, assets and accounts."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tenants: set[str] = set()
        self._assets: dict[tuple[str, str], int] = {}
        self._accounts: dict[tuple[str, str], Account] = {}

    # -- tenants and assets

    def require_tenant(self, conn: Connection, tenant: str) -> None:
        if tenant in self._tenants:
            return
        if conn.execute(query("tenant_exists"), {"tenant": tenant}).fetchone() is None:
            raise UnknownTenant(f"tenant {tenant!r} does not exist")
        with self._lock:
            self._tenants.add(tenant)

    def require_assets(self, conn: Connection, tenant: str, codes: Iterable[str]) -> None:
        self.require_tenant(conn, tenant)
        missing = {c for c in codes if (tenant, c) not in self._assets}
        if not missing:
            return
        rows = conn.execute(query("assets"), {"tenant": tenant}).fetchall()
        with self._lock:
            for code, precision in rows:
                self._assets[(tenant, code)] = precision
        unknown = sorted(c for c in missing if (tenant, c) not in self._assets)
        if unknown:
            raise UnknownAsset(
                f"asset {', '.join(unknown)} is not defined for tenant {tenant!r}; create it first"
            )

    # -- accounts

    def resolve_accounts(
        self,
        conn: Connection,
        tenant: str,
        addresses: Iterable[str],
        after_commit: Callable[[Callable[[], None]], None],
    ) -> dict[str, Account]:
        """Find each account, creating missing ones with the tenant's policy for them."""
        found: dict[str, Account] = {}
        missing: list[str] = []
        for address in addresses:
            cached = self._accounts.get((tenant, address))
            if cached is None:
                missing.append(address)
            else:
                found[address] = cached
        if not missing:
            return found
        committed = self._select(conn, tenant, missing)
        self._remember(tenant, committed.values())
        found |= committed
        to_create = sorted(set(missing) - committed.keys())
        if to_create:
            created = self._create(conn, tenant, to_create)
            found |= created
            after_commit(lambda: self._remember(tenant, created.values()))
        return found

    def _select(self, conn: Connection, tenant: str, addresses: list[str]) -> dict[str, Account]:
        rows = conn.execute(
            query("accounts_by_address"), {"tenant": tenant, "addresses": addresses}
        ).fetchall()
        return {
            address: Account(id, address, AccountPolicy(AccountKind(kind), allow_negative))
            for id, address, kind, allow_negative in rows
        }

    def _create(self, conn: Connection, tenant: str, addresses: list[str]) -> dict[str, Account]:
        patterns = {
            pattern: AccountPolicy(AccountKind(kind), allow_negative)
            for pattern, kind, allow_negative in conn.execute(
                query("account_policies"), {"tenant": tenant}
            )
        }
        chosen = [policies.policy_for(a, patterns) for a in addresses]
        with translated():
            conn.execute(
                query("create_accounts"),
                {
                    "tenant": tenant,
                    "addresses": addresses,
                    "kinds": [p.kind.value for p in chosen],
                    "allow_negative": [p.allow_negative for p in chosen],
                },
            )
        return self._select(conn, tenant, addresses)

    def _remember(self, tenant: str, accounts: Iterable[Account]) -> None:
        with self._lock:
            if len(self._accounts) > MAX_CACHED_ACCOUNTS:
                # Crude but bounded: drop a random half rather than track recency on
                # the hot path. Misses cost one indexed SELECT.
                for key in random.sample(list(self._accounts), len(self._accounts) // 2):
                    del self._accounts[key]
            for account in accounts:
                self._accounts[(tenant, account.address)] = account
