"""Events: what happened, as the outbox records it and webhooks and NATS deliver it.

An event is named in the past tense (``points.earned``), is about one customer at
most (its ``subject``, the ordering key) and carries pseudonymous ids and amounts
only: never a name, an e-mail, free text an operator typed (reasons, notes) or the
merchant's customer reference. ``for_operation`` derives the events of a loyalty
operation from its command and result, so every operation emits the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from punchcard.domain.loyalty import commands as c
from punchcard.domain.loyalty import results as r
from punchcard.domain.loyalty.risk import Review
from punchcard.domain.rules.versions import TierChange
from punchcard.domain.validation import JsonValue

POINTS_EARNED: Final = "points.earned"
POINTS_REDEEMED: Final = "points.redeemed"
POINTS_REFUNDED: Final = "points.refunded"
POINTS_CONVERTED: Final = "points.converted"
POINTS_TRANSFERRED: Final = "points.transferred"
POINTS_EXCHANGED: Final = "points.exchanged"
POINTS_ACTIVATED: Final = "points.activated"
POINTS_EXPIRED: Final = "points.expired"
POINTS_EXPIRING_SOON: Final = "points.expiring_soon"
HOLD_CREATED: Final = "hold.created"
HOLD_CAPTURED: Final = "hold.captured"
HOLD_VOIDED: Final = "hold.voided"
HOLD_EXPIRED: Final = "hold.expired"
TIER_CHANGED: Final = "tier.changed"
CUSTOMER_ENROLLED: Final = "customer.enrolled"
CUSTOMER_ERASED: Final = "customer.erased"
ADJUSTMENT_REQUESTED: Final = "adjustment.requested"
ADJUSTMENT_APPROVED: Final = "adjustment.approved"
ADJUSTMENT_REJECTED: Final = "adjustment.rejected"
REVIEW_REQUESTED: Final = "review.requested"
REVIEW_APPROVED: Final = "review.approved"
REVIEW_REJECTED: Final = "review.rejected"

TYPES: Final = frozenset({
    POINTS_EARNED, POINTS_REDEEMED, POINTS_REFUNDED, POINTS_CONVERTED, POINTS_TRANSFERRED,
    POINTS_EXCHANGED, POINTS_ACTIVATED, POINTS_EXPIRED, POINTS_EXPIRING_SOON, HOLD_CREATED,
    HOLD_CAPTURED, HOLD_VOIDED, HOLD_EXPIRED, TIER_CHANGED, CUSTOMER_ENROLLED, CUSTOMER_ERASED,
    ADJUSTMENT_REQUESTED, ADJUSTMENT_APPROVED, ADJUSTMENT_REJECTED, REVIEW_REQUESTED,
    REVIEW_APPROVED, REVIEW_REJECTED,
})  # fmt: skip
"""Every event type punchcard emits (webhook endpoints filter on these)."""


@dataclass(frozen=True, slots=True)
class Event:
    type: str
    subject: str | None
    """The customer the event is about: delivery keeps one customer's events in order."""
    data: dict[str, JsonValue]
    occurred_at: datetime | None = None
    """Business time; None means the moment of the transaction that records it."""


def customer_event(type_: str, customer_id: str, **data: JsonValue) -> Event:
    return Event(type_, customer_id, {"customer_id": customer_id, **data})


def tier_changed(customer_id: str, change: TierChange) -> Event:
    return Event(
        TIER_CHANGED, customer_id,
        {"customer_id": customer_id, "from_tier": change.from_tier, "to_tier": change.to_tier,
         "reason": change.reason, "measure": change.measure},
        change.changed_at,
    )  # fmt: skip


def for_operation(cmd: object, result: object) -> list[Event]:
    """The events a loyalty operation emits, from its command and its result."""
    derive = _BY_RESULT.get(type(result))
    return [] if derive is None else derive(cmd, result)


def _void(cmd: object, result: r.VoidResult) -> list[Event]:
    data: dict[str, JsonValue] = {
        "hold_id": result.hold_id, "points": result.released,
        "transaction_id": result.transaction_id,
    }  # fmt: skip
    return [Event(HOLD_VOIDED, None, data)]


def _converted(cmd: object, result: r.ConversionResult) -> list[Event]:
    return [customer_event(
        POINTS_CONVERTED, result.customer_id, points=result.points, credit=result.credit,
        transaction_id=result.transaction_id,
    )]  # fmt: skip


def _transferred(cmd: object, result: r.TransferResult) -> list[Event]:
    return [customer_event(
        POINTS_TRANSFERRED, result.from_customer, to_customer_id=result.to_customer,
        points=result.points, lot_id=result.lot_id, transaction_id=result.transaction_id,
    )]  # fmt: skip


def _exchanged(cmd: object, result: r.ExchangeResult) -> list[Event]:
    return [customer_event(
        POINTS_EXCHANGED, result.customer_id, partner=result.partner,
        direction=result.direction, given=result.given, received=result.received,
        transaction_id=result.transaction_id,
    )]  # fmt: skip


