"""earn: a purchase or an engagement event becomes points, exactly once.

The purchase's order id (or the event's id) is the idempotency key, so a
replayed webhook returns the first result and writes nothing. The calculator
gives a breakdown by lot kind;
each kind becomes one lot, and the breakdown is kept on the ledger transaction.
The published ruleset active when the event occurred rates it (see
``punchcard.service_layer.rules.rating``); without one, the programme's fixed rate.
Purchase points stay pending for the programme's ``pending_days``.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from punchcard.adapters.postgres.loyalty.orders import Order
from punchcard.domain.loyalty import accounts
from punchcard.domain.loyalty.commands import Engagement, Purchase
from punchcard.domain.loyalty.earning import Breakdown
from punchcard.domain.loyalty.movement import Movement, NewLot
from punchcard.domain.loyalty.programme import Programme
from punchcard.domain.loyalty.results import CreditedLot, EarnResult
from punchcard.domain.rules.versions import TierChange
from punchcard.domain.validation import JsonValue
from punchcard.service_layer.loyalty.work import LoyaltyWork, ledger_key, run_operation
from punchcard.service_layer.rules.rating import rate, record

if TYPE_CHECKING:
    from punchcard.service_layer.loyalty.facade import Loyalty


def earn(loyalty: Loyalty, request: Purchase | Engagement) -> EarnResult:
    def body(w: LoyaltyWork, op_id: int) -> EarnResult:
        cmd = replace(request, occurred_at=request.occurred_at or w.now)
        occurred_at = cmd.occurred_at or w.now
        scope = w.lock(cmd.tenant, [cmd.customer_id], at=occurred_at)
        rating = rate(loyalty, w, scope, cmd, occurred_at)
        movement = scope.movement()
        credited = plan(scope.programme, movement, cmd, rating.breakdown, occurred_at)
        txn_id: int | None = None
        lot_ids: list[int] = []
        if movement.postings:
            txn_id, lot_ids = w.post(
                cmd.tenant, ledger_key(op_id), scope, movement,
                metadata=metadata(cmd, rating.breakdown), effective_at=occurred_at,
            )  # fmt: skip
        tier_change = record(w, scope, cmd.customer_id, rating, occurred_at)
        if isinstance(cmd, Purchase):
            w.orders.add_order(cmd.tenant, Order(
                cmd.order_id, cmd.customer_id, cmd.amount, cmd.currency, rating.breakdown.points,
                occurred_at, op_id, txn_id,
            ))  # fmt: skip
        return result(
            cmd, rating.breakdown, credited=credited, lot_ids=lot_ids, txn_id=txn_id,
            tier_change=tier_change,
        )  # fmt: skip

    return run_operation(loyalty, request, EarnResult, body)


def plan(
    programme: Programme,
    movement: Movement,
    cmd: Purchase | Engagement,
    breakdown: Breakdown,
    occurred_at: datetime,
) -> list[NewLot]:
    """Credit the breakdown to ``movement``: one lot per kind (pending for the
    programme's pending days, for a purchase) and the store credit. Returns the lots."""
    purchase = isinstance(cmd, Purchase)
    pending_until = None
    if purchase and programme.pending_days:
        pending_until = occurred_at + timedelta(days=programme.pending_days)
    new_lots = [
        movement.credit(
            cmd.customer_id, points, kind=kind, source=accounts.ISSUANCE,
            issued_at=occurred_at, pending_until=pending_until,
            order_id=cmd.order_id if isinstance(cmd, Purchase) else None,
        )
        for kind, points in breakdown.by_kind().items()
    ]  # fmt: skip
    movement.post(
        accounts.CREDIT_ISSUANCE, accounts.credit(cmd.customer_id), breakdown.credit,
        asset=programme.credit_asset,
    )  # fmt: skip
    return [lot for lot in new_lots if lot is not None]


def metadata(cmd: Purchase | Engagement, breakdown: Breakdown) -> dict[str, JsonValue]:
    """What the earn's ledger transaction says about it."""
    return {"operation": "earn", "customer_id": cmd.customer_id,
            "breakdown": breakdown.document(), **_event(cmd)}  # fmt: skip


def result(
    cmd: Purchase | Engagement,
    breakdown: Breakdown,
    *,
    credited: list[NewLot],
    lot_ids: list[int],
    txn_id: int | None,
    tier_change: TierChange | None,
) -> EarnResult:
    return EarnResult(
        customer_id=cmd.customer_id,
        points=breakdown.points,
        lots=tuple(
            CreditedLot(
                id,
                lot.kind,
                lot.amount,
                lot.pending,
                lot.active_from,
                lot.expires_at,
                lot.repaid,
                lot.settled,
            )
            for id, lot in zip(lot_ids, credited, strict=True)
        ),
        transaction_id=txn_id,
        breakdown=breakdown.document(),
        credit=breakdown.credit,
        tier=tier_change.to_tier if tier_change else None,
    )


def _event(cmd: Purchase | Engagement) -> dict[str, str | int]:
    if isinstance(cmd, Purchase):
        return {"order_id": cmd.order_id, "amount": cmd.amount, "currency": cmd.currency}
    return {"event_id": cmd.event_id, "engagement": cmd.type}
