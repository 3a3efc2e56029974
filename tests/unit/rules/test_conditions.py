"""CEL conditions: what they can read, how they fail, and memoization on the fields
they read."""

from __future__ import annotations

from datetime import datetime

import pytest

from punchcard.domain.errors import InvalidRuleset
from punchcard.domain.loyalty.commands import Purchase
from punchcard.domain.rules.conditions import Condition, compile_condition
from punchcard.domain.rules.document import (
    Effect,
    EventKind,
    Exclusions,
    Rule,
    Ruleset,
    Scope,
    TierLevel,
    Tiers,
)
from punchcard.domain.rules.evaluation import CompiledRuleset
from punchcard.domain.rules.facts import CustomerContext
from tests.unit.rules.builders import AT, engagement, item, points_by_rule, purchase, run, utc


def holds(
    when: str,
    *,
    scope: Scope = Scope.ORDER,
    event: Purchase | None = None,
    customer: CustomerContext | None = None,
    at: datetime = AT,
    zone: str = "UTC",
) -> bool:
    """Whether a flat-1 rule with this condition earns on the event (a food item by default)."""
    rule = Rule("r", Effect(flat=1), when=when, scope=scope)
    event = event or purchase(item("a", 1_000, "food"))
    return run((rule,), event, customer, at=at, zone=zone).points > 0


# 03:30 UTC on Tuesday 10 March is 23:30 on Monday 9 March in New York (UTC-4 since 8 March)
LATE = utc(2026, 3, 10, 3, 30)
LOCAL = (
    "order.day_of_week == 1 && order.hour == 23 && order.month == 3 && order.date == '2026-03-09'"
)


def test_order_times_are_read_in_the_programmes_zone() -> None:
    assert holds(LOCAL, at=LATE, zone="America/New_York")
    assert not holds(LOCAL, at=LATE, zone="UTC")
    assert holds("order.day_of_week == 2 && order.hour == 3", at=LATE, zone="UTC")
    assert holds("order.day_of_week == 7", at=utc(2026, 3, 15, 12))  # Sunday


def test_order_fields_describe_the_eligible_items() -> None:
    ruleset = Ruleset((Rule("r", Effect(flat=1), when=(
        "order.amount == 1000 && order.total == 1500 && order.item_count == 1 && "
        "order.categories == ['food'] && order.skus == ['a'] && order.currency == 'USD' && "
        "order.channel == 'app' && order.store == 's-1'")),),
        exclusions=Exclusions(categories=("tax",)))  # fmt: skip
    order = purchase(item("a", 1_000, "food"), item("t", 500, "tax"), channel="app", store="s-1")
    assert run(ruleset, order).points == 1


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ("item.category == 'food'", True),
        ("item.category == 'toys'", False),
        ("item.sku.startsWith('a')", True),
        ("'organic' in item.labels", True),
        ("item.amount == 1000 && item.quantity == 2", True),
    ],
)
def test_line_item_conditions_read_the_item(when: str, expected: bool) -> None:
    event = purchase(item("a", 1_000, "food", quantity=2, labels=("organic",)))
    assert holds(when, scope=Scope.LINE_ITEM, event=event) is expected


def test_customer_conditions_read_tier_attributes_and_counts() -> None:
    customer = CustomerContext(tier="gold", attributes={"birthday_month": 3, "vip": True},
                               counts={"purchase": 4, "engagement:app_login": 1})  # fmt: skip
    for when in ("customer.tier == 'gold'", "customer.attributes.birthday_month == 3",
                 "customer.attributes.vip", "customer.counts['purchase'] >= 4",
                 "customer.counts['engagement:app_login'] == 1",
                 "!has(customer.attributes.nickname)"):  # fmt: skip
        assert holds(when, customer=customer), when


def test_a_condition_sees_the_tier_the_ruleset_resolves() -> None:
    tiers = Tiers((TierLevel("basic", 0), TierLevel("gold", 100, "2")))
    ruleset = Ruleset((Rule("r", Effect(flat=1), when="customer.tier == 'basic'"),), tiers=tiers)
    for tier in ("", "basic", "retired"):  # none, or one the ruleset no longer has
        assert run(ruleset, purchase(amount=100), CustomerContext(tier=tier)).points == 1
    assert run(ruleset, purchase(amount=100), CustomerContext(tier="gold")).points == 0


