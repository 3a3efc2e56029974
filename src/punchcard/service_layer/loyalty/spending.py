"""Spending points: redeem directly, or authorize (hold) then capture or void; convert
to store credit.

Every debit locks the customer, draws the soonest-expiring active lots and posts
in the same transaction, so two concurrent redemptions can never spend the same
points: the second waits for the first, then finds the lots gone. An
authorization draws its lots when it is placed; a void, an expiry or the unused
part of a capture gives them back to the same lots.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from punchcard.adapters.postgres.risk import RiskStore
from punchcard.domain import commands as ledger_commands
from punchcard.domain import events
from punchcard.domain.errors import BelowMinimum, Conflict, InvalidRequest, UnknownRedemptionOption
from punchcard.domain.loyalty import accounts
from punchcard.domain.loyalty.commands import Authorize, Capture, Convert, Redeem, Void
from punchcard.domain.loyalty.lots import Draw, DrawReason, plan_release, total
from punchcard.domain.loyalty.movement import LotDraw, require_draws
from punchcard.domain.loyalty.programme import Programme, RedemptionOption
from punchcard.domain.loyalty.results import (
    AuthorizationResult,
    ConversionResult,
    RedemptionResult,
    VoidResult,
)
from punchcard.domain.loyalty.risk import redemption_reasons
from punchcard.domain.model import Posting
from punchcard.service_layer.loyalty.work import LoyaltyWork, Scope, ledger_key, run_operation

if TYPE_CHECKING:
    from punchcard.service_layer.loyalty.facade import Loyalty


class UnderReview(Conflict):
    """The redemption waits for review; an approver captures or voids it."""

    code = "under_review"


def _order_of(w: LoyaltyWork, cmd: Redeem) -> None:
    """A redemption may name an order the purchase event has not reached yet (points
    paid part of it at checkout), but never another customer's order."""
    if cmd.order_id is None:
        return
    owner = w.orders.owner(cmd.tenant, cmd.order_id)
    if owner is not None and owner != cmd.customer_id:
        raise InvalidRequest(f"order {cmd.order_id!r} belongs to another customer")


def _option(programme: Programme, cmd: Redeem) -> RedemptionOption:
    option = programme.redemption_options.get(cmd.option)
    if option is None:
        known = ", ".join(sorted(programme.redemption_options)) or "none"
        raise UnknownRedemptionOption(f"no redemption option {cmd.option!r} (known: {known})")
    if cmd.points < option.minimum:
        raise BelowMinimum(
            f"{cmd.option} needs at least {option.minimum} points; {cmd.points} were asked"
        )
    return option


def redeem(loyalty: Loyalty, cmd: Redeem) -> RedemptionResult:
    def body(w: LoyaltyWork, op_id: int) -> RedemptionResult:
        scope = w.lock(cmd.tenant, [cmd.customer_id])
        option = _option(scope.programme, cmd)
        _order_of(w, cmd)
        reasons = _velocity(w, scope, cmd)
        if reasons:
            return _hold_for_review(
                w, scope, cmd, option=option, reasons=reasons, key=ledger_key(op_id)
            )
        movement = scope.movement()
        lots = w.lots.open_lots(cmd.tenant, [cmd.customer_id])
        movement.debit(
            cmd.customer_id, lots, cmd.points, destination=accounts.REDEEMED,
            reason=DrawReason.REDEEM,
        )  # fmt: skip
        value = option.rate.value_of(cmd.points)
        metadata = {"operation": "redeem", "customer_id": cmd.customer_id, "option": cmd.option,
                    "value": value, "order_id": cmd.order_id}  # fmt: skip
        txn_id, _ = w.post(cmd.tenant, ledger_key(op_id), scope, movement, metadata=metadata)
        w.orders.add_redemption(
            cmd.tenant, transaction_id=txn_id, customer_id=cmd.customer_id, option=cmd.option,
            points=cmd.points, value=value, order_id=cmd.order_id, hold_id=None,
        )  # fmt: skip
        return RedemptionResult(
            cmd.customer_id, cmd.option, cmd.points, value, txn_id, cmd.order_id
        )

    return run_operation(loyalty, cmd, RedemptionResult, body)


