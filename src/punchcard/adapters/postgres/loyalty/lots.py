"""Lots and their draws: reading a customer's open lots, writing a movement's lot side."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from psycopg import errors as pg

from punchcard.adapters.postgres.queries import query
from punchcard.adapters.postgres.types import Connection
from punchcard.domain.errors import IntegrityViolation
from punchcard.domain.loyalty.lots import Draw, DrawReason, Lot
from punchcard.domain.loyalty.movement import LotDraw, Movement
from punchcard.domain.loyalty.programme import LotKind, Rate


def lot_from_row(row: Sequence[Any]) -> Lot:
    (id, customer_id, kind, amount, remaining, issued_at, active_from, expires_at,
     value_points, value_minor, transaction_id, activated_by, order_id) = row  # fmt: skip
    return Lot(
        id, customer_id, LotKind(kind), amount, remaining, issued_at, active_from, expires_at,
        Rate(value_points, value_minor), transaction_id, activated_by, order_id,
    )  # fmt: skip


class LotStore:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    # -- reads

    def open_lots(self, tenant: str, customers: Iterable[str]) -> list[Lot]:
        rows = self._conn.execute(
            query("open_lots"), {"tenant": tenant, "customers": sorted(set(customers))}
        ).fetchall()
        return [lot_from_row(row) for row in rows]

    def customer_lots(self, tenant: str, customer: str, *, include_closed: bool) -> list[Lot]:
        params = {"tenant": tenant, "customer": customer, "include_closed": include_closed}
        return [lot_from_row(row) for row in self._conn.execute(query("customer_lots"), params)]

    def order_lot_ids(self, tenant: str, order_id: str) -> set[int]:
        params = {"tenant": tenant, "order_id": order_id}
        return {id for (id,) in self._conn.execute(query("order_lots"), params)}

    def hold_draws(self, tenant: str, hold_id: int) -> list[Draw]:
        params = {"tenant": tenant, "hold_id": hold_id}
        return [
            Draw(lot, amount) for lot, amount in self._conn.execute(query("hold_draws"), params)
        ]

    def customers_due_activation(
        self, as_of: datetime, *, after: tuple[str, str], limit: int
    ) -> list[tuple[str, str]]:
        params = {"as_of": as_of, "after_tenant": after[0], "after_customer": after[1],
                  "limit": limit}  # fmt: skip
        rows = self._conn.execute(query("customers_due_activation"), params)
        return [(tenant, customer) for tenant, customer in rows]

    def customers_due_expiry(
        self, tenant: str, as_of: datetime, *, after: str, limit: int
    ) -> list[str]:
        params = {"tenant": tenant, "as_of": as_of, "after": after, "limit": limit}
        return [c for (c,) in self._conn.execute(query("customers_due_expiry"), params)]

    def expiring(
        self, tenant: str, as_of: datetime, until: datetime, limit: int
    ) -> list[tuple[str, int, datetime]]:
        params = {"tenant": tenant, "as_of": as_of, "until": until, "limit": limit}
        return [
            (c, p, first) for c, p, first in self._conn.execute(query("expiring_points"), params)
        ]

    # -- writes

    def write(self, tenant: str, transaction_id: int, movement: Movement) -> list[int]:
        """Create the movement's new lots, record every draw, mark activations.
        Returns the new lots' ids in the order of ``movement.new_lots``."""
        ids = self._insert_lots(tenant, transaction_id, movement)

        def real(lot_id: int) -> int:  # a movement's own new lots have ids -1, -2, ...
            return ids[-lot_id - 1] if lot_id < 0 else lot_id

        draws = [
            LotDraw(Draw(real(d.draw.lot_id), d.draw.amount), d.reason) for d in movement.draws
        ]
        for lot_id, lot in zip(ids, movement.new_lots, strict=True):
            if lot.repaid:
                draws.append(LotDraw(Draw(lot_id, lot.repaid), DrawReason.REPAY))
            if lot.settled:
                draws.append(LotDraw(Draw(lot_id, lot.settled), DrawReason.SETTLE))
        self.record(tenant, transaction_id, draws)
        if movement.activated:
            self._conn.execute(
                query("activate_lots"),
                {"tenant": tenant, "transaction_id": transaction_id, "ids": movement.activated},
            )
        return ids

    def record(self, tenant: str, transaction_id: int, draws: Sequence[LotDraw]) -> None:
        if not draws:
            return
        try:
            self._conn.execute(
                query("draw_lots"),
                {
                    "tenant": tenant,
                    "transaction_id": transaction_id,
                    "lot_ids": [d.draw.lot_id for d in draws],
                    "amounts": [d.draw.amount for d in draws],
                    "reasons": [d.reason.value for d in draws],
                },
            )
        except pg.CheckViolation as exc:
            if exc.diag.constraint_name != "lots_remaining_within_amount":
                raise
            raise IntegrityViolation(
                "a draw exceeded what was left in a lot (the database refused it)"
            ) from exc

    def _insert_lots(self, tenant: str, transaction_id: int, movement: Movement) -> list[int]:
        return self.insert_many(tenant, [(transaction_id, movement)])[0]

    def insert_many(
        self, tenant: str, movements: Sequence[tuple[int, Movement]]
    ) -> list[list[int]]:
        """Each movement's new lots (under its transaction id); their ids per movement.
        Draws and activations are not written here: the caller sends movements that
        have none."""
        lots = [(txn, lot) for txn, m in movements for lot in m.new_lots]
        if not lots:
            return [[] for _ in movements]
        value = movements[0][1].programme.point_value
        rows = self._conn.execute(
            query("insert_lots"),
            {
                "tenant": tenant,
                "value_points": value.points,
                "value_minor": value.value,
                "transaction_ids": [txn for txn, _ in lots],
                "customer_ids": [lot.customer_id for _, lot in lots],
                "kinds": [lot.kind.value for _, lot in lots],
                "amounts": [lot.amount for _, lot in lots],
                "issued_at": [lot.issued_at for _, lot in lots],
                "active_from": [lot.active_from for _, lot in lots],
                "expires_at": [lot.expires_at for _, lot in lots],
                "pending": [lot.pending for _, lot in lots],
                "order_ids": [lot.order_id for _, lot in lots],
            },
        ).fetchall()
        ids = iter(sorted(lot_id for (lot_id,) in rows))
        return [[next(ids) for _ in m.new_lots] for _, m in movements]
