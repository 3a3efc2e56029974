"""adjust: manual corrections under maker-checker.

A maker requests an adjustment (signed points and a reason); nothing moves. A
different person approves it, which posts it (a positive adjustment becomes an
``adjusted`` lot, a negative one consumes lots), or rejects it. Both identities,
both times and the reasons are kept; the database refuses a self-approval and a
second decision.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from punchcard.domain.errors import (
    AdjustmentAlreadyDecided,
    IdempotencyConflict,
    MakerCheckerViolation,
)
from punchcard.domain.loyalty import accounts
from punchcard.domain.loyalty.commands import DecideAdjustment, RequestAdjustment
from punchcard.domain.loyalty.lots import DrawReason
from punchcard.domain.loyalty.programme import LotKind
from punchcard.domain.loyalty.results import Adjustment, AdjustmentStatus
from punchcard.service_layer.loyalty.work import LoyaltyWork, ledger_key, run_operation

if TYPE_CHECKING:
    from punchcard.service_layer.loyalty.facade import Loyalty


def request_adjustment(loyalty: Loyalty, cmd: RequestAdjustment) -> Adjustment:
    def body(w: LoyaltyWork, op_id: int) -> Adjustment:
        w.programme(cmd.tenant)
        w.customers.by_id(cmd.tenant, cmd.customer_id)
        adjustment_id = w.adjustments.add(
            cmd.tenant, customer_id=cmd.customer_id, points=cmd.points, reason=cmd.reason,
            by=cmd.requested_by, at=w.now,
        )  # fmt: skip
        return w.adjustments.get(cmd.tenant, adjustment_id)

    return run_operation(loyalty, cmd, Adjustment, body)


def decide_adjustment(loyalty: Loyalty, cmd: DecideAdjustment) -> Adjustment:
    def body(w: LoyaltyWork, op_id: int) -> Adjustment:
        adjustment = w.adjustments.get(cmd.tenant, cmd.adjustment_id)
        if adjustment.status is not AdjustmentStatus.PENDING:
            raise AdjustmentAlreadyDecided(
                f"adjustment {adjustment.id} was already {adjustment.status.value}"
            )
        if cmd.decided_by == adjustment.requested_by:
            raise MakerCheckerViolation(
                f"{cmd.decided_by} requested adjustment {adjustment.id} and cannot also decide it"
            )
        txn_id = None
        if cmd.approve:
            txn_id = _post(w, cmd, adjustment, op_id)
        status = AdjustmentStatus.APPROVED if cmd.approve else AdjustmentStatus.REJECTED
        w.adjustments.decide(
            cmd.tenant, adjustment.id, status=status, by=cmd.decided_by, at=w.now,
            note=cmd.note, transaction_id=txn_id,
        )  # fmt: skip
        return w.adjustments.get(cmd.tenant, adjustment.id)

    try:
        return run_operation(loyalty, cmd, Adjustment, body)
    except IdempotencyConflict:
        with loyalty.work() as w:
            decided = w.adjustments.get(cmd.tenant, cmd.adjustment_id)
        raise AdjustmentAlreadyDecided(
            f"adjustment {decided.id} was already {decided.status.value} by {decided.decided_by}"
        ) from None


def _post(w: LoyaltyWork, cmd: DecideAdjustment, adjustment: Adjustment, op_id: int) -> int:
    scope = w.lock(cmd.tenant, [adjustment.customer_id])
    movement = scope.movement()
    if adjustment.points > 0:
        movement.credit(
            adjustment.customer_id, adjustment.points, kind=LotKind.ADJUSTED,
            source=accounts.ADJUSTMENTS,
        )  # fmt: skip
    else:
        lots = w.lots.open_lots(cmd.tenant, [adjustment.customer_id])
        movement.debit(
            adjustment.customer_id, lots, -adjustment.points, destination=accounts.ADJUSTMENTS,
            reason=DrawReason.ADJUST,
        )  # fmt: skip
    metadata = {"operation": "adjust", "customer_id": adjustment.customer_id,
                "adjustment_id": adjustment.id,
                "requested_by": adjustment.requested_by, "approved_by": cmd.decided_by}  # fmt: skip
    txn_id, _ = w.post(cmd.tenant, ledger_key(op_id), scope, movement, metadata=metadata)
    return txn_id
