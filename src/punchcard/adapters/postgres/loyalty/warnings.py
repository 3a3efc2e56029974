"""Expiry warnings: which lots a ``points.expiring_soon`` event has already named."""

from __future__ import annotations

from datetime import datetime

from punchcard.adapters.postgres.queries import query
from punchcard.adapters.postgres.types import Connection


class ExpiryWarnings:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def due(
        self, tenant: str, start: datetime, until: datetime, limit: int
    ) -> list[tuple[str, int, int, datetime]]:
        """(customer, lot, remaining points, expiry) of the active lots expiring after
        ``start`` and by ``until`` that no warning has named, by customer."""
        params = {"tenant": tenant, "start": start, "until": until, "limit": limit}
        return [
            (customer, lot, remaining, expires)
            for customer, lot, remaining, expires in self._conn.execute(
                query("lots_to_warn"), params
            )
        ]

    def record(self, tenant: str, lots: list[int]) -> set[int]:
        """Mark the lots warned; returns those no other run had marked first."""
        rows = self._conn.execute(query("record_warnings"), {"tenant": tenant, "lots": lots})
        return {lot for (lot,) in rows}
