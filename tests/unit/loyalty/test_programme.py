"""Programme settings validate on construction; rates are integer pairs that round down."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from punchcard.domain.errors import InvalidProgramme, InvalidRequest
from punchcard.domain.loyalty.expiry import ExpiryRule, RoundTo
from punchcard.domain.loyalty.programme import (
    LotKind,
    NegativeBalancePolicy,
    PartnerExchange,
    Programme,
    Rate,
    RedemptionOption,
    default_programme,
)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "name must be 1-200 characters"),
        ({"name": "x" * 201}, "name must be 1-200 characters"),
        ({"points_asset": "pts"}, "asset code 'pts'"),
        ({"credit_asset": ""}, "asset code ''"),
        ({"currency": "US DOLLAR"}, "asset code 'US DOLLAR'"),
        ({"credit_asset": "PTS"}, "points and credit must be different assets"),
        ({"timezone": "Mars/Olympus_Mons"}, "unknown time zone 'Mars/Olympus_Mons'"),
        ({"timezone": "../etc/passwd"}, "unknown time zone"),
        ({"timezone": ""}, "unknown time zone"),
        ({"pending_days": -1}, "pending_days must be from 0 to 365"),
        ({"pending_days": 366}, "pending_days must be from 0 to 365"),
        ({"pending_days": True}, "pending_days must be an integer"),
        ({"pending_days": 1.5}, "pending_days must be an integer"),
        ({"engagement_points": {"App Login": 5}}, "engagement type name 'App Login'"),
        ({"engagement_points": [("app_login", 5)]}, "engagement types must be a mapping"),
        ({"redemption_options": {"1st": RedemptionOption(Rate(1, 1))}}, "redemption option"),
        ({"partners": {"sky-ways": PartnerExchange("MILES")}}, "partner name 'sky-ways'"),
        ({"partners": {"skyways": PartnerExchange("PTS")}}, "partner asset PTS is already in use"),
        ({"partners": {"skyways": PartnerExchange("USD")}}, "partner asset USD is already in use"),
    ],
)
def test_bad_settings_are_refused(changes: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidProgramme, match=message) as caught:
        Programme(**changes)  # type: ignore[arg-type]
    assert caught.value.code == "invalid_programme"
    assert caught.value.http_status == 400


@pytest.mark.parametrize("points", [0, -5, 2.5, True])
def test_engagement_points_must_be_positive_integers(points: object) -> None:
    with pytest.raises(InvalidRequest, match=r"engagement_points\[app_login\]"):
        Programme(engagement_points={"app_login": points})  # type: ignore[dict-item]


@pytest.mark.parametrize("term", [0, -1, True, False, 1.0, "1", 10**12 + 1])
def test_rates_are_positive_integers(term: object) -> None:
    with pytest.raises(InvalidProgramme, match="points must be an integer from 1 to 10"):
        Rate(term, 1)  # type: ignore[arg-type]
    with pytest.raises(InvalidProgramme, match="value must be an integer from 1 to 10"):
        Rate(1, term)  # type: ignore[arg-type]


def test_rates_round_down() -> None:
    earn = Rate(1, 100)
    assert earn.points_for(12_599) == 125
    assert earn.points_for(99) == 0
    assert earn.value_of(3) == 300
    gift = Rate(90, 100)
    assert gift.value_of(1000) == 1111  # 1111.1...
    assert gift.points_for(1111) == 999  # 999.9
    assert Rate(3, 1).value_of(8) == 2


@given(st.integers(1, 10**6), st.integers(1, 10**6), st.integers(0, 10**12))
def test_rate_floors_lose_less_than_one_unit(points: int, value: int, amount: int) -> None:
    rate = Rate(points, value)
    worth, earns = rate.value_of(amount), rate.points_for(amount)
    assert worth * points <= amount * value < (worth + 1) * points
    assert earns * value <= amount * points < (earns + 1) * value


def test_the_default_programme_is_the_seed() -> None:
    p = default_programme()
    assert (p.points_asset, p.credit_asset, p.currency, p.timezone) == ("PTS", "USD", "USD", "UTC")
    assert p.earn_rate.points_for(100) == 1
    assert p.pending_days == 14
    assert p.negative_balance is NegativeBalancePolicy.CLAWBACK_FROM_FUTURE
    assert p.expiry_rule(LotKind.EARNED) == ExpiryRule.after(months=24)
    assert p.expiry_rule(LotKind.BONUS) == ExpiryRule.after(months=12)
    assert p.expiry_rule(LotKind.TRANSFERRED) == ExpiryRule.after(months=6)
    assert p.expiry_rule(LotKind.REFUNDED_REDEMPTION).round_to is RoundTo.END_OF_MONTH
    options = {name: (o.rate.points, o.rate.value, o.minimum)
               for name, o in p.redemption_options.items()}  # fmt: skip
    assert options == {
        "cashback": (100, 100, 2500),
        "gift_card": (90, 100, 1000),
        "product": (80, 100, 500),
        "donation": (110, 100, 1000),
    }
    assert p.redemption_options["cashback"].rate.value_of(100) == 100  # 100 points = $1
    assert p.engagement_points["review_written"] == 50
    assert p.partners["skyways"].asset == "MILES"


def test_every_lot_kind_has_an_expiry_rule_defaulting_to_24_months() -> None:
    p = Programme(expiry={"bonus": ExpiryRule.no_expiry()})  # type: ignore[dict-item]
    assert set(p.expiry) == set(LotKind)
    assert p.expiry_rule(LotKind.BONUS).never
    assert p.expiry_rule(LotKind.ADJUSTED) == ExpiryRule.after(months=24)


def test_settings_are_copied_so_the_caller_cannot_change_them_later() -> None:
    points = {"app_login": 5}
    p = Programme(engagement_points=points, negative_balance="write_off")  # type: ignore[arg-type]
    points["app_login"] = 500
    assert p.engagement_points == {"app_login": 5}
    assert p.negative_balance is NegativeBalancePolicy.WRITE_OFF
    assert replace(p, pending_days=3).engagement_points == {"app_login": 5}


@pytest.mark.parametrize(
    "changes",
    [{"negative_balance": "forgive"}, {"expiry": {"golden": ExpiryRule.after(months=1)}}],
)
def test_unknown_enum_values_are_an_invalid_programme(changes: dict[str, object]) -> None:
    with pytest.raises(InvalidProgramme):
        Programme(**changes)  # type: ignore[arg-type]
