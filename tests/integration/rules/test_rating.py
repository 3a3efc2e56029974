"""Earns rated by a published ruleset: categories, tiers, cashback, customer facts,
caps and budgets (also under concurrency), and simulation."""

from __future__ import annotations

import dataclasses
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, time, timedelta

import pytest

from punchcard.domain import errors
from punchcard.domain.loyalty.commands import LineItem, Purchase
from punchcard.domain.loyalty.programme import LotKind
from punchcard.domain.rules.defaults import black_friday, default_ruleset
from punchcard.domain.rules.document import Downgrade, Ruleset
from punchcard.domain.rules.facts import CustomerContext
from punchcard.service_layer.loyalty.facade import Loyalty
from tests.conftest import FakeClock, setup_programme
from tests.helpers import verified
from tests.integration.rules.test_governance import publish

CAPPED = """
name: capped
rules:
  - id: base
    effect: {rate: {points: 1, per: 100}}
  - id: welcome
    description: 100 bonus points, at most 250 a day per customer, 1,000 in all
    effect: {flat: 100}
    kind: bonus
    caps: [{period: day, points: 250}]
    budget: 1000
"""


NO_CAMPAIGNS = 2000
"""The seed's campaigns dated in a year long past, so tests do not change with the date."""


def test_the_seed_ruleset_rates_a_basket_and_moves_the_customer_up(loyalty: Loyalty) -> None:
    tenant = setup_programme(loyalty)
    publish(loyalty, tenant, default_ruleset(NO_CAMPAIGNS))
    alice = loyalty.enroll(tenant, "shop-alice").id
    basket = [
        LineItem(sku="fuel", amount=125_99, category="gas"),
        LineItem(sku="apples", amount=50_00, category="groceries"),
        LineItem(sku="card", amount=100_00, category="gift_cards"),
    ]
    earned = loyalty.earn_purchase(tenant, alice, order_id="o-1", amount=275_99,
                                   currency="USD", items=basket)  # fmt: skip
    # base floor(175.99) = 175 (the gift card earns nothing); gas 125 x 2; groceries 50 x 1.
    assert earned.points == 175 + 250 + 50
    lines = {(line["rule"], line.get("item")): line["points"] for line in earned.breakdown["lines"]}
    assert lines[("base", None)] == 175
    assert lines[("category_gas", "fuel")] == 250
    assert lines[("category_groceries", "apples")] == 50
    big = loyalty.earn_purchase(tenant, alice, order_id="o-2", amount=600_00, currency="USD")
    assert (big.points, big.tier) == (600, "silver")  # 475 + 600 >= 1,000
    after = loyalty.earn_purchase(tenant, alice, order_id="o-3", amount=100_00, currency="USD")
    assert after.points == 150  # silver: x1.5
    tier = loyalty.tier(tenant, alice)
    assert (tier.tier, tier.measure) == ("silver", 1225)
    assert [(c.from_tier, c.to_tier, c.reason) for c in tier.history] == [
        ("bronze", "silver", "qualified")
    ]
    verified(loyalty, tenant)


def test_cashback_is_credited_as_store_credit(loyalty: Loyalty) -> None:
    tenant = setup_programme(loyalty)
    publish(loyalty, tenant, """
rules:
  - {id: base, effect: {rate: {points: 1, per: 100}}}
  - {id: cashback, effect: {cashback_percent: "2.5"}, when: "order.channel == 'app'"}
""")  # fmt: skip
    alice = loyalty.enroll(tenant, "shop-alice").id
    web = loyalty.earn_purchase(tenant, alice, order_id="w", amount=80_00, currency="USD")
    assert web.credit == 0
    earned = loyalty.earn_purchase(
        tenant, alice, order_id="a", amount=80_00, currency="USD", items=(), channel="app"
    )
    assert (earned.points, earned.credit) == (80, 2_00)
    assert loyalty.balance(tenant, alice).credit == 2_00
    verified(loyalty, tenant)


