"""Risk and monitoring: the review queue, the earnings scan, balance monitors, and
verification that raises an alert.

A redemption the velocity rules flag is held (see ``spending.redeem``); an
approver's decision captures it or voids it, in the same transaction that
records the decision. The key that asked for the redemption is recorded on the
hold and may not decide it (maker-checker). The earnings scan flags customers who earned more in an
hour than the programme allows. A monitor raises an alert when its condition
turns true (not again until it has turned false). Alerts are rows; the outbox
(a later issue) will carry them out as events.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from punchcard.adapters.postgres.finance import FinanceStore
from punchcard.adapters.postgres.risk import RiskStore
from punchcard.domain.errors import (
    AdjustmentAlreadyDecided,
    HoldExpired,
    IdempotencyConflict,
    InvalidRequest,
    MakerCheckerViolation,
)
from punchcard.domain.loyalty import accounts, commands
from punchcard.domain.loyalty.commands import DecideReview
from punchcard.domain.loyalty.risk import Alert, Monitor, Review, earning_reason
from punchcard.service_layer.loyalty.spending import capture_hold, void_hold
from punchcard.service_layer.loyalty.work import LoyaltyWork, ledger_key, run_operation

if TYPE_CHECKING:
    from punchcard.service_layer.loyalty.facade import Loyalty

MEASURES = ("programme_liability", "customer_balance")
log = logging.getLogger("punchcard.risk")


class ReviewAlreadyDecided(AdjustmentAlreadyDecided):
    """The review was already decided."""

    code = "review_already_decided"


def decide_review(loyalty: Loyalty, cmd: DecideReview) -> Review:
    def body(w: LoyaltyWork, op_id: int) -> Review:
        store = RiskStore(w.connection)
        review = store.review(cmd.tenant, cmd.review_id)
        if review.status != "pending":
            raise ReviewAlreadyDecided(f"review {review.id} was already {review.status}")
        if review.requested_by is not None and cmd.decided_by == review.requested_by:
            raise MakerCheckerViolation(
                f"{cmd.decided_by} asked for the redemption under review {review.id} and "
                "cannot also decide it"
            )
        if review.hold_id is not None:
            # nothing resolves a hold under review but a decision or its expiry
            lapsed = w.orders.authorization(cmd.tenant, review.hold_id).resolved_by is not None
            if cmd.approve and lapsed:
                raise HoldExpired(
                    f"review {review.id} waited past its hold's expiry and the points went "
                    "back; it can only be rejected now"
                )
            if cmd.approve:
                capture_hold(w, cmd.tenant, review.hold_id, None, ledger_key(op_id))
            elif not lapsed:
                void_hold(w, cmd.tenant, review.hold_id, ledger_key(op_id))
        status = "approved" if cmd.approve else "rejected"
        store.decide(cmd.tenant, review.id, status=status, by=cmd.decided_by, at=w.now,
                     note=cmd.note)  # fmt: skip
        return store.review(cmd.tenant, review.id)

    try:
        return run_operation(loyalty, cmd, Review, body)
    except IdempotencyConflict:
        with loyalty.work() as w:
            decided = RiskStore(w.connection).review(cmd.tenant, cmd.review_id)
        raise ReviewAlreadyDecided(
            f"review {decided.id} was already {decided.status} by {decided.decided_by}"
        ) from None


def pending_reviews(loyalty: Loyalty, tenant: str, limit: int = 100) -> list[Review]:
    with loyalty.work() as w:
        w.programme(tenant)
        return RiskStore(w.connection).pending(tenant, limit)


def review(loyalty: Loyalty, tenant: str, review_id: int) -> Review:
    """One review, pending or decided (who decided it, when, and the note)."""
    with loyalty.work() as w:
        w.programme(tenant)
        return RiskStore(w.connection).review(tenant, review_id)


def scan_earnings(loyalty: Loyalty, tenant: str, *, as_of: datetime | None = None) -> list[int]:
    """Flag every customer who earned more than the programme allows in the hour
    before ``as_of``; returns the new reviews' ids (a window is flagged once)."""
    with loyalty.work() as w:
        rules = w.programme(tenant).risk
        if rules.max_earned_points_per_hour is None:
            return []
        until = as_of or w.now
        since = until - timedelta(hours=1)
        store = RiskStore(w.connection)
        created = []
        for customer, earned in store.fast_earners(
            tenant, since, until, rules.max_earned_points_per_hour
        ):
            reason = earning_reason(rules, earned)
            assert reason is not None
            window = until.replace(minute=0, second=0, microsecond=0)
            review = store.add_review(
                tenant, kind="earning", customer=customer, points=earned, reasons=[reason],
                at=w.now, window_start=window,
            )  # fmt: skip
            if review is not None:
                created.append(review)
        w.commit()
    return created


