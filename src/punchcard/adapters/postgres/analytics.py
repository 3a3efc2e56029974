"""Reads for programme analytics: the journal by day, members, tiers, orders, the
earns' breakdowns and the line items kept with them."""

from __future__ import annotations

from datetime import date, datetime

from punchcard.adapters.postgres.queries import query
from punchcard.adapters.postgres.types import Connection


class AnalyticsStore:
    def __init__(self, conn: Connection, tenant: str, start: datetime, end: datetime) -> None:
        self._conn = conn
        self._params: dict[str, object] = {"tenant": tenant, "start": start, "end": end}

    def daily(self, asset: str, zone: str) -> list[tuple[date, int, int]]:
        params = self._params | {"asset": asset, "zone": zone}
        return [(d, i, r) for d, i, r in self._conn.execute(query("analytics_daily"), params)]

    def members(self, asset: str) -> tuple[int, int]:
        """(active in the period, enrolled by its end)."""
        params = self._params | {"asset": asset}
        row = self._conn.execute(query("analytics_active_members"), params).fetchone()
        assert row is not None
        return int(row[0]), int(row[1])

    def tiers(self) -> list[tuple[str | None, int]]:
        return [(t, n) for t, n in self._conn.execute(query("analytics_tiers"), self._params)]

    def campaigns(self) -> list[tuple[str, int | None, int, int, int, int]]:
        rows = self._conn.execute(query("analytics_campaigns"), self._params)
        return [(r, v, n, p, vp, vm) for r, v, n, p, vp, vm in rows]

    def orders(self) -> tuple[int, int, int, int]:
        """(orders, spend, points, orders with no line items kept)."""
        row = self._conn.execute(query("analytics_orders"), self._params).fetchone()
        assert row is not None
        return int(row[0]), int(row[1]), int(row[2]), int(row[3])

    def category_spend(self) -> list[tuple[str | None, int, int]]:
        rows = self._conn.execute(query("analytics_category_spend"), self._params)
        return [(c, n, s) for c, n, s in rows]

    def category_points(self) -> list[tuple[str | None, int]]:
        rows = self._conn.execute(query("analytics_category_points"), self._params)
        return [(c, p) for c, p in rows]
