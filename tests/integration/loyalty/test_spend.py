"""Spending points: redemption options and minimums, lot order, holds, conversion."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from punchcard.domain import errors
from punchcard.domain.loyalty.expiry import ExpiryRule
from punchcard.domain.loyalty.lots import LotStatus
from punchcard.domain.loyalty.programme import LotKind, default_programme
from punchcard.service_layer.loyalty.facade import Loyalty
from tests.conftest import FakeClock, setup_programme
from tests.helpers import customer_with


def test_redeem_enforces_the_options_minimum_and_returns_the_value_granted(
    loyalty: Loyalty, programme_tenant: str
) -> None:
    alice = customer_with(loyalty, programme_tenant, 3000)
    with pytest.raises(errors.BelowMinimum, match="cashback needs at least 2500"):
        loyalty.redeem(programme_tenant, alice, option="cashback", points=2499,
                       idempotency_key="r0")  # fmt: skip
    with pytest.raises(errors.UnknownRedemptionOption, match="known: cashback, donation"):
        loyalty.redeem(programme_tenant, alice, option="yacht", points=2500, idempotency_key="r0")
    cash = loyalty.redeem(programme_tenant, alice, option="cashback", points=2500,
                          idempotency_key="r1")  # fmt: skip
    assert (cash.points, cash.value) == (2500, 25_00)  # 100 points = $1
    product = loyalty.redeem(programme_tenant, alice, option="product", points=500,
                             idempotency_key="r2")  # fmt: skip
    assert product.value == 6_25  # 80 points = $1
    assert loyalty.balance(programme_tenant, alice).available == 0
    replay = loyalty.redeem(programme_tenant, alice, option="product", points=500,
                            idempotency_key="r2")  # fmt: skip
    assert replay == dataclasses.replace(product, replayed=True)
    with pytest.raises(errors.InsufficientPoints, match="has 0 spendable points"):
        loyalty.redeem(programme_tenant, alice, option="product", points=500,
                       idempotency_key="r3")  # fmt: skip
    with pytest.raises(errors.IdempotencyConflict):
        loyalty.redeem(programme_tenant, alice, option="gift_card", points=1000,
                       idempotency_key="r2")  # fmt: skip


def test_debits_consume_the_soonest_expiring_lots_first(
    loyalty: Loyalty, programme_tenant: str
) -> None:
    """Engagement points expire in 12 months, earned points in 24: a redemption takes
    the engagement lot first, and records which lots it drew."""
    alice = customer_with(loyalty, programme_tenant, 600)
    loyalty.earn_engagement(programme_tenant, alice, event_id="e1", type="referral_completed")
    loyalty.redeem(programme_tenant, alice, option="product", points=1200, idempotency_key="r")
    lots = {lot.kind: lot for lot in loyalty.lots(programme_tenant, alice, include_closed=True)}
    assert lots[LotKind.ENGAGEMENT].remaining == 0
    assert lots[LotKind.EARNED].remaining == 400
    assert lots[LotKind.ENGAGEMENT].status is LotStatus.CLOSED


def test_a_lot_past_its_expiry_is_not_spendable_before_the_sweep(
    clocked_loyalty: Loyalty, clock: FakeClock
) -> None:
    programme = dataclasses.replace(
        default_programme(), pending_days=0,
        expiry={LotKind.EARNED: ExpiryRule.after(days=10)},
    )  # fmt: skip
    tenant = setup_programme(clocked_loyalty, programme)
    alice = customer_with(clocked_loyalty, tenant, 800)
    clock.advance(timedelta(days=10))
    balance = clocked_loyalty.balance(tenant, alice)
    assert (balance.available, balance.expiring) == (800, 800)
    with pytest.raises(errors.InsufficientPoints):
        clocked_loyalty.redeem(tenant, alice, option="product", points=500, idempotency_key="r")


def test_authorize_holds_points_then_a_partial_capture_gives_the_rest_back(
    loyalty: Loyalty, programme_tenant: str
) -> None:
    alice = customer_with(loyalty, programme_tenant, 1000)
    auth = loyalty.authorize(programme_tenant, alice, option="product", points=800,
                             idempotency_key="a1")  # fmt: skip
    assert auth.value == 10_00
    balance = loyalty.balance(programme_tenant, alice)
    assert (balance.available, balance.held) == (200, 800)
    assert sum(lot.remaining for lot in loyalty.lots(programme_tenant, alice)) == 200
    with pytest.raises(errors.InsufficientPoints):
        loyalty.redeem(programme_tenant, alice, option="product", points=500,
                       idempotency_key="r")  # fmt: skip
    captured = loyalty.capture(programme_tenant, auth.hold_id, points=600, idempotency_key="c1")
    assert (captured.points, captured.value, captured.hold_id) == (600, 7_50, auth.hold_id)
    balance = loyalty.balance(programme_tenant, alice)
    assert (balance.available, balance.held) == (400, 0)
    assert sum(lot.remaining for lot in loyalty.lots(programme_tenant, alice)) == 400
    with pytest.raises(errors.HoldAlreadyResolved):
        loyalty.void(programme_tenant, auth.hold_id, idempotency_key="v1")
    assert loyalty.capture(
        programme_tenant, auth.hold_id, points=600, idempotency_key="c1"
    ).replayed
    loyalty.ledger.seal()
    assert loyalty.ledger.verify(tenant=programme_tenant).ok


def test_a_void_gives_every_held_point_back_to_its_lot(
    loyalty: Loyalty, programme_tenant: str
) -> None:
    alice = customer_with(loyalty, programme_tenant, 700)
    before = loyalty.lots(programme_tenant, alice)
    auth = loyalty.authorize(programme_tenant, alice, option="product", points=700,
                             idempotency_key="a1")  # fmt: skip
    assert loyalty.lots(programme_tenant, alice) == []
    voided = loyalty.void(programme_tenant, auth.hold_id, idempotency_key="v1")
    assert voided.released == 700
    assert loyalty.lots(programme_tenant, alice) == before
    assert loyalty.balance(programme_tenant, alice).available == 700
    with pytest.raises(errors.UnknownAuthorization):
        loyalty.void(programme_tenant, 987654321, idempotency_key="v2")


def test_an_expired_authorization_is_swept_and_its_lots_restored(
    clocked_loyalty: Loyalty, clock: FakeClock
) -> None:
    tenant = setup_programme(clocked_loyalty)
    alice = customer_with(clocked_loyalty, tenant, 900)
    auth = clocked_loyalty.authorize(
        tenant, alice, option="product", points=900, idempotency_key="a1",
        timeout=timedelta(minutes=5),
    )  # fmt: skip
    clock.advance(timedelta(minutes=6))
    with pytest.raises(errors.HoldExpired):
        clocked_loyalty.capture(tenant, auth.hold_id, idempotency_key="c1")
    # The ledger's own sweep leaves redemption holds to the loyalty sweep.
    assert clocked_loyalty.ledger.expire_holds() == 0
    assert clocked_loyalty.expire_authorizations() >= 1
    assert clocked_loyalty.balance(tenant, alice).available == 900
    assert sum(lot.remaining for lot in clocked_loyalty.lots(tenant, alice)) == 900
    assert clocked_loyalty.ledger.get_hold(tenant, auth.hold_id).status.value == "expired"
    clocked_loyalty.ledger.seal()
    assert clocked_loyalty.ledger.verify(tenant=tenant).ok


def test_convert_takes_whole_units_only_and_leaves_the_remainder_as_points(
    loyalty: Loyalty, programme_tenant: str
) -> None:
    alice = customer_with(loyalty, programme_tenant, 1000)
    result = loyalty.convert(programme_tenant, alice, points=350, idempotency_key="cv1")
    assert (result.points, result.credit, result.remainder) == (300, 3_00, 50)
    balance = loyalty.balance(programme_tenant, alice)
    assert (balance.available, balance.credit) == (700, 300)
    txn = loyalty.ledger.transaction(programme_tenant, result.transaction_id)
    assert {(p.source, p.destination, p.asset, p.amount) for p in txn.postings} == {
        (f"customer:{alice}:points", "program:conversion", "PTS", 300),
        ("program:credit-issuance", f"customer:{alice}:credit", "USD", 300),
    }
    with pytest.raises(errors.BelowMinimum, match="whole units of 100"):
        loyalty.convert(programme_tenant, alice, points=99, idempotency_key="cv2")
    with pytest.raises(errors.InsufficientPoints):
        loyalty.convert(programme_tenant, alice, points=800, idempotency_key="cv3")
    assert loyalty.convert(programme_tenant, alice, points=350, idempotency_key="cv1").replayed
    assert loyalty.balance(programme_tenant, alice).credit == 300