def test_conditions_read_the_customers_attributes_and_earlier_events(loyalty: Loyalty) -> None:
    tenant = setup_programme(loyalty)
    publish(loyalty, tenant, """
rules:
  - {id: base, effect: {rate: {points: 1, per: 100}}}
  - id: first_purchase
    effect: {flat: 500}
    kind: bonus
    when: "!has(customer.counts.purchase)"
  - id: birthday
    effect: {multiplier: "2"}
    stacking: multiply
    when: >-
      has(customer.attributes.birthday_month)
      && customer.attributes.birthday_month == order.month
""")  # fmt: skip
    alice = loyalty.enroll(tenant, "shop-alice").id
    month = datetime.now(UTC).month
    loyalty.set_attributes(tenant, alice, {"birthday_month": month})
    first = loyalty.earn_purchase(tenant, alice, order_id="o-1", amount=10_00, currency="USD")
    assert first.points == (10 + 500) * 2
    second = loyalty.earn_purchase(tenant, alice, order_id="o-2", amount=10_00, currency="USD")
    assert second.points == 10 * 2
    with pytest.raises(errors.InvalidRequest):
        loyalty.set_attributes(tenant, alice, {"email": "x" * 101})


def test_caps_and_budgets_clamp_the_rule_and_count_what_it_gave(
    clocked_loyalty: Loyalty, clock: FakeClock
) -> None:
    loyalty = clocked_loyalty
    tenant = setup_programme(loyalty)
    publish(loyalty, tenant, CAPPED)
    alice = loyalty.enroll(tenant, "shop-alice").id
    points = [
        loyalty.earn_purchase(tenant, alice, order_id=f"o-{i}", amount=1_00, currency="USD").points
        for i in range(3)
    ]
    assert points == [101, 101, 51]  # the third welcome bonus is capped at 50 for the day
    clock.advance(timedelta(days=1))
    assert loyalty.earn_purchase(tenant, alice, order_id="o-3", amount=1_00,
                                 currency="USD").points == 101  # fmt: skip


def test_two_customers_racing_for_a_budgets_last_points_cannot_both_get_them(
    loyalty: Loyalty,
) -> None:
    tenant = setup_programme(loyalty)
    publish(loyalty, tenant, CAPPED)
    customers = [loyalty.enroll(tenant, f"shop-{n}").id for n in range(12)]
    barrier = threading.Barrier(len(customers))

    def earn(n: int) -> int:
        barrier.wait()
        result = loyalty.earn_purchase(tenant, customers[n], order_id=f"race-{n}",
                                       amount=1_00, currency="USD")  # fmt: skip
        return result.points - 1

    with ThreadPoolExecutor(len(customers)) as pool:
        bonuses = list(pool.map(earn, range(len(customers))))
    assert sum(bonuses) == 1000  # the budget, exactly
    assert Counter(bonuses) == {100: 10, 0: 2}
    verified(loyalty, tenant)


def test_concurrent_earns_of_one_customer_at_a_cap_boundary(loyalty: Loyalty) -> None:
    tenant = setup_programme(loyalty)
    publish(loyalty, tenant, CAPPED)
    alice = loyalty.enroll(tenant, "shop-alice").id
    barrier = threading.Barrier(6)

    def earn(n: int) -> int:
        barrier.wait()
        return loyalty.earn_purchase(tenant, alice, order_id=f"c-{n}", amount=1_00,
                                     currency="USD").points - 1  # fmt: skip

    with ThreadPoolExecutor(6) as pool:
        bonuses = sorted(pool.map(earn, range(6)))
    assert bonuses == [0, 0, 0, 50, 100, 100]  # 250 a day, whatever the interleaving
    lots = [lot for lot in loyalty.lots(tenant, alice) if lot.kind is LotKind.BONUS]
    assert sum(lot.amount for lot in lots) == 250


def test_a_review_downgrades_by_policy_after_a_whole_period(
    clocked_loyalty: Loyalty, clock: FakeClock
) -> None:
    loyalty = clocked_loyalty
    seed = default_ruleset(NO_CAMPAIGNS)
    assert seed.tiers is not None
    tiers = dataclasses.replace(seed.tiers, downgrade=Downgrade.ONE_PER_PERIOD, grace_days=30)
    tenant = setup_programme(loyalty)
    publish(loyalty, tenant, dataclasses.replace(seed, tiers=tiers))
    alice = loyalty.enroll(tenant, "shop-alice").id
    up = loyalty.earn_purchase(tenant, alice, order_id="o-1", amount=16_000_00, currency="USD")
    assert up.tier == "platinum"
    clock.advance(timedelta(days=365))
    assert loyalty.review_tiers(tenant).customers == 0  # the grace period runs
    clock.advance(timedelta(days=31))
    assert loyalty.review_tiers(tenant).customers == 1
    assert loyalty.tier(tenant, alice).tier == "gold"  # one tier down per period
    assert loyalty.review_tiers(tenant).customers == 0  # a new period has started


