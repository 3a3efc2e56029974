"""refund: proportional reversal, pending cancellation, re-credit of redeemed points,
and each negative-balance policy when the points were already spent."""

from __future__ import annotations

import dataclasses

import pytest

from punchcard.domain import errors
from punchcard.domain.loyalty.programme import LotKind, NegativeBalancePolicy, default_programme
from punchcard.service_layer.loyalty.facade import Loyalty
from tests.conftest import setup_programme
from tests.helpers import verified


def _programme_tenant(loyalty: Loyalty, policy: NegativeBalancePolicy, pending: int = 0) -> str:
    programme = dataclasses.replace(
        default_programme(), pending_days=pending, negative_balance=policy
    )
    return setup_programme(loyalty, programme)


@pytest.mark.parametrize(
    ("policy", "available", "debt", "written_off", "after_next_earn"),
    [
        (NegativeBalancePolicy.ALLOW_NEGATIVE, -500, 0, 0, (-200, 0)),
        (NegativeBalancePolicy.CLAWBACK_FROM_FUTURE, 0, 500, 0, (0, 200)),
        (NegativeBalancePolicy.WRITE_OFF, 0, 0, 500, (300, 0)),
    ],
)
def test_a_refund_after_the_points_were_spent_follows_the_programmes_policy(
    loyalty: Loyalty,
    policy: NegativeBalancePolicy,
    available: int,
    debt: int,
    written_off: int,
    after_next_earn: tuple[int, int],
) -> None:
    """600 points earned on o-1, 500 spent, then o-1 is refunded in full: 100 come back
    from the lots and the 500 already spent follow the policy. A later earn of 300
    repays a negative balance or a clawback debt before anything else."""
    tenant = _programme_tenant(loyalty, policy)
    alice = loyalty.enroll(tenant, "shop-alice").id
    loyalty.earn_purchase(tenant, alice, order_id="o-1", amount=600_00, currency="USD")
    loyalty.redeem(tenant, alice, option="product", points=500, idempotency_key="r1")

    refund = loyalty.refund(tenant, order_id="o-1", refund_id="rf-1", amount=600_00)
    assert (refund.points_reversed, refund.points_clawed_back, refund.shortfall) == (600, 100, 500)
    assert refund.policy is policy
    balance = loyalty.balance(tenant, alice)
    assert (balance.available, balance.debt) == (available, debt)
    try:
        writeoff = -loyalty.ledger.balance(tenant, "program:writeoff", "PTS").posted
    except errors.UnknownAccount:
        writeoff = 0
    assert writeoff == written_off
    verified(loyalty, tenant)

    earned = loyalty.earn_purchase(tenant, alice, order_id="o-2", amount=300_00, currency="USD")
    balance = loyalty.balance(tenant, alice)
    assert (balance.available, balance.debt) == after_next_earn
    lot = earned.lots[0]
    if policy is NegativeBalancePolicy.ALLOW_NEGATIVE:
        assert (lot.repaid, lot.settled) == (300, 0)
    elif policy is NegativeBalancePolicy.CLAWBACK_FROM_FUTURE:
        assert (lot.repaid, lot.settled) == (0, 300)
    else:
        assert (lot.repaid, lot.settled) == (0, 0)
    verified(loyalty, tenant)


def test_partial_refunds_reverse_a_cumulative_floor_and_add_up_to_the_whole(
    loyalty: Loyalty, programme_tenant: str
) -> None:
    alice = loyalty.enroll(programme_tenant, "shop-alice").id
    loyalty.earn_purchase(programme_tenant, alice, order_id="o-1", amount=100_00, currency="USD")
    reversed_ = [
        loyalty.refund(
            programme_tenant, order_id="o-1", refund_id=f"rf-{i}", amount=amount
        ).points_reversed
        for i, amount in enumerate([33_33, 33_33, 33_34])
    ]
    # floor(100 x 33.33/100) = 33 in all, then floor(66.66) = 66, then 100.
    assert reversed_ == [33, 33, 34]
    assert loyalty.balance(programme_tenant, alice).available == 0
    with pytest.raises(errors.RefundExceedsOrder, match="more than the order amount 10000"):
        loyalty.refund(programme_tenant, order_id="o-1", refund_id="rf-9", amount=1)
    verified(loyalty, programme_tenant)


