"""The fixed-rate calculator: 1 point per whole dollar, fixed points per engagement type."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from punchcard.domain.errors import InvalidEvent
from punchcard.domain.loyalty.commands import Engagement, Purchase
from punchcard.domain.loyalty.earning import Award, Breakdown, fixed_rate
from punchcard.domain.loyalty.programme import LotKind, Programme, Rate, default_programme

PROGRAMME = default_programme()


def purchase(amount: int, currency: str = "USD") -> Purchase:
    return Purchase(tenant="acme", customer_id="cus_1", order_id="o-1", amount=amount,
                    currency=currency)  # fmt: skip


def engagement(type: str) -> Engagement:
    return Engagement(tenant="acme", customer_id="cus_1", event_id="e-1", type=type)


@pytest.mark.parametrize(
    ("cents", "points"), [(12_599, 125), (100, 1), (99, 0), (0, 0), (10_000_000, 100_000)]
)
def test_a_purchase_earns_one_point_per_whole_dollar(cents: int, points: int) -> None:
    breakdown = fixed_rate(PROGRAMME, purchase(cents))
    assert breakdown.awards == (Award(LotKind.EARNED, points, "base_rate"),)
    assert breakdown.points == points


def test_the_breakdown_says_why() -> None:
    breakdown = fixed_rate(PROGRAMME, purchase(12_599))
    assert breakdown.document() == {
        "awards": [{"kind": "earned", "points": 125, "rule": "base_rate"}],
        "calculator": "fixed_rate",
        "rate": {"points": 1, "per": 100},
        "eligible_amount": 12_599,
    }
    assert breakdown.by_kind() == {LotKind.EARNED: 125}
    assert fixed_rate(PROGRAMME, purchase(50)).by_kind() == {}


@given(st.integers(0, 10**15), st.integers(1, 1000), st.integers(1, 1000))
def test_purchases_earn_at_the_programme_rate_rounded_down(
    amount: int, points: int, per: int
) -> None:
    programme = replace(PROGRAMME, earn_rate=Rate(points, per))
    assert fixed_rate(programme, purchase(amount)).points == amount * points // per


def test_a_purchase_in_another_currency_is_refused() -> None:
    with pytest.raises(InvalidEvent, match=r"purchase currency EUR is not the programme's .* USD"):
        fixed_rate(PROGRAMME, purchase(1000, "EUR"))


@pytest.mark.parametrize(
    ("type", "points"),
    [("app_login", 5), ("review_written", 50), ("referral_completed", 1000), ("social_share", 10)],
)
def test_engagements_earn_what_the_programme_says(type: str, points: int) -> None:
    breakdown = fixed_rate(PROGRAMME, engagement(type))
    assert breakdown.awards == (Award(LotKind.ENGAGEMENT, points, f"engagement:{type}"),)
    assert breakdown.by_kind() == {LotKind.ENGAGEMENT: points}
    assert breakdown.detail == {"calculator": "fixed_rate"}


def test_an_unknown_engagement_lists_the_known_ones() -> None:
    known = "app_login, referral_completed, review_written, social_share"
    with pytest.raises(InvalidEvent, match=f"'birthday' earns nothing .*known: {known}"):
        fixed_rate(PROGRAMME, engagement("birthday"))
    with pytest.raises(InvalidEvent, match=r"known: none\)"):
        fixed_rate(Programme(), engagement("app_login"))


def test_breakdowns_add_awards_of_the_same_kind() -> None:
    breakdown = Breakdown(
        (Award(LotKind.EARNED, 10, "a"), Award(LotKind.BONUS, 5, "b"),
         Award(LotKind.EARNED, 3, "c"), Award(LotKind.BONUS, 0, "d")),
        {},
    )  # fmt: skip
    assert breakdown.points == 18
    assert breakdown.by_kind() == {LotKind.EARNED: 13, LotKind.BONUS: 5}
