"""Recent earns as they were rated: the inputs a simulation can replay."""

from __future__ import annotations

from typing import Any

from punchcard.adapters.postgres.queries import query
from punchcard.adapters.postgres.types import Connection


def recent_earn_inputs(conn: Connection, tenant: str, limit: int) -> list[dict[str, Any]]:
    """The stored inputs of the tenant's ``limit`` latest earns rated by a ruleset,
    newest first (a read of the primary key, backwards)."""
    rows = conn.execute(query("recent_earn_inputs"), {"tenant": tenant, "limit": limit})
    return [row[0] for row in rows.fetchall()]
