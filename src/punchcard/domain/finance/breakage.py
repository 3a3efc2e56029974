"""Breakage under IFRS 15 (B39-B43) and ASC 606: revenue allocated to points is
recognised as the points are redeemed, in proportion to the redemptions the
entity expects in total, so the points never expected to be redeemed (breakage)
are recognised along with the ones that are.

At the end of each period the cumulative revenue recognised is

    allocated x cumulative redeemed / expected ultimate redemptions

(never more than allocated), and the period's revenue is that less what earlier
periods recognised. Revising the expectation changes only what is recognised
from then on. Amounts round half up to the minor unit, once per period, on the
cumulative figure, so rounding never accumulates.

IFRS 15 Illustrative Example 52 (customer loyalty programme): 10,000 points
issued, 9,000 of revenue allocated to them, 9,700 expected to be redeemed.
Year 1: 4,500 redeemed -> 9,000 x 4,500 / 9,700 = 4,175. Year 2: 8,500 redeemed
in all, expectation revised to 9,900 -> 9,000 x 8,500 / 9,900 = 7,727 cumulative,
7,727 - 4,175 = 3,552 in year 2.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from punchcard.domain.errors import InvalidRequest


@dataclass(frozen=True, slots=True)
class Period:
    label: str
    cumulative_redeemed: int
    """Points redeemed since issue, up to the end of this period."""
    expected_redemptions: int
    """The entity's estimate, at the end of this period, of all points it expects
    to be redeemed."""


@dataclass(frozen=True, slots=True)
class Recognition:
    label: str
    cumulative_redeemed: int
    expected_redemptions: int
    expected_rate_bp: int
    """Expected ultimate redemption rate, in basis points of the points issued."""
    cumulative_revenue: int
    revenue: int
    """Recognised in this period."""
    deferred: int
    """Allocated revenue not yet recognised (the contract liability)."""


def _round_half_up(numerator: int, denominator: int) -> int:
    return (2 * numerator + denominator) // (2 * denominator)


def recognise(issued: int, allocated: int, periods: Sequence[Period]) -> list[Recognition]:
    """Revenue recognised per period for ``issued`` points carrying ``allocated``
    revenue (minor units), given each period's cumulative redemptions and
    expectation."""
    if issued <= 0 or allocated < 0:
        raise InvalidRequest("issued points must be positive and allocated revenue non-negative")
    out: list[Recognition] = []
    recognised = 0
    redeemed_before = 0
    for period in periods:
        expected, redeemed = period.expected_redemptions, period.cumulative_redeemed
        if not 0 < expected <= issued:
            raise InvalidRequest(
                f"{period.label}: expected redemptions must be from 1 to the {issued} issued"
            )
        if not redeemed_before <= redeemed <= issued:
            raise InvalidRequest(
                f"{period.label}: cumulative redemptions must grow and stay within the issue"
            )
        cumulative = min(_round_half_up(allocated * min(redeemed, expected), expected), allocated)
        out.append(Recognition(
            period.label, redeemed, expected, _round_half_up(expected * 10_000, issued),
            cumulative, cumulative - recognised, allocated - cumulative,
        ))  # fmt: skip
        recognised, redeemed_before = cumulative, redeemed
    return out


def estimated_rate_bp(issued: int, redeemed: int, expired: int) -> int | None:
    """An expected ultimate redemption rate from history: of the points whose fate
    is known (redeemed or expired), the share redeemed, in basis points. None
    while nothing has been redeemed or expired."""
    settled = redeemed + expired
    if settled <= 0:
        return None
    return _round_half_up(redeemed * 10_000, settled)
