"""NATS JetStream: the outbox published at least once and de-duplicated by event id,
and purchases consumed with a durable consumer that acks only after commit. Runs
against the NATS server on 127.0.0.1:4222; every test has streams of its own."""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import signal
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import nats
import psycopg
import pytest
from nats.aio.msg import Msg
from typer.testing import CliRunner

from punchcard.adapters.nats import streams
from punchcard.adapters.nats.running import run_blocking
from punchcard.adapters.nats.streams import Topology
from punchcard.adapters.postgres.database import Database
from punchcard.domain import errors
from punchcard.entrypoints.cli import consume as consume_cli
from punchcard.entrypoints.cli.main import app
from punchcard.service_layer.bus import consuming as consuming_module
from punchcard.service_layer.bus import publish_pending, run_consumer
from punchcard.service_layer.ledger import Ledger
from punchcard.service_layer.loyalty import batch
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
    run_blocking(_delete_streams(chosen.stream, chosen.ingest_stream))


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

    return run_blocking(read())


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


# -- consuming purchases ----------------------------------------------------------------


def send(topology: Topology, tenant: str, body: bytes | dict[str, object]) -> None:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()

    async def go() -> None:
        nc = await nats.connect(URL)
        try:
            js = nc.jetstream()
            await streams.ensure_stream(js, topology.ingest_stream, [f"{topology.ingest_prefix}.>"])
            await js.publish(f"{topology.ingest_prefix}.{tenant}.purchase", data)
        finally:
            await nc.close()

    run_blocking(go())


def consumer_state(topology: Topology) -> tuple[int, int]:
    """(messages waiting, messages delivered but not settled) of the durable consumer."""

    async def go() -> tuple[int, int]:
        nc = await nats.connect(URL)
        try:
            info = await nc.jetstream().consumer_info(topology.ingest_stream, topology.durable)
            return info.num_pending or 0, info.num_ack_pending or 0
        finally:
            await nc.close()

    return run_blocking(go())


@contextlib.contextmanager
def consuming(loyalty: Loyalty, topology: Topology) -> Iterator[list[BaseException]]:
    """run_consumer on a thread, as the worker runs it; the errors it died of."""
    stop = threading.Event()
    died: list[BaseException] = []

    def target() -> None:
        try:
            run_consumer(loyalty, stop, url=URL, topology=topology)
        except BaseException as exc:
            died.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    try:
        yield died
    finally:
        stop.set()
        thread.join(timeout=10)
        assert not thread.is_alive()


