"""Webhook endpoints, messages and attempts as PostgreSQL keeps them.

Only this module touches the webhook tables; it never commits (the use cases in
``punchcard.service_layer.webhooks`` do, once each).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from psycopg import errors as pg

from punchcard.adapters.postgres.queries import query
from punchcard.adapters.postgres.types import Connection
from punchcard.domain.errors import UnknownTenant


@dataclass(frozen=True, slots=True)
class Endpoint:
    tenant: str
    id: str
    url: str
    description: str
    secret: str
    previous_secret: str | None
    previous_until: datetime | None
    event_types: list[str]
    enabled: bool
    disabled_reason: str | None
    created_at: datetime
    updated_at: datetime

    def signing_secrets(self, now: datetime) -> list[str]:
        """The secrets that sign now: the current one, and the previous one until
        its rotation grace period ends."""
        keep = self.previous_secret is not None and self.previous_until is not None
        if keep and self.previous_until > now:  # type: ignore[operator]
            return [self.secret, self.previous_secret]  # type: ignore[list-item]
        return [self.secret]


@dataclass(frozen=True, slots=True)
class Attempt:
    message_id: int
    attempted_at: datetime
    status_code: int | None
    duration_ms: int
    outcome: str
    error: str | None
    response_body: str | None


@dataclass(frozen=True, slots=True)
class Message:
    id: int
    endpoint_id: str
    event_id: str
    event_type: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    replay: bool
    created_at: datetime
    finished_at: datetime | None
    history: tuple[Attempt, ...] = ()


@dataclass(frozen=True, slots=True)
class Claimed:
    id: int
    tenant: str
    endpoint_id: str
    event_id: str
    attempts: int
    """Including the attempt this claim is for."""


@dataclass(frozen=True, slots=True)
class Health:
    endpoint_id: str
    delivered: int
    retrying: int
    waiting: int
    failed: int
    disabled: int
    last_delivered_at: datetime | None


def _endpoint(row: Sequence[Any] | None) -> Endpoint | None:
    if row is None:
        return None
    (tenant, id_, url, description, secret, previous, until, types, enabled, reason,
     created_at, updated_at) = row  # fmt: skip
    return Endpoint(tenant, id_, url, description, secret, previous, until, list(types),
                    enabled, reason, created_at, updated_at)  # fmt: skip


class WebhookStore:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    # -- endpoints

    def add(
        self, tenant: str, url: str, description: str, secret: str, event_types: list[str]
    ) -> Endpoint:
        try:
            row = self._conn.execute(query("webhook_endpoint_add"), {
                "tenant": tenant, "url": url, "description": description, "secret": secret,
                "event_types": event_types,
            }).fetchone()  # fmt: skip
        except pg.ForeignKeyViolation as exc:
            raise UnknownTenant(tenant=tenant) from exc
        found = _endpoint(row)
        assert found is not None
        return found

    def endpoints(self, tenant: str) -> list[Endpoint]:
        rows = self._conn.execute(query("webhook_endpoints_of_tenant"), {"tenant": tenant})
        return [e for e in map(_endpoint, rows) if e is not None]

    def get(self, tenant: str, endpoint_id: str) -> Endpoint | None:
        params = {"tenant": tenant, "id": endpoint_id}
        return _endpoint(self._conn.execute(query("webhook_endpoint_get"), params).fetchone())

    def update(self, tenant: str, endpoint_id: str, **changes: Any) -> Endpoint | None:
        params = {"url": None, "description": None, "event_types": None, "enabled": None,
                  "reason": None, **changes, "tenant": tenant, "id": endpoint_id}  # fmt: skip
        return _endpoint(self._conn.execute(query("webhook_endpoint_update"), params).fetchone())

    def rotate(
        self, tenant: str, endpoint_id: str, secret: str, previous_until: datetime
    ) -> Endpoint | None:
        params = {"tenant": tenant, "id": endpoint_id, "secret": secret,
                  "previous_until": previous_until}  # fmt: skip
        return _endpoint(self._conn.execute(query("webhook_endpoint_rotate"), params).fetchone())

    def delete(self, tenant: str, endpoint_id: str) -> bool:
        params = {"tenant": tenant, "id": endpoint_id}
        return self._conn.execute(query("webhook_endpoint_delete"), params).fetchone() is not None

    def disable(self, tenant: str, endpoint_id: str, reason: str) -> None:
        params = {"tenant": tenant, "id": endpoint_id, "reason": reason}
        self._conn.execute(query("webhook_endpoint_disable"), params)
        self.park(tenant, endpoint_id)

    def park(self, tenant: str, endpoint_id: str) -> None:
        self._conn.execute(query("webhook_messages_park"), {"tenant": tenant, "id": endpoint_id})

    def resume(self, tenant: str, endpoint_id: str, now: datetime) -> None:
        params = {"tenant": tenant, "id": endpoint_id, "now": now}
        self._conn.execute(query("webhook_messages_resume"), params)

    # -- messages

    def fan_out(self, event_ids: list[str], now: datetime) -> int:
        params = {"event_ids": event_ids, "now": now}
        return self._conn.execute(query("webhook_messages_fan_out"), params).rowcount

    def replay(
        self, tenant: str, event_id: str, event_type: str, endpoint_id: str | None, now: datetime
    ) -> list[int]:
        params = {"tenant": tenant, "event_id": event_id, "type": event_type,
                  "endpoint_id": endpoint_id, "now": now}  # fmt: skip
        return [row[0] for row in self._conn.execute(query("webhook_messages_replay"), params)]

    def claim(self, now: datetime, lease: datetime, limit: int) -> list[Claimed]:
        params = {"now": now, "lease": lease, "limit": limit}
        rows = self._conn.execute(query("webhook_messages_claim"), params).fetchall()
        return sorted((Claimed(*row) for row in rows), key=lambda c: c.id)

    def record(
        self, attempt: Attempt, status: str, next_attempt_at: datetime | None, now: datetime
    ) -> None:
        self._conn.execute(query("webhook_attempt_add"), {
            "message_id": attempt.message_id, "attempted_at": attempt.attempted_at,
            "status_code": attempt.status_code, "duration_ms": attempt.duration_ms,
            "outcome": attempt.outcome, "error": attempt.error,
            "response_body": attempt.response_body,
        })  # fmt: skip
        self._conn.execute(query("webhook_message_finish"), {
            "id": attempt.message_id, "status": status, "next_attempt_at": next_attempt_at,
            "now": now,
        })  # fmt: skip

    def messages(
        self, tenant: str, endpoint_id: str, *, status: str | None, before: int | None,
        limit: int,
    ) -> list[Message]:  # fmt: skip
        params = {"tenant": tenant, "id": endpoint_id, "status": status,
                  "before": before or 2**63 - 1, "limit": limit}  # fmt: skip
        found = [Message(*row) for row in
                 self._conn.execute(query("webhook_messages_of_endpoint"), params)]  # fmt: skip
        if not found:
            return found
        history: dict[int, list[Attempt]] = {}
        rows = self._conn.execute(query("webhook_attempts_of_messages"),
                                  {"ids": [m.id for m in found]})  # fmt: skip
        for row in rows:
            history.setdefault(row[0], []).append(Attempt(*row))
        return [_with_history(m, history.get(m.id, [])) for m in found]

    def health(self, tenant: str, since: datetime) -> list[Health]:
        params = {"tenant": tenant, "since": since}
        return [Health(*row) for row in self._conn.execute(query("webhook_health"), params)]


def _with_history(message: Message, attempts: list[Attempt]) -> Message:
    return replace(message, history=tuple(attempts))