def test_event_conditions_read_the_kind_and_type() -> None:
    rule = Rule("r", Effect(flat=3), event=EventKind.ENGAGEMENT,
                when="event.kind == 'engagement' && event.type.endsWith('_login')")  # fmt: skip
    assert run((rule,), engagement("app_login")).points == 3
    assert run((rule,), engagement("social_share")).points == 0


def test_a_condition_that_fails_does_not_hold_and_says_why() -> None:
    rules = (Rule("bday", Effect(flat=50), when="customer.attributes.birthday_month == 3"),
             Rule("count", Effect(flat=2), when="order.amount"),
             Rule("other", Effect(flat=1)))  # fmt: skip
    evaluation = run(rules, purchase(amount=100))
    assert points_by_rule(evaluation) == [("other", None, 1)]
    assert set(evaluation.skipped) == {"bday", "count"}
    assert "birthday_month" in evaluation.skipped["bday"]
    assert evaluation.skipped["count"] == "the condition gave int, not a boolean"
    assert evaluation.document()["skipped"] == evaluation.skipped


@pytest.mark.parametrize(
    ("when", "scope", "message"),
    [
        ("basket.amount > 1", Scope.ORDER,
         "rule r: condition uses basket; it can read customer, event, order$"),
        ("item.category == 'gas'", Scope.ORDER,
         "rule r: condition uses item; it can read customer, event, order$"),
        ("x == 1 && item.sku == 'a'", Scope.LINE_ITEM,
         "rule r: condition uses x; it can read customer, event, item, order$"),
        ("order.amount >", Scope.ORDER, "rule r: condition does not parse: "),
        ("(item.sku", Scope.LINE_ITEM, "rule r: condition does not parse: "),
    ],
)  # fmt: skip
def test_bad_conditions_are_refused_at_compile_time(when: str, scope: Scope, message: str) -> None:
    ruleset = Ruleset((Rule("r", Effect(flat=1), when=when, scope=scope),))
    with pytest.raises(InvalidRuleset, match=message):
        CompiledRuleset.of(ruleset)


@pytest.mark.parametrize(
    ("source", "reads"),
    [
        (
            "item.category == 'gas' && order.amount > 5",
            {"item": ("category",), "order": ("amount",)},
        ),
        ("item.sku == 'order.total' || item . sku == \"item\"", {"item": ("sku",)}),
        (
            "customer.attributes.vip && customer.tier == 'gold'",
            {"customer": ("attributes", "tier")},
        ),
        ("size(item) > 2 && item.sku == 'a'", {"item": None}),  # the whole item: key on all of it
        ("true", {}),
    ],
)
def test_a_condition_knows_the_fields_it_reads(source: str, reads: dict[str, object]) -> None:
    assert compile_condition("r", source, line_item=True).reads == reads


def test_verdicts_are_memoized_on_the_fields_read(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, object]] = []
    evaluate = Condition._evaluate

    def counting(self: Condition, visible: dict[str, dict[str, object]]) -> bool | str:
        calls.append(dict(visible["item"]))
        return evaluate(self, visible)

    monkeypatch.setattr(Condition, "_evaluate", counting)
    rule = Rule("r", Effect(flat=1), scope=Scope.LINE_ITEM, when="item.category == 'gas'")
    compiled = CompiledRuleset.of(Ruleset((rule,)))
    # a and b differ only in what the condition does not read; c in what it reads
    order = purchase(item("a", 100, "gas"), item("b", 999, "gas", quantity=2),
                     item("c", 100, "food"))  # fmt: skip
    assert points_by_rule(run(compiled, order)) == [("r", "a", 1), ("r", "b", 2)]  # 1 x qty
    assert calls == [{"category": "gas"}, {"category": "food"}]  # b reused a's verdict
    assert run(compiled, purchase(item("d", 5, "gas"))).points == 1
    assert len(calls) == 2  # and so does the next event
    assert compiled.rules[0].condition is not None
    assert compiled.rules[0].condition.memo == {("gas",): True, ("food",): False}


def test_memo_keys_tell_booleans_from_integers() -> None:
    rule = Rule("vip", Effect(flat=10), when="customer.attributes.vip == true")
    compiled = CompiledRuleset.of(Ruleset((rule,)))
    assert run(compiled, purchase(amount=100), CustomerContext(attributes={"vip": 1})).points == 0
    customer = CustomerContext(attributes={"vip": True})
    assert run(compiled, purchase(amount=100), customer).points == 10
