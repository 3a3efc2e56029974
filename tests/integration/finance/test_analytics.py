"""Programme analytics against figures the test computes itself: from the raw
entries (issuance and redemption by local day, active members), from what it sent
(baskets and their categories) and from what each earn answered (its breakdown)."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import date, datetime, timedelta
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from punchcard.domain import errors
from punchcard.domain.finance.analytics import Category
from punchcard.domain.loyalty.commands import LineItem
from punchcard.domain.loyalty.programme import Rate, default_programme
from punchcard.domain.loyalty.results import EarnResult
from punchcard.domain.rules.defaults import default_ruleset
from punchcard.domain.rules.document import Effect, Rule
from punchcard.service_layer.analytics import analytics
from punchcard.service_layer.loyalty.facade import Loyalty
from tests.conftest import FakeClock, setup_programme
from tests.integration.rules.test_governance import publish

ZONE = "Asia/Tokyo"
PROGRAMME = dataclasses.replace(
    default_programme(), pending_days=0, timezone=ZONE, point_value=Rate(3, 2)
)
NO_CAMPAIGNS = 2000
"""The seed's campaigns dated in a year long past, so tests do not change with the date."""

ENTRIES = """
SELECT c.effective_at, s.address, d.address, c.amount
  FROM entries c
  JOIN entries x USING (tenant_id, transaction_id, posting_index)
  JOIN accounts d ON d.tenant_id = c.tenant_id AND d.id = c.account_id
  JOIN accounts s ON s.tenant_id = x.tenant_id AND s.id = x.account_id
 WHERE c.tenant_id = %(tenant)s AND c.is_credit AND NOT x.is_credit AND c.asset = 'PTS'
"""


def raw_entries(loyalty: Loyalty, tenant: str) -> list[tuple[Any, ...]]:
    with loyalty.work() as w:
        return w.connection.execute(ENTRIES, {"tenant": tenant}).fetchall()


def customer_of(address: str) -> str | None:
    parts = address.split(":")
    return parts[1] if parts[0] == "customer" and parts[2] in ("points", "pending") else None


def by_day(
    entries: list[tuple[Any, ...]], start: datetime, end: datetime
) -> tuple[dict[date, tuple[int, int]], set[str]]:
    """Issued and redeemed points per Tokyo day, and who earned or redeemed."""
    days: dict[date, tuple[int, int]] = {}
    active: set[str] = set()
    for at, source, destination, amount in entries:
        if not start <= at < end:
            continue
        day = at.astimezone(ZoneInfo(ZONE)).date()
        issued, redeemed = days.get(day, (0, 0))
        if source == "program:issuance" and (who := customer_of(destination)):
            days[day] = issued + amount, redeemed
            active.add(who)
        elif destination == "program:redeemed" and (who := customer_of(source)):
            days[day] = issued, redeemed + amount
            active.add(who)
    return days, active


GAS = LineItem(sku="fuel", amount=120_00, category="gas")
APPLES = LineItem(sku="apples", amount=50_00, category="groceries")
DINNER = LineItem(sku="dinner", amount=80_00, category="dining")
FLIGHT = LineItem(sku="flight", amount=400_00, category="travel")
CARD = LineItem(sku="card", amount=100_00, category="gift_cards")
LOOSE = LineItem(sku="socks", amount=10_00)
BONUS_DAYS = dataclasses.replace(
    default_ruleset(NO_CAMPAIGNS),
    rules=(*default_ruleset(NO_CAMPAIGNS).rules,
           Rule("double_days", Effect(base_multiple="1"), description="the base again")),
)  # fmt: skip


@dataclasses.dataclass
class Sent:
    earns: list[tuple[EarnResult, Fraction]] = dataclasses.field(default_factory=list)
    """Each earn and the point value it was issued at."""
    baskets: list[tuple[str, int, tuple[LineItem, ...]]] = dataclasses.field(default_factory=list)
    purchase_points: int = 0


