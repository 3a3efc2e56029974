"""Spending and moving points: redeem, authorize then capture or void, convert to
store credit, transfer between customers, exchange with a partner.

Each of these moves value, so each needs an Idempotency-Key: it runs the request
once at the HTTP layer and is the use case's own key, so a retry never spends twice.
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from punchcard.domain.loyalty.commands import Direction
from punchcard.domain.loyalty.results import (
    AuthorizationResult,
    ConversionResult,
    ExchangeResult,
    RedemptionResult,
    TransferResult,
    VoidResult,
)
from punchcard.entrypoints.http.deps import Operator, Svc
from punchcard.entrypoints.http.schemas import Id
from punchcard.entrypoints.http.schemas_points import (
    CallerKey,
    Capture,
    Conversion,
    NewAuthorization,
    NewExchange,
    NewTransfer,
    Redemption,
    Serial,
    Void,
)

router = APIRouter(prefix="/v1", tags=["points"])

HOLD_TIMEOUT = timedelta(minutes=15)
"""How long an authorization holds its points unless the request says otherwise."""


@router.post("/customers/{customer_id}/redemptions", response_model=RedemptionResult)
def redeem(
    customer_id: Id, body: Redemption, request: Request, svc: Svc, *,
    caller: Operator, key: CallerKey,
) -> JSONResponse:  # fmt: skip
    """Spend points on a redemption option at once, soonest-expiring points first.
    The option sets the minimum and what the points are worth; naming the order they
    paid for means refunding that order gives them back. A redemption the
    programme's velocity rules flag is held instead (``status: pending_review``,
    with its ``review_id``) until another key decides it at ``/v1/reviews``."""
    return svc.idempotency.respond(
        request, caller, body,
        lambda: svc.loyalty.redeem(
            caller.tenant, customer_id, option=body.option, points=body.points,
            idempotency_key=key, order_id=body.order_id, requested_by=caller.actor,
        ),
    )  # fmt: skip


@router.post(
    "/customers/{customer_id}/authorizations", response_model=AuthorizationResult, status_code=201
)
def authorize(
    customer_id: Id, body: NewAuthorization, request: Request, svc: Svc, *,
    caller: Operator, key: CallerKey,
) -> JSONResponse:  # fmt: skip
    """Hold points for a redemption now and decide later: capture them (all or part)
    or void the hold. Held points are not spendable; a hold left alone expires after
    ``timeout_seconds`` (default 15 minutes) and its points come back."""
    seconds = body.timeout_seconds
    timeout = HOLD_TIMEOUT if seconds is None else timedelta(seconds=seconds)
    return svc.idempotency.respond(
        request, caller, body,
        lambda: svc.loyalty.authorize(
            caller.tenant, customer_id, option=body.option, points=body.points,
            idempotency_key=key, timeout=timeout, order_id=body.order_id,
        ),
        status=201,
    )  # fmt: skip


@router.post("/authorizations/{hold_id}/capture", response_model=RedemptionResult)
def capture(
    hold_id: Serial, request: Request, svc: Svc, *, caller: Operator,
    key: CallerKey, body: Capture | None = None,
) -> JSONResponse:  # fmt: skip
    """Spend the points an authorization holds: all of them, or ``points`` of them
    with the rest given back to the lots they came from. A hold resolves once: after
    a capture, void or expiry it is 409 hold_already_resolved."""
    chosen = body or Capture()
    return svc.idempotency.respond(
        request, caller, chosen,
        lambda: svc.loyalty.capture(
            caller.tenant, hold_id, idempotency_key=key, points=chosen.points
        ),
    )  # fmt: skip


@router.post("/authorizations/{hold_id}/void", response_model=VoidResult)
def void(
    hold_id: Serial, request: Request, svc: Svc, *, caller: Operator,
    key: CallerKey, body: Void | None = None,
) -> JSONResponse:  # fmt: skip
    """Cancel an authorization: every held point goes back to the lots it came from
    (first repaying anything a refund left the customer owing). A hold resolves once:
    after a capture, void or expiry it is 409 hold_already_resolved."""
    chosen = body or Void()
    return svc.idempotency.respond(
        request, caller, chosen,
        lambda: svc.loyalty.void(caller.tenant, hold_id, idempotency_key=key),
    )  # fmt: skip


@router.post("/customers/{customer_id}/conversions", response_model=ConversionResult)
def convert(
    customer_id: Id, body: Conversion, request: Request, svc: Svc, *,
    caller: Operator, key: CallerKey,
) -> JSONResponse:  # fmt: skip
    """Turn points into store credit at the programme's conversion rate. Only whole
    conversion units are converted; the remainder stays as points, and less than one
    unit is 422 below_minimum."""
    return svc.idempotency.respond(
        request, caller, body,
        lambda: svc.loyalty.convert(
            caller.tenant, customer_id, points=body.points, idempotency_key=key
        ),
    )  # fmt: skip


@router.post("/transfers", response_model=TransferResult)
def transfer(
    body: NewTransfer, request: Request, svc: Svc, caller: Operator, key: CallerKey
) -> JSONResponse:
    """Move points from one customer to another of the same programme. The sender's
    soonest-expiring points go; the receiver gets one transferred lot with the
    programme's expiry for transferred points."""
    return svc.idempotency.respond(
        request, caller, body,
        lambda: svc.loyalty.transfer(
            caller.tenant, from_customer=body.from_customer, to_customer=body.to_customer,
            points=body.points, idempotency_key=key,
        ),
    )  # fmt: skip


@router.post("/customers/{customer_id}/exchanges", response_model=ExchangeResult)
def exchange(
    customer_id: Id, body: NewExchange, request: Request, svc: Svc, *,
    caller: Operator, key: CallerKey,
) -> JSONResponse:  # fmt: skip
    """Exchange with a partner programme at its whole-unit ratio: ``out`` gives
    ``amount`` points for the partner's units, ``back`` gives ``amount`` partner units
    for points (a transferred lot). What does not make a whole unit stays put."""
    return svc.idempotency.respond(
        request, caller, body,
        lambda: svc.loyalty.exchange(
            caller.tenant, customer_id, partner=body.partner, amount=body.amount,
            idempotency_key=key, direction=Direction(body.direction),
        ),
    )  # fmt: skip
