"""refund: take back the points an order earned, in proportion to what was refunded,
and give back points the customer redeemed on it.

In one transaction, under the customer's lock and the order's:
1. points redeemed on the order come back as a ``refunded_redemption`` lot (which
   repays any negative balance or clawback debt first);
2. the order's pending points are cancelled outright;
3. spendable points are taken back: the order's own lots first, then the
   redemption's new lot, then the soonest-expiring others;
4. what the customer already spent (the shortfall) follows the programme's
   negative-balance policy.
The arithmetic is in ``punchcard.domain.loyalty.refunds``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from punchcard.domain.loyalty import accounts, refunds
from punchcard.domain.loyalty.commands import Refund
from punchcard.domain.loyalty.lots import Draw, DrawReason, total
from punchcard.domain.loyalty.programme import LotKind
from punchcard.domain.loyalty.results import RefundResult
from punchcard.service_layer.loyalty.work import LoyaltyWork, ledger_key, run_operation

if TYPE_CHECKING:
    from punchcard.service_layer.loyalty.facade import Loyalty


def refund(loyalty: Loyalty, cmd: Refund) -> RefundResult:
    def body(w: LoyaltyWork, op_id: int) -> RefundResult:
        customer_id = w.orders.customer_of(cmd.tenant, cmd.order_id)
        scope = w.lock(cmd.tenant, [customer_id])
        _, totals = w.orders.lock_totals(cmd.tenant, cmd.order_id)
        share = refunds.share(totals, cmd.amount)
        lots = w.lots.open_lots(cmd.tenant, [customer_id])
        own = w.lots.order_lot_ids(cmd.tenant, cmd.order_id)
        movement = scope.movement()

        recredit = movement.credit(
            customer_id, share.recredit, kind=LotKind.REFUNDED_REDEMPTION,
            source=accounts.REDEEMED, order_id=cmd.order_id,
        )  # fmt: skip
        then: set[int] = set()
        if recredit is not None:
            virtual = movement.as_lot(recredit)
            lots.append(virtual)
            then.add(virtual.id)

        cancels: list[Draw] = []
        left = share.reverse
        for lot in sorted((lot for lot in lots if lot.pending and lot.id in own),
                          key=lambda lot: lot.id):  # fmt: skip
            take = min(lot.remaining, left)
            if take:
                cancels.append(Draw(lot.id, take))
                left -= take
        cancelled = total(cancels)
        movement.post(accounts.pending(customer_id), accounts.ISSUANCE, cancelled)
        movement.record(cancels, DrawReason.CANCEL)

        shortfall = movement.take_back(
            customer_id, lots, left, destination=accounts.ISSUANCE, first=own, then=then
        )
        movement.owe(customer_id, shortfall, destination=accounts.ISSUANCE)

        txn_id = None
        if movement.postings:
            metadata = {"operation": "refund", "customer_id": customer_id,
                        "order_id": cmd.order_id, "refund_id": cmd.refund_id,
                        "amount": cmd.amount, "shortfall": shortfall,
                        "policy": scope.programme.negative_balance.value}  # fmt: skip
            txn_id, _ = w.post(cmd.tenant, ledger_key(op_id), scope, movement, metadata=metadata)
        w.orders.add_refund(
            cmd.tenant, operation_id=op_id, refund_id=cmd.refund_id, order_id=cmd.order_id,
            amount=cmd.amount, points_reversed=share.reverse,
            points_recredited=share.recredit, transaction_id=txn_id, customer_id=customer_id,
            recorded_at=w.now,
        )  # fmt: skip
        return RefundResult(
            order_id=cmd.order_id, refund_id=cmd.refund_id, customer_id=customer_id,
            amount=cmd.amount, points_reversed=share.reverse, points_cancelled=cancelled,
            points_clawed_back=share.reverse - cancelled - shortfall, shortfall=shortfall,
            policy=scope.programme.negative_balance, points_recredited=share.recredit,
            transaction_id=txn_id,
        )  # fmt: skip

    return run_operation(loyalty, cmd, RefundResult, body)
