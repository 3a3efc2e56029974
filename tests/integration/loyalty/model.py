"""The in-memory model the loyalty state machine checks the API against: every
lot, balance and order, and which operation must be refused with which error."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

import pytest
from hypothesis import strategies as st

from punchcard.domain import errors
from punchcard.domain.loyalty.lots import LotStatus
from punchcard.domain.loyalty.programme import (
    LotKind,
    NegativeBalancePolicy,
    Programme,
)
from punchcard.domain.loyalty.results import LotView
from tests.conftest import FakeClock

T = TypeVar("T")
OPTION = "product"  # 500 points at least; 80 points buy $1
PARTNER = "skyways"  # out: 2 points buy 1 mile; back: 1 mile buys 1 point
MAKER, CHECKER = "ops-maker", "ops-checker"


def hundreds(n: int) -> int:
    return n * 100


PURCHASES = st.integers(0, 3000).map(hundreds) | st.integers(0, 300_000)
"""Order amounts in cents: mostly whole dollars (a point per dollar), odd cents too."""

LotRow = tuple[LotKind, int, int, LotStatus, datetime, datetime | None, str | None]
Draws = list[tuple["ModelLot", int]]


@dataclass
class ModelLot:
    seq: int
    """Creation order, which the database's lot ids follow."""
    customer: int
    kind: LotKind
    amount: int
    remaining: int
    issued_at: datetime
    active_from: datetime
    expires_at: datetime | None
    pending: bool
    order_id: str | None

    def spendable(self, now: datetime) -> bool:
        unexpired = self.expires_at is None or self.expires_at > now
        return not self.pending and self.remaining > 0 and unexpired

    def status(self, now: datetime) -> LotStatus:
        if self.remaining == 0:
            return LotStatus.CLOSED
        if self.pending:
            return LotStatus.PENDING
        return LotStatus.ACTIVE if self.spendable(now) else LotStatus.EXPIRING

    def spending_order(self) -> tuple[bool, datetime, datetime, int]:
        if self.expires_at is None:
            return (True, self.issued_at, self.issued_at, self.seq)
        return (False, self.expires_at, self.issued_at, self.seq)

    def row(self, now: datetime) -> LotRow:
        return (self.kind, self.amount, self.remaining, self.status(now), self.active_from,
                self.expires_at, self.order_id)  # fmt: skip


def row(view: LotView) -> LotRow:
    return (view.kind, view.amount, view.remaining, view.status, view.active_from,
            view.expires_at, view.order_id)  # fmt: skip


@dataclass
class Holder:
    points: int = 0
    """Posted on the customer's points account (below zero by the deficit)."""
    held: int = 0
    pending: int = 0
    credit: int = 0
    deficit: int = 0
    debt: int = 0
    miles: int = 0

    @property
    def available(self) -> int:
        return self.points - self.held


@dataclass
class Order:
    customer: int
    amount: int
    earned: int
    redeemed: int = 0
    refunded: int = 0
    reversed: int = 0
    recredited: int = 0


@dataclass
class Hold:
    customer: int
    points: int
    draws: Draws
    expires_at: datetime
    order_id: str | None


@dataclass(frozen=True)
class RefundPlan:
    reversed: int
    cancelled: int
    shortfall: int
    recredited: int


