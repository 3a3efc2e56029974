"""earn: purchases and engagement events become lots, exactly once per order or event."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from punchcard.domain import errors
from punchcard.domain.loyalty.lots import LotStatus
from punchcard.domain.loyalty.programme import LotKind, default_programme
from punchcard.service_layer.loyalty.facade import Loyalty
from tests.conftest import FakeClock, setup_programme


def test_a_purchase_earns_one_point_per_dollar_as_an_earned_lot(
    loyalty: Loyalty, programme_tenant: str
) -> None:
    alice = loyalty.enroll(programme_tenant, "shop-alice")
    result = loyalty.earn_purchase(
        programme_tenant, alice.id, order_id="o-1", amount=125_99, currency="USD"
    )
    assert result.points == 125
    assert [(lot.kind, lot.points, lot.pending) for lot in result.lots] == [
        (LotKind.EARNED, 125, False)
    ]
    assert result.breakdown["awards"] == [{"kind": "earned", "points": 125, "rule": "base_rate"}]
    txn = loyalty.ledger.transaction(programme_tenant, result.transaction_id or 0)
    assert txn.metadata["breakdown"] == result.breakdown
    assert txn.metadata["order_id"] == "o-1"
    assert loyalty.balance(programme_tenant, alice.id).available == 125
    (lot,) = loyalty.lots(programme_tenant, alice.id)
    assert lot.expires_at is not None
    assert lot.expires_at.year == lot.issued_at.year + 2  # earned points: 24 months


def test_a_replayed_webhook_never_earns_twice(loyalty: Loyalty, programme_tenant: str) -> None:
    """A retry without occurred_at matches the first call: a defaulted time is not
    part of what the order id is bound to."""
    alice = loyalty.enroll(programme_tenant, "shop-alice")
    first = loyalty.earn_purchase(
        programme_tenant, alice.id, order_id="o-1", amount=50_00, currency="USD"
    )
    again = loyalty.earn_purchase(
        programme_tenant, alice.id, order_id="o-1", amount=50_00, currency="USD"
    )
    assert again == dataclasses.replace(first, replayed=True)
    assert loyalty.balance(programme_tenant, alice.id).available == 50


def test_the_same_order_id_with_the_same_body_replays_and_another_body_conflicts(
    loyalty: Loyalty, programme_tenant: str
) -> None:
    alice = loyalty.enroll(programme_tenant, "shop-alice")
    when = loyalty.now() - timedelta(hours=1)
    first = loyalty.earn_purchase(
        programme_tenant, alice.id, order_id="o-7", amount=80_00, currency="USD", occurred_at=when
    )
    again = loyalty.earn_purchase(
        programme_tenant, alice.id, order_id="o-7", amount=80_00, currency="USD", occurred_at=when
    )
    assert again == dataclasses.replace(first, replayed=True)
    assert loyalty.balance(programme_tenant, alice.id).available == 80
    with pytest.raises(errors.IdempotencyConflict, match="order id 'o-7'"):
        loyalty.earn_purchase(
            programme_tenant, alice.id, order_id="o-7", amount=90_00, currency="USD",
            occurred_at=when,
        )  # fmt: skip
    assert loyalty.balance(programme_tenant, alice.id).available == 80


def test_engagement_events_earn_their_fixed_points_once_per_event_id(
    loyalty: Loyalty, programme_tenant: str
) -> None:
    alice = loyalty.enroll(programme_tenant, "shop-alice")
    when = loyalty.now()
    for event_type, event_id in [("review_written", "e-1"), ("app_login", "e-2")]:
        loyalty.earn_engagement(
            programme_tenant, alice.id, event_id=event_id, type=event_type, occurred_at=when
        )
    replay = loyalty.earn_engagement(
        programme_tenant, alice.id, event_id="e-1", type="review_written", occurred_at=when
    )
    assert replay.replayed
    lots = loyalty.lots(programme_tenant, alice.id)
    assert sorted(lot.amount for lot in lots) == [5, 50]
    assert {lot.kind for lot in lots} == {LotKind.ENGAGEMENT}
    with pytest.raises(errors.InvalidEvent, match="known: app_login"):
        loyalty.earn_engagement(programme_tenant, alice.id, event_id="e-3", type="dancing")


def test_a_purchase_below_one_point_is_recorded_without_a_transaction(
    loyalty: Loyalty, programme_tenant: str
) -> None:
    alice = loyalty.enroll(programme_tenant, "shop-alice")
    result = loyalty.earn_purchase(
        programme_tenant, alice.id, order_id="tiny", amount=99, currency="USD"
    )
    assert (result.points, result.transaction_id, result.lots) == (0, None, ())
    again = loyalty.earn_purchase(
        programme_tenant, alice.id, order_id="tiny", amount=99, currency="USD"
    )
    assert again.replayed


def test_bad_events_are_refused_and_change_nothing(loyalty: Loyalty, programme_tenant: str) -> None:
    alice = loyalty.enroll(programme_tenant, "shop-alice")
    with pytest.raises(errors.InvalidEvent, match="currency EUR"):
        loyalty.earn_purchase(programme_tenant, alice.id, order_id="o", amount=1, currency="EUR")
    with pytest.raises(errors.InvalidEffectiveTime, match="future"):
        loyalty.earn_purchase(
            programme_tenant, alice.id, order_id="o", amount=100_00, currency="USD",
            occurred_at=loyalty.now() + timedelta(days=1),
        )  # fmt: skip
    with pytest.raises(errors.UnknownCustomer):
        loyalty.earn_purchase(
            programme_tenant, "cus_doesnotexist", order_id="o", amount=1, currency="USD"
        )
    with pytest.raises(errors.InvalidEvent):
        loyalty.earn_purchase(programme_tenant, alice.id, order_id="o", amount=-1, currency="USD")
    assert loyalty.balance(programme_tenant, alice.id).available == 0
    # None of the refused calls claimed the order id.
    ok = loyalty.earn_purchase(
        programme_tenant, alice.id, order_id="o", amount=100_00, currency="USD"
    )
    assert (ok.points, ok.replayed) == (100, False)


def test_a_tenant_without_a_programme_is_told_so(loyalty: Loyalty) -> None:
    loyalty.ledger.create_tenant("no-programme-here")
    with pytest.raises(errors.UnknownProgramme):
        loyalty.enroll("no-programme-here", "shop-1")


def test_purchase_points_stay_pending_until_the_return_window_closes(
    clocked_loyalty: Loyalty, clock: FakeClock
) -> None:
    loyalty = clocked_loyalty
    tenant = setup_programme(loyalty, dataclasses.replace(default_programme(), pending_days=14))
    alice = loyalty.enroll(tenant, "shop-alice")
    earned = loyalty.earn_purchase(tenant, alice.id, order_id="o-1", amount=300_00, currency="USD")
    assert earned.lots[0].pending
    assert earned.lots[0].active_from == clock.now + timedelta(days=14)
    balance = loyalty.balance(tenant, alice.id)
    assert (balance.available, balance.pending) == (0, 300)
    with pytest.raises(errors.InsufficientPoints):
        loyalty.redeem(tenant, alice.id, option="product", points=500, idempotency_key="r")
    clock.advance(timedelta(days=13))
    assert loyalty.activate_pending().lots == 0
    clock.advance(timedelta(days=1, seconds=1))
    report = loyalty.activate_pending()
    assert (report.customers, report.lots, report.points) == (1, 1, 300)
    assert loyalty.activate_pending().lots == 0  # idempotent
    balance = loyalty.balance(tenant, alice.id)
    assert (balance.available, balance.pending) == (300, 0)
    assert [lot.status for lot in loyalty.lots(tenant, alice.id)] == [LotStatus.ACTIVE]
    loyalty.ledger.seal()
    assert loyalty.ledger.verify(tenant=tenant).ok


def test_a_late_webhook_for_an_old_order_is_active_at_once(
    clocked_loyalty: Loyalty, clock: FakeClock
) -> None:
    loyalty = clocked_loyalty
    tenant = setup_programme(loyalty, dataclasses.replace(default_programme(), pending_days=14))
    alice = loyalty.enroll(tenant, "shop-alice")
    earned = loyalty.earn_purchase(
        tenant, alice.id, order_id="o-old", amount=40_00, currency="USD",
        occurred_at=clock.now - timedelta(days=20),
    )  # fmt: skip
    assert not earned.lots[0].pending
    assert loyalty.balance(tenant, alice.id).available == 40
