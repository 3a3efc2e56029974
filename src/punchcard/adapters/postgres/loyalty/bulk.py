"""The group writes of set-based earns (``service_layer/loyalty/bulk.py``): each is
one statement for a whole group of one tenant's events, where the one-by-one path
runs the same statement once per event (see ``queries/loyalty_bulk.sql``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb

from punchcard.adapters.postgres.errors import translated
from punchcard.adapters.postgres.queries import query
from punchcard.adapters.postgres.types import Connection
from punchcard.domain.validation import JsonValue


@dataclass(frozen=True, slots=True)
class Claim:
    key: str
    kind: str
    fingerprint: bytes


@dataclass(frozen=True, slots=True)
class Taken:
    """A key claimed before: by the same request (``result`` to replay) or not."""

    id: int
    kind: str
    fingerprint: bytes
    result: dict[str, Any] | None


class BulkStore:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def claim(
        self, tenant: str, claims: Sequence[Claim]
    ) -> tuple[dict[str, int], dict[str, Taken]]:
        """Claim every key: the new operations' ids by key, and the keys already taken."""
        if not claims:
            return {}, {}
        with translated():
            rows = self._conn.execute(
                query("claim_operations"),
                {"tenant": tenant, "keys": [c.key for c in claims],
                 "kinds": [c.kind for c in claims],
                 "request_hashes": [c.fingerprint for c in claims]},
            ).fetchall()  # fmt: skip
        claimed = {key: op_id for op_id, key in rows}
        others = [c.key for c in claims if c.key not in claimed]
        taken: dict[str, Taken] = {}
        if others:
            found = self._conn.execute(
                query("operations_by_keys"), {"tenant": tenant, "keys": others}
            )
            for key, op_id, kind, fingerprint, result in found:
                taken[key] = Taken(op_id, kind, bytes(fingerprint), result)
        return claimed, taken

    def finish(
        self,
        tenant: str,
        done: Sequence[tuple[int, dict[str, JsonValue], dict[str, JsonValue] | None]],
    ) -> None:
        """Store each operation's (id, result, inputs)."""
        if not done:
            return
        self._conn.execute(
            query("finish_operations"),
            {"tenant": tenant, "ids": [op_id for op_id, _, _ in done],
             "results": [Jsonb(result) for _, result, _ in done],
             "inputs": [None if inputs is None else Jsonb(inputs) for _, _, inputs in done]},
        )  # fmt: skip

    def published_rulesets(self, tenant: str) -> list[tuple[int, datetime]]:
        """(version, activate_at) of the published rulesets, the newest first."""
        rows = self._conn.execute(query("published_rulesets"), {"tenant": tenant})
        return [(version, at) for version, at in rows]

    def usage(
        self, tenant: str, wanted: Sequence[tuple[str, str, str]]
    ) -> dict[tuple[str, str, str], int]:
        """(holder, rule, period key) -> used, for the counters that exist."""
        if not wanted:
            return {}
        rows = self._conn.execute(
            query("rule_usage_many"),
            {"tenant": tenant, "holders": [w[0] for w in wanted],
             "rules": [w[1] for w in wanted], "periods": [w[2] for w in wanted]},
        )  # fmt: skip
        return {(holder, rule, period): used for holder, rule, period, used in rows}

    def add_usage(self, tenant: str, usage: dict[tuple[str, str, str], int]) -> None:
        """Add to each (holder, rule, period key) counter."""
        if not usage:
            return
        keys = sorted(usage, key=lambda k: (k[1], k[0], k[2]))
        self._conn.execute(
            query("add_usage"),
            {"tenant": tenant, "rules": [k[1] for k in keys], "holders": [k[0] for k in keys],
             "periods": [k[2] for k in keys], "used": [usage[k] for k in keys]},
        )  # fmt: skip

    def count_events(self, tenant: str, counted: Sequence[tuple[str, str]]) -> None:
        """Add one to each (customer, counter); each customer at most once."""
        if not counted:
            return
        self._conn.execute(
            query("count_events"),
            {"tenant": tenant, "customers": [c for c, _ in counted],
             "kinds": [k for _, k in counted]},
        )  # fmt: skip