def scenario(loyalty: Loyalty, clock: FakeClock) -> tuple[str, list[str], Sent]:
    tenant = setup_programme(loyalty, PROGRAMME)
    publish(loyalty, tenant, default_ruleset(NO_CAMPAIGNS))
    alice, bob, carol, dave = (loyalty.enroll(tenant, n).id for n in ("a", "b", "c", "d"))
    sent = Sent()
    value = Fraction(2, 3)

    def buy(who: str, order: str, amount: int, *items: LineItem) -> None:
        earned = loyalty.earn_purchase(tenant, who, order_id=order, amount=amount,
                                       currency="USD", items=items)  # fmt: skip
        sent.earns.append((earned, value))
        sent.baskets.append((order, amount, items))
        sent.purchase_points += earned.points

    buy(alice, "o1", 300_00, GAS, APPLES, CARD)
    buy(bob, "o2", 500_00, DINNER, FLIGHT, LOOSE)
    sent.earns.append((loyalty.earn_engagement(tenant, carol, event_id="e1",
                                               type="review_written"), value))  # fmt: skip
    clock.advance(timedelta(hours=20))
    loyalty.redeem(tenant, bob, option="product", points=2000, idempotency_key="r1")
    buy(alice, "o3", 900_00)  # no items: all order-level; alice reaches silver
    loyalty.create_programme(tenant, dataclasses.replace(PROGRAMME, point_value=Rate(1, 1)))
    value = Fraction(1)
    publish(loyalty, tenant, BONUS_DAYS)
    clock.advance(timedelta(hours=20))
    buy(alice, "o4", 200_00, GAS)
    buy(carol, "o5", 150_00, APPLES, DINNER)
    loyalty.redeem(tenant, alice, option="product", points=700, idempotency_key="r2")
    loyalty.refund(tenant, order_id="o2", refund_id="f1", amount=100_00)
    clock.advance(timedelta(hours=1))
    return tenant, [alice, bob, carol, dave], sent


def expected_categories(sent: Sent) -> list[Category]:
    category = {item.sku: item.category for _, _, items in sent.baskets for item in items}
    orders: Counter[str | None] = Counter()
    spend: Counter[str | None] = Counter()
    points: Counter[str | None] = Counter()
    for _, _, items in sent.baskets:
        for name in {item.category for item in items}:
            orders[name] += 1
        for item in items:
            spend[item.category] += item.amount
    for earned, _ in sent.earns:
        for line in earned.breakdown.get("lines", []):
            if "item" in line:
                points[category[line["item"]]] += line["points"]
    found = [Category(c, orders[c], spend[c], points[c]) for c in orders]
    return sorted(found, key=lambda c: (-c.points, -c.spend, c.category is None, c.category or ""))


def expected_campaigns(sent: Sent) -> dict[tuple[str, int | None], tuple[int, int, int]]:
    totals: dict[tuple[str, int | None], tuple[int, int, Fraction]] = {}
    for earned, value in sent.earns:
        for award in earned.breakdown["awards"]:
            key = (award["rule"], earned.breakdown.get("ruleset_version"))
            n, p, v = totals.get(key, (0, 0, Fraction(0)))
            totals[key] = n + 1, p + award["points"], v + award["points"] * value
    return {k: (n, p, int(v + Fraction(1, 2))) for k, (n, p, v) in totals.items()}


