"""Breakage under IFRS 15: Illustrative Example 52 to the unit, and the arithmetic's
properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from punchcard.domain.errors import InvalidRequest
from punchcard.domain.finance.breakage import Period, estimated_rate_bp, recognise


def test_ifrs_15_illustrative_example_52_exactly() -> None:
    """10,000 points, 9,000 allocated, 97% expected; 4,500 then 8,500 redeemed with the
    expectation revised to 9,900: 4,175 then 3,552 recognised."""
    year_1, year_2 = recognise(
        issued=10_000, allocated=9_000,
        periods=[Period("year 1", 4_500, 9_700), Period("year 2", 8_500, 9_900)],
    )  # fmt: skip
    assert (year_1.revenue, year_1.cumulative_revenue, year_1.expected_rate_bp) == (
        4_175,
        4_175,
        9_700,
    )
    assert (year_2.revenue, year_2.cumulative_revenue, year_2.expected_rate_bp) == (
        3_552,
        7_727,
        9_900,
    )
    assert year_2.deferred == 9_000 - 7_727


def test_all_expected_points_redeemed_recognises_everything_allocated() -> None:
    (done,) = recognise(issued=1_000, allocated=500, periods=[Period("p", 900, 900)])
    assert (done.cumulative_revenue, done.deferred) == (500, 0)
    (over,) = recognise(issued=1_000, allocated=500, periods=[Period("p", 950, 900)])
    assert over.cumulative_revenue == 500  # never more than allocated


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(InvalidRequest):
        recognise(issued=0, allocated=1, periods=[])
    with pytest.raises(InvalidRequest, match="expected redemptions"):
        recognise(issued=10, allocated=1, periods=[Period("p", 1, 11)])
    with pytest.raises(InvalidRequest, match="must grow"):
        recognise(issued=10, allocated=1, periods=[Period("a", 5, 9), Period("b", 4, 9)])


@given(
    issued=st.integers(1, 10**9),
    allocated=st.integers(0, 10**9),
    steps=st.lists(st.tuples(st.integers(0, 100), st.integers(1, 100)), min_size=1, max_size=6),
)
def test_cumulative_revenue_never_exceeds_allocated_and_periods_add_up(
    issued: int, allocated: int, steps: list[tuple[int, int]]
) -> None:
    periods, redeemed = [], 0
    for n, (more, expected_pct) in enumerate(steps):
        redeemed = min(issued, redeemed + issued * more // 100)
        periods.append(Period(f"p{n}", redeemed, max(1, issued * expected_pct // 100)))
    result = recognise(issued=issued, allocated=allocated, periods=periods)
    assert all(0 <= r.cumulative_revenue <= allocated for r in result)
    assert sum(r.revenue for r in result) == result[-1].cumulative_revenue
    assert all(r.deferred == allocated - r.cumulative_revenue for r in result)


def test_a_redemption_rate_estimated_from_history() -> None:
    assert estimated_rate_bp(issued=10_000, redeemed=0, expired=0) is None
    assert estimated_rate_bp(issued=10_000, redeemed=9_700, expired=300) == 9_700