def test_a_refund_is_idempotent_per_refund_id(loyalty: Loyalty, programme_tenant: str) -> None:
    alice = loyalty.enroll(programme_tenant, "shop-alice").id
    loyalty.earn_purchase(programme_tenant, alice, order_id="o-1", amount=100_00, currency="USD")
    first = loyalty.refund(programme_tenant, order_id="o-1", refund_id="rf-1", amount=40_00)
    again = loyalty.refund(programme_tenant, order_id="o-1", refund_id="rf-1", amount=40_00)
    assert again == dataclasses.replace(first, replayed=True)
    assert loyalty.balance(programme_tenant, alice).available == 60
    with pytest.raises(errors.IdempotencyConflict, match="refund id 'rf-1'"):
        loyalty.refund(programme_tenant, order_id="o-1", refund_id="rf-1", amount=50_00)
    with pytest.raises(errors.UnknownOrder):
        loyalty.refund(programme_tenant, order_id="o-nope", refund_id="rf-2", amount=1)


def test_refunding_an_order_paid_with_points_gives_them_back(
    loyalty: Loyalty, programme_tenant: str
) -> None:
    """o-3 earned 200 points and 1,000 points paid part of it; refunding half takes
    back 100 earned points and gives back 500 redeemed ones as a new lot."""
    alice = loyalty.enroll(programme_tenant, "shop-alice").id
    loyalty.earn_purchase(programme_tenant, alice, order_id="fund", amount=1000_00, currency="USD")
    loyalty.redeem(programme_tenant, alice, option="product", points=1000, idempotency_key="d",
                   order_id="o-3")  # fmt: skip
    loyalty.earn_purchase(programme_tenant, alice, order_id="o-3", amount=200_00, currency="USD")
    refund = loyalty.refund(programme_tenant, order_id="o-3", refund_id="rf-1", amount=100_00)
    assert (refund.points_reversed, refund.points_recredited, refund.shortfall) == (100, 500, 0)
    lots = loyalty.lots(programme_tenant, alice)
    by_kind = {lot.kind: lot for lot in lots}
    assert by_kind[LotKind.REFUNDED_REDEMPTION].amount == 500
    # The reversal came from the order's own lot first.
    own = next(lot for lot in lots if lot.order_id == "o-3" and lot.kind is LotKind.EARNED)
    assert own.remaining == 100
    assert loyalty.balance(programme_tenant, alice).available == 600
    rest = loyalty.refund(programme_tenant, order_id="o-3", refund_id="rf-2", amount=100_00)
    assert (rest.points_reversed, rest.points_recredited) == (100, 500)
    assert loyalty.balance(programme_tenant, alice).available == 1000
    verified(loyalty, programme_tenant)


def test_a_refund_before_activation_cancels_pending_points_outright(loyalty: Loyalty) -> None:
    tenant = _programme_tenant(loyalty, NegativeBalancePolicy.CLAWBACK_FROM_FUTURE, pending=14)
    alice = loyalty.enroll(tenant, "shop-alice").id
    loyalty.earn_purchase(tenant, alice, order_id="o-1", amount=400_00, currency="USD")
    refund = loyalty.refund(tenant, order_id="o-1", refund_id="rf-1", amount=100_00)
    assert (refund.points_cancelled, refund.points_clawed_back, refund.shortfall) == (100, 0, 0)
    balance = loyalty.balance(tenant, alice)
    assert (balance.pending, balance.available, balance.debt) == (300, 0, 0)
    loyalty.refund(tenant, order_id="o-1", refund_id="rf-2", amount=300_00)
    assert loyalty.balance(tenant, alice).pending == 0
    (lot,) = loyalty.lots(tenant, alice, include_closed=True)
    assert (lot.amount, lot.remaining) == (400, 0)
    verified(loyalty, tenant)