def test_analytics_match_the_raw_entries_and_what_was_sent(
    clocked_loyalty: Loyalty, clock: FakeClock
) -> None:
    loyalty = clocked_loyalty
    start = clock.now - timedelta(hours=1)
    tenant, customers, sent = scenario(loyalty, clock)
    end = clock.now
    report = analytics(loyalty, tenant, start, end)

    days, active = by_day(raw_entries(loyalty, tenant), start, end)
    tokyo = ZoneInfo(ZONE)
    first, last = start.astimezone(tokyo).date(), end.astimezone(tokyo).date()
    assert [d.day for d in report.days] == [
        first + timedelta(days=n) for n in range((last - first).days + 1)
    ]
    assert {d.day: (d.issued, d.redeemed) for d in report.days if d.issued or d.redeemed} == days
    issued = sum(i for i, _ in days.values())
    assert (report.issued, report.redeemed) == (issued, 2700)
    assert report.redemption_rate_bp == int(Fraction(2700 * 10_000, issued) + Fraction(1, 2))
    assert (report.members, report.active_members) == (4, len(active)) == (4, 3)
    assert report.active_bp == 7500

    tiers = Counter(loyalty.tier(tenant, c).tier for c in customers)
    assert report.tiers == {"bronze": tiers["bronze"], "silver": tiers["silver"], "gold": 0,
                            "platinum": 0}  # fmt: skip
    assert tiers["silver"] == 2  # alice, and bob by his flight

    assert report.categories == expected_categories(sent)
    assert [c.category for c in report.categories][:2] == ["travel", "gas"]
    assert report.orders == 5 and report.unitemised_orders == 1
    assert report.spend == sum(amount for _, amount, _ in sent.baskets)
    assert report.purchase_points == sent.purchase_points
    item_points = sum(c.points for c in expected_categories(sent))
    assert report.order_level_points == sent.purchase_points - item_points > 0
    costs = {(c.rule, c.ruleset_version): (c.earns, c.points, c.value) for c in report.campaigns}
    assert costs == expected_campaigns(sent)
    assert {version for _, version in costs} == {1, 2}
    assert costs["double_days", 2][0] == 2
    assert report.value_asset == "USD" and report.timezone == ZONE


def test_a_period_covers_only_its_own_days(clocked_loyalty: Loyalty, clock: FakeClock) -> None:
    loyalty = clocked_loyalty
    begin = clock.now
    tenant, _, _ = scenario(loyalty, clock)
    start, end = begin + timedelta(hours=10), begin + timedelta(hours=30)
    report = analytics(loyalty, tenant, start, end)
    days, active = by_day(raw_entries(loyalty, tenant), start, end)
    assert {d.day: (d.issued, d.redeemed) for d in report.days if d.issued or d.redeemed} == days
    assert report.redeemed == 2000 and report.active_members == len(active) == 2
    # o3 only: alice, still bronze (x1, so the tier line gives nothing), at 2/3 cent a point
    costs = {(c.rule, c.ruleset_version): (c.earns, c.points, c.value) for c in report.campaigns}
    assert costs == {("base", 1): (1, 900, 600)}
    assert report.orders == 1 and report.categories == [] and report.unitemised_orders == 1


def test_a_fixed_rate_programme_keeps_no_items_and_has_no_tiers(loyalty: Loyalty) -> None:
    tenant = setup_programme(loyalty)
    alice = loyalty.enroll(tenant, "alice").id
    start = loyalty.now() - timedelta(minutes=1)
    loyalty.earn_purchase(tenant, alice, order_id="o1", amount=250_00, currency="USD",
                          items=[GAS])  # fmt: skip
    loyalty.earn_engagement(tenant, alice, event_id="e1", type="app_login")
    report = analytics(loyalty, tenant, start, loyalty.now() + timedelta(seconds=1))
    assert report.tiers == {"": 1}
    assert report.categories == [] and report.unitemised_orders == 1
    assert report.order_level_points == report.purchase_points == 250
    costs = {(c.rule, c.ruleset_version): (c.earns, c.points, c.value) for c in report.campaigns}
    assert costs == {("base_rate", None): (1, 250, 250), ("engagement:app_login", None): (1, 5, 5)}
    assert report.redemption_rate_bp == 0


def test_a_period_must_make_sense(loyalty: Loyalty) -> None:
    tenant = setup_programme(loyalty)
    now = loyalty.now()
    with pytest.raises(errors.InvalidRequest):
        analytics(loyalty, tenant, now, now)
    with pytest.raises(errors.InvalidRequest):
        analytics(loyalty, tenant, now.replace(tzinfo=None), now + timedelta(days=1))
    with pytest.raises(errors.InvalidRequest):
        analytics(loyalty, tenant, now - timedelta(days=4000), now)
    with pytest.raises(errors.UnknownProgramme):
        analytics(loyalty, "no-such-tenant", now - timedelta(days=1), now)
