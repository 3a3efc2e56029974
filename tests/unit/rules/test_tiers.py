"""Tier arithmetic: the tier a measure earns, upgrades on earn, the qualifying window,
and reviews under each downgrade policy."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from punchcard.domain.rules.defaults import default_ruleset
from punchcard.domain.rules.document import Downgrade, Tiers
from punchcard.domain.rules.tiers import (
    earned_tier,
    rank,
    review,
    review_due,
    upgrade,
    window_start,
)
from tests.unit.rules.builders import utc


def seed_tiers() -> Tiers:
    tiers = default_ruleset().tiers
    assert tiers is not None
    return tiers


SEED = seed_tiers()
NAMES = [level.name for level in SEED.levels]  # bronze, silver, gold, platinum at 0/1k/5k/15k
NEW_YORK = "America/New_York"


@pytest.mark.parametrize(
    ("measure", "tier"),
    [(0, "bronze"), (999, "bronze"), (1_000, "silver"), (4_999, "silver"), (5_000, "gold"),
     (14_999, "gold"), (15_000, "platinum"), (10**12, "platinum")],
)  # fmt: skip
def test_the_highest_threshold_reached_is_the_tier(measure: int, tier: str) -> None:
    assert earned_tier(SEED, measure).name == tier


@pytest.mark.parametrize(
    ("current", "measure", "expected"),
    [
        ("silver", 5_000, "gold"),
        ("silver", 20_000, "platinum"),  # straight past gold
        ("silver", 4_999, None),
        ("gold", 1_000, None),  # an earn never moves anyone down
        ("bronze", 0, None),
        ("", 1_000, "silver"),  # no tier yet counts as the first
        ("retired_tier", 0, None),
    ],
)
def test_an_earn_only_ever_moves_up(current: str, measure: int, expected: str | None) -> None:
    assert upgrade(SEED, current, measure) == expected


def test_a_rolling_window_starts_that_many_months_back_clamped() -> None:
    assert window_start(SEED, utc(2026, 3, 15, 12), "UTC") == utc(2025, 3, 15, 12)
    one_month = replace(SEED, rolling_months=1)
    assert window_start(one_month, utc(2026, 3, 31, 8), "UTC") == utc(2026, 2, 28, 8)


def test_a_calendar_year_window_starts_on_1_january_in_the_programmes_zone() -> None:
    calendar = replace(SEED, rolling_months=0)
    assert window_start(calendar, utc(2026, 7, 15, 9), "UTC") == utc(2026, 1, 1)
    # 03:00 UTC on 1 January 2026 is still 31 December 2025 in New York (UTC-5)
    start = window_start(calendar, utc(2026, 1, 1, 3), NEW_YORK)
    assert start == datetime(2025, 1, 1, tzinfo=ZoneInfo(NEW_YORK)) == utc(2025, 1, 1, 5)


def test_a_rolling_review_is_due_a_window_and_the_grace_days_after() -> None:
    tiers = replace(SEED, grace_days=30)
    since = utc(2025, 3, 15, 10)
    due = utc(2026, 3, 15, 10) + timedelta(days=30)  # 14 April 2026, 10:00
    assert not review_due(tiers, since, due - timedelta(seconds=1), "UTC")
    assert review_due(tiers, since, due, "UTC")
    assert review_due(replace(tiers, grace_days=0), since, utc(2026, 3, 15, 10), "UTC")


def test_a_calendar_year_review_waits_at_least_for_the_year_to_end() -> None:
    calendar = replace(SEED, rolling_months=0, grace_days=10)
    since = utc(2026, 3, 15)
    assert not review_due(calendar, since, utc(2026, 12, 31, 23), "UTC")
    assert review_due(calendar, since, utc(2028, 1, 11), "UTC")


def test_a_calendar_year_tier_is_held_through_the_next_year() -> None:
    calendar = replace(SEED, rolling_months=0)
    since = utc(2026, 3, 15)
    assert not review_due(calendar, since, utc(2027, 6, 1), "UTC")
    assert review_due(calendar, since, utc(2028, 1, 1), "UTC")


@pytest.mark.parametrize(
    ("downgrade", "held", "measure", "expected"),
    [
        (Downgrade.NEVER, "platinum", 0, None),
        (Downgrade.END_OF_PERIOD, "platinum", 1_200, "silver"),  # straight to what it earns
        (Downgrade.END_OF_PERIOD, "platinum", 0, "bronze"),
        (Downgrade.END_OF_PERIOD, "platinum", 15_000, None),  # kept
        (Downgrade.END_OF_PERIOD, "silver", 20_000, None),  # reviews never move up
        (Downgrade.ONE_PER_PERIOD, "platinum", 0, "gold"),  # one step at most
        (Downgrade.ONE_PER_PERIOD, "silver", 0, "bronze"),
        (Downgrade.ONE_PER_PERIOD, "gold", 5_000, None),
        (Downgrade.END_OF_PERIOD, "", 0, None),  # nothing below the first tier
    ],
)
def test_a_review_under_each_policy(
    downgrade: Downgrade, held: str, measure: int, expected: str | None
) -> None:
    assert review(replace(SEED, downgrade=downgrade), held, measure) == expected


@given(
    st.sampled_from(list(Downgrade)),
    st.sampled_from(NAMES),
    st.integers(0, 30_000),
)
def test_upgrades_only_raise_and_reviews_only_lower(
    downgrade: Downgrade, held: str, measure: int
) -> None:
    tiers = replace(SEED, downgrade=downgrade)
    up, down = upgrade(tiers, held, measure), review(tiers, held, measure)
    assert up is None or rank(tiers, up) > rank(tiers, held)
    assert down is None or rank(tiers, held) - 1 >= rank(tiers, down) >= 0
    if down is not None:
        assert rank(tiers, earned_tier(tiers, measure).name) < rank(tiers, held)
    assert up is None or down is None