@dataclass
class Model:
    programme: Programme
    clock: FakeClock
    holders: list[Holder]
    lots: list[ModelLot] = field(default_factory=list)
    orders: dict[str, Order] = field(default_factory=dict)
    holds: dict[int, Hold] = field(default_factory=dict)

    @property
    def now(self) -> datetime:
        return self.clock.now

    def lots_of(self, c: int) -> list[ModelLot]:
        return [lot for lot in self.lots if lot.customer == c]

    def spendable(self, c: int) -> int:
        return sum(lot.remaining for lot in self.lots_of(c) if lot.spendable(self.now))

    def expiring(self, c: int) -> int:
        return sum(lot.remaining for lot in self.lots_of(c)
                   if lot.status(self.now) is LotStatus.EXPIRING)  # fmt: skip

    def holding(self, c: int) -> bool:
        return any(hold.customer == c for hold in self.holds.values())

    def refusal(self, c: int, points: int) -> type[errors.PunchcardError] | None:
        """A debit needs that many spendable points and must not overdraw the balance."""
        enough = points <= self.spendable(c) and points <= self.holders[c].available
        return None if enough else errors.InsufficientPoints

    # -- credits and what is owed

    def credit(
        self,
        c: int,
        amount: int,
        kind: LotKind,
        *,
        pending_until: datetime | None = None,
        order_id: str | None = None,
    ) -> ModelLot | None:
        if amount <= 0:
            return None
        now, rule = self.now, self.programme.expiry_rule(kind)
        pending = pending_until is not None and pending_until > now
        lot = ModelLot(
            len(self.lots), c, kind, amount, amount, now, pending_until or now,
            rule.expires_at(now, self.programme.timezone), pending, order_id,
        )  # fmt: skip
        self.lots.append(lot)
        if pending:
            self.holders[c].pending += amount
        else:
            self.holders[c].points += amount
            lot.remaining -= self.pay_debts(c, amount)
        return lot

    def pay_debts(self, c: int, amount: int) -> int:
        """New spendable points repay a negative balance first, then a clawback debt."""
        holder = self.holders[c]
        repaid = min(holder.deficit, amount)
        settled = min(holder.debt, amount - repaid)
        holder.deficit -= repaid
        holder.debt -= settled
        holder.points -= settled
        return repaid + settled

    def owe(self, c: int, shortfall: int) -> None:
        holder, policy = self.holders[c], self.programme.negative_balance
        if policy is NegativeBalancePolicy.ALLOW_NEGATIVE:
            holder.points -= shortfall
            holder.deficit += shortfall
        elif policy is NegativeBalancePolicy.CLAWBACK_FROM_FUTURE:
            holder.debt += shortfall

    # -- debits

    def draw(
        self, c: int, amount: int, *, first: Collection[int] = (), then: Collection[int] = ()
    ) -> tuple[Draws, int]:
        """Take from spendable lots, soonest expiry first (within ``first``, then
        ``then``, then the rest); returns the draws and the shortfall."""

        def key(lot: ModelLot) -> tuple[int, bool, datetime, datetime, int]:
            return (0 if lot.seq in first else 1 if lot.seq in then else 2, *lot.spending_order())

        draws: Draws = []
        left = amount
        for lot in sorted((lot for lot in self.lots_of(c) if lot.spendable(self.now)), key=key):
            take = min(lot.remaining, left)
            if take:
                lot.remaining -= take
                draws.append((lot, take))
                left -= take
        return draws, left

    def debit(self, c: int, amount: int) -> Draws:
        draws, shortfall = self.draw(c, amount)
        assert shortfall == 0
        self.holders[c].points -= amount
        return draws

    def resolve(self, hold_id: int, captured: int) -> None:
        """Capture ``captured`` of a hold and give the rest back to the lots it drew,
        last drawn first; what comes back repays what the customer owes first."""
        hold = self.holds.pop(hold_id)
        holder = self.holders[hold.customer]
        holder.held -= hold.points
        holder.points -= captured
        left = hold.points - captured
        for lot, took in reversed(hold.draws):
            give = min(took, left)
            lot.remaining += give - self.pay_debts(hold.customer, give)
            left -= give
        if hold.order_id is not None:
            self.orders[hold.order_id].redeemed += captured

    def refund(self, order_id: str, amount: int) -> RefundPlan:
        """Give back points redeemed on the order as a new lot, cancel the order's pending
        points, take the rest from its own lots, the new lot, then any; owe the shortfall."""
        order = self.orders[order_id]
        c, refunded = order.customer, order.refunded + amount
        reverse = max(order.earned * refunded // order.amount - order.reversed, 0)
        recredit = max(order.redeemed * refunded // order.amount - order.recredited, 0)
        own = [lot for lot in self.lots_of(c) if lot.order_id == order_id]
        new = self.credit(c, recredit, LotKind.REFUNDED_REDEMPTION, order_id=order_id)
        cancelled = 0
        for lot in own:
            if lot.pending:
                take = min(lot.remaining, reverse - cancelled)
                lot.remaining -= take
                cancelled += take
        self.holders[c].pending -= cancelled
        then = () if new is None else (new.seq,)
        _, shortfall = self.draw(c, reverse - cancelled, first={lot.seq for lot in own}, then=then)
        self.holders[c].points -= reverse - cancelled - shortfall
        self.owe(c, shortfall)
        order.refunded, order.reversed, order.recredited = (
            refunded, order.reversed + reverse, order.recredited + recredit
        )  # fmt: skip
        return RefundPlan(reverse, cancelled, shortfall, recredit)

    # -- sweeps

    def time_out_holds(self) -> None:
        for hold_id, hold in list(self.holds.items()):
            if hold.expires_at <= self.now:
                self.resolve(hold_id, 0)

    def activate(self) -> None:
        for lot in self.lots:  # in creation order, as the sweep goes by lot id
            if lot.pending and lot.remaining and lot.active_from <= self.now:
                holder = self.holders[lot.customer]
                holder.pending -= lot.remaining
                holder.points += lot.remaining
                lot.pending = False
                lot.remaining -= self.pay_debts(lot.customer, lot.remaining)

    def expire(self) -> None:
        for lot in self.lots:
            if lot.status(self.now) is LotStatus.EXPIRING:
                self.holders[lot.customer].points -= lot.remaining
                lot.remaining = 0


def attempt(refusal: type[errors.PunchcardError] | None, call: Callable[[], T]) -> T | None:
    """Make the call; when the model expects a refusal it must be that error."""
    if refusal is None:
        return call()
    with pytest.raises(refusal):
        call()
    return None
