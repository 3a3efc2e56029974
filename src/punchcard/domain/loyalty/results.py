"""What loyalty operations return. Each result is stored with its operation, so a
replay returns exactly what the first call did, marked ``replayed=True``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from punchcard.domain.loyalty.lots import LotStatus
from punchcard.domain.loyalty.programme import LotKind, NegativeBalancePolicy


@dataclass(frozen=True, slots=True)
class Customer:
    id: str
    external_ref: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class LotView:
    id: int
    kind: LotKind
    amount: int
    remaining: int
    status: LotStatus
    issued_at: datetime
    active_from: datetime
    expires_at: datetime | None
    transaction_id: int
    order_id: str | None = None


@dataclass(frozen=True, slots=True)
class CreditedLot:
    id: int
    kind: LotKind
    points: int
    pending: bool
    active_from: datetime
    expires_at: datetime | None
    repaid: int = 0
    """Of ``points``, how many went to repay a negative balance."""
    settled: int = 0
    """Of ``points``, how many went to settle a clawback debt."""


@dataclass(frozen=True, slots=True)
class EarnResult:
    customer_id: str
    points: int
    lots: tuple[CreditedLot, ...]
    transaction_id: int | None
    """None when the event earned nothing (no ledger transaction was needed)."""
    breakdown: dict[str, Any] = field(default_factory=dict)
    """Why: the ruleset version and its per-rule lines (JSON), also stored on the ledger
    transaction, so the earn can be explained and recomputed later."""
    credit: int = 0
    """Cashback granted as store credit, in the credit asset's minor unit."""
    tier: str | None = None
    """The tier this earn moved the customer up to, if it did."""
    replayed: bool = False


@dataclass(frozen=True, slots=True)
class RedemptionResult:
    customer_id: str
    option: str
    points: int
    value: int
    """What the points bought, in the credit asset's minor unit (rounded down)."""
    transaction_id: int
    order_id: str | None = None
    hold_id: int | None = None
    status: str = "completed"
    """``completed``, or ``pending_review``: the velocity rules held the points and a
    person decides (``review_id``); the hold is then captured or voided."""
    review_id: int | None = None
    replayed: bool = False


@dataclass(frozen=True, slots=True)
class AuthorizationResult:
    hold_id: int
    customer_id: str
    option: str
    points: int
    value: int
    expires_at: datetime
    order_id: str | None = None
    replayed: bool = False


@dataclass(frozen=True, slots=True)
class VoidResult:
    hold_id: int
    released: int
    transaction_id: int
    replayed: bool = False


@dataclass(frozen=True, slots=True)
class ConversionResult:
    customer_id: str
    points: int
    """Points converted: whole conversion units of what was offered."""
    credit: int
    """Store credit granted, in the credit asset's minor unit."""
    remainder: int
    """Points offered but not converted (less than one unit); they stay as points."""
    transaction_id: int
    replayed: bool = False


@dataclass(frozen=True, slots=True)
class RefundResult:
    order_id: str
    refund_id: str
    customer_id: str
    amount: int
    points_reversed: int
    """Points the refund took back in all: cancelled + clawed back + shortfall."""
    points_cancelled: int
    """Of those, pending points cancelled before they could be spent."""
    points_clawed_back: int
    """Of those, spendable points taken back from the customer's lots."""
    shortfall: int
    """Of those, points the customer had already spent, handled by ``policy``."""
    policy: NegativeBalancePolicy
    points_recredited: int
    """Points the customer had redeemed on this order, given back as a new lot."""
    transaction_id: int | None
    replayed: bool = False


@dataclass(frozen=True, slots=True)
class TransferResult:
    from_customer: str
    to_customer: str
    points: int
    lot_id: int
    transaction_id: int
    replayed: bool = False


@dataclass(frozen=True, slots=True)
class ExchangeResult:
    customer_id: str
    partner: str
    direction: str
    given: int
    """Units the customer gave: programme points (out) or partner units (back)."""
    received: int
    remainder: int
    """Of what was offered, what did not make a whole unit and stayed put."""
    transaction_id: int
    lot_id: int | None = None
    replayed: bool = False


class AdjustmentStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class Adjustment:
    id: int
    customer_id: str
    points: int
    reason: str
    requested_by: str
    requested_at: datetime
    status: AdjustmentStatus
    decided_by: str | None = None
    decided_at: datetime | None = None
    note: str | None = None
    transaction_id: int | None = None
    replayed: bool = False


@dataclass(frozen=True, slots=True)
class PointsBalance:
    customer_id: str
    available: int
    """The points account's balance less what holds reserve: active points, including
    any past expiry that the sweep has not taken yet (negative when a refund overdrew
    the account under allow_negative)."""
    spendable: int
    """What a redemption can use right now: active lots not held and not past expiry."""
    pending: int
    """Earned but locked until the return window closes."""
    held: int
    """Reserved by open redemption authorizations."""
    debt: int
    """Owed from a refund under clawback_from_future; settled from later credits."""
    credit: int
    """Store credit, in the credit asset's minor unit."""
    expiring: int = 0
    """Of ``available``, points already past expiry awaiting the sweep (not spendable)."""


@dataclass(frozen=True, slots=True)
class ExpiringPoints:
    customer_id: str
    points: int
    first_expiry: datetime


@dataclass(frozen=True, slots=True)
class SweepReport:
    customers: int
    lots: int
    points: int
    transactions: int