def add_monitor(
    loyalty: Loyalty,
    tenant: str,
    *,
    name: str,
    measure: str,
    threshold: int,
    customer_id: str | None = None,
) -> Monitor:
    commands.text(name, "a monitor's name")
    if measure not in MEASURES:
        raise InvalidRequest(f"a monitor measures one of: {', '.join(MEASURES)}")
    if (measure == "customer_balance") != (customer_id is not None):
        raise InvalidRequest("customer_balance needs a customer_id, and only it")
    if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 0:
        raise InvalidRequest("a monitor's threshold is a non-negative integer of points")
    with loyalty.work() as w:
        w.programme(tenant)
        if customer_id is not None:
            w.customers.by_id(tenant, commands.customer_id(customer_id))
        store = RiskStore(w.connection)
        monitor_id = store.add_monitor(tenant, name, measure, customer_id, threshold)
        w.commit()
        return next(m for m in store.lock_monitors(tenant) if m.id == monitor_id)


def monitors(loyalty: Loyalty, tenant: str) -> list[Monitor]:
    with loyalty.work() as w:
        w.programme(tenant)
        return RiskStore(w.connection).monitors(tenant)


def check_monitors(loyalty: Loyalty, tenant: str) -> list[Alert]:
    """Evaluate every monitor: one whose value is above its threshold and was not
    tripped raises an alert and trips; one back at or below resets."""
    raised: list[int] = []
    with loyalty.work() as w:
        programme = w.programme(tenant)
        store = RiskStore(w.connection)
        for monitor in store.lock_monitors(tenant):
            value = _measure(w, tenant, programme.points_asset, monitor)
            above = value > monitor.threshold
            if above and not monitor.tripped:
                raised.append(store.raise_alert(
                    tenant, "monitor", f"{monitor.name}: {value:,} is above {monitor.threshold:,}",
                    {"monitor_id": monitor.id, "measure": monitor.measure, "value": value,
                     "threshold": monitor.threshold, "customer_id": monitor.customer_id},
                    w.now,
                ))  # fmt: skip
            if above != monitor.tripped:
                store.set_monitor(tenant, monitor.id, above)
        w.commit()
        return [a for a in store.alerts(tenant, max(len(raised), 1)) if a.id in raised]


def _measure(w: LoyaltyWork, tenant: str, asset: str, monitor: Monitor) -> int:
    if monitor.measure == "programme_liability":
        return FinanceStore(w.connection).holdings_now(tenant, asset)
    assert monitor.customer_id is not None
    found = w.customers.balances(tenant, [accounts.points(monitor.customer_id)])
    posted, held = found.get((accounts.points(monitor.customer_id), asset), (0, 0))
    return posted - held


def verify_and_alert(loyalty: Loyalty, *, tenant: str | None = None) -> list[Alert]:
    """Seal, verify, and raise an alert for every tenant with a discrepancy."""
    loyalty.ledger.seal()
    report = loyalty.ledger.verify(tenant=tenant)
    alerts: list[Alert] = []
    for tenant_report in report.tenants:
        if tenant_report.ok:
            continue
        problems = [p for c in tenant_report.checks for p in c.problems]
        with loyalty.work() as w:
            store = RiskStore(w.connection)
            alert_id = store.raise_alert(
                tenant_report.tenant, "verify", f"verify found {len(problems)} problem(s)",
                {"problems": problems[:20], "head_seq": tenant_report.head_seq}, w.now,
            )  # fmt: skip
            w.commit()
            alerts += [a for a in store.alerts(tenant_report.tenant, 1) if a.id == alert_id]
    return alerts


def alerts(loyalty: Loyalty, tenant: str, limit: int = 100) -> list[Alert]:
    with loyalty.work() as w:
        return RiskStore(w.connection).alerts(tenant, limit)


# -- the scheduled jobs, across tenants ---------------------------------------------------


def scan_all_earnings(loyalty: Loyalty) -> int:
    """The earnings scan of every programme that limits hourly earnings; the number
    of reviews it opened. A programme without the limit costs nothing."""
    with loyalty.work() as w:
        tenants = RiskStore(w.connection).tenants_scanning_earnings()
    return _each(tenants, lambda tenant: len(scan_earnings(loyalty, tenant)), "scan_earnings")


def check_all_monitors(loyalty: Loyalty) -> int:
    """Check the monitors of every tenant that has any; the number of alerts raised."""
    with loyalty.work() as w:
        tenants = RiskStore(w.connection).tenants_with_monitors()
    return _each(tenants, lambda tenant: len(check_monitors(loyalty, tenant)), "check_monitors")


def _each(tenants: list[str], job: Callable[[str], int], name: str) -> int:
    """Run ``job`` for every tenant; one that fails does not stop the others, and the
    first failure is raised once all have run (so the sweep counts it)."""
    done, failed = 0, None
    for tenant in tenants:
        try:
            done += job(tenant)
        except Exception as exc:
            log.exception("job failed for a tenant", extra={"job": name, "tenant": tenant})
            failed = failed or exc
    if failed is not None:
        raise failed
    return done
