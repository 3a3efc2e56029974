"""Velocity rules: when a customer's activity looks like abuse, a person looks first.

A redemption that would take the customer past the redemptions or points
allowed in 24 hours, or that is at least the high-value threshold, does not
complete: it becomes a hold pending review, which an approver captures or
voids. Earnings are checked by a periodic scan: more than the points allowed
in an hour flags the customer for review. The seed article's limits (10
redemptions or 50,000 points redeemed in 24 h, 10,000 points earned in 1 h) are
the example; a programme turns the rules on by setting them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from punchcard.domain import validation
from punchcard.domain.errors import InvalidProgramme
from punchcard.domain.loyalty.expiry import SETTINGS_DOCUMENT


@dataclass(frozen=True, slots=True)
class VelocityRules:
    __pydantic_config__: ClassVar[dict[str, object]] = SETTINGS_DOCUMENT

    max_redemptions_per_day: int | None = None
    max_redeemed_points_per_day: int | None = None
    review_redemptions_from: int | None = None
    """Any single redemption of at least this many points is reviewed."""
    max_earned_points_per_hour: int | None = None
    review_days: int = 7
    """How long a redemption waits for review before its hold expires."""

    def __post_init__(self) -> None:
        for name in ("max_redemptions_per_day", "max_redeemed_points_per_day",
                     "review_redemptions_from", "max_earned_points_per_hour"):  # fmt: skip
            value = getattr(self, name)
            if value is not None:
                validation.amount(value, what=name)
        if isinstance(self.review_days, bool) or not 1 <= self.review_days <= 30:
            raise InvalidProgramme("review_days must be from 1 to 30")

    @classmethod
    def seed(cls) -> VelocityRules:
        """The limits of the seed article."""
        return cls(max_redemptions_per_day=10, max_redeemed_points_per_day=50_000,
                   review_redemptions_from=10_000, max_earned_points_per_hour=10_000)  # fmt: skip


def redemption_reasons(
    rules: VelocityRules, *, points: int, count_24h: int, points_24h: int
) -> list[str]:
    """Why a redemption of ``points`` needs review, given the customer's last 24 h."""
    reasons = []
    if rules.review_redemptions_from is not None and points >= rules.review_redemptions_from:
        threshold = rules.review_redemptions_from
        reasons.append(f"high value: {points:,} points (review from {threshold:,})")
    if rules.max_redemptions_per_day is not None and count_24h + 1 > rules.max_redemptions_per_day:
        reasons.append(
            f"{count_24h + 1} redemptions in 24 h (at most {rules.max_redemptions_per_day})"
        )
    limit = rules.max_redeemed_points_per_day
    if limit is not None and points_24h + points > limit:
        reasons.append(f"{points_24h + points:,} points redeemed in 24 h (at most {limit:,})")
    return reasons


def earning_reason(rules: VelocityRules, earned_last_hour: int) -> str | None:
    limit = rules.max_earned_points_per_hour
    if limit is None or earned_last_hour <= limit:
        return None
    return f"{earned_last_hour:,} points earned in 1 h (at most {limit:,})"


@dataclass(frozen=True, slots=True)
class Review:
    id: int
    kind: str
    """``redemption`` (a hold waiting for a decision) or ``earning`` (a flag)."""
    customer_id: str
    hold_id: int | None
    points: int
    reasons: tuple[str, ...]
    status: str
    created_at: datetime
    decided_by: str | None = None
    decided_at: datetime | None = None
    note: str | None = None
    requested_by: str | None = None
    """Who asked for the redemption under review (None for the earnings scan's
    flags): the one key that may not decide it."""
    replayed: bool = False


@dataclass(frozen=True, slots=True)
class Monitor:
    id: int
    name: str
    measure: str
    """``programme_liability`` (points customers hold) or ``customer_balance``."""
    customer_id: str | None
    threshold: int
    tripped: bool


@dataclass(frozen=True, slots=True)
class Alert:
    id: int
    kind: str
    subject: str
    detail: dict[str, object]
    raised_at: datetime