def _earned(cmd: object, result: r.EarnResult) -> list[Event]:
    if not result.points and not result.credit:
        return []
    source: dict[str, JsonValue] = {}
    if isinstance(cmd, c.Purchase):
        source = {"order_id": cmd.order_id}
    elif isinstance(cmd, c.Engagement):
        source = {"event_id": cmd.event_id, "engagement": cmd.type}
    lots: list[JsonValue] = [
        {"id": lot.id, "kind": lot.kind, "points": lot.points, "pending": lot.pending,
         "active_from": lot.active_from.isoformat(),
         "expires_at": None if lot.expires_at is None else lot.expires_at.isoformat()}
        for lot in result.lots
    ]  # fmt: skip
    version = result.breakdown.get("ruleset_version")
    return [
        customer_event(
            POINTS_EARNED, result.customer_id, points=result.points, credit=result.credit,
            transaction_id=result.transaction_id, lots=lots,
            ruleset_version=version if isinstance(version, int) else None, **source,
        )
    ]  # fmt: skip


def _redeemed(cmd: object, result: r.RedemptionResult) -> list[Event]:
    if result.status == "pending_review":
        assert result.hold_id is not None
        return [
            _hold_created(result.customer_id, result.hold_id, result.points, result.option, None),
            customer_event(REVIEW_REQUESTED, result.customer_id, review_id=result.review_id,
                           hold_id=result.hold_id, points=result.points),
        ]  # fmt: skip
    redeemed = customer_event(
        POINTS_REDEEMED, result.customer_id, option=result.option, points=result.points,
        value=result.value, transaction_id=result.transaction_id, order_id=result.order_id,
        hold_id=result.hold_id,
    )  # fmt: skip
    if isinstance(cmd, c.Capture):
        captured = customer_event(
            HOLD_CAPTURED, result.customer_id, hold_id=result.hold_id, points=result.points,
            transaction_id=result.transaction_id,
        )  # fmt: skip
        return [captured, redeemed]
    return [redeemed]


def _authorized(cmd: object, result: r.AuthorizationResult) -> list[Event]:
    return [_hold_created(
        result.customer_id, result.hold_id, result.points, result.option, result.expires_at,
    )]  # fmt: skip


def _hold_created(
    customer_id: str, hold_id: int, points: int, option: str, expires_at: datetime | None
) -> Event:
    return customer_event(
        HOLD_CREATED, customer_id, hold_id=hold_id, points=points, option=option,
        expires_at=None if expires_at is None else expires_at.isoformat(),
    )  # fmt: skip


def _refunded(cmd: object, result: r.RefundResult) -> list[Event]:
    return [customer_event(
        POINTS_REFUNDED, result.customer_id, order_id=result.order_id,
        refund_id=result.refund_id, amount=result.amount,
        points_reversed=result.points_reversed, points_recredited=result.points_recredited,
        shortfall=result.shortfall, policy=result.policy, transaction_id=result.transaction_id,
    )]  # fmt: skip


def _adjustment(cmd: object, result: r.Adjustment) -> list[Event]:
    # the reason and the note are an operator's free text: they stay out of events
    type_ = {
        r.AdjustmentStatus.PENDING: ADJUSTMENT_REQUESTED,
        r.AdjustmentStatus.APPROVED: ADJUSTMENT_APPROVED,
        r.AdjustmentStatus.REJECTED: ADJUSTMENT_REJECTED,
    }[result.status]
    return [customer_event(
        type_, result.customer_id, adjustment_id=result.id, points=result.points,
        requested_by=result.requested_by, decided_by=result.decided_by,
        transaction_id=result.transaction_id,
    )]  # fmt: skip


def _review(cmd: object, result: Review) -> list[Event]:
    if result.status not in ("approved", "rejected"):
        return []
    type_ = REVIEW_APPROVED if result.status == "approved" else REVIEW_REJECTED
    decided = customer_event(
        type_, result.customer_id, review_id=result.id, kind=result.kind,
        hold_id=result.hold_id, points=result.points, decided_by=result.decided_by,
    )  # fmt: skip
    if result.hold_id is None:
        return [decided]
    # a redemption under review ends its hold: captured when approved, voided when not
    hold = HOLD_CAPTURED if result.status == "approved" else HOLD_VOIDED
    return [decided, customer_event(hold, result.customer_id, hold_id=result.hold_id,
                                    points=result.points)]  # fmt: skip


_BY_RESULT: dict[type[Any], Callable[[object, Any], list[Event]]] = {
    r.EarnResult: _earned,
    r.RedemptionResult: _redeemed,
    r.AuthorizationResult: _authorized,
    r.VoidResult: _void,
    r.ConversionResult: _converted,
    r.RefundResult: _refunded,
    r.TransferResult: _transferred,
    r.ExchangeResult: _exchanged,
    r.Adjustment: _adjustment,
    Review: _review,
}
