"""Finance reports against figures computed independently from the raw postings of
a generated scenario, and the roll-forward's tie-out for random scenarios."""

from __future__ import annotations

import dataclasses
import random
from collections import Counter
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from punchcard.domain import errors
from punchcard.domain.finance.rollforward import Movement
from punchcard.domain.loyalty.programme import NegativeBalancePolicy, default_programme
from punchcard.service_layer import finance
from punchcard.service_layer.loyalty.facade import Loyalty
from tests.conftest import FakeClock, setup_programme

PROGRAMME = dataclasses.replace(
    default_programme(), pending_days=0, negative_balance=NegativeBalancePolicy.WRITE_OFF
)


def scenario(
    loyalty: Loyalty, tenant: str, rng: random.Random, steps: int, tag: str = ""
) -> list[int]:
    """Random earns, redemptions, conversions, refunds and transfers; the ids of
    every ledger transaction they made."""
    customers = [loyalty.enroll(tenant, f"c{n}").id for n in range(4)]
    orders: list[tuple[str, int]] = []
    made: list[int] = []
    for step in range(steps):
        who = rng.choice(customers)
        action = rng.choice(["earn", "earn", "redeem", "convert", "refund", "transfer"])
        try:
            if action == "earn":
                amount = rng.randint(1, 2000) * 100
                result = loyalty.earn_purchase(tenant, who, order_id=f"o{tag}{step}",
                                               amount=amount, currency="USD")  # fmt: skip
                orders.append((f"o{tag}{step}", amount))
                txn = result.transaction_id
            elif action == "redeem":
                txn = loyalty.redeem(tenant, who, option="product", points=rng.randint(500, 900),
                                     idempotency_key=f"r{tag}{step}").transaction_id  # fmt: skip
            elif action == "convert":
                txn = loyalty.convert(tenant, who, points=rng.randint(100, 400),
                                      idempotency_key=f"c{tag}{step}").transaction_id  # fmt: skip
            elif action == "refund" and orders:
                order, amount = rng.choice(orders)
                txn = loyalty.refund(tenant, order_id=order, refund_id=f"f{tag}{step}",
                                     amount=rng.randint(1, amount)).transaction_id  # fmt: skip
            else:
                other = rng.choice([c for c in customers if c != who])
                txn = loyalty.transfer(tenant, from_customer=who, to_customer=other,
                                       points=rng.randint(1, 300),
                                       idempotency_key=f"t{tag}{step}").transaction_id  # fmt: skip
        except (errors.InsufficientPoints, errors.RefundExceedsOrder, errors.BelowMinimum):
            continue
        if txn is not None:
            made.append(txn)
    return made


def independent(loyalty: Loyalty, tenant: str, ids: list[int]) -> Counter[str]:
    """Sum the postings of each transaction by the operation its metadata names."""
    sums: Counter[str] = Counter()
    for txn_id in ids:
        txn = loyalty.ledger.transaction(tenant, txn_id)
        operation = str(txn.metadata.get("operation"))
        for p in txn.postings:
            if p.asset != "PTS":
                continue
            into = p.destination.startswith("customer:") and p.destination.endswith(":points")
            out = p.source.startswith("customer:") and p.source.endswith(":points")
            if into and not out:
                sums[operation] += p.amount
            elif out and not into:
                sums[operation] -= p.amount
            if p.source == "program:writeoff":
                sums["written_off"] += p.amount
    return sums


def test_the_roll_forward_matches_the_raw_postings_and_ties_to_the_ledger(
    clocked_loyalty: Loyalty, clock: FakeClock
) -> None:
    loyalty = clocked_loyalty
    tenant = setup_programme(loyalty, PROGRAMME)
    start = clock.now
    ids = scenario(loyalty, tenant, random.Random(42), 120)
    clock.advance(timedelta(seconds=1))
    report = finance.rollforward(loyalty, tenant, start - timedelta(days=1), clock.now)
    expected = independent(loyalty, tenant, ids)
    moved = report.movements
    assert moved.get(Movement.ISSUED, 0) + moved.get(Movement.CLAWED_BACK, 0) == (
        expected["earn"] + expected["refund"]
    )
    assert moved.get(Movement.REDEEMED, 0) == expected["redeem"]
    assert moved.get(Movement.CONVERTED, 0) == expected["convert"]
    assert report.written_off == expected["written_off"]
    assert report.opening == 0
    assert report.balanced and report.ties_to_ledger
    assert Movement.OTHER not in moved
    assert sum(report.issued_by_kind.values()) == moved.get(Movement.ISSUED, 0)


def test_a_period_in_the_middle_rolls_from_the_previous_close(
    clocked_loyalty: Loyalty, clock: FakeClock
) -> None:
    loyalty = clocked_loyalty
    tenant = setup_programme(loyalty, PROGRAMME)
    day = clock.now
    scenario(loyalty, tenant, random.Random(1), 40)
    clock.advance(timedelta(days=1))
    scenario(loyalty, tenant, random.Random(2), 40, tag="b")
    clock.advance(timedelta(days=1))
    first = finance.rollforward(loyalty, tenant, day - timedelta(hours=1), day + timedelta(days=1))
    second = finance.rollforward(loyalty, tenant, day + timedelta(days=1), clock.now)
    assert first.balanced and second.balanced
    assert first.closing == second.opening
    assert first.ties_to_ledger is None  # a closed period: nothing to compare with now
    assert second.ties_to_ledger


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(0, 10_000), steps=st.integers(5, 60))
def test_the_roll_forward_ties_for_random_scenarios(
    loyalty: Loyalty, seed: int, steps: int
) -> None:
    tenant = setup_programme(loyalty, PROGRAMME)
    scenario(loyalty, tenant, random.Random(seed), steps)
    report = finance.rollforward(
        loyalty, tenant, datetime(2000, 1, 1, tzinfo=UTC), loyalty.now() + timedelta(seconds=1)
    )
    assert report.balanced
    assert report.ties_to_ledger, (report.closing, report.ledger_closing)


def test_the_liability_by_bucket_matches_the_lots_and_the_balances(loyalty: Loyalty) -> None:
    tenant = setup_programme(loyalty, PROGRAMME)
    scenario(loyalty, tenant, random.Random(7), 60)
    alice = loyalty.enroll(tenant, "c0").id
    loyalty.earn_purchase(tenant, alice, order_id="held-fund", amount=1000_00, currency="USD")
    loyalty.authorize(tenant, alice, option="product", points=600, idempotency_key="h")
    report, method = finance.liability_now(loyalty, tenant, expected_redemption_bp=9_000)
    holdings = sum(
        (b := loyalty.balance(tenant, loyalty.enroll(tenant, f"c{n}").id)).available + b.pending
        + b.held
        for n in range(4)
    )  # fmt: skip
    assert report.points == holdings
    assert report.held_points == 600
    assert report.value == report.points  # 1 cent a point in the seed programme
    assert report.breakage_adjusted_value == report.value * 9 // 10 + (report.value * 9 % 10 >= 5)
    assert method == "given"
    assert {b.name for b in report.buckets} == {
        "within_30_days", "within_90_days", "within_365_days", "later", "never",
    }  # fmt: skip
    estimated, how = finance.liability_now(loyalty, tenant)
    assert "history" in how or "assumed" in how
    assert 0 <= estimated.expected_redemption_bp <= 10_000
