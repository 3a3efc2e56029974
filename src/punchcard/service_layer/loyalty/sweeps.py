"""Scheduled work: activating pending points, expiring lots and warning before.

Both run one transaction per customer, under the customer's lock, and both are
safe to re-run and to run from several workers at once: what they act on is the
lots' state, which the first run changes, and each transaction's key names the
customer's version, which every sweep bumps.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from punchcard.adapters.postgres.loyalty import programmes
from punchcard.adapters.postgres.loyalty.warnings import ExpiryWarnings
from punchcard.domain import events
from punchcard.domain.commands import CLOCK_SKEW
from punchcard.domain.errors import InvalidRequest
from punchcard.domain.loyalty import accounts
from punchcard.domain.loyalty.lots import Draw, DrawReason
from punchcard.domain.loyalty.results import ExpiringPoints, SweepReport

if TYPE_CHECKING:
    from punchcard.service_layer.loyalty.facade import Loyalty

PAGE = 500


def activate_pending(loyalty: Loyalty) -> SweepReport:
    """Make spendable every pending lot whose return window has closed, one customer
    (one transaction) at a time, in pages."""
    customers = lots_done = points = 0
    after = ("", "")
    while True:
        with loyalty.work() as w:
            page = w.lots.customers_due_activation(w.now, after=after, limit=PAGE)
        for tenant, customer_id in page:
            done = _activate_customer(loyalty, tenant, customer_id)
            if done:
                customers += 1
                lots_done += done[0]
                points += done[1]
        if len(page) < PAGE:
            return SweepReport(customers, lots_done, points, customers)
        after = page[-1]


def _activate_customer(loyalty: Loyalty, tenant: str, customer_id: str) -> tuple[int, int] | None:
    with loyalty.work() as w:
        scope = w.lock(tenant, [customer_id])
        ready = [
            lot for lot in w.lots.open_lots(tenant, [customer_id])
            if lot.pending and lot.active_from <= w.now
        ]  # fmt: skip
        if not ready:
            return None  # another worker got here first
        movement = scope.movement()
        amount = sum(lot.remaining for lot in ready)
        movement.post(accounts.pending(customer_id), accounts.points(customer_id), amount)
        for lot in sorted(ready, key=lambda lot: lot.id):
            repaid, settled = movement.pay_debts(customer_id, lot.remaining)
            movement.record([Draw(lot.id, repaid)], DrawReason.REPAY)
            movement.record([Draw(lot.id, settled)], DrawReason.SETTLE)
        movement.activated.extend(lot.id for lot in ready)
        key = f"activate:{customer_id}:{scope.customers[customer_id].version}"
        w.post(
            tenant, key, scope, movement, bump=[customer_id],
            metadata={"operation": "activate", "customer_id": customer_id,
                      "lots": [lot.id for lot in ready]},
        )  # fmt: skip
        w.emit(tenant, events.customer_event(
            events.POINTS_ACTIVATED, customer_id, points=amount, lots=[lot.id for lot in ready],
        ))  # fmt: skip
        w.commit()
    return len(ready), amount


def expire(loyalty: Loyalty, tenant: str, *, as_of: datetime | None = None) -> SweepReport:
    """Expire every active lot whose expiry is at or before ``as_of`` (default: now),
    one transaction per customer, into the programme's expired account."""
    with loyalty.work() as w:
        w.programme(tenant)
        now = w.now
    as_of = as_of or now
    if as_of > now + CLOCK_SKEW:
        raise InvalidRequest(f"cannot expire as of {as_of.isoformat()}, which is in the future")
    customers = lots_done = points = 0
    after = ""
    while True:
        with loyalty.work() as w:
            page = w.lots.customers_due_expiry(tenant, as_of, after=after, limit=PAGE)
        for customer_id in page:
            done = _expire_customer(loyalty, tenant, customer_id, as_of)
            if done:
                customers += 1
                lots_done += done[0]
                points += done[1]
        if len(page) < PAGE:
            break
        after = page[-1]
    return SweepReport(customers, lots_done, points, customers)


