"""Concurrency claims of the loyalty layer, with real concurrent connections.

Threads start at a barrier so they reach PostgreSQL together.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import timedelta
from typing import TypeVar

import pytest

from punchcard.domain import errors
from punchcard.domain.loyalty.expiry import ExpiryRule
from punchcard.domain.loyalty.programme import LotKind, default_programme
from punchcard.domain.loyalty.results import EarnResult
from punchcard.service_layer.loyalty.facade import Loyalty
from tests.conftest import FakeClock, setup_programme
from tests.helpers import run_together, verified

T = TypeVar("T")

pytestmark = pytest.mark.slow


def test_twenty_redemptions_of_the_same_points_exactly_one_wins(
    loyalty: Loyalty, programme_tenant: str
) -> None:
    alice = loyalty.enroll(programme_tenant, "shop-alice").id
    loyalty.earn_purchase(programme_tenant, alice, order_id="o-1", amount=500_00, currency="USD")
    results = run_together(
        20,
        lambda i: loyalty.redeem(programme_tenant, alice, option="product", points=500,
                                 idempotency_key=f"r-{i}"),
    )  # fmt: skip
    assert Counter(type(r).__name__ for r in results) == {
        "RedemptionResult": 1, "InsufficientPoints": 19,
    }  # fmt: skip
    assert loyalty.balance(programme_tenant, alice).available == 0
    verified(loyalty, programme_tenant)


def test_twenty_deliveries_of_one_webhook_earn_once(
    loyalty: Loyalty, programme_tenant: str
) -> None:
    alice = loyalty.enroll(programme_tenant, "shop-alice").id
    when = loyalty.now()
    results = run_together(
        20,
        lambda _: loyalty.earn_purchase(programme_tenant, alice, order_id="o-1", amount=70_00,
                                        currency="USD", occurred_at=when),
    )  # fmt: skip
    replays = Counter(r.replayed if isinstance(r, EarnResult) else r for r in results)
    assert replays == {False: 1, True: 19}
    assert len(loyalty.lots(programme_tenant, alice)) == 1
    assert loyalty.balance(programme_tenant, alice).available == 70


def test_redeem_expire_refund_authorize_and_transfer_race_on_one_customer(
    clocked_loyalty: Loyalty, clock: FakeClock
) -> None:
    """Whatever order they commit in, every lot and balance adds up, nothing is spent
    twice, the balance never goes below zero, and verify is clean."""
    loyalty = clocked_loyalty
    programme = dataclasses.replace(
        default_programme(), pending_days=0,
        expiry={LotKind.ENGAGEMENT: ExpiryRule.after(days=10)},
    )  # fmt: skip
    tenant = setup_programme(loyalty, programme)
    rounds = 8
    for n in range(rounds):
        alice = loyalty.enroll(tenant, f"alice-{n}").id
        loyalty.enroll(tenant, f"bob-{n}")
        loyalty.earn_engagement(tenant, alice, event_id=f"e-{n}", type="referral_completed")
        loyalty.earn_purchase(tenant, alice, order_id=f"o-{n}", amount=1000_00, currency="USD")
    clock.advance(timedelta(days=10))  # every engagement lot is now due to expire

    def step(i: int) -> object:
        n, action = divmod(i, 5)
        alice = loyalty.find_customer(tenant, f"alice-{n}")
        bob = loyalty.find_customer(tenant, f"bob-{n}")
        assert alice is not None and bob is not None
        if action == 0:
            return loyalty.redeem(tenant, alice.id, option="product", points=800,
                                  idempotency_key=f"r-{n}")  # fmt: skip
        if action == 1:
            return loyalty.expire(tenant)
        if action == 2:
            return loyalty.refund(tenant, order_id=f"o-{n}", refund_id=f"rf-{n}", amount=600_00)
        if action == 3:
            return loyalty.authorize(tenant, alice.id, option="product", points=500,
                                     idempotency_key=f"a-{n}")  # fmt: skip
        return loyalty.transfer(tenant, from_customer=alice.id, to_customer=bob.id, points=300,
                                idempotency_key=f"t-{n}")  # fmt: skip

    results = run_together(rounds * 5, step)
    unexpected = [r for r in results if isinstance(r, Exception)
                  and not isinstance(r, errors.InsufficientPoints)]  # fmt: skip
    assert unexpected == []
    loyalty.expire(tenant)
    for n in range(rounds):
        for ref in (f"alice-{n}", f"bob-{n}"):
            customer = loyalty.find_customer(tenant, ref)
            assert customer is not None
            balance = loyalty.balance(tenant, customer.id)
            assert balance.available >= 0
            lots = loyalty.lots(tenant, customer.id)
            assert sum(lot.remaining for lot in lots) == balance.available
    verified(loyalty, tenant)


def test_opposite_transfers_between_two_customers_never_deadlock(
    loyalty: Loyalty, programme_tenant: str
) -> None:
    alice = loyalty.enroll(programme_tenant, "shop-alice").id
    bob = loyalty.enroll(programme_tenant, "shop-bob").id
    for who in (alice, bob):
        loyalty.earn_purchase(programme_tenant, who, order_id=f"fund-{who}", amount=1000_00,
                              currency="USD")  # fmt: skip
    results = run_together(
        16,
        lambda i: loyalty.transfer(
            programme_tenant, from_customer=(alice, bob)[i % 2], to_customer=(bob, alice)[i % 2],
            points=10, idempotency_key=f"t-{i}",
        ),
    )  # fmt: skip
    assert not [r for r in results if isinstance(r, Exception)]
    total = sum(loyalty.balance(programme_tenant, c).available for c in (alice, bob))
    assert total == 2000
    verified(loyalty, programme_tenant)


def test_two_approvers_racing_on_one_adjustment_decide_it_once(
    loyalty: Loyalty, programme_tenant: str
) -> None:
    alice = loyalty.enroll(programme_tenant, "shop-alice").id
    request = loyalty.request_adjustment(
        programme_tenant, alice, points=100, reason="goodwill", requested_by="ann",
        idempotency_key="adj",
    )  # fmt: skip
    results = run_together(
        6,
        lambda i: loyalty.approve_adjustment(programme_tenant, request.id,
                                             approved_by=f"approver-{i}"),
    )  # fmt: skip
    kinds = Counter(type(r).__name__ for r in results)
    assert kinds == {"Adjustment": 1, "AdjustmentAlreadyDecided": 5}
    assert loyalty.balance(programme_tenant, alice).available == 100
