"""The outbox: events written in the ledger's transaction, read after commit.

``add`` runs inside a use case's unit of work. ``Cursor`` is a sink's reading
position: ``read`` locks it (one reader per sink at a time; a second gets None),
returns the next committed events in order, and ``advance`` moves it in the same
transaction as whatever the sink did with them (queued webhook messages), or
after they left (NATS acks), so nothing is skipped and a crash repeats at most a
batch: delivery is at least once, de-duplicated downstream by the event id.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb

from punchcard.adapters.postgres.queries import query
from punchcard.adapters.postgres.types import Connection
from punchcard.domain.events import Event


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An event as the outbox holds it: its position, id, tenant and when it happened."""

    position: int
    txid: int
    id: str
    tenant: str
    type: str
    subject: str | None
    data: dict[str, Any]
    occurred_at: datetime

    def envelope(self) -> dict[str, Any]:
        """The event as it is delivered (Standard Webhooks' payload shape)."""
        return {
            "id": self.id,
            "type": self.type,
            "timestamp": self.occurred_at.isoformat(),
            "tenant": self.tenant,
            "data": self.data,
        }


def _stored(row: Sequence[Any]) -> StoredEvent:
    position, txid, event_id, tenant, type_, subject, data, occurred_at = row
    return StoredEvent(position, int(txid), event_id, tenant, type_, subject, data, occurred_at)


class Outbox:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, tenant: str, events: Sequence[Event]) -> None:
        """Outbox rows, in the order given."""
        if not events:
            return
        self._conn.execute(
            query("add_event"),
            {"tenant": tenant, "types": [e.type for e in events],
             "subjects": [e.subject for e in events], "data": [Jsonb(e.data) for e in events],
             "occurred_at": [e.occurred_at for e in events]},
        )  # fmt: skip

    def get(self, tenant: str, event_id: str) -> StoredEvent | None:
        row = self._conn.execute(
            query("event_by_id"), {"tenant": tenant, "event_id": event_id}
        ).fetchone()
        return None if row is None else _stored(row)

    def recent(
        self,
        tenant: str,
        *,
        type_: str | None = None,
        subject: str | None = None,
        before: int | None = None,
        limit: int = 100,
    ) -> list[StoredEvent]:
        """The tenant's events, newest first, before position ``before``."""
        params = {"tenant": tenant, "type": type_, "subject": subject,
                  "before": before or 2**63 - 1, "limit": limit}  # fmt: skip
        return [_stored(row) for row in self._conn.execute(query("events_of_tenant"), params)]


class Cursor:
    """A sink's position in the outbox (the sink's rows are created on first use)."""

    def __init__(self, conn: Connection, sink: str) -> None:
        self._conn = conn
        self.sink = sink

    def read(self, limit: int) -> list[StoredEvent] | None:
        """The next committed events, with the cursor locked until this transaction
        ends; None when another reader of the sink holds it."""
        locked = self._conn.execute(query("lock_sink"), {"sink": self.sink}).fetchone()
        if not (locked and locked[0]):
            return None
        row = self._conn.execute(query("sink_cursor"), {"sink": self.sink}).fetchone()
        if row is None:  # the sink's first read: only the lock's holder gets here
            self._conn.execute(query("claim_cursor"), {"sink": self.sink})
            row = ("0", 0)
        params = {"txid": str(row[0]), "last_id": row[1], "limit": limit}
        return [_stored(found) for found in self._conn.execute(query("events_after"), params)]

    def advance(self, last: StoredEvent) -> None:
        self._conn.execute(
            query("advance_cursor"),
            {"sink": self.sink, "txid": str(last.txid), "last_id": last.position},
        )
