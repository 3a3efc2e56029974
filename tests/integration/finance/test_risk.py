"""Velocity rules and the review queue, the earnings scan, monitors and verify alerts."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import psycopg
import pytest

from punchcard.adapters.postgres.database import Database
from punchcard.domain import errors
from punchcard.domain.loyalty.commands import DecideReview
from punchcard.domain.loyalty.programme import default_programme
from punchcard.domain.loyalty.risk import Review, VelocityRules
from punchcard.service_layer import risk
from punchcard.service_layer.ledger import Ledger
from punchcard.service_layer.loyalty.facade import Loyalty
from punchcard.service_layer.loyalty.spending import UnderReview
from tests.conftest import FakeClock, setup_programme
from tests.helpers import customer_with, verified

SEED_RISK = dataclasses.replace(default_programme(), pending_days=0, risk=VelocityRules.seed())


def decide(loyalty: Loyalty, tenant: str, review_id: int, approve: bool) -> Review:
    return risk.decide_review(loyalty, DecideReview(
        tenant=tenant, review_id=review_id, approve=approve, decided_by="risk-rita",
    ))  # fmt: skip


def test_a_high_value_redemption_waits_for_review_then_completes(loyalty: Loyalty) -> None:
    tenant = setup_programme(loyalty, SEED_RISK)
    alice = customer_with(loyalty, tenant, 20_000)
    held = loyalty.redeem(tenant, alice, option="product", points=12_000, idempotency_key="r1")
    assert (held.status, held.hold_id is not None, held.review_id is not None) == (
        "pending_review", True, True,
    )  # fmt: skip
    assert held.hold_id is not None and held.review_id is not None
    balance = loyalty.balance(tenant, alice)
    assert (balance.available, balance.held) == (8_000, 12_000)
    (queued,) = risk.pending_reviews(loyalty, tenant)
    assert queued.reasons == ("high value: 12,000 points (review from 10,000)",)
    with pytest.raises(UnderReview):
        loyalty.capture(tenant, held.hold_id, idempotency_key="sneaky")
    decided = decide(loyalty, tenant, held.review_id, approve=True)
    assert decided.status == "approved"
    balance = loyalty.balance(tenant, alice)
    assert (balance.available, balance.held) == (8_000, 0)
    with pytest.raises(errors.AdjustmentAlreadyDecided):
        decide(loyalty, tenant, held.review_id, approve=False)
    verified(loyalty, tenant)


def test_the_eleventh_redemption_in_a_day_is_reviewed_and_a_rejection_gives_points_back(
    loyalty: Loyalty,
) -> None:
    tenant = setup_programme(loyalty, SEED_RISK)
    alice = customer_with(loyalty, tenant, 10_000)
    statuses = [
        loyalty.redeem(tenant, alice, option="product", points=500, idempotency_key=f"r{n}").status
        for n in range(11)
    ]
    assert statuses == ["completed"] * 10 + ["pending_review"]
    (queued,) = risk.pending_reviews(loyalty, tenant)
    assert queued.reasons == ("11 redemptions in 24 h (at most 10)",)
    decide(loyalty, tenant, queued.id, approve=False)
    assert loyalty.balance(tenant, alice).available == 10_000 - 10 * 500
    verified(loyalty, tenant)


def test_a_review_left_past_its_hold_expiry_can_only_be_rejected(
    clocked_loyalty: Loyalty, clock: FakeClock
) -> None:
    loyalty = clocked_loyalty
    tenant = setup_programme(loyalty, dataclasses.replace(
        SEED_RISK, risk=dataclasses.replace(VelocityRules.seed(), review_days=1)
    ))  # fmt: skip
    alice = customer_with(loyalty, tenant, 20_000)
    held = loyalty.redeem(tenant, alice, option="product", points=12_000, idempotency_key="r1")
    assert held.review_id is not None
    clock.advance(timedelta(days=2))
    assert loyalty.expire_authorizations() >= 1  # every tenant's: other tests' holds too
    assert loyalty.balance(tenant, alice).held == 0  # the points went back
    with pytest.raises(errors.HoldExpired):
        decide(loyalty, tenant, held.review_id, approve=True)
    assert decide(loyalty, tenant, held.review_id, approve=False).status == "rejected"
    assert risk.pending_reviews(loyalty, tenant) == []
    assert loyalty.balance(tenant, alice).available == 20_000
    verified(loyalty, tenant)


def test_the_earnings_scan_flags_fast_earners_once_per_window(
    clocked_loyalty: Loyalty, clock: FakeClock
) -> None:
    loyalty = clocked_loyalty
    tenant = setup_programme(loyalty, SEED_RISK)
    fast = customer_with(loyalty, tenant, 6_000, ref="fast")
    loyalty.earn_purchase(tenant, fast, order_id="more", amount=5_000_00, currency="USD")
    customer_with(loyalty, tenant, 3_000, ref="slow")
    flagged = risk.scan_earnings(loyalty, tenant)
    assert len(flagged) == 1
    (review,) = risk.pending_reviews(loyalty, tenant)
    assert (review.customer_id, review.kind, review.points) == (fast, "earning", 11_000)
    assert risk.scan_earnings(loyalty, tenant) == []  # the same window, flagged already
    clock.advance(timedelta(hours=2))
    assert risk.scan_earnings(loyalty, tenant) == []  # nothing earned in the last hour


def test_a_monitor_alerts_when_its_condition_turns_true_and_not_again(loyalty: Loyalty) -> None:
    tenant = setup_programme(loyalty, SEED_RISK)
    alice = customer_with(loyalty, tenant, 100)
    risk.add_monitor(loyalty, tenant, name="liability", measure="programme_liability",
                     threshold=1_000)  # fmt: skip
    risk.add_monitor(loyalty, tenant, name="alice rich", measure="customer_balance",
                     threshold=500, customer_id=alice)  # fmt: skip
    assert risk.check_monitors(loyalty, tenant) == []
    loyalty.earn_purchase(tenant, alice, order_id="big", amount=2_000_00, currency="USD")
    raised = risk.check_monitors(loyalty, tenant)
    assert sorted(a.subject for a in raised) == [
        "alice rich: 2,100 is above 500", "liability: 2,100 is above 1,000",
    ]  # fmt: skip
    assert risk.check_monitors(loyalty, tenant) == []  # still true: no new alert
    with pytest.raises(errors.InvalidRequest):
        risk.add_monitor(loyalty, tenant, name="x", measure="customer_balance", threshold=1)


def test_scheduled_verification_raises_an_alert_on_a_discrepancy(fresh_database_url: str) -> None:
    database = Database(fresh_database_url, pool_size=4)
    loyalty = Loyalty(Ledger(database))
    try:
        tenant = setup_programme(loyalty)
        customer_with(loyalty, tenant, 100)
        assert risk.verify_and_alert(loyalty, tenant=tenant) == []
        with psycopg.connect(fresh_database_url, autocommit=True) as conn:
            conn.execute("SET session_replication_role = replica")
            conn.execute("UPDATE punchcard.lots SET remaining = remaining - 1 WHERE tenant_id = %s",
                         (tenant,))  # fmt: skip
        (alert,) = risk.verify_and_alert(loyalty, tenant=tenant)
        assert alert.kind == "verify" and "problem" in alert.subject
        assert risk.alerts(loyalty, tenant)[0].id == alert.id
    finally:
        database.close()