def test_points_paid_at_checkout_before_the_purchase_event_come_back_on_refund(
    loyalty: Loyalty, programme_tenant: str
) -> None:
    """The points-for-discount flow: at checkout 1,000 points pay part of o-9, then the
    purchase webhook arrives; a full refund of o-9 gives the 1,000 points back."""
    alice = loyalty.enroll(programme_tenant, "shop-alice").id
    loyalty.earn_purchase(programme_tenant, alice, order_id="fund", amount=1000_00, currency="USD")
    loyalty.redeem(programme_tenant, alice, option="product", points=1000,
                   idempotency_key="checkout-o-9", order_id="o-9")  # fmt: skip
    loyalty.earn_purchase(programme_tenant, alice, order_id="o-9", amount=50_00, currency="USD")
    refund = loyalty.refund(programme_tenant, order_id="o-9", refund_id="rf-9", amount=50_00)
    assert (refund.points_reversed, refund.points_recredited) == (50, 1000)
    assert loyalty.balance(programme_tenant, alice).spendable == 1000
    verified(loyalty, programme_tenant)


def test_a_redemption_cannot_name_another_customers_order(
    loyalty: Loyalty, programme_tenant: str
) -> None:
    alice = loyalty.enroll(programme_tenant, "shop-alice").id
    bob = loyalty.enroll(programme_tenant, "shop-bob").id
    for who in (alice, bob):
        loyalty.earn_purchase(programme_tenant, who, order_id=f"fund-{who}", amount=1000_00,
                              currency="USD")  # fmt: skip
    with pytest.raises(errors.InvalidRequest, match="belongs to another customer"):
        loyalty.redeem(programme_tenant, bob, option="product", points=500,
                       idempotency_key="r", order_id=f"fund-{alice}")  # fmt: skip
    # Named before the purchase arrived, another customer's redemption is not given to
    # the order's customer when it is refunded: it stays redeemed.
    loyalty.redeem(programme_tenant, bob, option="product", points=500, idempotency_key="r2",
                   order_id="o-later")  # fmt: skip
    loyalty.earn_purchase(programme_tenant, alice, order_id="o-later", amount=10_00,
                          currency="USD")  # fmt: skip
    refund = loyalty.refund(programme_tenant, order_id="o-later", refund_id="rf", amount=10_00)
    assert refund.points_recredited == 0
    assert loyalty.balance(programme_tenant, alice).available == 1000
    verified(loyalty, programme_tenant)


@pytest.mark.parametrize(
    ("policy", "after_refund", "after_void"),
    [
        (NegativeBalancePolicy.ALLOW_NEGATIVE, (-800, 0), (0, 0)),
        (NegativeBalancePolicy.CLAWBACK_FROM_FUTURE, (0, 800), (0, 0)),
        (NegativeBalancePolicy.WRITE_OFF, (0, 0), (800, 0)),
    ],
)
def test_held_points_a_refund_could_not_take_repay_its_shortfall_when_released(
    loyalty: Loyalty,
    policy: NegativeBalancePolicy,
    after_refund: tuple[int, int],
    after_void: tuple[int, int],
) -> None:
    """1,000 points earned, 800 of them held by an authorization, then the order is
    refunded: the refund takes the 200 it can and 800 follow the policy. When the
    hold is voided, its points come back and repay that shortfall first, like any
    credit; under write_off the programme has already absorbed it."""
    tenant = _programme_tenant(loyalty, policy)
    alice = loyalty.enroll(tenant, "shop-alice").id
    loyalty.earn_purchase(tenant, alice, order_id="o-1", amount=1000_00, currency="USD")
    auth = loyalty.authorize(tenant, alice, option="product", points=800, idempotency_key="a")
    refund = loyalty.refund(tenant, order_id="o-1", refund_id="rf", amount=1000_00)
    assert (refund.points_clawed_back, refund.shortfall) == (200, 800)
    balance = loyalty.balance(tenant, alice)
    assert (balance.available, balance.debt) == after_refund
    verified(loyalty, tenant)
    loyalty.void(tenant, auth.hold_id, idempotency_key="v")
    balance = loyalty.balance(tenant, alice)
    assert (balance.available, balance.debt) == after_void
    assert balance.spendable == max(after_void[0], 0)
    verified(loyalty, tenant)
