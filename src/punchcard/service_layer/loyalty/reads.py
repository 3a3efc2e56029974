"""What a customer has: balances by purpose, and the lots behind them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from punchcard.domain.loyalty import accounts
from punchcard.domain.loyalty.results import LotView, PointsBalance

if TYPE_CHECKING:
    from punchcard.service_layer.loyalty.facade import Loyalty


def balance(loyalty: Loyalty, tenant: str, customer_id: str) -> PointsBalance:
    with loyalty.work() as w:
        programme = w.programme(tenant)
        state = w.customers.state(tenant, customer_id)
        addresses = {
            "points": accounts.points(customer_id),
            "pending": accounts.pending(customer_id),
            "credit": accounts.credit(customer_id),
            "clawback": accounts.clawback(customer_id),
        }
        found = w.customers.balances(tenant, addresses.values())
        lots = w.lots.open_lots(tenant, [customer_id])
    points_asset, credit_asset = programme.points_asset, programme.credit_asset
    posted, held = found.get((addresses["points"], points_asset), (0, 0))
    expiring = sum(lot.remaining for lot in lots if not lot.pending and not lot.spendable(w.now))
    spendable = sum(lot.remaining for lot in lots if lot.spendable(w.now))
    return PointsBalance(
        customer_id=customer_id,
        available=posted - held,
        spendable=spendable,
        pending=found.get((addresses["pending"], points_asset), (0, 0))[0],
        held=held,
        debt=state.debt,
        credit=found.get((addresses["credit"], credit_asset), (0, 0))[0],
        expiring=expiring,
    )


def lots(loyalty: Loyalty, tenant: str, customer_id: str, *, include_closed: bool) -> list[LotView]:
    with loyalty.work() as w:
        w.customers.by_id(tenant, customer_id)
        found = w.lots.customer_lots(tenant, customer_id, include_closed=include_closed)
        now = w.now
    return [
        LotView(
            lot.id,
            lot.kind,
            lot.amount,
            lot.remaining,
            lot.status(now),
            lot.issued_at,
            lot.active_from,
            lot.expires_at,
            lot.transaction_id,
            lot.order_id,
        )
        for lot in found
    ]
