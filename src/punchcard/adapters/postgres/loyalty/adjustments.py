"""Adjustment requests: made by one person, decided once by another."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from punchcard.adapters.postgres.queries import query
from punchcard.adapters.postgres.types import Connection
from punchcard.domain.errors import UnknownAdjustment
from punchcard.domain.loyalty.results import Adjustment, AdjustmentStatus


def _adjustment(row: Sequence[Any]) -> Adjustment:
    id, customer_id, points, reason, by, at, status, decided_by, decided_at, note, txn = row
    return Adjustment(
        id, customer_id, points, reason, by, at, AdjustmentStatus(status), decided_by,
        decided_at, note, txn,
    )  # fmt: skip


class AdjustmentStore:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(
        self, tenant: str, *, customer_id: str, points: int, reason: str, by: str, at: datetime
    ) -> int:
        row = self._conn.execute(
            query("insert_adjustment"),
            {"tenant": tenant, "customer_id": customer_id, "points": points, "reason": reason,
             "requested_by": by, "requested_at": at},
        ).fetchone()  # fmt: skip
        assert row is not None
        return int(row[0])

    def get(self, tenant: str, adjustment_id: int) -> Adjustment:
        row = self._conn.execute(
            query("adjustment"), {"tenant": tenant, "id": adjustment_id}
        ).fetchone()
        if row is None:
            raise UnknownAdjustment(f"adjustment {adjustment_id} does not exist")
        return _adjustment(row)

    def pending(self, tenant: str, limit: int) -> list[Adjustment]:
        rows = self._conn.execute(query("pending_adjustments"), {"tenant": tenant, "limit": limit})
        return [_adjustment(row) for row in rows]

    def decide(
        self,
        tenant: str,
        adjustment_id: int,
        *,
        status: AdjustmentStatus,
        by: str,
        at: datetime,
        note: str | None,
        transaction_id: int | None,
    ) -> bool:
        cursor = self._conn.execute(
            query("decide_adjustment"),
            {"tenant": tenant, "id": adjustment_id, "status": status.value, "decided_by": by,
             "decided_at": at, "note": note, "transaction_id": transaction_id},
        )  # fmt: skip
        return cursor.rowcount == 1
