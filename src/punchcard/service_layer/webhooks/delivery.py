"""Delivering webhooks: fan committed events out to messages, then send due ones.

``fan_out`` reads the ``webhooks`` outbox cursor and creates the messages in the
transaction that advances it, so an event is turned into messages exactly once
and only after its own transaction committed. ``deliver_due`` claims due messages
(``FOR UPDATE SKIP LOCKED``) and commits the claim before any HTTP call: no
transaction stays open over the network. Each call is recorded as an attempt, in
a short transaction of its own.

Delivery is at least once and usually in order per endpoint: messages are sent
oldest first, but a retried message can arrive after newer ones. Receivers
de-duplicate by ``webhook-id`` (the event id) and order by the event's timestamp.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta

import httpx

from punchcard.adapters.postgres.outbox import Cursor, Outbox, StoredEvent
from punchcard.adapters.postgres.webhooks import Attempt, Claimed, WebhookStore
from punchcard.domain import webhooks
from punchcard.domain.webhooks import Answer
from punchcard.service_layer.loyalty.facade import Loyalty

SINK = "webhooks"
TIMEOUT = 10.0
LEASE = timedelta(seconds=60)
"""How long a claimed message stays out of the queue: longer than any call."""
USER_AGENT = "punchcard-webhooks/1"
MAX_ERROR = 500
MAX_BODY = 1000


def fan_out(loyalty: Loyalty, limit: int = 500) -> int:
    """Turn up to ``limit`` committed events into messages; how many events were read
    (0 when there are none or another worker holds the cursor)."""
    with loyalty.ledger.database.connection() as conn:
        cursor = Cursor(conn, SINK)
        found = cursor.read(limit)
        if not found:
            return 0
        WebhookStore(conn).fan_out([e.id for e in found], loyalty.now())
        cursor.advance(found[-1])
        conn.commit()
    return len(found)


def deliver_due(loyalty: Loyalty, limit: int = 100, *, timeout: float = TIMEOUT) -> int:
    """Send up to ``limit`` due messages, one HTTP call each; how many were tried."""
    database = loyalty.ledger.database
    now = loyalty.now()
    with database.connection() as conn:
        claimed = WebhookStore(conn).claim(now, now + LEASE + timedelta(seconds=timeout), limit)
        conn.commit()
    if not claimed:
        return 0
    with httpx.Client(timeout=timeout, follow_redirects=False,
                      headers={"user-agent": USER_AGENT}) as client:  # fmt: skip
        for message in claimed:
            _deliver(loyalty, client, message)
    return len(claimed)


def dispatch(loyalty: Loyalty) -> int:
    """One round of the background worker: fan out, then deliver; messages tried."""
    fan_out(loyalty)
    return deliver_due(loyalty)


def _deliver(loyalty: Loyalty, client: httpx.Client, message: Claimed) -> None:
    database = loyalty.ledger.database
    with database.connection() as conn:
        event = Outbox(conn).get(message.tenant, message.event_id)
        endpoint = WebhookStore(conn).get(message.tenant, message.endpoint_id)
        conn.rollback()
    if event is None or endpoint is None:  # deleted meanwhile: the cascade took it
        return
    sent_at = loyalty.now()
    answer, error, body, duration = _post(client, endpoint.url, event,
                                          endpoint.signing_secrets(sent_at), sent_at)  # fmt: skip
    outcome = webhooks.outcome(answer, message.attempts)
    done = loyalty.now()
    next_at = webhooks.next_attempt(answer, message.attempts, done) if outcome == "retrying" \
        else None  # fmt: skip
    attempt = Attempt(
        message.id, sent_at, answer.status, duration, outcome,
        webhooks.trimmed(error, MAX_ERROR), webhooks.trimmed(body, MAX_BODY),
    )  # fmt: skip
    status = {"retrying": "pending"}.get(outcome, outcome)
    with database.connection() as conn:
        store = WebhookStore(conn)
        store.record(attempt, status, next_at, done)
        if outcome == "disabled":
            store.disable(message.tenant, message.endpoint_id,
                          f"the endpoint answered 410 Gone at {done.isoformat()}")  # fmt: skip
        conn.commit()


def _post(
    client: httpx.Client, url: str, event: StoredEvent, secrets: list[str], now: datetime
) -> tuple[Answer, str | None, str | None, int]:
    """POST one signed message: the answer, the error, the response body, the ms."""
    body = json.dumps(event.envelope(), separators=(",", ":"), ensure_ascii=False).encode()
    stamp = int(now.timestamp())
    headers = {
        "content-type": "application/json",
        "webhook-id": event.id,
        "webhook-timestamp": str(stamp),
        "webhook-signature": webhooks.signature_header(secrets, event.id, stamp, body),
    }
    started = time.monotonic()
    try:
        response = client.post(url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        elapsed = int((time.monotonic() - started) * 1000)
        return Answer(None), f"{type(exc).__name__}: {exc}", None, elapsed
    elapsed = int((time.monotonic() - started) * 1000)
    answer = Answer(response.status_code, response.headers.get("retry-after"))
    error = None if response.is_success else f"HTTP {response.status_code}"
    return answer, error, response.text, elapsed
