"""JetStream streams and subjects: where events go, where ingest comes from.

Every name is in ``Topology`` so an operator (or a test run) can move them; the
defaults are what docs/events.md promises. Streams are ensured idempotently: made
when missing, updated when their subjects or duplicate window differ.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import StreamConfig
from nats.js.errors import BadRequestError, NotFoundError

from punchcard.adapters.postgres.outbox import StoredEvent

MSG_ID: Final = "Nats-Msg-Id"
DUPLICATE_WINDOW: Final = 3600.0
"""Seconds the events stream remembers message ids: a worker that crashed between
the acks and its commit has this long to come back before a republish is stored twice."""
ACK_TIMEOUT: Final = 10.0


@dataclass(frozen=True, slots=True)
class Topology:
    prefix: str = "punchcard"
    """Events go to ``<prefix>.<tenant>.<type>``."""
    stream: str = "PUNCHCARD_EVENTS"
    ingest_prefix: str = "punchcard-ingest"
    """Incoming events are read from ``<ingest_prefix>.<tenant>.>``. Not under
    ``<prefix>.``: two JetStream streams may not share subjects."""
    ingest_stream: str = "PUNCHCARD_INGEST"
    durable: str = "punchcard-ingest"
    ack_wait: float = 30.0
    """Seconds a delivered ingest message may stay unacked before it is redelivered."""

    def subject(self, event: StoredEvent) -> str:
        return f"{self.prefix}.{event.tenant}.{event.type}"


DEFAULT: Final = Topology()


CONNECT_TIMEOUT: Final = 3.0


async def connect(url: str, *, reconnect: bool = False) -> Client:
    """A connection, or ConnectionError within seconds: nats-py retries a refused
    first connect on its own, so it is bounded here and the caller tries again later."""

    async def quiet(exc: Exception) -> None:
        pass  # the connect below raises; nats-py would log a traceback per attempt

    try:
        return await asyncio.wait_for(
            nats.connect(url, connect_timeout=2, allow_reconnect=reconnect, error_cb=quiet,
                         name="punchcard"),
            CONNECT_TIMEOUT,
        )  # fmt: skip
    except (TimeoutError, OSError, nats.errors.Error) as exc:
        where = urlsplit(url)  # never the credentials a URL may carry
        raise ConnectionError(f"NATS at {where.hostname}:{where.port} does not answer") from exc


async def ensure_stream(js: JetStreamContext, name: str, subjects: list[str]) -> None:
    config = StreamConfig(name=name, subjects=subjects, duplicate_window=DUPLICATE_WINDOW)
    try:
        info = await js.stream_info(name)
    except NotFoundError:
        with contextlib.suppress(BadRequestError):  # made meanwhile by another process
            await js.add_stream(config)
        return
    if info.config.subjects != subjects or info.config.duplicate_window != DUPLICATE_WINDOW:
        await js.update_stream(config)


async def publish_events(
    js: JetStreamContext, topology: Topology, events: Sequence[StoredEvent]
) -> None:
    """Publish in outbox order and wait for every ack; raises if any is missing, so
    the caller does not advance its cursor past an event the stream may not hold."""
    acks = [
        await js.publish_async(
            topology.subject(event),
            json.dumps(event.envelope(), separators=(",", ":")).encode(),
            stream=topology.stream,
            headers={MSG_ID: event.id},
        )
        for event in events
    ]
    await asyncio.wait_for(asyncio.gather(*acks), ACK_TIMEOUT)
