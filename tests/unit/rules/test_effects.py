"""Effects and stacking: each effect's arithmetic, multipliers over the lines above,
exclusive rules, order minimums, validity windows, exclusions and rounding."""

from __future__ import annotations

from fractions import Fraction

import pytest

from punchcard.domain.errors import InvalidRuleset
from punchcard.domain.loyalty.programme import LotKind
from punchcard.domain.rules.document import (
    Effect,
    EventKind,
    Exclusions,
    RateEffect,
    Rounding,
    Rule,
    Ruleset,
    Scope,
    Stacking,
    TierLevel,
    Tiers,
)
from punchcard.domain.rules.facts import CustomerContext
from tests.unit.rules.builders import BASE, engagement, item, points_by_rule, purchase, run, utc

LINE = Scope.LINE_ITEM
BASKET = purchase(item("a", 1_050, "food"), item("b", 2_075, "toys", quantity=3), amount=4_000)


def test_an_order_rate_earns_on_the_eligible_amount() -> None:
    rule = Rule("r", Effect(rate=RateEffect(points=3, per=200)))
    assert points_by_rule(run((rule,), BASKET)) == [("r", None, 60)]  # 4000 x 3 / 200


def test_a_line_item_rate_earns_on_each_item() -> None:
    rule = Rule("r", Effect(rate=RateEffect(points=1, per=100)), scope=LINE)
    # 1050 -> 10, 2075 -> 20: the unitemised 875 earns nothing at line-item scope
    assert points_by_rule(run((rule,), BASKET)) == [("r", "a", 10), ("r", "b", 20)]


def test_base_multiples_multiply_the_floored_base() -> None:
    rules = (BASE, Rule("o", Effect(base_multiple="1.5")),
             Rule("i", Effect(base_multiple="2"), scope=LINE))  # fmt: skip
    # order base 40 x 1.5 = 60; item bases floor(10.50) = 10 and floor(20.75) = 20, x 2
    assert points_by_rule(run(rules, BASKET)) == [
        ("base", None, 40), ("o", None, 60), ("i", "a", 20), ("i", "b", 40),
    ]  # fmt: skip


def test_an_item_base_adds_the_order_rate_and_the_items_own_rate() -> None:
    rules = (BASE, Rule("food", Effect(rate=RateEffect(1, 50)), scope=LINE,
                        when="item.category == 'food'"),
             Rule("x", Effect(base_multiple="1"), scope=LINE))  # fmt: skip
    # food: 1050 x (1/100 + 1/50) = 31.5 -> 31; toys: 2075 / 100 -> 20
    assert points_by_rule(run(rules, BASKET))[-2:] == [("x", "a", 31), ("x", "b", 20)]


def test_a_tier_multiple_is_the_base_times_the_tier_multiplier_less_one() -> None:
    tiers = Tiers((TierLevel("basic", 0), TierLevel("vip", 100, "1.25")))
    rules = (BASE, Rule("t", Effect(tier_multiple=True)),
             Rule("ti", Effect(tier_multiple=True), scope=LINE))  # fmt: skip
    ruleset = Ruleset(rules, tiers=tiers)
    evaluation = run(ruleset, BASKET, CustomerContext(tier="vip"))
    # order 40 x 0.25 = 10; items 10 x 0.25 = 2.5 -> 2 and 20 x 0.25 = 5
    assert points_by_rule(evaluation)[1:] == [("t", None, 10), ("ti", "a", 2), ("ti", "b", 5)]
    assert run(ruleset, BASKET, CustomerContext(tier="basic")).points == 40


def test_flat_points_are_per_order_or_per_unit_of_quantity() -> None:
    rules = (Rule("o", Effect(flat=25)), Rule("i", Effect(flat=7), scope=LINE))
    # 25 once; 7 x 1 for a, 7 x 3 for b
    assert points_by_rule(run(rules, BASKET)) == [("o", None, 25), ("i", "a", 7), ("i", "b", 21)]


