"""Refund shares: cumulative floors, so partial refunds add up to exactly one full refund."""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from punchcard.domain.errors import RefundExceedsOrder
from punchcard.domain.loyalty.refunds import OrderTotals, RefundShare, share


def refund_all(order: OrderTotals, parts: list[int]) -> tuple[OrderTotals, list[RefundShare]]:
    """Apply refunds one after another, as the refund use case records them."""
    shares = []
    for part in parts:
        s = share(order, part)
        shares.append(s)
        order = replace(
            order,
            refunded=order.refunded + part,
            reversed=order.reversed + s.reverse,
            recredited=order.recredited + s.recredit,
        )
    return order, shares


def test_a_full_refund_reverses_everything() -> None:
    assert share(OrderTotals(12_599, 125, 40), 12_599) == RefundShare(125, 40)


def test_a_partial_refund_rounds_down() -> None:
    # 125 * 5_000 / 12_599 = 49.6..., 40 * 5_000 / 12_599 = 15.8...
    assert share(OrderTotals(12_599, 125, 40), 5_000) == RefundShare(49, 15)


def test_shares_are_taken_on_the_cumulative_amount() -> None:
    """Three refunds of a third: 33, then 33 (66 in all), then the remaining 34."""
    order, shares = refund_all(OrderTotals(300, 100, 0), [100, 100, 100])
    assert [s.reverse for s in shares] == [33, 33, 34]
    assert order.reversed == 100


def test_many_one_cent_refunds_do_not_lose_points_to_rounding() -> None:
    order, shares = refund_all(OrderTotals(7, 10, 3), [1] * 7)
    assert [s.reverse for s in shares] == [1, 1, 2, 1, 2, 1, 2]
    assert (order.reversed, order.recredited) == (10, 3)


def test_refunds_may_not_exceed_the_order() -> None:
    with pytest.raises(RefundExceedsOrder, match=r"refunds would total 101, more than .* 100"):
        share(OrderTotals(100, 10, 0), 101)
    with pytest.raises(RefundExceedsOrder, match=r"\(60 already refunded\)"):
        share(OrderTotals(100, 10, 0, refunded=60, reversed=6), 41)
    assert share(OrderTotals(100, 10, 0, refunded=60, reversed=6), 40) == RefundShare(4, 0)


def test_an_order_of_amount_zero_cannot_be_refunded() -> None:
    with pytest.raises(RefundExceedsOrder) as caught:
        share(OrderTotals(0, 0, 0), 1)
    assert caught.value.code == "refund_exceeds_order"
    assert caught.value.http_status == 422


def test_an_order_that_earned_nothing_reverses_nothing() -> None:
    assert share(OrderTotals(500, 0, 0), 250) == RefundShare(0, 0)


@st.composite
def partitioned_orders(draw: st.DrawFn) -> tuple[OrderTotals, list[int]]:
    amount = draw(st.integers(1, 10**9))
    cuts = draw(st.sets(st.integers(1, amount - 1), max_size=12)) if amount > 1 else set()
    bounds = [0, *sorted(cuts), amount]
    parts = [b - a for a, b in pairwise(bounds)]
    earned = draw(st.integers(0, 10**9))
    redeemed = draw(st.integers(0, 10**9))
    return OrderTotals(amount, earned, redeemed), parts


@given(partitioned_orders())
def test_partial_refunds_add_up_to_the_order(case: tuple[OrderTotals, list[int]]) -> None:
    """Whatever the split, the refunds reverse exactly ``earned`` and recredit ``redeemed``,
    and after each one no more than a single refund of the running total would have."""
    start, parts = case
    running = 0
    order = start
    for part in parts:
        running += part
        order, _ = refund_all(order, [part])
        single = share(start, running)
        assert 0 <= order.reversed <= single.reverse
        assert 0 <= order.recredited <= single.recredit
        assert (order.reversed, order.recredited) == (single.reverse, single.recredit)
    assert (order.reversed, order.recredited) == (start.earned, start.redeemed)
    with pytest.raises(RefundExceedsOrder):
        share(order, 1)


@given(st.integers(1, 10**6), st.integers(0, 10**6), st.integers(1, 10**6))
def test_one_refund_never_exceeds_its_proportion(amount: int, earned: int, refund: int) -> None:
    order = OrderTotals(amount, earned, 0)
    if refund > amount:
        with pytest.raises(RefundExceedsOrder):
            share(order, refund)
    else:
        reverse = share(order, refund).reverse
        assert reverse * amount <= earned * refund < (reverse + 1) * amount
