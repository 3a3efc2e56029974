"""NATS JetStream: the outbox published at least once and de-duplicated by event id,
and purchases consumed with a durable consumer that acks only after commit. Runs
against the NATS server on 127.0.0.1:4222; every test has streams of its own."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import uuid
from collections.abc import Iterator

import nats
import psycopg
import pytest
from nats.aio.msg import Msg

from punchcard.adapters.nats.streams import Topology
from punchcard.adapters.postgres.database import Database
from punchcard.service_layer.bus import publish_pending
from punchcard.service_layer.ledger import Ledger
from punchcard.service_layer.loyalty.facade import Loyalty
from tests.conftest import setup_programme

URL = "nats://127.0.0.1:4222"


def _nats_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 4222), timeout=0.5):
            return True
    except OSError:
        return False


pytestmark = [
    pytest.mark.db,
    pytest.mark.skipif(not _nats_answers(), reason="no NATS server on 127.0.0.1:4222"),
]


@pytest.fixture
def topology() -> Iterator[Topology]:
    tag = uuid.uuid4().hex[:10]
    chosen = Topology(
        prefix=f"pctest-{tag}", stream=f"PCTEST_{tag}_EVENTS",
        ingest_prefix=f"pctest-ingest-{tag}", ingest_stream=f"PCTEST_{tag}_INGEST",
        durable=f"pctest-{tag}", ack_wait=1.0,
    )  # fmt: skip
    yield chosen
    asyncio.run(_delete_streams(chosen.stream, chosen.ingest_stream))


async def _delete_streams(*names: str) -> None:
    nc = await nats.connect(URL)
    try:
        js = nc.jetstream()
        for name in names:
            with contextlib.suppress(nats.js.errors.NotFoundError):
                await js.delete_stream(name)
    finally:
        await nc.close()


@pytest.fixture
def own(fresh_database_url: str) -> Iterator[tuple[Loyalty, str, str]]:
    database = Database(fresh_database_url, pool_size=4)
    loyalty = Loyalty(Ledger(database))
    try:
        yield loyalty, setup_programme(loyalty), fresh_database_url
    finally:
        database.close()


def stored(topology: Topology) -> list[Msg]:
    """Every message the events stream holds, oldest first."""

    async def read() -> list[Msg]:
        nc = await nats.connect(URL)
        try:
            js = nc.jetstream()
            info = await js.stream_info(topology.stream)
            found = []
            for seq in range(info.state.first_seq, info.state.last_seq + 1):
                found.append(await js.get_msg(topology.stream, seq))
            return found  # type: ignore[return-value]
        finally:
            await nc.close()

    return asyncio.run(read())


def test_the_events_of_a_committed_earn_arrive_once(
    own: tuple[Loyalty, str, str], topology: Topology
) -> None:
    loyalty, tenant, _ = own
    alice = loyalty.enroll(tenant, "shop-alice").id
    loyalty.earn_purchase(tenant, alice, order_id="o-1", amount=42_00, currency="USD")
    outbox = list(reversed(loyalty.events(tenant)))
    assert publish_pending(loyalty, url=URL, topology=topology) == len(outbox)
    assert publish_pending(loyalty, url=URL, topology=topology) == 0
    messages = stored(topology)
    assert [m.subject for m in messages] == [f"{topology.prefix}.{tenant}.{e.type}" for e in outbox]
    assert [(m.headers or {}).get("Nats-Msg-Id") for m in messages] == [e.id for e in outbox]
    earned = json.loads(messages[-1].data)
    assert earned["type"] == "points.earned"
    assert earned["tenant"] == tenant
    assert earned["data"]["customer_id"] == alice
    assert earned["data"]["points"] == 42
    assert "shop-alice" not in str([m.data for m in messages])  # the reference stays home


def test_publishing_again_after_a_crash_is_deduplicated(
    own: tuple[Loyalty, str, str], topology: Topology
) -> None:
    loyalty, tenant, url = own
    alice = loyalty.enroll(tenant, "shop-alice").id
    loyalty.earn_purchase(tenant, alice, order_id="o-1", amount=42_00, currency="USD")
    sent = publish_pending(loyalty, url=URL, topology=topology)
    with psycopg.connect(url, options="-c search_path=punchcard") as conn:
        # as if the worker had died after the acks, before its commit
        conn.execute("DELETE FROM outbox_cursors WHERE sink = 'nats'")
    assert publish_pending(loyalty, url=URL, topology=topology) == sent
    assert len(stored(topology)) == sent


def test_an_unreachable_server_moves_nothing(
    own: tuple[Loyalty, str, str], topology: Topology
) -> None:
    loyalty, tenant, _ = own
    loyalty.enroll(tenant, "shop-alice")
    with pytest.raises(ConnectionError, match="does not answer"):
        publish_pending(loyalty, url="nats://127.0.0.1:1", topology=topology)
    assert publish_pending(loyalty, url=URL, topology=topology) == 1