def test_a_multiplier_multiplies_everything_above_it() -> None:
    rules = (BASE, Rule("f", Effect(flat=1)),
             Rule("m", Effect(multiplier="2"), stacking=Stacking.MULTIPLY),
             Rule("n", Effect(multiplier="1.5"), stacking=Stacking.MULTIPLY),
             Rule("after", Effect(flat=5)))  # fmt: skip
    # 40 + 1 = 41; x2 adds 41; x1.5 adds 82 x 0.5 = 41; the flat 5 below is not multiplied
    assert points_by_rule(run(rules, BASKET)) == [
        ("base", None, 40), ("f", None, 1), ("m", None, 41), ("n", None, 41), ("after", None, 5),
    ]  # fmt: skip


def test_a_multiplier_below_one_is_refused() -> None:
    with pytest.raises(InvalidRuleset, match="a multiplier is at least 1: rules add points"):
        Effect(multiplier="0.5")
    assert Effect(multiplier="1").multiplier == "1"  # harmless: adds a line of 0


def test_cashback_is_credit_not_points() -> None:
    rules = (Rule("c", Effect(cashback_percent="1.5")),
             Rule("ci", Effect(cashback_percent="10"), scope=LINE))  # fmt: skip
    evaluation = run(rules, BASKET)
    # 4000 x 1.5% = 60; 1050 x 10% = 105; 2075 x 10% = 207.5 -> 207
    assert [(line.rule, line.item, line.points, line.credit) for line in evaluation.lines] == [
        ("c", None, 0, 60), ("ci", "a", 0, 105), ("ci", "b", 0, 207),
    ]  # fmt: skip
    assert (evaluation.points, evaluation.credit, evaluation.by_kind()) == (0, 372, {})


def test_a_matching_exclusive_rule_stops_the_rules_below_it() -> None:
    rules = (BASE,
             Rule("big", Effect(flat=50), stacking=Stacking.EXCLUSIVE,
                  when="order.amount >= 10000"),
             Rule("after", Effect(flat=5)))  # fmt: skip
    big = run(rules, purchase(amount=10_000))
    assert points_by_rule(big) == [("base", None, 100), ("big", None, 50)]
    small = run(rules, purchase(amount=9_999))
    assert points_by_rule(small) == [("base", None, 99), ("after", None, 5)]


def test_min_order_is_inclusive_and_counts_the_whole_order() -> None:
    rules = (Rule("min", Effect(flat=10), min_order=5_000),)
    assert run(rules, purchase(amount=4_999)).lines == ()
    assert run(rules, purchase(amount=5_000)).points == 10
    gift_card = Ruleset(rules, exclusions=Exclusions(categories=("gift_cards",)))
    assert run(gift_card, purchase(item("g", 5_000, "gift_cards"))).points == 10


def test_min_order_does_not_apply_to_engagements() -> None:
    rule = Rule("login", Effect(flat=5), event=EventKind.ENGAGEMENT, min_order=100)
    assert run((rule,), engagement("app_login")).points == 5


def test_validity_is_half_open() -> None:
    start, end = utc(2026, 6, 1), utc(2026, 6, 2)
    rules = (Rule("window", Effect(flat=10), valid_from=start, valid_until=end),)
    expected = {utc(2026, 5, 31, 23, 59, 59): 0, start: 10, utc(2026, 6, 1, 23, 59, 59): 10,
                end: 0}  # fmt: skip
    assert {at: run(rules, purchase(amount=100), at=at).points for at in expected} == expected


def test_rule_exclusions_skip_items_at_line_item_scope() -> None:
    rule = Rule("i", Effect(flat=1), scope=LINE,
                exclusions=Exclusions(categories=("toys",), skus=("c",)))  # fmt: skip
    order = purchase(item("a", 100, "food"), item("b", 100, "toys"), item("c", 100, "food"))
    assert points_by_rule(run((rule,), order)) == [("i", "a", 1)]


