"""Customers: enrolment by the merchant's reference, and the per-customer lock that
every operation on a customer's lots takes first."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from punchcard.adapters.postgres.queries import query
from punchcard.adapters.postgres.types import Connection
from punchcard.domain.errors import UnknownCustomer
from punchcard.domain.loyalty.movement import CustomerState
from punchcard.domain.loyalty.results import Customer


@dataclass(frozen=True, slots=True)
class Profile:
    """What rules read about a customer."""

    attributes: dict[str, Any]
    counts: dict[str, int]
    tier: str | None
    tier_since: datetime | None


@dataclass(frozen=True, slots=True)
class Locked:
    customers: dict[str, CustomerState]
    programme_version: int | None
    ruleset_version: int | None
    profiles: dict[str, Profile]


class CustomerStore:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def enroll(self, tenant: str, new_id: str, external_ref: str) -> Customer:
        self._conn.execute(
            query("insert_customer"), {"tenant": tenant, "id": new_id, "external_ref": external_ref}
        )
        found = self.by_ref(tenant, external_ref)
        assert found is not None  # inserted now, or by whoever won the race
        return found

    def by_ref(self, tenant: str, external_ref: str) -> Customer | None:
        row = self._conn.execute(
            query("customer_by_ref"), {"tenant": tenant, "external_ref": external_ref}
        ).fetchone()
        return None if row is None else Customer(*row)

    def by_id(self, tenant: str, customer_id: str) -> Customer:
        row = self._conn.execute(
            query("customer_by_id"), {"tenant": tenant, "id": customer_id}
        ).fetchone()
        if row is None:
            raise UnknownCustomer(f"customer {customer_id} is not enrolled in tenant {tenant!r}")
        return Customer(*row)

    def state(self, tenant: str, customer_id: str) -> CustomerState:
        row = self._conn.execute(
            query("customer_state"), {"tenant": tenant, "id": customer_id}
        ).fetchone()
        if row is None:
            raise UnknownCustomer(f"customer {customer_id} is not enrolled in tenant {tenant!r}")
        return CustomerState(*row)

    def lock(self, tenant: str, ids: Iterable[str], at: datetime) -> Locked:
        """Lock the customers' rows in id order; every id must exist. ``at`` picks the
        ruleset version reported (the one active then)."""
        wanted = sorted(set(ids))
        locked = self.lock_found(tenant, wanted, at)
        missing = [cid for cid in wanted if cid not in locked.customers]
        if missing:
            raise UnknownCustomer(
                f"customer {', '.join(missing)} is not enrolled in tenant {tenant!r}"
            )
        return locked

    def lock_found(self, tenant: str, ids: Iterable[str], at: datetime) -> Locked:
        """``lock``, leaving out the ids that are not enrolled."""
        rows = self._conn.execute(
            query("lock_customers"), {"tenant": tenant, "ids": sorted(set(ids)), "at": at}
        ).fetchall()
        found = {row[0]: CustomerState(*row[:5]) for row in rows}
        profiles = {row[0]: Profile(row[7], row[8], row[9], row[10]) for row in rows}
        first = rows[0] if rows else (None,) * 7
        return Locked(found, first[5], first[6], profiles)

    def save(self, tenant: str, states: list[CustomerState]) -> None:
        if not states:
            return
        self._conn.execute(
            query("update_customers"),
            {
                "tenant": tenant,
                "ids": [s.id for s in states],
                "deficits": [s.deficit for s in states],
                "debts": [s.debt for s in states],
            },
        )

    def balances(
        self, tenant: str, addresses: Iterable[str]
    ) -> dict[tuple[str, str], tuple[int, int]]:
        """(address, asset) -> (posted balance, held by open holds) of the given accounts."""
        rows = self._conn.execute(
            query("customer_balances"), {"tenant": tenant, "addresses": list(addresses)}
        )
        return {(address, asset): (posted, held) for address, asset, posted, held in rows}
