"""Programme analytics over a period: what was issued and redeemed each day, the
redemption rate, active members, the tier distribution, the top categories and
what each campaign cost.

Shaping only: the figures come in as rows read from the journal, the lots, the
orders and the earns' breakdowns, and leave as one report. Rates are basis points
of exact ratios rounded half up; values are in the credit asset's minor unit, at
each earn's lot value per point, summed exactly and rounded once per figure.

- **Issued** is points earned (``program:issuance`` to a customer), **redeemed**
  points redeemed or captured (a customer to ``program:redeemed``), both gross:
  a refund's clawback and a refunded redemption are not netted here (the
  roll-forward has them). The redemption rate is redeemed / issued in the period.
- **Active members** earned or redeemed at least once in the period; **members**
  are the customers enrolled before its end.
- **Tiers** are as of the period's end: each member's latest tier change before
  it, or the lowest level of the ruleset then active for a member never moved.
- **Categories**: an earn's breakdown names the item (sku) of each line a
  line-item rule gave; the order's items, with their categories, are kept in the
  inputs of every earn a ruleset rated. Points of order-level rules (the base
  rate, the tier, order campaigns) name no item and are reported apart, not
  spread over categories; an order rated at the fixed rate keeps no items.
- **Campaign cost** is the points each rule awarded, per ruleset version (``None``
  for the programme's fixed rate), gross of later refunds, and their value.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

from punchcard.domain.finance.rollforward import rounded


@dataclass(frozen=True, slots=True)
class Day:
    day: date
    """In the programme's time zone."""
    issued: int
    redeemed: int


@dataclass(frozen=True, slots=True)
class Category:
    category: str | None
    """None for items sent without a category."""
    orders: int
    spend: int
    """What the category's items cost, in the purchase currency's minor unit."""
    points: int
    """Points line-item rules gave on the category's items."""


@dataclass(frozen=True, slots=True)
class CampaignCost:
    rule: str
    ruleset_version: int | None
    earns: int
    points: int
    value: int


@dataclass
class Analytics:
    start: datetime
    end: datetime
    timezone: str
    value_asset: str
    days: list[Day] = field(default_factory=list)
    members: int = 0
    active_members: int = 0
    tiers: dict[str, int] = field(default_factory=dict)
    """Members per tier, lowest level first ("" when the programme has no tiers)."""
    categories: list[Category] = field(default_factory=list)
    """By points, then spend, then name."""
    purchase_points: int = 0
    """All points earned on purchases in the period."""
    orders: int = 0
    spend: int = 0
    unitemised_orders: int = 0
    """Orders with no line items kept (none sent, or rated at the fixed rate)."""
    campaigns: list[CampaignCost] = field(default_factory=list)
    """By points, then rule and version."""

    @property
    def issued(self) -> int:
        return sum(d.issued for d in self.days)

    @property
    def redeemed(self) -> int:
        return sum(d.redeemed for d in self.days)

    @property
    def redemption_rate_bp(self) -> int | None:
        return basis_points(self.redeemed, self.issued)

    @property
    def active_bp(self) -> int | None:
        return basis_points(self.active_members, self.members)

    @property
    def order_level_points(self) -> int:
        """Purchase points no line-item rule gave: not attributed to a category."""
        return self.purchase_points - sum(c.points for c in self.categories)


def basis_points(part: int, whole: int) -> int | None:
    """``part / whole`` in basis points, half up; None when ``whole`` is 0."""
    return None if whole == 0 else rounded(Fraction(part * 10_000, whole))


def local_days(start: datetime, end: datetime, zone: str) -> list[date]:
    """Every local date from ``start``'s to the last instant before ``end``'s."""
    tz = ZoneInfo(zone)
    first = start.astimezone(tz).date()
    last = (end - timedelta(microseconds=1)).astimezone(tz).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def daily(rows: Iterable[tuple[date, int, int]], days: Sequence[date]) -> list[Day]:
    """Rows (day, issued, redeemed) as one Day per date of ``days``, zeros included."""
    found = {day: (issued, redeemed) for day, issued, redeemed in rows}
    return [Day(d, *found.get(d, (0, 0))) for d in days]


def tier_distribution(
    rows: Iterable[tuple[str | None, int]], levels: Sequence[str]
) -> dict[str, int]:
    """Rows (tier as of the end, or None if never moved, members) by tier: members
    never moved hold the lowest level ("" without tiers)."""
    base = levels[0] if levels else ""
    counts: dict[str, int] = dict.fromkeys(levels, 0)
    for tier, members in rows:
        name = base if tier is None else tier
        counts[name] = counts.get(name, 0) + members
    rank = {name: n for n, name in enumerate(levels)}
    return dict(sorted(counts.items(), key=lambda kv: (rank.get(kv[0], len(rank)), kv[0])))


def top_categories(
    spend: Iterable[tuple[str | None, int, int]], points: Iterable[tuple[str | None, int]]
) -> list[Category]:
    """Rows (category, orders, spend) and (category, points) as categories, most
    points first."""
    figures: dict[str | None, list[int]] = {}
    for category, orders, amount in spend:
        figures[category] = [orders, amount, 0]
    for category, earned in points:
        figures.setdefault(category, [0, 0, 0])[2] += earned
    found = [Category(c, *f) for c, f in figures.items()]
    return sorted(found, key=lambda c: (-c.points, -c.spend, c.category is None, c.category or ""))


def campaign_costs(
    rows: Iterable[tuple[str, int | None, int, int, int, int]],
) -> list[CampaignCost]:
    """Rows (rule, ruleset version, earns, points, value points, value minor), one per
    value per point, as one cost per rule and version."""
    totals: dict[tuple[str, int | None], tuple[int, int, Fraction]] = {}
    for rule, version, earns, points, value_points, value_minor in rows:
        n, p, v = totals.get((rule, version), (0, 0, Fraction(0)))
        totals[rule, version] = n + earns, p + points, v + Fraction(points * value_minor,
                                                                    value_points)  # fmt: skip
    costs = [CampaignCost(rule, version, n, p, rounded(v))
             for (rule, version), (n, p, v) in totals.items()]  # fmt: skip
    return sorted(costs, key=lambda c: (-c.points, c.rule, c.ruleset_version or 0))
