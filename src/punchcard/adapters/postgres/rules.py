"""Rulesets, their usage counters and customer tiers in PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb

from punchcard.adapters.postgres.errors import translated
from punchcard.adapters.postgres.loyalty.customers import Profile
from punchcard.adapters.postgres.queries import query
from punchcard.adapters.postgres.types import Connection
from punchcard.domain.errors import UnknownCustomer, UnknownRuleset
from punchcard.domain.rules.document import Measure, Ruleset
from punchcard.domain.rules.documents import ruleset_document, ruleset_from_document
from punchcard.domain.rules.versions import RulesetStatus, RulesetVersion, TierChange


def _version(row: Sequence[Any]) -> RulesetVersion:
    version, status, _name, document, *rest = row
    return RulesetVersion(version, RulesetStatus(status), ruleset_from_document(document), *rest)


class RulesStore:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    # -- versions

    def create(self, tenant: str, ruleset: Ruleset, by: str, at: datetime) -> int:
        self._conn.execute(query("lock_ruleset_versions"), {"tenant": tenant})
        document = Jsonb(ruleset_document(ruleset))
        with translated():
            row = self._conn.execute(
                query("insert_ruleset"),
                {"tenant": tenant, "name": ruleset.name, "document": document, "by": by,
                 "at": at},
            ).fetchone()  # fmt: skip
        assert row is not None
        return int(row[0])

    def update_draft(self, tenant: str, version: int, ruleset: Ruleset) -> bool:
        cursor = self._conn.execute(
            query("update_draft"),
            {"tenant": tenant, "version": version, "name": ruleset.name,
             "document": Jsonb(ruleset_document(ruleset))},
        )  # fmt: skip
        return cursor.rowcount == 1

    def transition(self, name: str, tenant: str, version: int, **params: object) -> bool:
        """One of submit_ruleset, withdraw_ruleset, approve_ruleset; False if the
        version was not in the state that transition starts from."""
        with translated():
            cursor = self._conn.execute(
                query(name), {"tenant": tenant, "version": version, **params}
            )
        return cursor.rowcount == 1

    def get(self, tenant: str, version: int) -> RulesetVersion:
        row = self._conn.execute(
            query("ruleset"), {"tenant": tenant, "version": version}
        ).fetchone()
        if row is None:
            raise UnknownRuleset(f"ruleset version {version} does not exist in tenant {tenant!r}")
        return _version(row)

    def all(self, tenant: str, limit: int) -> list[RulesetVersion]:
        rows = self._conn.execute(query("rulesets"), {"tenant": tenant, "limit": limit})
        return [_version(row) for row in rows]

    def active_version(self, tenant: str, at: datetime) -> int | None:
        row = self._conn.execute(
            query("active_ruleset_version"), {"tenant": tenant, "at": at}
        ).fetchone()
        return None if row is None else int(row[0])

    # -- caps and budgets

    def usage(
        self, tenant: str, holder: str, keys: Iterable[tuple[str, str]]
    ) -> dict[tuple[str, str], int]:
        wanted = sorted(set(keys))
        if not wanted:
            return {}
        rows = self._conn.execute(
            query("rule_usage"),
            {"tenant": tenant, "holder": holder, "rules": [k[0] for k in wanted],
             "periods": [k[1] for k in wanted]},
        )  # fmt: skip
        return {(rule, period): used for rule, period, used in rows}

    def lock_budgets(self, tenant: str, rules: Iterable[str]) -> dict[tuple[str, str], int]:
        """Lock the budget counters of these rules (in id order) and read them."""
        wanted = sorted(set(rules))
        if not wanted:
            return {}
        params = {"tenant": tenant, "rules": wanted}
        self._conn.execute(query("open_budgets"), params)
        rows = self._conn.execute(query("lock_budgets"), params)
        return {(rule, "budget"): used for rule, used in rows}

    def add_usage(self, tenant: str, holder: str, usage: dict[tuple[str, str], int]) -> None:
        if not usage:
            return
        keys = sorted(usage)
        self._conn.execute(
            query("add_usage"),
            {"tenant": tenant, "rules": [k[0] for k in keys],
             "holders": ["*" if k[1] == "budget" else holder for k in keys],
             "periods": [k[1] for k in keys], "used": [usage[k] for k in keys]},
        )  # fmt: skip

    # -- customers and tiers

    def profile(self, tenant: str, customer: str) -> Profile:
        row = self._conn.execute(
            query("customer_profile"), {"tenant": tenant, "customer": customer}
        ).fetchone()
        if row is None:
            raise UnknownCustomer(f"customer {customer} is not enrolled in tenant {tenant!r}")
        return Profile(*row)

    def count_event(self, tenant: str, customer: str, kind: str) -> None:
        self._conn.execute(
            query("count_event"), {"tenant": tenant, "customer": customer, "kind": kind}
        )

    def set_attributes(self, tenant: str, customer: str, attributes: dict[str, Any]) -> None:
        self._conn.execute(
            query("set_attributes"),
            {"tenant": tenant, "customer": customer, "attributes": Jsonb(attributes)},
        )

    def measure(self, tenant: str, customer: str, measure: Measure, since: datetime) -> int:
        return self.measures(tenant, measure, [(customer, since)]).get(customer, 0)

    def measures(
        self, tenant: str, measure: Measure, windows: Sequence[tuple[str, datetime]]
    ) -> dict[str, int]:
        """Each customer's tier measure since its window opened."""
        if not windows:
            return {}
        name = "points_measure" if measure is Measure.POINTS_EARNED else "spend_measure"
        rows = self._conn.execute(
            query(name),
            {"tenant": tenant, "customers": [c for c, _ in windows],
             "since": [s for _, s in windows]},
        )  # fmt: skip
        return {customer: int(value) for customer, value in rows}

    def change_tier(self, tenant: str, customer: str, *, change: TierChange) -> None:
        self.change_tiers(tenant, [(customer, change)])

    def change_tiers(self, tenant: str, changes: Sequence[tuple[str, TierChange]]) -> None:
        """Move each (customer, change) to its new tier and record the change."""
        if not changes:
            return
        customers = [c for c, _ in changes]
        self._conn.execute(
            query("set_tier"),
            {"tenant": tenant, "customers": customers,
             "tiers": [t.to_tier for _, t in changes], "since": [t.changed_at for _, t in changes]},
        )  # fmt: skip
        self._conn.execute(
            query("insert_tier_change"),
            {"tenant": tenant, "customers": customers,
             "from_tiers": [t.from_tier for _, t in changes],
             "to_tiers": [t.to_tier for _, t in changes],
             "reasons": [t.reason for _, t in changes],
             "measures": [t.measure for _, t in changes],
             "changed_at": [t.changed_at for _, t in changes]},
        )  # fmt: skip

    def tier_history(self, tenant: str, customer: str) -> list[TierChange]:
        rows = self._conn.execute(query("tier_history"), {"tenant": tenant, "customer": customer})
        return [TierChange(*row) for row in rows]

    def tiers_due_review(
        self, tenant: str, *, before: datetime, after: str, limit: int
    ) -> list[tuple[str, str, datetime]]:
        params = {"tenant": tenant, "before": before, "after": after, "limit": limit}
        return [(c, t, s) for c, t, s in self._conn.execute(query("tiers_due_review"), params)]
