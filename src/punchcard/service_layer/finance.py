"""Finance reports: the roll-forward of what the programme owes over a period, the
liability now by expiry bucket, and breakage revenue under IFRS 15.

Every figure is read from the journal, the lots and their draws, in one
repeatable-read snapshot, so a report is consistent even while earns go on.
"""

from __future__ import annotations

from datetime import datetime
from fractions import Fraction
from typing import TYPE_CHECKING

from punchcard.adapters.postgres.finance import FinanceStore
from punchcard.domain.errors import InvalidRequest
from punchcard.domain.finance.breakage import estimated_rate_bp
from punchcard.domain.finance.liability import Liability, liability
from punchcard.domain.finance.reconciliation import Reconciliation, read_orders, reconcile
from punchcard.domain.finance.rollforward import (
    RollForward,
    held_value,
    roll_forward,
    rounded,
    valued,
    written_off_value,
)

if TYPE_CHECKING:
    from punchcard.service_layer.loyalty.facade import Loyalty


def rollforward(loyalty: Loyalty, tenant: str, start: datetime, end: datetime) -> RollForward:
    """What customers held at ``start``, every movement until ``end`` (exclusive, by
    effective time) and what they held at ``end``, in points and in value at each
    lot's issuance value; when ``end`` is not in the past, the closing figures are
    also compared with the balances the ledger keeps and what the lots have left."""
    if start.utcoffset() is None or end.utcoffset() is None:
        raise InvalidRequest("a period's start and end need a UTC offset")
    if start >= end:
        raise InvalidRequest("a period's start must be before its end")
    with loyalty.work() as w:
        w.connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        programme = w.programme(tenant)
        asset = programme.points_asset
        store = FinanceStore(w.connection)
        opening = store.holdings_as_of(tenant, asset, start)
        closing = store.holdings_as_of(tenant, asset, end)
        report = roll_forward(opening, closing, store.postings(tenant, asset, start, end))
        report.issued_by_kind = store.issued_by_kind(tenant, start, end)
        point_value = Fraction(programme.point_value.value, programme.point_value.points)
        report = valued(
            report, asset=programme.credit_asset,
            opening=held_value(store.lot_events(tenant, None, start)),
            closing=held_value(store.lot_events(tenant, None, end)),
            period=store.lot_events(tenant, start, end),
            written_off=written_off_value(store.write_offs(tenant, asset, start, end), point_value),
        )  # fmt: skip
        if end >= w.now:
            report.ledger_closing = store.holdings_now(tenant, asset)
            lots = sum((lot.remaining * Fraction(lot.point_value.value, lot.point_value.points)
                        for lot in store.open_lots(tenant)), Fraction(0))  # fmt: skip
            held = sum((points * per for points, per in store.held(tenant)), Fraction(0))
            report.ledger_closing_value = rounded(lots + held)
    return report


def liability_now(
    loyalty: Loyalty, tenant: str, *, expected_redemption_bp: int | None = None
) -> tuple[Liability, str]:
    """The liability by expiry bucket at issuance value, and how the expected
    redemption rate was chosen (given, or estimated from redeemed vs expired)."""
    if expected_redemption_bp is not None and not 0 <= expected_redemption_bp <= 10_000:
        raise InvalidRequest("the expected redemption rate is from 0 to 10,000 basis points")
    with loyalty.work() as w:
        w.connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        w.programme(tenant)
        store = FinanceStore(w.connection)
        lots, held = store.open_lots(tenant), store.held(tenant)
        fates = store.fates(tenant)
        now = w.now
    method = "given"
    if expected_redemption_bp is None:
        expected_redemption_bp, method = _from_history(*fates)
    report = liability(lots, now, held=held, expected_redemption_bp=expected_redemption_bp)
    return report, method


def estimated_redemption(loyalty: Loyalty, tenant: str) -> tuple[int, str]:
    """The expected ultimate redemption rate in basis points, estimated from the
    points redeemed against those expired so far, and how it was estimated."""
    with loyalty.work() as w:
        w.programme(tenant)
        fates = FinanceStore(w.connection).fates(tenant)
    return _from_history(*fates)


def _from_history(redeemed: int, expired: int) -> tuple[int, str]:
    estimate = estimated_rate_bp(0, redeemed, expired)
    if estimate is None:
        return 10_000, "no points redeemed or expired yet: 100% assumed"
    return estimate, (f"history: {redeemed:,} points redeemed / ({redeemed:,} redeemed + "
                      f"{expired:,} expired)")  # fmt: skip


def reconcile_orders(
    loyalty: Loyalty, tenant: str, text: str, start: datetime, end: datetime
) -> Reconciliation:
    """Match a CSV of orders (order_id, amount) with the ledger's orders: those of the
    period, and any the file names from outside it (so they are not "missing")."""
    rows = read_orders(text)
    with loyalty.work() as w:
        w.programme(tenant)
        store = FinanceStore(w.connection)
        ledger = store.orders(tenant, start, end, [order_id for _, order_id, _ in rows])
    return reconcile(rows, ledger)