def _expire_customer(
    loyalty: Loyalty, tenant: str, customer_id: str, as_of: datetime
) -> tuple[int, int] | None:
    with loyalty.work() as w:
        scope = w.lock(tenant, [customer_id])
        due = [
            lot for lot in w.lots.open_lots(tenant, [customer_id])
            if not lot.pending and lot.expires_at is not None and lot.expires_at <= as_of
        ]  # fmt: skip
        if not due:
            return None
        due.sort(key=lambda lot: lot.id)
        movement = scope.movement()
        draws = [Draw(lot.id, lot.remaining) for lot in due]
        movement.take(customer_id, draws, destination=accounts.EXPIRED, reason=DrawReason.EXPIRE)
        key = f"expire:{customer_id}:{scope.customers[customer_id].version}"
        txn_id, _ = w.post(
            tenant, key, scope, movement, bump=[customer_id], effective_at=min(as_of, w.now),
            metadata={"operation": "expire", "customer_id": customer_id,
                      "as_of": as_of.isoformat(), "lots": [lot.id for lot in due]},
        )  # fmt: skip
        w.emit(tenant, events.customer_event(
            events.POINTS_EXPIRED, customer_id, points=sum(d.amount for d in draws),
            lots=[lot.id for lot in due], transaction_id=txn_id,
        ))  # fmt: skip
        w.commit()
    return len(due), sum(d.amount for d in draws)


def expiring(
    loyalty: Loyalty,
    tenant: str,
    *,
    within: timedelta,
    as_of: datetime | None = None,
    limit: int = 1000,
) -> list[ExpiringPoints]:
    """Per customer, the active points that expire after ``as_of`` and within ``within``."""
    if within <= timedelta(0):
        raise InvalidRequest("the warning window must be positive")
    with loyalty.work() as w:
        w.programme(tenant)
        start = as_of or w.now
        rows = w.lots.expiring(tenant, start, start + within, limit)
    return [ExpiringPoints(customer, points, first) for customer, points, first in rows]


def warn_expiring(
    loyalty: Loyalty, tenant: str, *, within: timedelta, as_of: datetime | None = None
) -> int:
    """One ``points.expiring_soon`` event per customer whose active points expire
    within ``within``, naming each lot once however often this runs. Returns the
    number of events written."""
    if within <= timedelta(0):
        raise InvalidRequest("the warning window must be positive")
    sent = 0
    while True:
        with loyalty.work() as w:
            w.programme(tenant)
            start = as_of or w.now
            store = ExpiryWarnings(w.connection)
            rows = store.due(tenant, start, start + within, PAGE)
            fresh = store.record(tenant, [lot for _, lot, _, _ in rows])
            by_customer: dict[str, list[tuple[int, int, datetime]]] = {}
            for customer, lot, remaining, expires in rows:
                if lot in fresh:
                    by_customer.setdefault(customer, []).append((lot, remaining, expires))
            for customer, lots in by_customer.items():
                w.emit(tenant, events.customer_event(
                    events.POINTS_EXPIRING_SOON, customer,
                    points=sum(points for _, points, _ in lots),
                    first_expiry=min(expires for _, _, expires in lots).isoformat(),
                    lots=[lot for lot, _, _ in lots],
                ))  # fmt: skip
            w.commit()
        sent += len(by_customer)
        if len(rows) < PAGE:
            return sent


def expire_all(loyalty: Loyalty) -> int:
    """The scheduled expiry of every programme; the points expired."""
    return sum(expire(loyalty, tenant).points for tenant in _tenants(loyalty))


def warn_all(loyalty: Loyalty, *, within: timedelta) -> int:
    """Expiry warnings for every programme; the events written."""
    return sum(warn_expiring(loyalty, tenant, within=within) for tenant in _tenants(loyalty))


def _tenants(loyalty: Loyalty) -> list[str]:
    with loyalty.work() as w:
        return programmes.tenants(w.connection)
