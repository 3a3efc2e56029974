"""The ingest consumer: a durable JetStream pull consumer feeding a handler.

A message is settled only after the handler returned, and the handler returns
only after its use case committed (or refused): ``ack`` then, ``term`` for a
message that can never succeed, ``nak`` with a growing delay for one that may
later. A process that dies mid-message settles nothing, so the stream redelivers
it after ``ack_wait``; the use cases are idempotent, so a redelivery never earns
twice. Log lines name the subject and stream sequence, never the payload.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Literal

import nats.errors
from nats.aio.msg import Msg
from nats.js.api import AckPolicy, ConsumerConfig

from punchcard.adapters.nats import streams
from punchcard.adapters.nats.running import run_blocking
from punchcard.adapters.nats.streams import Topology

log = logging.getLogger("punchcard.bus")

FETCH_BATCH: Final = 20
FETCH_WAIT: Final = 1.0
"""Seconds one fetch waits for messages: how long a stop may take to be noticed."""
RETRY_DELAYS: Final = (1.0, 5.0, 30.0, 120.0)


@dataclass(frozen=True, slots=True)
class Verdict:
    outcome: Literal["ack", "term", "retry"]
    reason: str | None = None
    """Why it was refused: an error code or field names, never a value from the message."""


Handler = Callable[[str, bytes], Verdict]
"""(tenant, message body) -> verdict; blocking, so it runs on a worker thread."""


def run(url: str, topology: Topology, handler: Handler, stop: threading.Event) -> None:
    """Consume until ``stop`` is set (checked at least every FETCH_WAIT seconds)."""
    run_blocking(_consume(url, topology, handler, stop))


async def _consume(url: str, topology: Topology, handler: Handler, stop: threading.Event) -> None:
    nc = await streams.connect(url, reconnect=True)
    try:
        js = nc.jetstream()
        await streams.ensure_stream(js, topology.ingest_stream, [f"{topology.ingest_prefix}.>"])
        config = ConsumerConfig(
            durable_name=topology.durable, ack_policy=AckPolicy.EXPLICIT,
            ack_wait=topology.ack_wait, filter_subject=f"{topology.ingest_prefix}.>",
        )  # fmt: skip
        sub = await js.pull_subscribe(
            f"{topology.ingest_prefix}.>", durable=topology.durable,
            stream=topology.ingest_stream, config=config,
        )  # fmt: skip
        while not stop.is_set():
            try:
                messages = await sub.fetch(FETCH_BATCH, timeout=FETCH_WAIT)
            except TimeoutError:  # nats-py raises its own subclass, or asyncio's
                continue
            except nats.errors.Error as exc:  # reconnecting: the client comes back itself
                log.warning("ingest fetch failed: %s", type(exc).__name__)
                await asyncio.sleep(FETCH_WAIT)
                continue
            for msg in messages:
                await _settle(msg, topology, handler)
    finally:
        await nc.close()


async def _settle(msg: Msg, topology: Topology, handler: Handler) -> None:
    tokens = msg.subject.removeprefix(f"{topology.ingest_prefix}.").split(".")
    verdict = await asyncio.to_thread(handler, tokens[0], msg.data)
    seq = msg.metadata.sequence.stream
    if verdict.outcome == "ack":
        try:
            await msg.ack_sync()
        except TimeoutError:  # committed: a redelivery finds the result recorded
            log.warning("ingest ack unconfirmed (subject %s, seq %d)", msg.subject, seq)
    elif verdict.outcome == "term":
        log.warning("ingest message terminated: %s (subject %s, seq %d)",
                    verdict.reason, msg.subject, seq)  # fmt: skip
        await msg.term()
    else:
        delivered = msg.metadata.num_delivered
        delay = RETRY_DELAYS[min(delivered, len(RETRY_DELAYS)) - 1]
        log.warning("ingest message retried in %.0fs: %s (subject %s, seq %d, delivery %d)",
                    delay, verdict.reason, msg.subject, seq, delivered)  # fmt: skip
        await msg.nak(delay=delay)
