"""When a lot expires: a duration from its issue time, optionally rounded up to the
end of that month or year in the programme's time zone.

``expires_at`` is the first instant at which the points can no longer be spent.
A lot issued on 15 March 2024 with 24 months rounded to the end of the month
expires at 1 April 2026, 00:00 in the programme's zone.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import ClassVar, TypeVar
from zoneinfo import ZoneInfo

from punchcard.domain.errors import InvalidProgramme

MAX_MONTHS = 1200
SETTINGS_DOCUMENT: dict[str, object] = {"extra": "forbid", "strict": True}
"""How pydantic reads programme settings: unknown fields and floats are errors."""
MAX_DAYS = 36_500


class RoundTo(StrEnum):
    NONE = "none"
    END_OF_MONTH = "end_of_month"
    END_OF_YEAR = "end_of_year"


@dataclass(frozen=True, slots=True)
class ExpiryRule:
    """``months`` plus ``days`` after issue, rounded by ``round_to``; ``never`` keeps
    the points until they are spent."""

    __pydantic_config__: ClassVar[dict[str, object]] = SETTINGS_DOCUMENT

    months: int = 0
    days: int = 0
    round_to: RoundTo = RoundTo.NONE
    never: bool = False

    def __post_init__(self) -> None:
        for name, value, most in (
            ("months", self.months, MAX_MONTHS),
            ("days", self.days, MAX_DAYS),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= most:
                raise InvalidProgramme(f"expiry {name} must be an integer from 0 to {most}")
        object.__setattr__(self, "round_to", setting(RoundTo, self.round_to, "expiry round_to"))
        if self.never and (self.months or self.days or self.round_to is not RoundTo.NONE):
            raise InvalidProgramme("an expiry rule is either 'never' or a duration, not both")
        if not self.never and not (self.months or self.days):
            raise InvalidProgramme("an expiry duration must be at least one day (or never)")

    @classmethod
    def after(
        cls, *, months: int = 0, days: int = 0, round_to: RoundTo = RoundTo.NONE
    ) -> ExpiryRule:
        return cls(months=months, days=days, round_to=round_to)

    @classmethod
    def no_expiry(cls) -> ExpiryRule:
        return cls(never=True)

    def expires_at(self, issued_at: datetime, zone: str) -> datetime | None:
        if self.never:
            return None
        tz = ZoneInfo(zone)
        local = add_months(issued_at.astimezone(tz), self.months) + timedelta(days=self.days)
        if self.round_to is RoundTo.END_OF_MONTH:
            local = _first_of_next_month(local)
        elif self.round_to is RoundTo.END_OF_YEAR:
            local = local.replace(
                year=local.year + 1, month=1, day=1, hour=0, minute=0, second=0, microsecond=0
            )
        return local.astimezone(UTC)


E = TypeVar("E", bound=StrEnum)


def setting(enum: type[E], value: object, what: str) -> E:
    """An enum member from a setting's value, or an InvalidProgramme naming the choices."""
    try:
        return enum(value)  # type: ignore[arg-type]  # any value: a bad one is the error
    except ValueError:
        choices = ", ".join(member.value for member in enum)
        raise InvalidProgramme(f"{what} {value!r} is not one of: {choices}") from None


def add_months(moment: datetime, months: int) -> datetime:
    """Calendar months later, the day clamped to the target month (31 Jan + 1 = 28/29 Feb)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def _first_of_next_month(moment: datetime) -> datetime:
    start = add_months(moment.replace(day=1), 1)
    return start.replace(hour=0, minute=0, second=0, microsecond=0)
