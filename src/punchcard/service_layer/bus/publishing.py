"""Publishing the outbox to NATS JetStream, at least once, in commit order.

The ``nats`` cursor is locked while a batch is out, so two workers never publish
the same batch side by side, and it advances only after the stream acked every
event of it. A crash between the acks and the commit publishes the batch again;
the stream drops the copies by their ``Nats-Msg-Id`` (the event id).
"""

from __future__ import annotations

from collections.abc import Sequence

from punchcard.adapters.nats import streams
from punchcard.adapters.nats.running import run_blocking
from punchcard.adapters.nats.streams import Topology
from punchcard.adapters.postgres.outbox import Cursor, StoredEvent
from punchcard.config import ConfigError
from punchcard.service_layer.loyalty.facade import Loyalty

SINK = "nats"


def publish_pending(
    loyalty: Loyalty,
    limit: int = 500,
    *,
    url: str | None = None,
    topology: Topology = streams.DEFAULT,
) -> int:
    """Publish up to ``limit`` committed events not yet published; how many went.

    0 when there are none or another worker holds the cursor. Raises (and moves
    nothing) when NATS is unreachable or an ack is missing: the next call retries.
    """
    url = url or loyalty.ledger.settings.nats_url
    if url is None:
        raise ConfigError("PUNCHCARD_NATS_URL is not set")
    with loyalty.ledger.database.connection() as conn:
        cursor = Cursor(conn, SINK)
        found = cursor.read(limit)
        if not found:
            return 0
        run_blocking(_publish(url, topology, found))
        cursor.advance(found[-1])
        conn.commit()
    return len(found)


async def _publish(url: str, topology: Topology, events: Sequence[StoredEvent]) -> None:
    nc = await streams.connect(url)
    try:
        js = nc.jetstream()
        await streams.ensure_stream(js, topology.stream, [f"{topology.prefix}.>"])
        await streams.publish_events(js, topology, events)
    finally:
        await nc.close()
