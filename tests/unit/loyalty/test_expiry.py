"""Expiry math: calendar months clamp, rounding happens in the programme's zone, results are UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from punchcard.domain.errors import InvalidProgramme
from punchcard.domain.loyalty.expiry import ExpiryRule, RoundTo, add_months

PARIS = "Europe/Paris"
NEW_YORK = "America/New_York"


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (utc(2023, 1, 31), 1, utc(2023, 2, 28)),
        (utc(2024, 1, 31), 1, utc(2024, 2, 29)),
        (utc(2024, 2, 29), 12, utc(2025, 2, 28)),
        (utc(2024, 2, 29), 48, utc(2028, 2, 29)),
        (utc(2024, 3, 31), 1, utc(2024, 4, 30)),
        (utc(2024, 12, 15), 1, utc(2025, 1, 15)),
        (utc(2024, 11, 30), 14, utc(2026, 1, 30)),
        (utc(2024, 5, 17, 13, 45), 0, utc(2024, 5, 17, 13, 45)),
    ],
)
def test_add_months_clamps_the_day_to_the_target_month(
    start: datetime, months: int, expected: datetime
) -> None:
    assert add_months(start, months) == expected


@given(
    st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2200, 1, 1)),  # noqa: DTZ001
    st.integers(0, 1200),
)
def test_add_months_lands_in_the_right_month_never_past_the_day(
    start: datetime, months: int
) -> None:
    """The month index moves by exactly ``months``, the day only ever shrinks, time is kept."""
    later = add_months(start, months)
    assert later.year * 12 + later.month == start.year * 12 + start.month + months
    assert later.day <= start.day
    assert later.time() == start.time()


def test_a_plain_duration_keeps_the_wall_clock_in_the_programme_zone() -> None:
    """Across a DST change the UTC hour moves so the local hour does not."""
    issued = utc(2024, 1, 15, 12)  # 07:00 EST
    expires = ExpiryRule.after(months=6).expires_at(issued, NEW_YORK)
    assert expires == utc(2024, 7, 15, 11)  # 07:00 EDT
    assert expires is not None
    assert expires.astimezone(ZoneInfo(NEW_YORK)).hour == 7


def test_days_are_added_after_months() -> None:
    rule = ExpiryRule.after(months=1, days=1)
    assert rule.expires_at(utc(2024, 1, 31, 9), "UTC") == utc(2024, 3, 1, 9)


def test_the_docstring_example_rounds_to_the_first_instant_of_the_next_month() -> None:
    rule = ExpiryRule.after(months=24, round_to=RoundTo.END_OF_MONTH)
    assert rule.expires_at(utc(2024, 3, 15, 10), "UTC") == utc(2026, 4, 1)


MONTHLY = ExpiryRule.after(months=1, round_to=RoundTo.END_OF_MONTH)
YEARLY = ExpiryRule.after(days=1, round_to=RoundTo.END_OF_YEAR)


@pytest.mark.parametrize(
    ("issued", "zone", "rule", "expected"),
    [
        # 31 Mar 23:30 UTC is already 1 April in Paris: +1 month is May, whose end is CEST.
        (utc(2024, 3, 31, 23, 30), PARIS, MONTHLY, utc(2024, 5, 31, 22)),
        # DST ended on 27 Oct: 1 December 00:00 is CET (UTC+1).
        (utc(2024, 10, 10, 12), PARIS, MONTHLY, utc(2024, 11, 30, 23)),
        (utc(2024, 6, 1, 12), PARIS, YEARLY, utc(2024, 12, 31, 23)),
        # 1 Jan 03:00 UTC is still 31 Dec in New York; a day later is 1 Jan local.
        (utc(2025, 1, 1, 3), NEW_YORK, YEARLY, utc(2026, 1, 1, 5)),
        (utc(2024, 12, 30, 3), NEW_YORK, YEARLY, utc(2025, 1, 1, 5)),
        # DST ends 3 Nov 2024, so 1 Nov 00:00 is still EDT (UTC-4).
        (utc(2024, 9, 20, 12), NEW_YORK, MONTHLY, utc(2024, 11, 1, 4)),
        # DST starts 9 Mar 2025, so 1 Mar 00:00 is EST (UTC-5).
        (utc(2025, 1, 20, 12), NEW_YORK, MONTHLY, utc(2025, 3, 1, 5)),
    ],
)
def test_rounding_happens_at_local_midnight(
    issued: datetime, zone: str, rule: ExpiryRule, expected: datetime
) -> None:
    """End of month / year is the first instant of the next one, in the programme's zone."""
    expires = rule.expires_at(issued, zone)
    assert expires == expected
    assert expires is not None
    assert expires.utcoffset() == timedelta(0)
    local = expires.astimezone(ZoneInfo(zone))
    assert (local.day, local.hour, local.minute) == (1, 0, 0)


@given(
    st.datetimes(
        min_value=datetime(2000, 1, 1),  # noqa: DTZ001
        max_value=datetime(2100, 1, 1),  # noqa: DTZ001
        timezones=st.just(UTC),
    ),
    st.integers(0, 60),
    st.integers(0, 400),
    st.sampled_from(list(RoundTo)),
    st.sampled_from(["UTC", PARIS, NEW_YORK, "Asia/Tokyo", "Australia/Sydney"]),
)
def test_expiry_is_utc_and_never_before_issue(
    issued: datetime, months: int, days: int, round_to: RoundTo, zone: str
) -> None:
    if not months and not days:
        days = 1
    expires = ExpiryRule(months=months, days=days, round_to=round_to).expires_at(issued, zone)
    assert expires is not None
    assert expires.tzinfo is UTC
    assert expires > issued


def test_never_expires() -> None:
    assert ExpiryRule.no_expiry().expires_at(utc(2024, 1, 1), PARIS) is None
    assert ExpiryRule(never=True) == ExpiryRule.no_expiry()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"never": True, "months": 3}, "either 'never' or a duration"),
        ({"never": True, "days": 1}, "either 'never' or a duration"),
        ({"never": True, "round_to": RoundTo.END_OF_MONTH}, "either 'never' or a duration"),
        ({}, "at least one day"),
        ({"months": 0, "days": 0}, "at least one day"),
        ({"round_to": RoundTo.END_OF_YEAR}, "at least one day"),
        ({"months": -1}, "months must be an integer"),
        ({"months": True}, "months must be an integer"),
        ({"months": 1.0}, "months must be an integer"),
        ({"months": 1201}, "months must be an integer from 0 to 1200"),
        ({"days": -3}, "days must be an integer"),
        ({"days": 2.5}, "days must be an integer"),
        ({"days": 36_501}, "days must be an integer from 0 to 36500"),
    ],
)
def test_invalid_rules_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidProgramme, match=message):
        ExpiryRule(**kwargs)  # type: ignore[arg-type]


def test_an_unknown_rounding_is_an_invalid_programme() -> None:
    with pytest.raises(InvalidProgramme):
        ExpiryRule(months=1, round_to="end_of_week")  # type: ignore[arg-type]
