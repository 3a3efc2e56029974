"""expire and transfer: lots expire on their own dates, partially consumed or not."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from punchcard.domain import errors
from punchcard.domain.loyalty.expiry import ExpiryRule, RoundTo
from punchcard.domain.loyalty.lots import LotStatus
from punchcard.domain.loyalty.programme import LotKind, default_programme
from punchcard.service_layer.loyalty.facade import Loyalty
from tests.conftest import FakeClock, setup_programme
from tests.helpers import verified

SHORT = dataclasses.replace(
    default_programme(),
    pending_days=0,
    expiry={
        LotKind.EARNED: ExpiryRule.after(days=30),
        LotKind.ENGAGEMENT: ExpiryRule.after(days=10),
        LotKind.TRANSFERRED: ExpiryRule.after(days=20),
    },
)


def test_expiry_takes_what_is_left_of_partially_consumed_lots_and_re_runs_as_a_no_op(
    clocked_loyalty: Loyalty, clock: FakeClock
) -> None:
    loyalty = clocked_loyalty
    tenant = setup_programme(loyalty, SHORT)
    alice = loyalty.enroll(tenant, "shop-alice").id
    loyalty.earn_purchase(tenant, alice, order_id="o-1", amount=700_00, currency="USD")
    loyalty.earn_engagement(tenant, alice, event_id="e-1", type="referral_completed")
    # 1,000 engagement points expire first, so they are spent first: 400 of them remain.
    loyalty.redeem(tenant, alice, option="product", points=600, idempotency_key="r1")
    clock.advance(timedelta(days=10))
    report = loyalty.expire(tenant)
    assert (report.customers, report.lots, report.points) == (1, 1, 400)
    assert loyalty.expire(tenant).points == 0  # same date again: nothing left to do
    assert loyalty.balance(tenant, alice).available == 700
    clock.advance(timedelta(days=20))
    assert loyalty.expire(tenant).points == 700
    balance = loyalty.balance(tenant, alice)
    assert (balance.available, balance.expiring) == (0, 0)
    assert loyalty.ledger.balance(tenant, "program:expired", "PTS").posted == 1100
    statuses = {lot.kind: lot.status for lot in loyalty.lots(tenant, alice, include_closed=True)}
    assert statuses == {LotKind.EARNED: LotStatus.CLOSED, LotKind.ENGAGEMENT: LotStatus.CLOSED}
    verified(loyalty, tenant)


def test_expire_as_of_a_past_date_takes_only_what_had_expired_by_then(
    clocked_loyalty: Loyalty, clock: FakeClock
) -> None:
    loyalty = clocked_loyalty
    tenant = setup_programme(loyalty, SHORT)
    alice = loyalty.enroll(tenant, "shop-alice").id
    start = clock.now
    loyalty.earn_engagement(tenant, alice, event_id="e-1", type="review_written")
    loyalty.earn_purchase(tenant, alice, order_id="o-1", amount=100_00, currency="USD")
    clock.advance(timedelta(days=40))
    assert loyalty.expire(tenant, as_of=start + timedelta(days=15)).points == 50
    assert loyalty.expire(tenant).points == 100
    with pytest.raises(errors.InvalidRequest, match="in the future"):
        loyalty.expire(tenant, as_of=clock.now + timedelta(days=1))


def test_points_expiring_soon_are_listed_per_customer(
    clocked_loyalty: Loyalty, clock: FakeClock
) -> None:
    loyalty = clocked_loyalty
    tenant = setup_programme(loyalty, SHORT)
    alice = loyalty.enroll(tenant, "shop-alice").id
    bob = loyalty.enroll(tenant, "shop-bob").id
    loyalty.earn_engagement(tenant, alice, event_id="e-1", type="review_written")
    loyalty.earn_purchase(tenant, bob, order_id="o-1", amount=100_00, currency="USD")
    soon = loyalty.expiring(tenant, within=timedelta(days=15))
    assert [(e.customer_id, e.points) for e in soon] == [(alice, 50)]
    assert soon[0].first_expiry == clock.now + timedelta(days=10)
    later = loyalty.expiring(tenant, within=timedelta(days=31))
    assert {(e.customer_id, e.points) for e in later} == {(alice, 50), (bob, 100)}


def test_a_transfer_consumes_lots_expiring_on_different_dates_and_makes_one_new_lot(
    clocked_loyalty: Loyalty, clock: FakeClock
) -> None:
    loyalty = clocked_loyalty
    tenant = setup_programme(loyalty, SHORT)
    alice = loyalty.enroll(tenant, "shop-alice").id
    bob = loyalty.enroll(tenant, "shop-bob").id
    loyalty.earn_engagement(tenant, alice, event_id="e-1", type="review_written")  # +10 days
    loyalty.earn_purchase(tenant, alice, order_id="o-1", amount=100_00, currency="USD")  # +30
    moved = loyalty.transfer(
        tenant, from_customer=alice, to_customer=bob, points=120, idempotency_key="t1"
    )
    alice_lots = loyalty.lots(tenant, alice, include_closed=True)
    assert sorted((lot.kind, lot.remaining) for lot in alice_lots) == [
        (LotKind.EARNED, 30), (LotKind.ENGAGEMENT, 0),
    ]  # fmt: skip
    (received,) = loyalty.lots(tenant, bob)
    assert (received.id, received.kind, received.amount) == (moved.lot_id, LotKind.TRANSFERRED, 120)
    assert received.expires_at == clock.now + timedelta(days=20)  # its own expiry
    with pytest.raises(errors.InsufficientPoints):
        loyalty.transfer(tenant, from_customer=alice, to_customer=bob, points=31,
                         idempotency_key="t2")  # fmt: skip
    with pytest.raises(errors.InvalidRequest, match="two different customers"):
        loyalty.transfer(tenant, from_customer=alice, to_customer=alice, points=1,
                         idempotency_key="t3")  # fmt: skip
    clock.advance(timedelta(days=20))
    assert loyalty.expire(tenant).points == 120  # bob's transferred lot
    clock.advance(timedelta(days=10))
    assert loyalty.expire(tenant).points == 30  # the rest of alice's earned lot
    verified(loyalty, tenant)


def test_expiry_rounded_to_the_end_of_the_month_in_the_programmes_zone(
    clocked_loyalty: Loyalty, clock: FakeClock
) -> None:
    loyalty = clocked_loyalty
    clock.now = datetime(2026, 11, 14, 12, 0, tzinfo=UTC)
    programme = dataclasses.replace(
        SHORT, timezone="Europe/Paris",
        expiry={LotKind.EARNED: ExpiryRule.after(months=2, round_to=RoundTo.END_OF_MONTH)},
    )  # fmt: skip
    tenant = setup_programme(loyalty, programme)
    alice = loyalty.enroll(tenant, "shop-alice").id
    earned = loyalty.earn_purchase(tenant, alice, order_id="o-1", amount=10_00, currency="USD")
    # 14 Nov + 2 months = 14 Jan; the end of January in Paris is 1 Feb 00:00 CET = 23:00 UTC.
    assert earned.lots[0].expires_at == datetime(2027, 1, 31, 23, 0, tzinfo=UTC)
