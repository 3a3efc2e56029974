"""Shaping programme analytics, without a database."""

from __future__ import annotations

from datetime import UTC, date, datetime

from punchcard.domain.finance.analytics import (
    CampaignCost,
    Category,
    basis_points,
    campaign_costs,
    daily,
    local_days,
    tier_distribution,
    top_categories,
)


def test_basis_points_round_half_up_and_say_when_there_is_nothing_to_divide() -> None:
    assert basis_points(1, 3) == 3333
    assert basis_points(2, 3) == 6667
    assert basis_points(1, 20_000) == 1  # half a basis point rounds up
    assert basis_points(0, 5) == 0
    assert basis_points(5, 0) is None


def test_days_are_local_and_every_one_is_listed() -> None:
    start = datetime(2026, 3, 28, 23, 0, tzinfo=UTC)  # 29 March in Paris, DST that night
    end = datetime(2026, 3, 31, 22, 0, tzinfo=UTC)  # midnight in Paris: 31 March is the last
    days = local_days(start, end, "Europe/Paris")
    assert days == [date(2026, 3, 29), date(2026, 3, 30), date(2026, 3, 31)]
    shaped = daily([(date(2026, 3, 30), 10, 4)], days)
    assert [(d.issued, d.redeemed) for d in shaped] == [(0, 0), (10, 4), (0, 0)]


def test_members_never_moved_hold_the_lowest_level() -> None:
    rows = [(None, 3), ("silver", 2), ("bronze", 1), ("retired", 1)]
    assert tier_distribution(rows, ["bronze", "silver", "gold"]) == {
        "bronze": 4, "silver": 2, "gold": 0, "retired": 1,
    }  # fmt: skip
    assert tier_distribution([(None, 5)], []) == {"": 5}


def test_categories_rank_by_points_then_spend() -> None:
    spend = [("gas", 2, 500), ("dining", 1, 900), (None, 1, 50), ("books", 1, 10)]
    points = [("gas", 300), ("dining", 300), ("travel", 40)]
    assert top_categories(spend, points) == [
        Category("dining", 1, 900, 300), Category("gas", 2, 500, 300),
        Category("travel", 0, 0, 40), Category(None, 1, 50, 0), Category("books", 1, 10, 0),
    ]  # fmt: skip


def test_campaign_cost_sums_each_value_exactly_and_rounds_once() -> None:
    rows = [
        ("base", 1, 2, 1, 3, 2),  # 1 point at 2/3 of a cent
        ("base", 1, 1, 1, 3, 2),  # and another: 4/3 in all, rounds to 1
        ("holiday", 2, 1, 10, 1, 1),
        ("base_rate", None, 1, 7, 1, 1),
    ]
    assert campaign_costs(rows) == [
        CampaignCost("holiday", 2, 1, 10, 10),
        CampaignCost("base_rate", None, 1, 7, 7),
        CampaignCost("base", 1, 3, 2, 1),
    ]
