"""Hypothesis strategies for small random rulesets, events and customers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from hypothesis import strategies as st

from punchcard.domain.loyalty.commands import Engagement, LineItem, Purchase
from punchcard.domain.loyalty.programme import LotKind
from punchcard.domain.rules.document import (
    Cap,
    Effect,
    EventKind,
    Exclusions,
    Period,
    RateEffect,
    Rounding,
    Rule,
    Ruleset,
    Scope,
    Stacking,
    TierLevel,
    Tiers,
)
from punchcard.domain.rules.evaluation import limit_keys
from punchcard.domain.rules.facts import CustomerContext, EventFacts

CATEGORIES = ("food", "gas", "toys", "gift_cards")
TIERS = Tiers((TierLevel("basic", 0), TierLevel("silver", 1_000, "1.5"),
               TierLevel("gold", 5_000, "2.25")))  # fmt: skip
ORDER_CONDITIONS = (
    "order.amount >= 1000", "customer.tier == 'gold'", "order.day_of_week <= 5",
    "'gas' in order.categories", "event.type == 'app_login'",
    "customer.attributes.vip",  # fails when the customer has no such attribute
    "order.hour",  # not a boolean: never holds
)  # fmt: skip
ITEM_CONDITIONS = (*ORDER_CONDITIONS, "item.category == 'gas'", "item.quantity > 1",
                   "'sale' in item.labels", "item.amount < 2000")  # fmt: skip
DECIMALS = st.sampled_from(("0", "0.5", "1", "1.5", "2", "3.25", "0.333333"))
MULTIPLIERS = st.sampled_from(("1", "1.25", "2", "3.125"))  # a multiplier is at least 1
ZONES = ("UTC", "America/New_York", "Asia/Tokyo")
MOSTLY_PURCHASES = st.sampled_from([EventKind.PURCHASE] * 4 + [EventKind.ENGAGEMENT])
JULY = datetime(2026, 7, 1, tzinfo=UTC)
WINDOWS = [(None, None), (None, None), (None, JULY), (JULY, None),
           (JULY, JULY + timedelta(days=90))]  # fmt: skip
"""Validity windows that events in 2026 fall in and out of."""
YEAR_2026 = st.integers(0, 365 * 86_400 - 1).map(
    lambda seconds: datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds)
)


@st.composite
def effects(draw: st.DrawFn, event: EventKind, scope: Scope) -> Effect:
    kinds = ["flat"]
    if event is EventKind.PURCHASE:
        kinds += ["rate", "base_multiple", "tier_multiple", "cashback_percent"]
    if scope is Scope.ORDER:
        kinds.append("multiplier")
    kind = draw(st.sampled_from(kinds))
    if kind == "rate":
        return Effect(rate=RateEffect(draw(st.integers(1, 5)), draw(st.integers(1, 300))))
    if kind == "flat":
        return Effect(flat=draw(st.integers(1, 200)))
    if kind == "tier_multiple":
        return Effect(tier_multiple=True)
    if kind == "multiplier":
        return Effect(multiplier=draw(MULTIPLIERS))
    if kind == "base_multiple":
        return Effect(base_multiple=draw(DECIMALS))
    return Effect(cashback_percent=draw(DECIMALS))


@st.composite
def rules(draw: st.DrawFn, id: str) -> Rule:
    event = draw(MOSTLY_PURCHASES)
    scope = draw(st.sampled_from(Scope))
    effect = draw(effects(event, scope))
    multiplier = effect.multiplier is not None
    stacking = Stacking.MULTIPLY
    if not multiplier:
        stacking = draw(st.sampled_from([Stacking.ADD, Stacking.EXCLUSIVE]))
    caps: list[Cap] = []
    budget = None
    if effect.cashback_percent is None:
        periods = draw(st.sets(st.sampled_from(Period), max_size=2))
        caps = [Cap(period, draw(st.integers(1, 500))) for period in sorted(periods)]
        budget = draw(st.none() | st.integers(1, 2_000))
    valid_from, valid_until = draw(st.sampled_from(WINDOWS))
    conditions = ITEM_CONDITIONS if scope is Scope.LINE_ITEM else ORDER_CONDITIONS
    return Rule(
        id, effect, event=event, scope=scope, stacking=stacking,
        when=draw(st.none() | st.sampled_from(conditions)),
        kind=draw(st.sampled_from([LotKind.EARNED, LotKind.BONUS])),
        min_order=draw(st.sampled_from([0, 0, 1_000, 5_000])),
        valid_from=valid_from, valid_until=valid_until,
        exclusions=Exclusions(categories=tuple(draw(st.sets(st.sampled_from(CATEGORIES))))),
        caps=tuple(caps), budget=budget,
    )  # fmt: skip


@st.composite
def rulesets(draw: st.DrawFn) -> Ruleset:
    size = draw(st.integers(1, 6))
    return Ruleset(
        tuple(draw(rules(f"rule_{i}")) for i in range(size)),
        rounding=draw(st.sampled_from(Rounding)),
        exclusions=Exclusions(categories=tuple(draw(st.sets(st.sampled_from(CATEGORIES))))),
        tiers=TIERS,
    )


LINE_ITEMS = st.builds(
    LineItem,
    sku=st.sampled_from(["a", "b", "c"]),
    amount=st.integers(0, 50_000),
    category=st.none() | st.sampled_from(CATEGORIES),
    quantity=st.integers(1, 4),
    labels=st.sets(st.sampled_from(["sale", "organic"])).map(tuple),
)


@st.composite
def events(draw: st.DrawFn) -> Purchase | Engagement:
    if draw(MOSTLY_PURCHASES) is EventKind.ENGAGEMENT:
        kind = draw(st.sampled_from(["app_login", "review_written", "birthday"]))
        return Engagement(tenant="acme", customer_id="cus_1", event_id="e-1", type=kind)
    items = tuple(draw(st.lists(LINE_ITEMS, max_size=5)))
    amount = sum(i.amount for i in items) + draw(st.integers(0, 10_000))
    return Purchase(tenant="acme", customer_id="cus_1", order_id="o-1", amount=amount,
                    currency="USD", items=items)  # fmt: skip


@dataclass(frozen=True)
class Scenario:
    facts: EventFacts
    customer: CustomerContext


@st.composite
def scenarios(draw: st.DrawFn, ruleset: Ruleset) -> Scenario:
    """An event and a customer whose counters have some of each limit used."""
    facts = EventFacts.of(draw(events()), draw(YEAR_2026), draw(st.sampled_from(ZONES)))
    usage = {}
    for rule in ruleset.rules:
        for key, limit in limit_keys(rule, facts.local.date()):
            if draw(st.booleans()):
                usage[key] = draw(st.integers(0, limit + 10))
    attributes = draw(st.sampled_from([{}, {"vip": True}, {"vip": False}]))
    tier = draw(st.sampled_from(["", "basic", "silver", "gold", "former"]))
    return Scenario(facts, CustomerContext(tier=tier, attributes=attributes, usage=usage))