def test_simulation_compares_a_draft_with_the_active_version_and_writes_nothing(
    loyalty: Loyalty,
) -> None:
    tenant = setup_programme(loyalty)
    year = datetime.now(UTC).year + 1  # Black Friday is always ahead
    seed = default_ruleset(year)
    publish(loyalty, tenant, seed)
    alice = loyalty.enroll(tenant, "shop-alice").id
    bob = loyalty.enroll(tenant, "shop-bob").id
    same_rules = dataclasses.replace(seed, name="the same rules")
    events = [
        Purchase(tenant=tenant, customer_id=alice, order_id="s-1", amount=100_00,
                 currency="USD", occurred_at=datetime.combine(black_friday(year), time(12), UTC)),
        Purchase(tenant=tenant, customer_id=bob, order_id="s-2", amount=100_00, currency="USD"),
    ]  # fmt: skip
    same = loyalty.simulate(tenant, same_rules, events)
    assert (same.delta, same.affected_customers) == (0, ())
    no_campaigns = Ruleset(name="no campaigns", rules=seed.rules[:1])
    report = loyalty.simulate(tenant, no_campaigns, events)
    # Black Friday gives alice 5 x 100 bonus points today, not under the draft.
    assert (report.active_points, report.draft_points) == (600 + 100, 200)
    assert report.affected_customers == (alice,)
    assert loyalty.balance(tenant, alice).available == 0
    assert loyalty.lots(tenant, alice) == []


def test_simulation_can_imagine_customers(loyalty: Loyalty) -> None:
    tenant = setup_programme(loyalty)
    publish(loyalty, tenant, default_ruleset(NO_CAMPAIGNS))
    event = Purchase(tenant=tenant, customer_id="cus_imagined", order_id="i-1",
                     amount=100_00, currency="USD")  # fmt: skip
    report = loyalty.simulate(
        tenant, default_ruleset(NO_CAMPAIGNS), [event],
        customers={"cus_imagined": CustomerContext(tier="platinum")},
    )  # fmt: skip
    assert (report.draft_points, report.active_points) == (300, 300)  # x3 for platinum


def test_a_purchase_in_another_currency_is_refused_under_rules_too(loyalty: Loyalty) -> None:
    tenant = setup_programme(loyalty)
    publish(loyalty, tenant, default_ruleset(NO_CAMPAIGNS))
    alice = loyalty.enroll(tenant, "shop-alice").id
    with pytest.raises(errors.InvalidEvent, match="currency EUR"):
        loyalty.earn_purchase(tenant, alice, order_id="o-1", amount=100_00, currency="EUR")


def test_simulation_shares_a_budget_between_customers_and_rates_early_events_at_the_fixed_rate(
    loyalty: Loyalty,
) -> None:
    tenant = setup_programme(loyalty)
    launch = """
rules:
  - {id: base, effect: {rate: {points: 1, per: 100}}}
  - {id: launch, effect: {flat: 300}, budget: 500,
     when: "order.categories.exists(c, c == 'launch')", scope: order}
"""
    publish(loyalty, tenant, launch)
    customers = [loyalty.enroll(tenant, f"shop-{n}").id for n in range(3)]
    events = [
        Purchase(tenant=tenant, customer_id=c, order_id=f"l-{n}", amount=1_00, currency="USD",
                 items=(LineItem(sku="x", amount=1_00, category="launch"),))
        for n, c in enumerate(customers)
    ]  # fmt: skip
    report = loyalty.simulate(tenant, launch, events)
    assert [e.draft["points"] for e in report.events] == [301, 201, 1]
    early = Purchase(tenant=tenant, customer_id=customers[0], order_id="early", amount=5_00,
                     currency="USD", occurred_at=datetime(2001, 1, 1, tzinfo=UTC))  # fmt: skip
    fixed = loyalty.simulate(tenant, launch, [early]).events[0]
    assert (fixed.active["points"], "ruleset_version" in fixed.active) == (5, False)
