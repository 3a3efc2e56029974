"""Webhooks by the Standard Webhooks specification: secrets, signatures, retry
schedule and what an endpoint's answer means. Pure: no I/O, no clock of its own.

A message is signed as ``{webhook-id}.{webhook-timestamp}.{body}`` with
HMAC-SHA256 under each current secret; the ``webhook-signature`` header lists one
``v1,<base64>`` per secret, space separated, so a receiver holding either the old
or the new secret during a rotation verifies.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import random
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Final, Literal
from urllib.parse import urlsplit

from punchcard.domain.errors import InvalidRequest, NotFound
from punchcard.domain.events import TYPES

SECRET_PREFIX: Final = "whsec_"  # noqa: S105 (the format's prefix, not a secret)
SECRET_BYTES: Final = 32
MAX_URL: Final = 2000

SCHEDULE: Final = (
    timedelta(seconds=5), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
    timedelta(hours=5), timedelta(hours=10), timedelta(hours=10), timedelta(hours=10),
    timedelta(hours=10), timedelta(hours=10), timedelta(hours=10),
)  # fmt: skip
"""The wait after each failed attempt (Standard Webhooks' schedule, with the 10 h
step repeated to span about three days: 12 attempts over 2 days 19.6 hours). After
the last one fails the message is failed."""
JITTER: Final = 0.1
"""Each wait is moved by up to ±10 %, so endpoints that failed together do not all
come back in the same second."""
MAX_RETRY_AFTER: Final = timedelta(hours=24)
"""A 429/503 Retry-After is honoured up to this."""

Outcome = Literal["delivered", "retrying", "failed", "disabled"]


class InvalidWebhookEndpoint(InvalidRequest):
    """The webhook endpoint is not valid."""

    code = "invalid_webhook_endpoint"


class UnknownWebhookEndpoint(NotFound):
    """No such webhook endpoint."""

    code = "unknown_webhook_endpoint"


class UnknownEvent(NotFound):
    """No such event."""

    code = "unknown_event"


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """One ``v1,`` signature of a message under one secret."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_header(secrets_: Iterable[str], msg_id: str, timestamp: int, body: bytes) -> str:
    return " ".join(sign(s, msg_id, timestamp, body) for s in secrets_)


@dataclass(frozen=True, slots=True)
class Answer:
    """What an endpoint answered: a status (None when the call failed: timeout,
    refused) and its Retry-After header."""

    status: int | None
    retry_after: str | None = None


def outcome(answer: Answer, attempts: int) -> Outcome:
    """What an attempt (the ``attempts``-th) decides: 2xx delivered, 410 disables the
    endpoint, anything else retries until the schedule is spent."""
    if answer.status is not None and 200 <= answer.status < 300:
        return "delivered"
    if answer.status == 410:
        return "disabled"
    return "retrying" if attempts <= len(SCHEDULE) else "failed"


def next_attempt(
    answer: Answer, attempts: int, now: datetime, rng: random.Random | None = None
) -> datetime:
    """When to try again after the ``attempts``-th attempt failed: Retry-After on a
    429 or 503 when it says, else the schedule's step with jitter."""
    if answer.status in (429, 503) and answer.retry_after:
        wait = retry_after(answer.retry_after, now)
        if wait is not None:
            return now + wait
    step = SCHEDULE[min(attempts, len(SCHEDULE)) - 1]
    spread = (rng or random.Random()).uniform(-JITTER, JITTER)
    return now + step * (1 + spread)


def retry_after(header: str, now: datetime) -> timedelta | None:
    """A Retry-After header (seconds, or an HTTP date) as a wait, capped; None when
    it cannot be read."""
    text = header.strip()
    if text.isdigit():
        wait = timedelta(seconds=int(text))
    else:
        try:
            wait = parsedate_to_datetime(text).astimezone(UTC) - now
        except (TypeError, ValueError, IndexError):
            return None
    return max(timedelta(0), min(wait, MAX_RETRY_AFTER))


def check_url(url: str) -> str:
    """An endpoint URL: http or https, a host, at most 2000 characters. Internal
    addresses are not refused (docs/webhooks.md says why and what to do)."""
    parts = urlsplit(url)
    if len(url) > MAX_URL or parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidWebhookEndpoint(f"the url must be http(s)://host..., at most {MAX_URL} chars")
    if any(c.isspace() for c in url):
        raise InvalidWebhookEndpoint("the url must not contain spaces")
    return url


def check_event_types(types: Iterable[str]) -> list[str]:
    """An event-type filter: known types, each once, sorted (empty means all)."""
    chosen = sorted(set(types))
    unknown = [t for t in chosen if t not in TYPES]
    if unknown:
        raise InvalidWebhookEndpoint(f"unknown event types: {', '.join(unknown)}")
    return chosen


def trimmed(text: str | None, limit: int) -> str | None:
    """Text an endpoint sent, cut to ``limit`` and without NULs (PostgreSQL refuses them)."""
    return None if text is None else text.replace("\x00", "")[:limit]