def authorize(loyalty: Loyalty, cmd: Authorize) -> AuthorizationResult:
    def body(w: LoyaltyWork, op_id: int) -> AuthorizationResult:
        scope = w.lock(cmd.tenant, [cmd.customer_id])
        option = _option(scope.programme, cmd)
        _order_of(w, cmd)
        return _hold(
            w, scope, cmd, option=option, timeout=cmd.timeout, key=ledger_key(op_id),
            operation="authorize",
        )  # fmt: skip

    return run_operation(loyalty, cmd, AuthorizationResult, body)


def _hold(
    w: LoyaltyWork,
    scope: Scope,
    cmd: Redeem,
    *,
    option: RedemptionOption,
    timeout: timedelta,
    key: str,
    operation: str,
) -> AuthorizationResult:
    """Hold ``cmd.points`` for a redemption: draw the lots now, post later."""
    lots = w.lots.open_lots(cmd.tenant, [cmd.customer_id])
    draws = require_draws(cmd.customer_id, lots, cmd.points, w.now)
    posting = Posting(
        accounts.points(cmd.customer_id), accounts.REDEEMED, scope.programme.points_asset,
        cmd.points,
    )  # fmt: skip
    held = w.journal.hold(
        ledger_commands.PlaceHold(
            tenant=cmd.tenant,
            posting=posting,
            idempotency_key=key,
            timeout=timeout,
            metadata={
                "operation": operation,
                "customer_id": cmd.customer_id,
                "option": cmd.option,
                "order_id": cmd.order_id,
                # the maker of a redemption under review: its checker must be another
                **({} if cmd.requested_by is None else {"requested_by": cmd.requested_by}),
            },
        )
    )
    hold_id = held.hold.id
    w.lots.record(cmd.tenant, hold_id, [LotDraw(d, DrawReason.HOLD) for d in draws])
    w.orders.add_authorization(
        cmd.tenant, hold_id=hold_id, customer_id=cmd.customer_id, option=cmd.option,
        points=cmd.points, rate=option.rate, order_id=cmd.order_id,
    )  # fmt: skip
    assert held.hold.expires_at is not None  # a redemption hold always has a timeout
    return AuthorizationResult(
        hold_id, cmd.customer_id, cmd.option, cmd.points, option.rate.value_of(cmd.points),
        held.hold.expires_at, cmd.order_id,
    )  # fmt: skip


def capture(loyalty: Loyalty, cmd: Capture) -> RedemptionResult:
    def body(w: LoyaltyWork, op_id: int) -> RedemptionResult:
        _not_under_review(w, cmd.tenant, cmd.hold_id)
        return capture_hold(w, cmd.tenant, cmd.hold_id, cmd.points, ledger_key(op_id))

    return run_operation(loyalty, cmd, RedemptionResult, body)


def void(loyalty: Loyalty, cmd: Void) -> VoidResult:
    def body(w: LoyaltyWork, op_id: int) -> VoidResult:
        _not_under_review(w, cmd.tenant, cmd.hold_id)
        return void_hold(w, cmd.tenant, cmd.hold_id, ledger_key(op_id))

    return run_operation(loyalty, cmd, VoidResult, body)


def _velocity(w: LoyaltyWork, scope: Scope, cmd: Redeem) -> list[str]:
    """Why this redemption needs a person's review under the programme's velocity
    rules (none when they are off)."""
    rules = scope.programme.risk
    if (rules.max_redemptions_per_day, rules.max_redeemed_points_per_day,
            rules.review_redemptions_from) == (None, None, None):  # fmt: skip
        return []
    count, points = RiskStore(w.connection).redemptions_since(
        cmd.tenant, cmd.customer_id, w.now - timedelta(hours=24)
    )
    return redemption_reasons(rules, points=cmd.points, count_24h=count, points_24h=points)


