"""The liability: points customers hold, by when they expire, valued at what each
lot was worth when it was issued, and what is left after expected breakage.

Buckets are by time to expiry from ``as_of``: within 30, 90 and 365 days, later,
and never. Value is exact: each lot's points times its value per point, summed
as fractions and rounded half up once per bucket.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fractions import Fraction

from punchcard.domain.loyalty.lots import Lot

BUCKETS = (("within_30_days", 30), ("within_90_days", 90), ("within_365_days", 365))


@dataclass(frozen=True, slots=True)
class Bucket:
    name: str
    points: int
    value: int
    """At issuance value, in the credit asset's minor unit."""


@dataclass
class Liability:
    as_of: datetime
    buckets: list[Bucket] = field(default_factory=list)
    held_points: int = 0
    """Reserved by open redemption holds (drawn from lots, still owed)."""
    held_value: int = 0
    expected_redemption_bp: int = 10_000
    """Of the points held, the share expected to be redeemed, in basis points."""

    @property
    def points(self) -> int:
        return sum(b.points for b in self.buckets) + self.held_points

    @property
    def value(self) -> int:
        return sum(b.value for b in self.buckets) + self.held_value

    @property
    def breakage_adjusted_value(self) -> int:
        """What the programme expects to pay: value x expected redemption rate."""
        return (2 * self.value * self.expected_redemption_bp + 10_000) // 20_000


def bucket_name(expires_at: datetime | None, as_of: datetime) -> str:
    if expires_at is None:
        return "never"
    for name, days in BUCKETS:
        if expires_at <= as_of + timedelta(days=days):
            return name
    return "later"


def _rounded(value: Fraction) -> int:
    return (2 * value.numerator + value.denominator) // (2 * value.denominator)


def liability(
    lots: Iterable[Lot],
    as_of: datetime,
    *,
    held: Iterable[tuple[int, Fraction]] = (),
    expected_redemption_bp: int = 10_000,
) -> Liability:
    """The liability of ``lots`` (open, active or pending), plus ``held`` points as
    (points, value per point) drawn by open holds."""
    points: dict[str, int] = {}
    value: dict[str, Fraction] = {}
    for lot in lots:
        name = bucket_name(lot.expires_at, as_of)
        per_point = Fraction(lot.point_value.value, lot.point_value.points)
        points[name] = points.get(name, 0) + lot.remaining
        value[name] = value.get(name, Fraction(0)) + lot.remaining * per_point
    names = [name for name, _ in BUCKETS] + ["later", "never"]
    report = Liability(as_of, expected_redemption_bp=expected_redemption_bp)
    report.buckets = [Bucket(n, points.get(n, 0), _rounded(value.get(n, Fraction(0))))
                      for n in names]  # fmt: skip
    held_value = Fraction(0)
    for count, per_point in held:
        report.held_points += count
        held_value += count * per_point
    report.held_value = _rounded(held_value)
    return report