ALCOHOL = Exclusions(categories=("alcohol",))
WINE_AND_FOOD = purchase(item("a", 10_000, "food"), item("b", 5_000, "alcohol"), amount=16_000)


def test_rule_exclusions_take_items_out_of_an_order_rate_and_cashback() -> None:
    rules = (Rule("base", Effect(rate=RateEffect(1, 100)), exclusions=ALCOHOL),
             Rule("back", Effect(cashback_percent="10"), exclusions=ALCOHOL),
             Rule("x", Effect(base_multiple="1"), scope=LINE))  # fmt: skip
    evaluation = run(rules, WINE_AND_FOOD)
    # 16000 less the 5000 of alcohol: 110 points, 1100 credit; the item base of the
    # alcohol is 0 because the rate never reached it
    assert [(line.rule, line.item, line.points, line.credit) for line in evaluation.lines] == [
        ("base", None, 110, 0), ("back", None, 0, 1_100), ("x", "a", 100, 0), ("x", "b", 0, 0),
    ]  # fmt: skip


def test_rule_exclusions_take_items_out_of_an_order_base_multiple() -> None:
    tiers = Tiers((TierLevel("basic", 0), TierLevel("vip", 100, "2")))
    rules = (BASE, Rule("double", Effect(base_multiple="1"), exclusions=ALCOHOL),
             Rule("tier", Effect(tier_multiple=True), exclusions=ALCOHOL))  # fmt: skip
    order = purchase(item("a", 10_000, "food"), item("b", 5_000, "alcohol"))
    evaluation = run(Ruleset(rules, tiers=tiers), order, CustomerContext(tier="vip"))
    # base 150 on everything; the double and the tier extra on the food's 100 only
    assert points_by_rule(evaluation) == [
        ("base", None, 150), ("double", None, 100), ("tier", None, 100),
    ]  # fmt: skip


def test_ruleset_exclusions_take_items_out_of_every_rule_and_the_base() -> None:
    ruleset = Ruleset((BASE, Rule("i", Effect(flat=1), scope=LINE)),
                      exclusions=Exclusions(skus=("b",)))  # fmt: skip
    # the order is 4000 less b's 2075: base floor(19.25) = 19
    assert points_by_rule(run(ruleset, BASKET)) == [("base", None, 19), ("i", "a", 1)]


@pytest.mark.parametrize(
    ("rounding", "per_3_on_100", "per_3_on_200", "per_2_on_3"),
    # 100/3 = 33.33..., 200/3 = 66.66..., 3/2 = 1.5 exactly
    [(Rounding.FLOOR, 33, 66, 1), (Rounding.HALF_UP, 33, 67, 2), (Rounding.CEILING, 34, 67, 2)],
)
def test_rounding_rounds_each_line_once(
    rounding: Rounding, per_3_on_100: int, per_3_on_200: int, per_2_on_3: int
) -> None:
    def earned(per: int, amount: int) -> int:
        ruleset = Ruleset((Rule("r", Effect(rate=RateEffect(1, per))),), rounding=rounding)
        return run(ruleset, purchase(amount=amount)).points

    assert (earned(3, 100), earned(3, 200), earned(2, 3)) == (
        per_3_on_100, per_3_on_200, per_2_on_3,
    )  # fmt: skip
    assert rounding.apply(Fraction(7, 7)) == 1
    assert rounding.divide(0, 9) == 0


def test_a_breakdown_documents_its_lines() -> None:
    rules = (BASE, Rule("c", Effect(cashback_percent="1"), kind=LotKind.BONUS, scope=LINE))
    document = run(rules, purchase(item("a", 1_000, "food"))).document()
    assert document == {
        "ruleset_version": None, "tier": "", "points": 10, "credit": 10,
        "lines": [{"rule": "base", "kind": "earned", "points": 10},
                  {"rule": "c", "kind": "bonus", "points": 0, "credit": 10, "item": "a"}],
    }  # fmt: skip
