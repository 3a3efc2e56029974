"""Which lots a debit draws from, in what order, and how a hold gives points back."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from punchcard.domain.loyalty.lots import Draw, Lot, LotStatus, plan_draws, plan_release, total
from punchcard.domain.loyalty.programme import LotKind, Rate

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
DAY = timedelta(days=1)


def lot(
    id: int,
    remaining: int = 100,
    *,
    expires_in: int | None = 30,
    issued_ago: int = 10,
    pending: bool = False,
) -> Lot:
    """A lot issued ``issued_ago`` days ago, expiring ``expires_in`` days from now (None: never)."""
    issued = NOW - issued_ago * DAY
    expires = None if expires_in is None else NOW + expires_in * DAY
    return Lot(
        id, "cus_1", LotKind.EARNED, max(remaining, 100), remaining, issued, issued, expires,
        Rate(1, 1), 1, None if pending else 1,
    )  # fmt: skip


def order(lots: list[Lot], amount: int, **kwargs: list[int]) -> list[int]:
    draws, _ = plan_draws(lots, amount, NOW, **kwargs)
    return [d.lot_id for d in draws]


def test_soonest_expiry_first_never_expiring_last() -> None:
    lots = [lot(1, expires_in=None), lot(2, expires_in=90), lot(3, expires_in=5)]
    assert order(lots, 300) == [3, 2, 1]


def test_ties_go_to_the_oldest_issue_then_the_lowest_id() -> None:
    lots = [lot(4, issued_ago=1), lot(3, issued_ago=1), lot(2, issued_ago=9), lot(1, issued_ago=5)]
    assert order(lots, 400) == [2, 1, 3, 4]
    never = [lot(7, expires_in=None, issued_ago=1), lot(8, expires_in=None, issued_ago=3)]
    assert order(never, 200) == [8, 7]


def test_pending_empty_and_expired_lots_are_not_spendable() -> None:
    lots = [
        lot(1, pending=True),
        lot(2, remaining=0),
        lot(3, expires_in=-1),
        lot(4, expires_in=0),  # expires_at is the first instant the points cannot be spent
        lot(5, remaining=40),
    ]
    draws, shortfall = plan_draws(lots, 100, NOW)
    assert draws == [Draw(5, 40)]
    assert shortfall == 60
    assert [x.status(NOW) for x in lots] == [
        LotStatus.PENDING, LotStatus.CLOSED, LotStatus.EXPIRING, LotStatus.EXPIRING,
        LotStatus.ACTIVE,
    ]  # fmt: skip


def test_first_then_and_the_rest() -> None:
    lots = [lot(1, expires_in=1), lot(2, expires_in=2), lot(3, expires_in=3), lot(4, expires_in=4)]
    assert order(lots, 400, first=[4]) == [4, 1, 2, 3]
    assert order(lots, 400, first=[4, 3], then=[2]) == [3, 4, 2, 1]


def test_a_draw_takes_only_what_is_needed() -> None:
    draws, shortfall = plan_draws([lot(1, 50), lot(2, 50, expires_in=60)], 70, NOW)
    assert draws == [Draw(1, 50), Draw(2, 20)]
    assert shortfall == 0
    assert plan_draws([lot(1)], 0, NOW) == ([], 0)


lots_strategy = st.lists(
    st.builds(
        lot,
        id=st.integers(1, 10**6),
        remaining=st.integers(0, 500),
        expires_in=st.none() | st.integers(-5, 400),
        issued_ago=st.integers(0, 800),
        pending=st.booleans(),
    ),
    max_size=15,
    unique_by=lambda x: x.id,
)


@given(lots_strategy, st.integers(0, 5000), st.randoms(use_true_random=False))
def test_draws_cover_what_they_can_and_nothing_more(
    lots: list[Lot], amount: int, rnd: random.Random
) -> None:
    draws, shortfall = plan_draws(lots, amount, NOW)
    by_id = {x.id: x for x in lots}
    spendable = sum(x.remaining for x in lots if x.spendable(NOW))
    assert total(draws) + shortfall == amount
    assert shortfall == max(0, amount - spendable)
    assert len({d.lot_id for d in draws}) == len(draws)
    for d in draws:
        assert by_id[d.lot_id].spendable(NOW)
        assert 0 < d.amount <= by_id[d.lot_id].remaining
    # Every lot but the last one drawn is emptied: the plan never skips ahead.
    assert all(d.amount == by_id[d.lot_id].remaining for d in draws[:-1])
    shuffled = lots[:]
    rnd.shuffle(shuffled)
    assert plan_draws(shuffled, amount, NOW) == (draws, shortfall)


@given(lots_strategy, st.integers(0, 5000), st.data())
def test_the_first_group_is_drawn_before_any_other(
    lots: list[Lot], amount: int, data: st.DataObject
) -> None:
    first = data.draw(st.sets(st.sampled_from([x.id for x in lots]))) if lots else set()
    draws, _ = plan_draws(lots, amount, NOW, first=first)
    flags = [d.lot_id in first for d in draws]
    assert flags == sorted(flags, reverse=True)


def test_release_gives_back_the_last_drawn_first() -> None:
    drawn = [Draw(1, 30), Draw(2, 50), Draw(3, 20)]
    assert plan_release(drawn, 20) == [Draw(3, 20)]
    assert plan_release(drawn, 45) == [Draw(3, 20), Draw(2, 25)]
    assert plan_release(drawn, 100) == [Draw(3, 20), Draw(2, 50), Draw(1, 30)]
    assert plan_release(drawn, 0) == []


@given(st.lists(st.integers(1, 1000), max_size=10), st.data())
def test_release_sums_exactly(amounts: list[int], data: st.DataObject) -> None:
    drawn = [Draw(i, a) for i, a in enumerate(amounts, start=1)]
    amount = data.draw(st.integers(0, sum(amounts)))
    releases = plan_release(drawn, amount)
    assert total(releases) == amount
    for release, draw in zip(releases, reversed(drawn), strict=False):
        assert release.lot_id == draw.lot_id
        assert 0 < release.amount <= draw.amount


def test_release_refuses_more_than_was_drawn() -> None:
    with pytest.raises(ValueError, match="cannot release 101: the hold drew only 100"):
        plan_release([Draw(1, 60), Draw(2, 40)], 101)
    with pytest.raises(ValueError, match="cannot release 1"):
        plan_release([], 1)
