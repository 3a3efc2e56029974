"""Orders, refunds, redemptions and authorizations: the records refunds and captures
need, each written once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from punchcard.adapters.postgres.errors import translated
from punchcard.adapters.postgres.queries import query
from punchcard.adapters.postgres.types import Connection
from punchcard.domain.errors import UnknownAuthorization, UnknownOrder
from punchcard.domain.loyalty.programme import Rate
from punchcard.domain.loyalty.refunds import OrderTotals


@dataclass(frozen=True, slots=True)
class AuthorizationRow:
    hold_id: int
    customer_id: str
    option: str
    points: int
    rate: Rate
    order_id: str | None
    resolved_by: int | None


@dataclass(frozen=True, slots=True)
class Order:
    order_id: str
    customer_id: str
    amount: int
    currency: str
    points: int
    occurred_at: datetime
    operation_id: int
    transaction_id: int | None


class OrderStore:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add_order(self, tenant: str, order: Order) -> None:
        self.add_orders(tenant, [order])

    def add_orders(self, tenant: str, orders: Sequence[Order]) -> None:
        if not orders:
            return
        with translated():
            self._conn.execute(
                query("insert_order"),
                {"tenant": tenant, "order_ids": [o.order_id for o in orders],
                 "customer_ids": [o.customer_id for o in orders],
                 "amounts": [o.amount for o in orders],
                 "currencies": [o.currency for o in orders],
                 "points": [o.points for o in orders],
                 "occurred_at": [o.occurred_at for o in orders],
                 "operation_ids": [o.operation_id for o in orders],
                 "transaction_ids": [o.transaction_id for o in orders]},
            )  # fmt: skip

    def customer_of(self, tenant: str, order_id: str) -> str:
        row = self._conn.execute(
            query("order_customer"), {"tenant": tenant, "order_id": order_id}
        ).fetchone()
        if row is None:
            raise UnknownOrder(f"order {order_id!r} has not been earned on in tenant {tenant!r}")
        return str(row[0])

    def owner(self, tenant: str, order_id: str) -> str | None:
        """The customer who earned on the order, if its purchase was seen."""
        row = self._conn.execute(
            query("order_customer"), {"tenant": tenant, "order_id": order_id}
        ).fetchone()
        return None if row is None else str(row[0])

    def lock_totals(self, tenant: str, order_id: str) -> tuple[str, OrderTotals]:
        """The order's customer and running totals; locks the order against other refunds."""
        row = self._conn.execute(
            query("order_totals"), {"tenant": tenant, "order_id": order_id}
        ).fetchone()
        if row is None:
            raise UnknownOrder(f"order {order_id!r} has not been earned on in tenant {tenant!r}")
        customer_id, amount, earned, redeemed, refunded, reversed_, recredited = row
        return customer_id, OrderTotals(amount, earned, redeemed, refunded, reversed_, recredited)

    def add_refund(
        self,
        tenant: str,
        *,
        operation_id: int,
        refund_id: str,
        order_id: str,
        amount: int,
        points_reversed: int,
        points_recredited: int,
        transaction_id: int | None,
        customer_id: str,
        recorded_at: datetime,
    ) -> None:
        self._conn.execute(
            query("insert_refund"),
            {"tenant": tenant, "operation_id": operation_id, "refund_id": refund_id,
             "order_id": order_id, "amount": amount, "points_reversed": points_reversed,
             "points_recredited": points_recredited, "transaction_id": transaction_id,
             "customer_id": customer_id, "recorded_at": recorded_at},
        )  # fmt: skip

    def add_redemption(
        self,
        tenant: str,
        *,
        transaction_id: int,
        customer_id: str,
        option: str,
        points: int,
        value: int,
        order_id: str | None,
        hold_id: int | None,
    ) -> None:
        self._conn.execute(
            query("insert_redemption"),
            {"tenant": tenant, "transaction_id": transaction_id, "customer_id": customer_id,
             "option": option, "points": points, "value": value, "order_id": order_id,
             "hold_id": hold_id},
        )  # fmt: skip

    def add_authorization(
        self,
        tenant: str,
        *,
        hold_id: int,
        customer_id: str,
        option: str,
        points: int,
        rate: Rate,
        order_id: str | None,
    ) -> None:
        self._conn.execute(
            query("insert_authorization"),
            {"tenant": tenant, "hold_id": hold_id, "customer_id": customer_id, "option": option,
             "points": points, "rate_points": rate.points, "rate_value": rate.value,
             "order_id": order_id},
        )  # fmt: skip

    def authorization(self, tenant: str, hold_id: int) -> AuthorizationRow:
        row = self._conn.execute(
            query("authorization"), {"tenant": tenant, "hold_id": hold_id}
        ).fetchone()
        if row is None:
            raise UnknownAuthorization(f"no redemption authorization has hold id {hold_id}")
        customer_id, option, points, rate_points, rate_value, order_id, resolved_by = row
        return AuthorizationRow(
            hold_id, customer_id, option, points, Rate(rate_points, rate_value), order_id,
            resolved_by,
        )  # fmt: skip

    def expired_authorizations(self, now: datetime, limit: int) -> list[tuple[str, int]]:
        rows = self._conn.execute(query("expired_authorizations"), {"now": now, "limit": limit})
        return [(tenant, hold_id) for tenant, hold_id in rows]