def _hold_for_review(
    w: LoyaltyWork,
    scope: Scope,
    cmd: Redeem,
    *,
    option: RedemptionOption,
    reasons: list[str],
    key: str,
) -> RedemptionResult:
    """Instead of completing: hold the points and queue the redemption for review."""
    timeout = timedelta(days=scope.programme.risk.review_days)
    held = _hold(
        w, scope, cmd, option=option, timeout=timeout, key=key, operation="redeem_under_review"
    )
    review_id = RiskStore(w.connection).add_review(
        cmd.tenant, kind="redemption", customer=cmd.customer_id, points=cmd.points,
        reasons=reasons, at=w.now, hold_id=held.hold_id,
    )  # fmt: skip
    return RedemptionResult(
        cmd.customer_id, cmd.option, cmd.points, held.value, held.hold_id, cmd.order_id,
        held.hold_id, status="pending_review", review_id=review_id,
    )  # fmt: skip


def _not_under_review(w: LoyaltyWork, tenant: str, hold_id: int) -> None:
    review = RiskStore(w.connection).review_of_hold(tenant, hold_id)
    if review is not None and review[1] == "pending":
        raise UnderReview(f"hold {hold_id} waits for review {review[0]}: an approver decides it")


def capture_hold(
    w: LoyaltyWork, tenant: str, hold_id: int, points: int | None, key: str
) -> RedemptionResult:
    """Capture a redemption hold (all, or ``points`` of it) inside the caller's work."""
    auth = w.orders.authorization(tenant, hold_id)
    scope = w.lock(tenant, [auth.customer_id])
    captured = w.journal.capture(
        ledger_commands.CaptureHold(
            tenant=tenant,
            hold_id=hold_id,
            amount=points,
            idempotency_key=key,
            metadata={
                "operation": "capture",
                "customer_id": auth.customer_id,
                "option": auth.option,
                "order_id": auth.order_id,
            },
        )
    ).transaction
    taken = captured.postings[0].amount if captured.postings else 0
    _release(
        w, scope, customer_id=auth.customer_id, hold_id=hold_id, points=auth.points - taken,
        transaction_id=captured.id,
    )  # fmt: skip
    value = auth.rate.value_of(taken)
    if taken:
        w.orders.add_redemption(
            tenant, transaction_id=captured.id, customer_id=auth.customer_id,
            option=auth.option, points=taken, value=value, order_id=auth.order_id,
            hold_id=hold_id,
        )  # fmt: skip
    return RedemptionResult(
        auth.customer_id, auth.option, taken, value, captured.id, auth.order_id, hold_id
    )


def void_hold(w: LoyaltyWork, tenant: str, hold_id: int, key: str) -> VoidResult:
    """Void a redemption hold, giving its points back, inside the caller's work."""
    auth = w.orders.authorization(tenant, hold_id)
    scope = w.lock(tenant, [auth.customer_id])
    voided = w.journal.void(
        ledger_commands.VoidHold(
            tenant=tenant,
            hold_id=hold_id,
            idempotency_key=key,
            metadata={"operation": "void", "customer_id": auth.customer_id},
        )
    ).transaction
    _release(
        w, scope, customer_id=auth.customer_id, hold_id=hold_id, points=auth.points,
        transaction_id=voided.id,
    )  # fmt: skip
    return VoidResult(hold_id, auth.points, voided.id)


def expire_authorizations(loyalty: Loyalty, *, batch: int = 1000) -> int:
    """Void every redemption hold whose time has run out and give its lots back."""
    expired = 0
    while True:
        with loyalty.work() as w:
            due = w.orders.expired_authorizations(w.now, batch)
        for tenant, hold_id in due:
            expired += _expire_authorization(loyalty, tenant, hold_id)
        if len(due) < batch:
            return expired


