"""Reads for the finance reports: holdings, the period's postings, lots and holds."""

from __future__ import annotations

from datetime import datetime
from fractions import Fraction

from punchcard.adapters.postgres.loyalty.lots import lot_from_row
from punchcard.adapters.postgres.queries import query
from punchcard.adapters.postgres.types import Connection
from punchcard.domain.finance.rollforward import LotEvent
from punchcard.domain.loyalty.lots import Lot


class FinanceStore:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def _one(self, name: str, **params: object) -> int:
        row = self._conn.execute(query(name), params).fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def holdings_as_of(self, tenant: str, asset: str, at: datetime) -> int:
        return self._one("holdings_as_of", tenant=tenant, asset=asset, at=at)

    def holdings_now(self, tenant: str, asset: str) -> int:
        return self._one("holdings_now", tenant=tenant, asset=asset)

    def postings(
        self, tenant: str, asset: str, start: datetime, end: datetime
    ) -> list[tuple[str, str, int]]:
        params = {"tenant": tenant, "asset": asset, "start": start, "end": end}
        return [(s, d, a) for s, d, a in self._conn.execute(query("period_postings"), params)]

    def issued_by_kind(self, tenant: str, start: datetime, end: datetime) -> dict[str, int]:
        params = {"tenant": tenant, "start": start, "end": end}
        return dict(self._conn.execute(query("issued_by_kind"), params).fetchall())

    def lot_events(self, tenant: str, start: datetime | None, end: datetime) -> list[LotEvent]:
        """What lots gained and lost from ``start`` (None: the beginning) to ``end``."""
        params = {"tenant": tenant, "start": start, "end": end}
        return [LotEvent(*row) for row in self._conn.execute(query("lot_events"), params)]

    def write_offs(
        self, tenant: str, asset: str, start: datetime, end: datetime
    ) -> list[tuple[int, int, int, int, int]]:
        params = {"tenant": tenant, "asset": asset, "start": start, "end": end}
        return [
            (t, p, n, vp, vm)
            for t, p, n, vp, vm in self._conn.execute(query("period_write_offs"), params)
        ]

    def open_lots(self, tenant: str) -> list[Lot]:
        return [
            lot_from_row(row)
            for row in self._conn.execute(query("all_open_lots"), {"tenant": tenant})
        ]

    def held(self, tenant: str) -> list[tuple[int, Fraction]]:
        rows = self._conn.execute(query("held_by_open_holds"), {"tenant": tenant})
        return [(points, Fraction(minor, per)) for points, per, minor in rows]

    def fates(self, tenant: str) -> tuple[int, int]:
        row = self._conn.execute(query("fates"), {"tenant": tenant}).fetchone()
        assert row is not None
        return int(row[0]), int(row[1])

    def orders(
        self, tenant: str, start: datetime, end: datetime, ids: list[str]
    ) -> dict[str, tuple[int, int]]:
        """The period's orders, plus any order named in ``ids`` whatever its date."""
        params = {"tenant": tenant, "start": start, "end": end, "ids": ids}
        found = {o: (a, p) for o, a, p in self._conn.execute(query("orders_in_period"), params)}
        named = self._conn.execute(query("orders_by_id"), params)
        return found | {o: (a, p) for o, a, p in named}
