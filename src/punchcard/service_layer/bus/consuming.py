"""Consuming purchases, refunds and engagement from NATS JetStream.

A message is one event of ``POST /v1/events:batch`` (the HTTP schemas parse it,
``to_command`` converts it) on ``<ingest prefix>.<tenant>.<anything>``. Each runs
as its own use case, idempotent by order, event or refund id, so a redelivered
message finds its result recorded and earns nothing again.
"""

from __future__ import annotations

import threading
from typing import Final

from pydantic import TypeAdapter, ValidationError

from punchcard.adapters.nats import ingest, streams
from punchcard.adapters.nats.ingest import Verdict
from punchcard.adapters.nats.streams import Topology
from punchcard.config import ConfigError
from punchcard.domain.errors import PunchcardError, TransientError
from punchcard.entrypoints.http.schemas import (
    EngagementEvent,
    Event,
    PurchaseEvent,
    RefundEvent,
    to_command,
)
from punchcard.service_layer.loyalty.batch import apply
from punchcard.service_layer.loyalty.facade import Loyalty

EVENT: Final = TypeAdapter[PurchaseEvent | EngagementEvent | RefundEvent](Event)


def handle(loyalty: Loyalty, tenant: str, body: bytes) -> Verdict:
    """Apply one message; its verdict once the use case committed or refused."""
    try:
        event = EVENT.validate_json(body)
    except ValidationError as exc:
        # the fields and error kinds only: pydantic's message quotes the input
        fields = sorted({".".join(map(str, e["loc"])) or "body" for e in exc.errors()})
        return Verdict("term", f"invalid_request in {', '.join(fields)}")
    try:
        command = to_command(tenant, event)
    except PunchcardError as exc:
        return Verdict("term", exc.code)
    try:
        apply(loyalty, command)
    except TransientError as exc:
        return Verdict("retry", exc.code)
    except PunchcardError as exc:
        # a refusal (unknown customer, conflicting replay) is final; a 5xx may pass
        return Verdict("term" if exc.http_status < 500 else "retry", exc.code)
    except Exception as exc:
        return Verdict("retry", type(exc).__name__)
    return Verdict("ack")


def run_consumer(
    loyalty: Loyalty,
    stop_event: threading.Event,
    *,
    url: str | None = None,
    topology: Topology = streams.DEFAULT,
) -> None:
    """Consume the ingest subject until ``stop_event`` is set (call it on a thread)."""
    url = url or loyalty.ledger.settings.nats_url
    if url is None:
        raise ConfigError("PUNCHCARD_NATS_URL is not set")
    ingest.run(url, topology, lambda tenant, body: handle(loyalty, tenant, body), stop_event)