def eventually(check: Callable[[], bool], seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def purchase(customer: str, order_id: str = "o-1") -> dict[str, object]:
    return {"type": "purchase", "customer_id": customer, "order_id": order_id,
            "amount": 42_00, "currency": "USD"}  # fmt: skip


def points(loyalty: Loyalty, tenant: str, customer: str) -> int:
    return loyalty.balance(tenant, customer).available


def settled(topology: Topology) -> bool:
    try:
        return consumer_state(topology) == (0, 0)
    except nats.js.errors.NotFoundError:  # the consumer is not made yet
        return False


def test_a_purchase_earns_once_however_often_it_arrives(
    loyalty: Loyalty, programme_tenant: str, topology: Topology
) -> None:
    alice = loyalty.enroll(programme_tenant, "shop-alice").id
    send(topology, programme_tenant, purchase(alice))
    with consuming(loyalty, topology) as died:
        eventually(lambda: points(loyalty, programme_tenant, alice) == 42)
        send(topology, programme_tenant, purchase(alice))  # the platform sends it again
        eventually(lambda: settled(topology))
    assert not died
    assert points(loyalty, programme_tenant, alice) == 42
    assert len(loyalty.events(programme_tenant, type_="points.earned")) == 1


class Crash(BaseException):
    """The process dies mid-message (nothing catches a BaseException on the way)."""


def test_a_message_is_acked_only_after_commit(
    loyalty: Loyalty, programme_tenant: str, topology: Topology,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    alice = loyalty.enroll(programme_tenant, "shop-alice").id
    real = batch.apply

    def dies_before_commit(loyalty_: Loyalty, command: object) -> object:
        with loyalty_.work():  # the use case's transaction is open, then the process dies
            raise Crash

    monkeypatch.setattr(consuming_module, "apply", dies_before_commit)
    send(topology, programme_tenant, purchase(alice))
    with consuming(loyalty, topology) as died:
        eventually(lambda: bool(died))
    assert isinstance(died[0], Crash)
    assert points(loyalty, programme_tenant, alice) == 0
    monkeypatch.setattr(consuming_module, "apply", real)
    with consuming(loyalty, topology) as died:  # a new process, after ack_wait
        eventually(lambda: points(loyalty, programme_tenant, alice) == 42)
        eventually(lambda: settled(topology))
    assert not died


def test_a_transient_failure_is_retried(
    loyalty: Loyalty, programme_tenant: str, topology: Topology,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    alice = loyalty.enroll(programme_tenant, "shop-alice").id
    real, calls = batch.apply, []

    def deadlocks_once(loyalty_: Loyalty, command: Any) -> Any:
        calls.append(command)
        if len(calls) == 1:
            raise errors.TransientError()
        return real(loyalty_, command)

    monkeypatch.setattr(consuming_module, "apply", deadlocks_once)
    send(topology, programme_tenant, purchase(alice))
    with consuming(loyalty, topology) as died:
        eventually(lambda: points(loyalty, programme_tenant, alice) == 42)
        eventually(lambda: settled(topology))
    assert not died
    assert len(calls) == 2


def test_a_bad_message_is_terminated_and_changes_nothing(
    loyalty: Loyalty, programme_tenant: str, topology: Topology,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    alice = loyalty.enroll(programme_tenant, "shop-alice").id
    before = loyalty.events(programme_tenant)
    send(topology, programme_tenant, b"not json at all: secret-bob@example.com")
    send(topology, programme_tenant, {**purchase(alice), "amount": "secret-42"})
    send(topology, programme_tenant, purchase("cus_nobody-here"))
    with caplog.at_level(logging.WARNING, "punchcard.bus"), consuming(loyalty, topology) as died:
        eventually(lambda: settled(topology))
    assert not died
    assert loyalty.events(programme_tenant) == before
    assert points(loyalty, programme_tenant, alice) == 0
    lines = [r.getMessage() for r in caplog.records if r.name == "punchcard.bus"]
    assert len(lines) == 3
    assert all("terminated" in line for line in lines)
    assert "secret" not in caplog.text


def test_punchcard_consume_runs_until_sigterm(
    fresh_database_url: str, topology: Topology, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PUNCHCARD_DATABASE_URL", fresh_database_url)
    monkeypatch.setenv("PUNCHCARD_NATS_URL", URL)
    monkeypatch.setattr(
        consume_cli, "run_consumer", functools.partial(run_consumer, topology=topology)
    )
    monkeypatch.setattr(consume_cli, "configure_logging", lambda: None)  # caplog stays usable
    previous = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    with Loyalty(Ledger(Database(fresh_database_url, pool_size=2))) as loyalty:
        tenant = setup_programme(loyalty)
        alice = loyalty.enroll(tenant, "shop-alice").id
        send(topology, tenant, purchase(alice))

        def stop_when_earned() -> None:
            eventually(lambda: points(loyalty, tenant, alice) == 42)
            os.kill(os.getpid(), signal.SIGTERM)

        killer = threading.Thread(target=stop_when_earned, daemon=True)
        killer.start()
        try:
            result = CliRunner().invoke(app, ["consume"])
        finally:
            signal.signal(signal.SIGTERM, previous[0])
            signal.signal(signal.SIGINT, previous[1])
        killer.join(timeout=10)
        assert result.exit_code == 0, result.output
        assert points(loyalty, tenant, alice) == 42
