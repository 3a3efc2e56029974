"""The review queue, monitors and alerts in PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb

from punchcard.adapters.postgres.queries import query
from punchcard.adapters.postgres.types import Connection
from punchcard.domain.errors import NotFound
from punchcard.domain.loyalty.risk import Alert, Monitor, Review


class UnknownReview(NotFound):
    """The review does not exist."""

    code = "unknown_review"


def _review(row: Sequence[Any]) -> Review:
    id, kind, customer, hold_id, points, reasons, status, at, by, decided_at, note, maker = row
    return Review(id, kind, customer, hold_id, points, tuple(reasons), status, at, by,
                  decided_at, note, maker)  # fmt: skip


class RiskStore:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def redemptions_since(self, tenant: str, customer: str, since: datetime) -> tuple[int, int]:
        row = self._conn.execute(
            query("redemptions_since"), {"tenant": tenant, "customer": customer, "since": since}
        ).fetchone()
        assert row is not None
        return int(row[0]), int(row[1])

    def add_review(
        self,
        tenant: str,
        *,
        kind: str,
        customer: str,
        points: int,
        reasons: list[str],
        at: datetime,
        hold_id: int | None = None,
        window_start: datetime | None = None,
    ) -> int | None:
        row = self._conn.execute(
            query("insert_review"),
            {"tenant": tenant, "kind": kind, "customer": customer, "hold_id": hold_id,
             "points": points, "reasons": reasons, "window_start": window_start, "at": at},
        ).fetchone()  # fmt: skip
        return None if row is None else int(row[0])

    def review(self, tenant: str, review_id: int) -> Review:
        row = self._conn.execute(query("review"), {"tenant": tenant, "id": review_id}).fetchone()
        if row is None:
            raise UnknownReview(f"review {review_id} does not exist")
        return _review(row)

    def review_of_hold(self, tenant: str, hold_id: int) -> tuple[int, str] | None:
        row = self._conn.execute(
            query("review_of_hold"), {"tenant": tenant, "hold_id": hold_id}
        ).fetchone()
        return None if row is None else (int(row[0]), str(row[1]))

    def pending(self, tenant: str, limit: int) -> list[Review]:
        rows = self._conn.execute(query("pending_reviews"), {"tenant": tenant, "limit": limit})
        return [_review(row) for row in rows]

    def decide(
        self, tenant: str, review_id: int, *, status: str, by: str, at: datetime, note: str | None
    ) -> bool:
        cursor = self._conn.execute(
            query("decide_review"),
            {"tenant": tenant, "id": review_id, "status": status, "by": by, "at": at,
             "note": note},
        )  # fmt: skip
        return cursor.rowcount == 1

    def fast_earners(
        self, tenant: str, since: datetime, until: datetime, limit: int
    ) -> list[tuple[str, int]]:
        params = {"tenant": tenant, "since": since, "until": until, "limit": limit}
        return [(c, p) for c, p in self._conn.execute(query("fast_earners"), params)]

    def add_monitor(
        self, tenant: str, name: str, measure: str, customer: str | None, threshold: int
    ) -> int:
        row = self._conn.execute(
            query("insert_monitor"),
            {"tenant": tenant, "name": name, "measure": measure, "customer": customer,
             "threshold": threshold},
        ).fetchone()  # fmt: skip
        assert row is not None
        return int(row[0])

    def monitors(self, tenant: str) -> list[Monitor]:
        rows = self._conn.execute(query("list_monitors"), {"tenant": tenant})
        return [Monitor(*row) for row in rows]

    def tenants_with_monitors(self) -> list[str]:
        return [tenant for (tenant,) in self._conn.execute(query("tenants_with_monitors"))]

    def tenants_scanning_earnings(self) -> list[str]:
        return [tenant for (tenant,) in self._conn.execute(query("tenants_scanning_earnings"))]

    def lock_monitors(self, tenant: str) -> list[Monitor]:
        return [Monitor(*row) for row in self._conn.execute(query("monitors"), {"tenant": tenant})]

    def set_monitor(self, tenant: str, monitor_id: int, tripped: bool) -> None:
        self._conn.execute(
            query("set_monitor"), {"tenant": tenant, "id": monitor_id, "tripped": tripped}
        )

    def raise_alert(
        self, tenant: str, kind: str, subject: str, detail: dict[str, Any], at: datetime
    ) -> int:
        row = self._conn.execute(
            query("insert_alert"),
            {"tenant": tenant, "kind": kind, "subject": subject, "detail": Jsonb(detail),
             "at": at},
        ).fetchone()  # fmt: skip
        assert row is not None
        return int(row[0])

    def alerts(self, tenant: str, limit: int) -> list[Alert]:
        rows = self._conn.execute(query("alerts"), {"tenant": tenant, "limit": limit})
        return [Alert(*row) for row in rows]
