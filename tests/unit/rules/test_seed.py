"""The seed programme's arithmetic, worked by hand: base + category extra + tier extra
+ campaign bonus, each line floored once."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from punchcard.domain.loyalty.commands import LineItem
from punchcard.domain.loyalty.programme import LotKind
from punchcard.domain.rules.defaults import black_friday, default_ruleset
from punchcard.domain.rules.evaluation import CompiledRuleset
from punchcard.domain.rules.facts import CustomerContext
from tests.unit.rules.builders import AT, engagement, item, points_by_rule, purchase, run, utc

SEED = CompiledRuleset.of(default_ruleset())
Lines = list[tuple[str, str | None, int]]

# (tier, items, order amount or None for the items' sum, when, lines, total).
# Lines come in rule order: base, groceries, gas, dining, travel, tier, black_friday, holiday.
ORDERS: list[tuple[str, tuple[LineItem, ...], int | None, datetime, Lines, int]] = [
    # the article's example: 12599c -> base 125; gas 125 x 2 = 250; silver 125 x 0.5 = 62.5 -> 62
    ("silver", (item("gas-1", 12_599, "gas"),), None, AT,
     [("base", None, 125), ("category_gas", "gas-1", 250), ("tier", None, 62)], 437),
    # 4550c -> base 45; groceries 45 x 1 = 45; bronze 45 x 0 = 0
    ("bronze", (item("groc-1", 4_550, "groceries"),), None, AT,
     [("base", None, 45), ("category_groceries", "groc-1", 45), ("tier", None, 0)], 90),
    # 8000c -> base 80; dining 80 x 1 = 80; gold 80 x 1 = 80
    ("gold", (item("dine-1", 8_000, "dining"),), None, AT,
     [("base", None, 80), ("category_dining", "dine-1", 80), ("tier", None, 80)], 240),
    # 31040c -> base 310; travel 310 x 4 = 1240; platinum 310 x 2 = 620
    ("platinum", (item("trav-1", 31_040, "travel"),), None, AT,
     [("base", None, 310), ("category_travel", "trav-1", 1240), ("tier", None, 620)], 2170),
    # 4550 + 6099 + 1999 = 12648c -> base 126 (the items' own floors would give 124);
    # groceries floor(45.50) = 45 x 1; gas floor(60.99) = 60 x 2 = 120; silver 126 x 0.5 = 63
    ("silver",
     (item("groc-1", 4_550, "groceries"), item("gas-1", 6_099, "gas"),
      item("tv-1", 1_999, "electronics")), None, AT,
     [("base", None, 126), ("category_groceries", "groc-1", 45),
      ("category_gas", "gas-1", 120), ("tier", None, 63)], 354),
    # gift card 5000, shipping 599, tax 210 are not eligible: base floor(2000 / 100) = 20;
    # groceries 20 x 1 = 20; bronze 0
    ("bronze",
     (item("groc-1", 2_000, "groceries"), item("card-1", 5_000, "gift_cards"),
      item("ship", 599, "shipping"), item("tax", 210, "tax")), None, AT,
     [("base", None, 20), ("category_groceries", "groc-1", 20), ("tier", None, 0)], 40),
    # only a gift card: nothing is eligible, base 0, gold 0 x 1 = 0
    ("gold", (item("card-1", 10_000, "gift_cards"),), None, AT,
     [("base", None, 0), ("tier", None, 0)], 0),
    # no line items, 9999c -> base 99; platinum 99 x 2 = 198
    ("platinum", (), 9_999, AT, [("base", None, 99), ("tier", None, 198)], 297),
    # 5000c order with a 2000c gas item: base 50 on the whole order; gas 20 x 2 = 40
    ("bronze", (item("gas-1", 2_000, "gas"),), 5_000, AT,
     [("base", None, 50), ("category_gas", "gas-1", 40), ("tier", None, 0)], 90),
    # two gas items of 1050c: base floor(2100 / 100) = 21; each gas 10 x 2 = 20;
    # platinum 21 x 2 = 42
    ("platinum", (item("gas-1", 1_050, "gas"), item("gas-2", 1_050, "gas")), None, AT,
     [("base", None, 21), ("category_gas", "gas-1", 20), ("category_gas", "gas-2", 20),
      ("tier", None, 42)], 103),
    # 99c of groceries: base 0, groceries 0 x 1 = 0
    ("bronze", (item("groc-1", 99, "groceries"),), None, AT,
     [("base", None, 0), ("category_groceries", "groc-1", 0), ("tier", None, 0)], 0),
    # Black Friday (27 Nov UTC): base 40; gas 40 x 2 = 80; bronze 0; bonus 5 x 40 = 200
    ("bronze", (item("gas-1", 4_000, "gas"),), None, utc(2026, 11, 27, 15),
     [("base", None, 40), ("category_gas", "gas-1", 80), ("tier", None, 0),
      ("black_friday", None, 200)], 320),
    # Black Friday, gold: 2550 + 7475 = 10025c -> base 100; groceries 25 x 1 = 25;
    # gold 100 x 1 = 100; bonus 5 x 100 = 500
    ("gold", (item("groc-1", 2_550, "groceries"), item("tv-1", 7_475, "electronics")), None,
     utc(2026, 11, 27, 0, 0, 0),
     [("base", None, 100), ("category_groceries", "groc-1", 25), ("tier", None, 100),
      ("black_friday", None, 500)], 725),
    # one second before Black Friday: 40 + 80 + 0, no bonus
    ("bronze", (item("gas-1", 4_000, "gas"),), None, utc(2026, 11, 26, 23, 59, 59),
     [("base", None, 40), ("category_gas", "gas-1", 80), ("tier", None, 0)], 120),
    # the moment it ends (valid_until is exclusive): no bonus
    ("bronze", (item("gas-1", 4_000, "gas"),), None, utc(2026, 11, 28),
     [("base", None, 40), ("category_gas", "gas-1", 80), ("tier", None, 0)], 120),
    # holiday: base 30; dining 30 x 1 = 30; silver 30 x 0.5 = 15; bonus 2 x 30 = 60
    ("silver", (item("dine-1", 3_000, "dining"),), None, utc(2026, 12, 15, 18),
     [("base", None, 30), ("category_dining", "dine-1", 30), ("tier", None, 15),
      ("holiday", None, 60)], 135),
    # the last second of the holiday campaign: base 10; bonus 2 x 10 = 20
    ("bronze", (), 1_000, utc(2026, 12, 31, 23, 59, 59),
     [("base", None, 10), ("tier", None, 0), ("holiday", None, 20)], 30),
    # one second before December, and the first moment of 2027: base 10 only
    ("bronze", (), 1_000, utc(2026, 11, 30, 23, 59, 59),
     [("base", None, 10), ("tier", None, 0)], 10),
    ("bronze", (), 1_000, utc(2027, 1, 1), [("base", None, 10), ("tier", None, 0)], 10),
]  # fmt: skip


@pytest.mark.parametrize(("tier", "items", "amount", "at", "lines", "total"), ORDERS)
def test_the_seed_programme_earns_what_the_article_says(
    tier: str, items: tuple[LineItem, ...], amount: int | None, at: datetime, lines: Lines,
    total: int,
) -> None:  # fmt: skip
    evaluation = run(SEED, purchase(*items, amount=amount), CustomerContext(tier=tier), at=at)
    assert points_by_rule(evaluation) == lines
    assert sum(points for _, _, points in lines) == total  # the table adds up
    assert evaluation.points == total
    assert evaluation.tier == tier
    assert evaluation.credit == 0
    assert evaluation.skipped == {}


def test_campaign_bonuses_land_in_bonus_lots() -> None:
    evaluation = run(SEED, purchase(item("gas-1", 4_000, "gas")), at=utc(2026, 11, 27, 15))
    assert evaluation.by_kind() == {LotKind.EARNED: 120, LotKind.BONUS: 200}
    holiday = run(SEED, purchase(amount=1_000), CustomerContext(tier="gold"), at=utc(2026, 12, 2))
    assert holiday.by_kind() == {LotKind.EARNED: 20, LotKind.BONUS: 20}  # 10 + 10 | 2 x 10


@pytest.mark.parametrize(
    ("tier", "extra"),
    # base 200 on 20000c: bronze 200 x 0, silver 200 x 0.5, gold 200 x 1, platinum 200 x 2
    [("bronze", 0), ("silver", 100), ("gold", 200), ("platinum", 400)],
)
def test_each_tier_adds_its_multiplier_less_one_times_the_base(tier: str, extra: int) -> None:
    evaluation = run(SEED, purchase(amount=20_000), CustomerContext(tier=tier))
    assert points_by_rule(evaluation) == [("base", None, 200), ("tier", None, extra)]


def test_an_unknown_or_missing_tier_earns_as_the_first_tier() -> None:
    for tier in ("", "diamond"):
        evaluation = run(SEED, purchase(amount=20_000), CustomerContext(tier=tier))
        assert (evaluation.tier, evaluation.points) == ("bronze", 200)


def test_another_year_moves_the_campaigns() -> None:
    seed_2027 = CompiledRuleset.of(default_ruleset(2027))
    # base 10, holiday 2 x 10 = 20 in December 2027; December 2026 is outside it
    assert run(seed_2027, purchase(amount=1_000), at=utc(2027, 12, 2)).points == 30
    assert run(seed_2027, purchase(amount=1_000), at=utc(2026, 12, 2)).points == 10
    assert run(seed_2027, purchase(amount=1_000), at=utc(2026, 11, 27, 12)).points == 10


@pytest.mark.parametrize(
    ("year", "day"),
    # the day after the fourth Thursday: 2029's is the earliest possible, 2024's the latest
    [(2024, 29), (2025, 28), (2026, 27), (2027, 26), (2029, 23)],
)
def test_black_friday_is_the_day_after_thanksgiving(year: int, day: int) -> None:
    assert black_friday(year) == date(year, 11, day)
    rule = next(r for r in default_ruleset(year).rules if r.id == "black_friday")
    assert (rule.valid_from, rule.valid_until) == (utc(year, 11, day), utc(year, 11, day + 1))


def test_black_friday_follows_the_year() -> None:
    seed_2027 = CompiledRuleset.of(default_ruleset(2027))
    # Friday 26 Nov 2027: base 10 + bonus 5 x 10 = 60; Saturday 27 Nov: 10
    assert run(seed_2027, purchase(amount=1_000), at=utc(2027, 11, 26, 12)).points == 60
    assert run(seed_2027, purchase(amount=1_000), at=utc(2027, 11, 27, 12)).points == 10


@pytest.mark.parametrize(
    ("type", "points"),
    [("app_login", 5), ("review_written", 50), ("referral_completed", 1000), ("social_share", 10)],
)
def test_engagements_earn_flat_engagement_points(type: str, points: int) -> None:
    evaluation = run(SEED, engagement(type), CustomerContext(tier="platinum"))
    assert points_by_rule(evaluation) == [(f"engagement_{type}", None, points)]
    assert evaluation.by_kind() == {LotKind.ENGAGEMENT: points}  # no tier, no campaign


def test_an_unknown_engagement_earns_nothing() -> None:
    evaluation = run(SEED, engagement("birthday"), at=utc(2026, 11, 27, 12))
    assert (evaluation.lines, evaluation.points, evaluation.skipped) == ((), 0, {})
