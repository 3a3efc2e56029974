"""Programme settings read strictly from JSON; results round-trip through documents."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from punchcard.domain.errors import InvalidProgramme, InvalidRequest
from punchcard.domain.loyalty.documents import from_document, programme_from_json, to_document
from punchcard.domain.loyalty.expiry import ExpiryRule, RoundTo
from punchcard.domain.loyalty.lots import LotStatus
from punchcard.domain.loyalty.programme import LotKind, NegativeBalancePolicy, default_programme
from punchcard.domain.loyalty.results import CreditedLot, EarnResult, LotView, RefundResult

NOW = datetime(2026, 3, 15, 9, 30, tzinfo=UTC)


def test_the_default_programme_round_trips() -> None:
    programme = default_programme()
    document = to_document(programme)
    assert programme_from_json(json.dumps(document)) == programme
    assert programme_from_json(document) == programme
    assert programme_from_json(json.dumps(document).encode()) == programme
    assert document["expiry"]["refunded_redemption"] == {  # type: ignore[index, call-overload]
        "months": 12, "days": 0, "round_to": "end_of_month", "never": False,
    }  # fmt: skip


def test_omitted_settings_take_their_defaults() -> None:
    programme = programme_from_json({"name": "tiny", "expiry": {"bonus": {"never": True}}})
    assert programme.name == "tiny"
    assert programme.expiry_rule(LotKind.BONUS) == ExpiryRule.no_expiry()
    assert programme.expiry_rule(LotKind.EARNED) == ExpiryRule.after(months=24)
    assert programme.negative_balance is NegativeBalancePolicy.CLAWBACK_FROM_FUTURE
    assert programme_from_json({"negative_balance": "write_off"}).negative_balance is (
        NegativeBalancePolicy.WRITE_OFF
    )


@pytest.mark.parametrize(
    ("document", "where"),
    [
        ({"colour": "blue"}, "colour: "),
        ({"earn_rate": {"points": 1, "value": 100, "per": 1}}, "earn_rate.per: "),
        ({"expiry": {"earned": {"months": 24, "weeks": 2}}}, "expiry.earned.weeks: "),
        ({"pending_days": 14.0}, "pending_days: "),
        ({"earn_rate": {"points": 1.5, "value": 100}}, "earn_rate.points: "),
        ({"expiry": {"earned": {"months": 1.0}}}, "expiry.earned.months: "),
        ({"engagement_points": {"app_login": 5.0}}, r"engagement_points.app_login: "),
        ({"pending_days": "14"}, "pending_days: "),
        ({"credit_precision": "2"}, "credit_precision: "),
        ({"pending_days": True}, "pending_days: "),
        ({"expiry": {"golden": {"months": 1}}}, r"expiry.golden.\[key\]: "),
        (
            {"expiry": {"earned": {"months": 1, "round_to": "end_of_week"}}},
            "expiry.earned.round_to: ",
        ),
        ({"negative_balance": "forgive"}, "negative_balance: "),
        ({"redemption_options": {"cashback": {"minimum": 5}}}, "redemption_options.cashback.rate"),
        ({"name": 7}, "name: "),
    ],
)
def test_bad_documents_name_the_field(document: dict[str, Any], where: str) -> None:
    with pytest.raises(InvalidProgramme, match=f"^programme settings: {where}"):
        programme_from_json(document)


def test_only_the_first_error_is_described() -> None:
    with pytest.raises(InvalidProgramme, match=r"\(and 1 more\)$"):
        programme_from_json({"colour": "blue", "pending_days": "x"})


def test_not_json_at_all() -> None:
    with pytest.raises(InvalidProgramme, match="programme settings: document: Invalid JSON"):
        programme_from_json("{not json")
    with pytest.raises(InvalidProgramme, match="programme settings"):
        programme_from_json("[]")


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"credit_asset": "PTS"}, "points and credit must be different assets"),
        ({"timezone": "Nowhere/Special"}, "unknown time zone"),
        ({"expiry": {"earned": {"never": True, "months": 3}}}, "either 'never' or a duration"),
        ({"earn_rate": {"points": 0, "value": 100}}, "a rate's points must be"),
    ],
)
def test_domain_rules_still_apply_to_documents(document: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidProgramme, match=message):
        programme_from_json(document)


def test_a_non_positive_setting_is_at_least_a_bad_request_naming_the_field() -> None:
    with pytest.raises(InvalidRequest, match=r"engagement_points\[app_login\]"):
        programme_from_json({"engagement_points": {"app_login": 0}})


@pytest.mark.parametrize(
    "document",
    [
        {"credit_precision": 19},
        {"engagement_points": {"app_login": 0}},
        {"redemption_options": {"cashback": {"rate": {"points": 1, "value": 1}, "minimum": 0}}},
        {"partners": {"skyways": {"asset": "miles"}}},
    ],
)
def test_every_bad_setting_is_an_invalid_programme(document: dict[str, Any]) -> None:
    with pytest.raises(InvalidProgramme):
        programme_from_json(document)


def test_results_round_trip_through_documents() -> None:
    earn = EarnResult(
        "cus_1", 125,
        (CreditedLot(7, LotKind.EARNED, 125, True, NOW, None, repaid=0, settled=5),),
        42, {"awards": [{"kind": "earned", "points": 125, "rule": "base_rate"}]},
    )  # fmt: skip
    document = to_document(earn)
    json.dumps(document)
    assert from_document(EarnResult, document) == earn
    refund = RefundResult(
        "o-1", "r-1", "cus_1", 500, 10, 0, 8, 2, NegativeBalancePolicy.WRITE_OFF, 0, None
    )
    assert from_document(RefundResult, to_document(refund)) == refund
    view = LotView(1, LotKind.BONUS, 10, 4, LotStatus.ACTIVE, NOW, NOW, NOW, 3)
    assert from_document(LotView, to_document(view)) == view
    assert to_document(ExpiryRule.after(days=3, round_to=RoundTo.END_OF_YEAR))["round_to"] == (
        "end_of_year"
    )
