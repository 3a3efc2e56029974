"""The seed article's programme as a ruleset: the demo's rules and the default.

1 point per dollar; groceries x2, gas x3, dining x2, travel x5 (the extra on top
of the base); the tier multiplier (bronze x1, silver x1.5, gold x2, platinum x3
at 0 / 1,000 / 5,000 / 15,000 points earned in the last 12 months); Black Friday
x5 and holiday x2 as bonus points (the seed adds base x multiplier); engagement
rewards; gift cards, shipping and tax earn nothing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from punchcard.domain.loyalty.programme import LotKind
from punchcard.domain.rules.document import (
    Effect,
    EventKind,
    Exclusions,
    RateEffect,
    Rule,
    Ruleset,
    Scope,
    TierLevel,
    Tiers,
)

CATEGORY_EXTRA = {"groceries": "1", "gas": "2", "dining": "1", "travel": "4"}
ENGAGEMENT = {"app_login": 5, "review_written": 50, "referral_completed": 1000, "social_share": 10}


def black_friday(year: int) -> date:
    """The day after the fourth Thursday of November."""
    first = date(year, 11, 1)
    thursday = first + timedelta(days=(3 - first.weekday()) % 7 + 21)
    return thursday + timedelta(days=1)


def default_ruleset(year: int = 2026) -> Ruleset:
    categories = tuple(
        Rule(
            f"category_{name}",
            Effect(base_multiple=extra),
            scope=Scope.LINE_ITEM,
            when=f"item.category == '{name}'",
            description=f"{name} earn x{int(extra) + 1}: the base once more x{extra}",
        )
        for name, extra in CATEGORY_EXTRA.items()
    )
    engagement = tuple(
        Rule(
            f"engagement_{name}",
            Effect(flat=points),
            event=EventKind.ENGAGEMENT,
            when=f"event.type == '{name}'",
            kind=LotKind.ENGAGEMENT,
            description=f"{points} points for {name.replace('_', ' ')}",
        )
        for name, points in ENGAGEMENT.items()
    )
    return Ruleset(
        name="seed programme",
        rules=(
            Rule(
                "base",
                Effect(rate=RateEffect(points=1, per=100)),
                description="1 point per dollar of eligible spend",
            ),
            *categories,
            Rule(
                "tier", Effect(tier_multiple=True), description="the tier's multiplier on the base"
            ),
            Rule(
                "black_friday",
                Effect(base_multiple="5"),
                kind=LotKind.BONUS,
                valid_from=datetime.combine(black_friday(year), time(), UTC),
                valid_until=datetime.combine(black_friday(year) + timedelta(days=1), time(), UTC),
                description="Black Friday: 5 x the base as bonus points",
            ),
            Rule(
                "holiday",
                Effect(base_multiple="2"),
                kind=LotKind.BONUS,
                valid_from=datetime(year, 12, 1, tzinfo=UTC),
                valid_until=datetime(year + 1, 1, 1, tzinfo=UTC),
                description="December: 2 x the base as bonus points",
            ),
            *engagement,
        ),
        exclusions=Exclusions(categories=("gift_cards", "shipping", "tax")),
        tiers=Tiers(
            levels=(
                TierLevel("bronze", 0, "1"),
                TierLevel("silver", 1000, "1.5"),
                TierLevel("gold", 5000, "2"),
                TierLevel("platinum", 15000, "3"),
            )
        ),
    )
