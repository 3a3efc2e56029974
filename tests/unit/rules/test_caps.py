"""Caps and budgets: a rule gives at most what its counters have left, clamping its
last lines first, and reports what to add to each counter."""

from __future__ import annotations

from datetime import date

import pytest

from punchcard.domain.rules.document import (
    Cap,
    Effect,
    Period,
    RateEffect,
    Rule,
    Scope,
    Stacking,
)
from punchcard.domain.rules.evaluation import limit_keys, period_key
from punchcard.domain.rules.facts import CustomerContext
from tests.unit.rules.builders import BASE, item, purchase, run, utc

TODAY = "day:2026-03-10"  # AT's date, a Tuesday
DAILY_50 = Rule("base", Effect(rate=RateEffect(1, 100)), caps=(Cap(Period.DAY, 50),))


def used(day: str, points: int) -> CustomerContext:
    """A customer who got ``points`` from rule ``base`` on ``day``."""
    return CustomerContext(usage={("base", day): points})


def test_a_daily_cap_clamps_the_rules_points_and_records_usage() -> None:
    evaluation = run((DAILY_50,), purchase(amount=8_000), used(TODAY, 40))
    (line,) = evaluation.lines
    assert (line.points, line.capped) == (10, 70)  # 80 wanted, 50 - 40 left
    assert evaluation.usage == {("base", TODAY): 10}
    assert evaluation.limited == frozenset({"base"})


def test_usage_of_another_day_does_not_count() -> None:
    evaluation = run((DAILY_50,), purchase(amount=3_000), used("day:2026-03-09", 50))
    assert (evaluation.points, evaluation.usage) == (30, {("base", TODAY): 30})


def test_a_spent_cap_gives_nothing_and_counts_nothing() -> None:
    evaluation = run((DAILY_50,), purchase(amount=3_000), used(TODAY, 60))
    assert [(line.points, line.capped) for line in evaluation.lines] == [(0, 30)]
    assert (evaluation.usage, evaluation.limited) == ({}, frozenset({"base"}))


def test_a_line_item_cap_clamps_the_last_line_first() -> None:
    rule = Rule("i", Effect(flat=30), scope=Scope.LINE_ITEM, caps=(Cap(Period.DAY, 70),))
    order = purchase(item("a", 100), item("b", 100), item("c", 100))
    evaluation = run((rule,), order, CustomerContext(usage={("i", TODAY): 20}))
    # 90 wanted, 50 left: c loses 30, b loses 10
    assert [(line.item, line.points, line.capped) for line in evaluation.lines] == [
        ("a", 30, 0), ("b", 20, 10), ("c", 0, 30),
    ]  # fmt: skip
    assert evaluation.usage == {("i", TODAY): 50}


@pytest.mark.parametrize(
    ("on", "period", "key"),
    [
        (date(2026, 3, 10), Period.DAY, "day:2026-03-10"),
        (date(2026, 3, 9), Period.WEEK, "week:2026-03-09"),  # a Monday starts its own week
        (date(2026, 3, 15), Period.WEEK, "week:2026-03-09"),  # Sunday belongs to Monday's week
        (date(2026, 1, 1), Period.WEEK, "week:2025-12-29"),  # across a year
        (date(2026, 3, 31), Period.MONTH, "month:2026-03-01"),
        (date(2026, 12, 31), Period.YEAR, "year:2026-01-01"),
        (date(2026, 12, 31), Period.LIFETIME, "lifetime"),
    ],
)
def test_period_keys_are_the_start_of_the_period(on: date, period: Period, key: str) -> None:
    assert period_key(period, on) == key


def test_limit_keys_name_every_counter_with_its_limit() -> None:
    rule = Rule("r", Effect(flat=1), budget=1_000,
                caps=(Cap(Period.WEEK, 300), Cap(Period.LIFETIME, 900)))  # fmt: skip
    assert list(limit_keys(rule, date(2026, 3, 15))) == [
        (("r", "week:2026-03-09"), 300), (("r", "lifetime"), 900), (("r", "budget"), 1_000),
    ]  # fmt: skip
    assert list(limit_keys(BASE, date(2026, 3, 15))) == []


def test_the_tightest_counter_wins_and_every_counter_counts() -> None:
    rule = Rule("r", Effect(flat=100), caps=(Cap(Period.WEEK, 300), Cap(Period.LIFETIME, 900)))
    usage = {("r", "week:2026-03-09"): 150, ("r", "lifetime"): 860}  # 150 and 40 left
    evaluation = run((rule,), purchase(amount=100), CustomerContext(usage=usage))
    assert evaluation.points == 40
    assert evaluation.usage == {("r", "week:2026-03-09"): 40, ("r", "lifetime"): 40}


def test_caps_of_different_periods_keep_separate_counters() -> None:
    rule = Rule("r", Effect(flat=30), caps=(Cap(Period.DAY, 50), Cap(Period.MONTH, 1_000)))
    keys = [key for key, _ in limit_keys(rule, date(2026, 1, 1))]
    assert len(set(keys)) == 2
    first = run((rule,), purchase(amount=100), at=utc(2026, 1, 1, 9))
    assert sorted(first.usage.values()) == [30, 30]
    second = run((rule,), purchase(amount=100), CustomerContext(usage=first.usage),
                 at=utc(2026, 1, 1, 18))  # fmt: skip
    assert second.points == 20  # the day cap's 50 less 30


def test_a_weekly_cap_counts_in_the_programmes_zone() -> None:
    rule = Rule("r", Effect(flat=5), caps=(Cap(Period.WEEK, 10),))
    # 02:00 UTC on Monday 9 March is still Sunday 8 March in New York: last week
    evaluation = run((rule,), purchase(amount=100), at=utc(2026, 3, 9, 2), zone="America/New_York")
    assert evaluation.usage == {("r", "week:2026-03-02"): 5}


def test_a_budget_of_n_with_n_less_ten_used_allows_ten() -> None:
    rule = Rule("launch", Effect(flat=25), budget=5_000)
    customer = CustomerContext(usage={("launch", "budget"): 4_990})
    evaluation = run((rule,), purchase(amount=100), customer)
    assert (evaluation.points, evaluation.lines[0].capped) == (10, 15)
    assert evaluation.usage == {("launch", "budget"): 10}


def test_a_lifetime_cap_across_two_events() -> None:
    rule = Rule("welcome", Effect(flat=300), caps=(Cap(Period.LIFETIME, 500),))
    first = run((rule,), purchase(amount=100))
    second = run((rule,), purchase(amount=100), CustomerContext(usage=first.usage))
    assert (first.points, second.points) == (300, 200)
    assert second.usage == {("welcome", "lifetime"): 200}


def test_a_multiplier_below_a_capped_rule_sees_the_capped_points() -> None:
    rules = (DAILY_50, Rule("x2", Effect(multiplier="2"), stacking=Stacking.MULTIPLY))
    evaluation = run(rules, purchase(amount=8_000))
    assert [line.points for line in evaluation.lines] == [50, 50]


def test_only_rules_that_applied_consult_their_counters() -> None:
    capped = Rule("r", Effect(flat=5), when="order.amount > 1000", caps=(Cap(Period.DAY, 10),))
    evaluation = run((BASE, capped), purchase(amount=500))
    assert (evaluation.limited, evaluation.usage) == (frozenset(), {})
    assert run((BASE, capped), purchase(amount=5_000)).limited == frozenset({"r"})