def _expire_authorization(loyalty: Loyalty, tenant: str, hold_id: int) -> bool:
    with loyalty.work() as w:
        auth = w.orders.authorization(tenant, hold_id)
        scope = w.lock(tenant, [auth.customer_id])
        if w.orders.authorization(tenant, hold_id).resolved_by is not None:
            return False  # captured or voided while we waited for the lock
        voided = w.journal.void(
            ledger_commands.ExpireHold(
                tenant=tenant,
                hold_id=hold_id,
                idempotency_key=f"expire-hold:{hold_id}",
                metadata={"operation": "expire_authorization", "customer_id": auth.customer_id},
            )
        ).transaction
        _release(
            w, scope, customer_id=auth.customer_id, hold_id=hold_id, points=auth.points,
            transaction_id=voided.id,
        )  # fmt: skip
        w.emit(tenant, events.customer_event(
            events.HOLD_EXPIRED, auth.customer_id, hold_id=hold_id, points=auth.points,
            transaction_id=voided.id,
        ))  # fmt: skip
        w.commit()
    return True


def _release(
    w: LoyaltyWork,
    scope: Scope,
    *,
    customer_id: str,
    hold_id: int,
    points: int,
    transaction_id: int,
) -> None:
    """Give ``points`` a hold drew back to its lots, in the transaction that resolved
    it. Like any points becoming spendable again, they first repay what a refund
    left the customer owing meanwhile (a deficit, or a clawback debt, which then
    moves in a transaction of its own beside the resolution)."""
    if points <= 0:
        return
    tenant = scope.tenant
    releases = plan_release(w.lots.hold_draws(tenant, hold_id), points)
    assert total(releases) == points
    w.lots.record(tenant, transaction_id, [LotDraw(d, DrawReason.RELEASE) for d in releases])
    movement = scope.movement()
    for release in releases:
        repaid, settled = movement.pay_debts(customer_id, release.amount)
        movement.record([Draw(release.lot_id, repaid)], DrawReason.REPAY)
        movement.record([Draw(release.lot_id, settled)], DrawReason.SETTLE)
    if not movement.draws:
        return
    if movement.postings:
        w.post(
            tenant, f"settle:{transaction_id}", scope, movement,
            metadata={"operation": "settle", "customer_id": customer_id, "hold_id": hold_id},
        )  # fmt: skip
    else:  # repaying a deficit moves nothing in the ledger
        w.lots.record(tenant, transaction_id, movement.draws)
        w.customers.save(tenant, movement.changed_customers(scope.customers))


def convert(loyalty: Loyalty, cmd: Convert) -> ConversionResult:
    def body(w: LoyaltyWork, op_id: int) -> ConversionResult:
        scope = w.lock(cmd.tenant, [cmd.customer_id])
        programme = scope.programme
        rate = programme.conversion
        units = cmd.points // rate.points
        if units == 0:
            raise BelowMinimum(
                f"conversion is in whole units of {rate.points} points; {cmd.points} is less"
            )
        points, credit = units * rate.points, units * rate.value
        movement = scope.movement()
        lots = w.lots.open_lots(cmd.tenant, [cmd.customer_id])
        movement.debit(
            cmd.customer_id, lots, points, destination=accounts.CONVERSION,
            reason=DrawReason.CONVERT,
        )  # fmt: skip
        movement.post(
            accounts.CREDIT_ISSUANCE, accounts.credit(cmd.customer_id), credit,
            asset=programme.credit_asset,
        )  # fmt: skip
        metadata = {"operation": "convert", "customer_id": cmd.customer_id, "points": points,
                    "credit": credit}  # fmt: skip
        txn_id, _ = w.post(cmd.tenant, ledger_key(op_id), scope, movement, metadata=metadata)
        return ConversionResult(cmd.customer_id, points, credit, cmd.points - points, txn_id)

    return run_operation(loyalty, cmd, ConversionResult, body)
