"""Tier arithmetic: which tier a qualifying measure earns, the window it is measured
over, and what a periodic review does under each downgrade policy.

A customer moves up the moment an earn takes their measure over a higher
threshold. Moving down happens only in a review, and only once the tier has been
held for a whole period plus the grace days: ``end_of_period`` drops straight to
the tier the measure now earns, ``one_per_period`` drops one tier at most,
``never`` keeps the tier.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from punchcard.domain.loyalty.expiry import add_months
from punchcard.domain.rules.document import Downgrade, TierLevel, Tiers


def earned_tier(tiers: Tiers, measure: int) -> TierLevel:
    """The highest tier whose threshold the measure reaches."""
    chosen = tiers.levels[0]
    for level in tiers.levels:
        if measure >= level.threshold:
            chosen = level
    return chosen


def rank(tiers: Tiers, name: str) -> int:
    for index, level in enumerate(tiers.levels):
        if level.name == name:
            return index
    return 0


def window_start(tiers: Tiers, as_of: datetime, zone: str) -> datetime:
    """Where the qualifying window that ends at ``as_of`` starts."""
    local = as_of.astimezone(ZoneInfo(zone))
    if tiers.rolling_months:
        return add_months(local, -tiers.rolling_months)
    return local.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)


def upgrade(tiers: Tiers, current: str, measure: int) -> str | None:
    """The tier to move up to after an earn, or None to stay."""
    earned = earned_tier(tiers, measure)
    return earned.name if rank(tiers, earned.name) > rank(tiers, current) else None


def review_due(tiers: Tiers, since: datetime, as_of: datetime, zone: str) -> bool:
    """A tier held since ``since`` may be reviewed once a whole period and the grace
    days have passed: a rolling window's length, or the end of the calendar year
    after the one it was reached in (a tier reached in March 2026 holds through 2027)."""
    local = since.astimezone(ZoneInfo(zone))
    if tiers.rolling_months:
        period_end = add_months(local, tiers.rolling_months)
    else:
        period_end = local.replace(
            year=local.year + 2, month=1, day=1, hour=0, minute=0, second=0, microsecond=0
        )
    return as_of >= period_end + timedelta(days=tiers.grace_days)


def review(tiers: Tiers, current: str, measure: int) -> str | None:
    """The tier after a due review, or None to stay (never up: earns do that)."""
    earned = rank(tiers, earned_tier(tiers, measure).name)
    held = rank(tiers, current)
    if tiers.downgrade is Downgrade.NEVER or earned >= held:
        return None
    if tiers.downgrade is Downgrade.ONE_PER_PERIOD:
        return tiers.levels[held - 1].name
    return tiers.levels[earned].name
