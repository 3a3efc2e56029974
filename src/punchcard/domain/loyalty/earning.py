"""How many points an event earns, and why: the breakdown stored on the earn.

Until the rules engine decides, a programme earns at one fixed rate on the order
total (``Programme.earn_rate``, rounded down) and a fixed number of points per
engagement type. A calculator is a pure function, so the rules engine replaces
it without touching the earn use case.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from punchcard.domain.errors import InvalidEvent
from punchcard.domain.loyalty.commands import Engagement, Purchase
from punchcard.domain.loyalty.programme import LotKind, Programme
from punchcard.domain.validation import JsonValue


@dataclass(frozen=True, slots=True)
class Award:
    kind: LotKind
    points: int
    rule: str


@dataclass(frozen=True, slots=True)
class Breakdown:
    awards: tuple[Award, ...]
    detail: dict[str, JsonValue]
    credit: int = 0
    """Cashback, in the credit asset's minor unit."""

    @property
    def points(self) -> int:
        return sum(a.points for a in self.awards)

    def by_kind(self) -> dict[LotKind, int]:
        totals: dict[LotKind, int] = {}
        for award in self.awards:
            if award.points > 0:
                totals[award.kind] = totals.get(award.kind, 0) + award.points
        return totals

    def document(self) -> dict[str, JsonValue]:
        return {
            "awards": [{"kind": a.kind.value, "points": a.points, "rule": a.rule}
                       for a in self.awards],
            **self.detail,
        }  # fmt: skip


Calculator = Callable[[Programme, Purchase | Engagement], Breakdown]


def fixed_rate(programme: Programme, event: Purchase | Engagement) -> Breakdown:
    if isinstance(event, Purchase):
        if event.currency != programme.currency:
            raise InvalidEvent(
                f"purchase currency {event.currency} is not the programme's currency "
                f"{programme.currency}"
            )
        rate = programme.earn_rate
        earned = rate.points_for(event.amount)
        return Breakdown(
            (Award(LotKind.EARNED, earned, "base_rate"),),
            {"calculator": "fixed_rate", "rate": {"points": rate.points, "per": rate.value},
             "eligible_amount": event.amount},
        )  # fmt: skip
    points = programme.engagement_points.get(event.type)
    if points is None:
        known = ", ".join(sorted(programme.engagement_points)) or "none"
        raise InvalidEvent(
            f"engagement type {event.type!r} earns nothing in this programme (known: {known})"
        )
    return Breakdown(
        (Award(LotKind.ENGAGEMENT, points, f"engagement:{event.type}"),),
        {"calculator": "fixed_rate"},
    )
