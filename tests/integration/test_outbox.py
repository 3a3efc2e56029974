"""The outbox: events are written in the ledger's transaction, and a sink reads
committed events in order without ever skipping one that commits late."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import psycopg
import pytest

from punchcard.adapters.postgres.database import Database
from punchcard.adapters.postgres.outbox import Cursor, Outbox
from punchcard.domain import errors, events
from punchcard.service_layer.ledger import Ledger
from punchcard.service_layer.loyalty.facade import Loyalty
from tests.conftest import FakeClock, setup_programme
from tests.helpers import customer_with


def connect(url: str) -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(url, options="-c search_path=punchcard")


def types_of(loyalty: Loyalty, tenant: str, customer: str | None = None) -> list[str]:
    return [e.type for e in reversed(loyalty.events(tenant, customer_id=customer))]


def test_an_earn_records_its_event_and_a_replay_records_none(
    loyalty: Loyalty, programme_tenant: str
) -> None:
    alice = loyalty.enroll(programme_tenant, "shop-alice").id
    loyalty.earn_purchase(programme_tenant, alice, order_id="o-1", amount=42_00, currency="USD")
    loyalty.earn_purchase(programme_tenant, alice, order_id="o-1", amount=42_00, currency="USD")
    assert types_of(loyalty, programme_tenant, alice) == ["customer.enrolled", "points.earned"]
    (earned,) = loyalty.events(programme_tenant, type_=events.POINTS_EARNED)
    assert earned.data["points"] == 42
    assert earned.data["order_id"] == "o-1"
    assert earned.data["customer_id"] == alice
    assert earned.id.startswith("evt_")
    assert loyalty.event(programme_tenant, earned.id) == earned


def test_a_refused_operation_records_nothing(loyalty: Loyalty, programme_tenant: str) -> None:
    alice = customer_with(loyalty, programme_tenant, 10)
    before = types_of(loyalty, programme_tenant, alice)
    with pytest.raises(errors.InsufficientFunds):
        loyalty.redeem(programme_tenant, alice, option="product", points=500, idempotency_key="r")
    assert types_of(loyalty, programme_tenant, alice) == before


def test_an_event_of_a_rolled_back_transaction_is_gone(
    loyalty: Loyalty, programme_tenant: str
) -> None:
    alice = loyalty.enroll(programme_tenant, "shop-alice").id
    with loyalty.work() as w:
        w.emit(programme_tenant, events.customer_event(events.POINTS_EARNED, alice, points=1))
        # leaving without commit rolls back
    assert types_of(loyalty, programme_tenant, alice) == ["customer.enrolled"]


def test_the_lifecycle_emits_its_events(loyalty: Loyalty, programme_tenant: str) -> None:
    tenant = programme_tenant
    alice = customer_with(loyalty, tenant, 3000)
    bob = loyalty.enroll(tenant, "shop-bob").id
    loyalty.redeem(tenant, alice, option="product", points=500, idempotency_key="r1")
    hold = loyalty.authorize(tenant, alice, option="product", points=500, idempotency_key="a1")
    loyalty.capture(tenant, hold.hold_id, idempotency_key="c1")
    other = loyalty.authorize(tenant, alice, option="product", points=500, idempotency_key="a2")
    loyalty.void(tenant, other.hold_id, idempotency_key="v1")
    loyalty.convert(tenant, alice, points=500, idempotency_key="x1")
    loyalty.transfer(tenant, from_customer=alice, to_customer=bob, points=100, idempotency_key="t1")
    asked = loyalty.request_adjustment(
        tenant, bob, points=50, reason="goodwill after a late delivery", requested_by="maker",
        idempotency_key="adj",
    )  # fmt: skip
    loyalty.approve_adjustment(tenant, asked.id, approved_by="checker")
    seen = types_of(loyalty, tenant)
    for expected in ("customer.enrolled", "points.earned", "points.redeemed", "hold.created",
                     "hold.captured", "hold.voided", "points.converted", "points.transferred",
                     "adjustment.requested", "adjustment.approved"):  # fmt: skip
        assert expected in seen
    requested = loyalty.events(tenant, type_=events.ADJUSTMENT_REQUESTED)[0]
    assert "goodwill" not in str(requested.data)  # an operator's free text stays out


def test_expiry_and_its_warning_are_events(clocked_loyalty: Loyalty, clock: FakeClock) -> None:
    tenant = setup_programme(clocked_loyalty)
    alice = customer_with(clocked_loyalty, tenant, 100)
    clock.advance(timedelta(days=365 * 2 - 10))
    assert clocked_loyalty.warn_expiring(tenant, within=timedelta(days=30)) == 1
    assert clocked_loyalty.warn_expiring(tenant, within=timedelta(days=30)) == 0  # each lot once
    (warning,) = clocked_loyalty.events(tenant, type_=events.POINTS_EXPIRING_SOON)
    assert warning.data["points"] == 100
    clock.advance(timedelta(days=20))
    clocked_loyalty.expire(tenant)
    (expired,) = clocked_loyalty.events(tenant, type_=events.POINTS_EXPIRED)
    assert expired.subject == alice
    assert expired.data["points"] == 100


# -- reading the outbox in commit order -------------------------------------------------


@pytest.fixture
def own(fresh_database_url: str) -> Iterator[tuple[Loyalty, str, str]]:
    database = Database(fresh_database_url, pool_size=4)
    loyalty = Loyalty(Ledger(database))
    try:
        yield loyalty, setup_programme(loyalty), fresh_database_url
    finally:
        database.close()


def test_a_sink_reads_committed_events_once_in_order(own: tuple[Loyalty, str, str]) -> None:
    loyalty, tenant, url = own
    for n in range(3):
        loyalty.enroll(tenant, f"shop-{n}")
    with connect(url) as conn:
        found = Cursor(conn, "test").read(10)
        assert found is not None
        assert [e.type for e in found] == ["customer.enrolled"] * 3
        Cursor(conn, "test").advance(found[-1])
        conn.commit()
        assert Cursor(conn, "test").read(10) == []


def test_a_late_commit_is_never_skipped(own: tuple[Loyalty, str, str]) -> None:
    """A transaction that started first but commits last holds the cursor back."""
    loyalty, tenant, url = own
    with connect(url) as slow:
        Outbox(slow).add(tenant, [events.Event("points.earned", None, {"n": 1})])
        loyalty.enroll(tenant, "shop-fast")  # commits while slow is still open
        with connect(url) as reader:
            assert Cursor(reader, "test").read(10) == []  # the fast one waits too
            reader.commit()
            slow.commit()
            found = Cursor(reader, "test").read(10)
            assert found is not None
            assert [e.type for e in found] == ["points.earned", "customer.enrolled"]


def test_one_reader_per_sink_at_a_time(own: tuple[Loyalty, str, str]) -> None:
    loyalty, tenant, url = own
    loyalty.enroll(tenant, "shop-1")
    with connect(url) as first, connect(url) as second:
        assert Cursor(first, "test").read(10) is not None
        assert Cursor(second, "test").read(10) is None
        assert Cursor(second, "other").read(10) is not None


def test_the_outbox_is_append_only(own: tuple[Loyalty, str, str]) -> None:
    loyalty, tenant, url = own
    loyalty.enroll(tenant, "shop-1")
    with connect(url) as conn, pytest.raises(psycopg.Error, match="append-only"):
        conn.execute("UPDATE outbox SET data = '{}'")


def test_a_reader_in_the_middle_of_a_batch_holds_no_other_sink_back(
    own: tuple[Loyalty, str, str],
) -> None:
    """Reading takes no transaction id (an advisory lock, not a row lock), so a
    sink slow to deliver what it read does not stop the others seeing new events."""
    loyalty, tenant, url = own
    with connect(url) as setup:
        Cursor(setup, "slow").read(10)  # its cursor row exists from here on
        setup.commit()
    with connect(url) as slow, connect(url) as other:
        assert Cursor(slow, "slow").read(10) == []  # still open, "delivering"
        loyalty.enroll(tenant, "shop-new")
        found = Cursor(other, "other").read(10)
        assert found is not None
        assert [e.type for e in found] == ["customer.enrolled"]
