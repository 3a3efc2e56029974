"""Lots: every credit of points to a customer, and the order debits consume them in.

A debit consumes active lots soonest expiry first (lots that never expire last),
then oldest issue first, then lowest id, so two runs over the same lots always
choose the same draws. A lot's ``remaining`` is its amount minus its draws plus
what holds released back to it; it never leaves [0, amount].
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from punchcard.domain.loyalty.programme import LotKind, Rate


class DrawReason(StrEnum):
    REDEEM = "redeem"
    HOLD = "hold"
    CONVERT = "convert"
    TRANSFER = "transfer"
    EXCHANGE = "exchange"
    EXPIRE = "expire"
    REFUND = "refund"
    CANCEL = "cancel"
    """A pending lot's points taken back because its order was refunded before activation."""
    ADJUST = "adjust"
    REPAY = "repay"
    """A new lot repaying a negative balance (allow_negative policy); no posting moves."""
    SETTLE = "settle"
    """A new lot settling a clawback debt (clawback_from_future policy)."""
    RELEASE = "release"
    """Points a hold had drawn, given back to the lot by a void, expiry or partial capture."""


class LotStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    EXPIRING = "expiring"
    """Past its expiry, waiting for the expiry sweep; no longer spendable."""
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class Lot:
    id: int
    customer_id: str
    kind: LotKind
    amount: int
    remaining: int
    issued_at: datetime
    active_from: datetime
    expires_at: datetime | None
    point_value: Rate
    transaction_id: int
    activated_by: int | None
    order_id: str | None = None

    @property
    def pending(self) -> bool:
        return self.activated_by is None

    def spendable(self, now: datetime) -> bool:
        return (
            not self.pending
            and self.remaining > 0
            and (self.expires_at is None or self.expires_at > now)
        )

    def status(self, now: datetime) -> LotStatus:
        if self.remaining == 0:
            return LotStatus.CLOSED
        if self.pending:
            return LotStatus.PENDING
        if self.expires_at is not None and self.expires_at <= now:
            return LotStatus.EXPIRING
        return LotStatus.ACTIVE


@dataclass(frozen=True, slots=True)
class Draw:
    lot_id: int
    amount: int


def spending_order(lot: Lot) -> tuple[bool, datetime, datetime, int]:
    never = lot.expires_at is None
    return (never, lot.issued_at if never else lot.expires_at, lot.issued_at, lot.id)  # type: ignore[return-value]


def plan_draws(
    lots: Iterable[Lot],
    amount: int,
    now: datetime,
    *,
    first: Collection[int] = (),
    then: Collection[int] = (),
) -> tuple[list[Draw], int]:
    """Draws covering ``amount`` from spendable lots, and the shortfall they leave.

    Lots whose ids are in ``first`` are drawn before all others, then those in
    ``then`` (a refund takes back its own order's points first, then the points it
    re-credits), each group in spending order.
    """

    if amount < 0:
        raise ValueError(f"cannot draw a negative amount ({amount})")

    def group(lot: Lot) -> int:
        return 0 if lot.id in first else 1 if lot.id in then else 2

    spendable = sorted(
        (lot for lot in lots if lot.spendable(now)),
        key=lambda lot: (group(lot), *spending_order(lot)),
    )
    draws: list[Draw] = []
    left = amount
    for lot in spendable:
        if left == 0:
            break
        take = min(lot.remaining, left)
        draws.append(Draw(lot.id, take))
        left -= take
    return draws, left


def plan_release(drawn: Sequence[Draw], amount: int) -> list[Draw]:
    """Give ``amount`` back to the lots a hold drew from, last drawn first, so what
    stays captured is what the hold would have spent first."""
    releases: list[Draw] = []
    left = amount
    for draw in reversed(drawn):
        if left == 0:
            break
        give = min(draw.amount, left)
        releases.append(Draw(draw.lot_id, give))
        left -= give
    if left:
        raise ValueError(f"cannot release {amount}: the hold drew only {amount - left}")
    return releases


def total(draws: Iterable[Draw]) -> int:
    return sum(d.amount for d in draws)
