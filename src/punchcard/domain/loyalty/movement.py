"""Everything one loyalty operation writes, planned in memory before any of it is.

A use case reads the customers and lots it needs (under the customers' locks),
then builds a ``Movement``: the postings of one ledger transaction, the draws on
existing lots, the lots to create, and the customers' new debts. Credits repay
a negative balance first and then settle a clawback debt, so "future earnings
repay it first" holds for every kind of credit.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from punchcard.domain.errors import InsufficientPoints
from punchcard.domain.loyalty import accounts
from punchcard.domain.loyalty.lots import Draw, DrawReason, Lot, plan_draws, total
from punchcard.domain.loyalty.programme import LotKind, NegativeBalancePolicy, Programme
from punchcard.domain.model import Posting


@dataclass(frozen=True, slots=True)
class CustomerState:
    id: str
    external_ref: str
    deficit: int = 0
    """Points owed as a negative balance (allow_negative)."""
    debt: int = 0
    """Points owed in the clawback account (clawback_from_future)."""
    version: int = 0
    """Bumped by the sweeps and whenever deficit or debt change; it keys the sweeps'
    transactions, so each is unique per customer."""


@dataclass(frozen=True, slots=True)
class NewLot:
    customer_id: str
    kind: LotKind
    amount: int
    issued_at: datetime
    active_from: datetime
    expires_at: datetime | None
    pending: bool
    repaid: int = 0
    settled: int = 0
    order_id: str | None = None

    @property
    def remaining(self) -> int:
        return self.amount - self.repaid - self.settled


@dataclass(frozen=True, slots=True)
class LotDraw:
    draw: Draw
    reason: DrawReason


@dataclass
class Movement:
    programme: Programme
    now: datetime
    customers: dict[str, CustomerState]
    postings: list[Posting] = field(default_factory=list)
    draws: list[LotDraw] = field(default_factory=list)
    new_lots: list[NewLot] = field(default_factory=list)
    activated: list[int] = field(default_factory=list)

    @property
    def points_asset(self) -> str:
        return self.programme.points_asset

    def post(self, source: str, destination: str, amount: int, asset: str | None = None) -> None:
        if amount > 0:
            self.postings.append(Posting(source, destination, asset or self.points_asset, amount))

    # -- credits

    def credit(
        self,
        customer_id: str,
        amount: int,
        *,
        kind: LotKind,
        source: str,
        issued_at: datetime | None = None,
        pending_until: datetime | None = None,
        order_id: str | None = None,
    ) -> NewLot | None:
        """Credit ``amount`` points as a new lot, pending until ``pending_until`` if given."""
        if amount <= 0:
            return None
        issued = issued_at or self.now
        expires_at = self.programme.expiry_rule(kind).expires_at(issued, self.programme.timezone)
        if pending_until is not None and pending_until > self.now:
            self.post(source, accounts.pending(customer_id), amount)
            lot = NewLot(customer_id, kind, amount, issued, pending_until, expires_at, True,
                         order_id=order_id)  # fmt: skip
        else:
            self.post(source, accounts.points(customer_id), amount)
            repaid, settled = self.pay_debts(customer_id, amount)
            lot = NewLot(
                customer_id, kind, amount, issued, pending_until or issued, expires_at, False,
                repaid, settled, order_id,
            )  # fmt: skip
        self.new_lots.append(lot)
        return lot

    def pay_debts(self, customer_id: str, amount: int) -> tuple[int, int]:
        """Apply newly spendable points to what the customer owes: a negative balance
        first (nothing moves, the balance just climbs back), then a clawback debt."""
        state = self.customers[customer_id]
        repaid = min(state.deficit, amount)
        settled = min(state.debt, amount - repaid)
        self.post(accounts.points(customer_id), accounts.clawback(customer_id), settled)
        self.customers[customer_id] = replace(
            state, deficit=state.deficit - repaid, debt=state.debt - settled
        )
        return repaid, settled

    # -- debits

    def debit(
        self,
        customer_id: str,
        lots: Iterable[Lot],
        amount: int,
        *,
        destination: str,
        reason: DrawReason,
    ) -> list[Draw]:
        """Spend ``amount`` active points, all or nothing."""
        draws = require_draws(customer_id, lots, amount, self.now)
        self.take(customer_id, draws, destination=destination, reason=reason)
        return draws

    def take(
        self, customer_id: str, draws: list[Draw], *, destination: str, reason: DrawReason
    ) -> None:
        self.post(accounts.points(customer_id), destination, total(draws))
        self.record(draws, reason)

    def record(self, draws: Iterable[Draw], reason: DrawReason) -> None:
        self.draws.extend(LotDraw(d, reason) for d in draws if d.amount > 0)

    def take_back(
        self,
        customer_id: str,
        lots: Iterable[Lot],
        amount: int,
        *,
        destination: str,
        first: Collection[int],
        then: Collection[int] = (),
    ) -> int:
        """Take ``amount`` back for a refund, own order's lots first; the shortfall
        (points already spent) is left to the programme's policy by the caller."""
        draws, shortfall = plan_draws(lots, amount, self.now, first=first, then=then)
        self.take(customer_id, draws, destination=destination, reason=DrawReason.REFUND)
        return shortfall

    def owe(self, customer_id: str, points: int, *, destination: str) -> None:
        """Record a refund's shortfall as the customer's debt, by programme policy."""
        if points <= 0:
            return
        state = self.customers[customer_id]
        policy = self.programme.negative_balance
        if policy is NegativeBalancePolicy.ALLOW_NEGATIVE:
            self.post(accounts.points(customer_id), destination, points)
            self.customers[customer_id] = replace(state, deficit=state.deficit + points)
        elif policy is NegativeBalancePolicy.CLAWBACK_FROM_FUTURE:
            self.post(accounts.clawback(customer_id), destination, points)
            self.customers[customer_id] = replace(state, debt=state.debt + points)
        else:
            self.post(accounts.WRITEOFF, destination, points)

    def as_lot(self, lot: NewLot) -> Lot:
        """A lot this movement creates, as a lot later steps of the same movement can
        draw from. Its id is negative until the writer knows the real one."""
        index = next(i for i, new in enumerate(self.new_lots) if new is lot)
        return Lot(
            -(index + 1), lot.customer_id, lot.kind, lot.amount, lot.remaining, lot.issued_at,
            lot.active_from, lot.expires_at, self.programme.point_value, 0,
            None if lot.pending else 0, lot.order_id,
        )  # fmt: skip

    def changed_customers(self, before: Mapping[str, CustomerState]) -> list[CustomerState]:
        return [s for cid, s in sorted(self.customers.items()) if s != before.get(cid)]


def require_draws(customer_id: str, lots: Iterable[Lot], amount: int, now: datetime) -> list[Draw]:
    draws, shortfall = plan_draws(lots, amount, now)
    if shortfall:
        raise InsufficientPoints(
            f"customer {customer_id} has {amount - shortfall} spendable points; "
            f"{amount} are needed",
            customer_id=customer_id,
            available=amount - shortfall,
        )
    return draws
