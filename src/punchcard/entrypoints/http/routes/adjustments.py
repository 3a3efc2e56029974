"""Manual corrections under maker-checker: an operator's key requests an adjustment,
a different approver's key approves (it posts) or rejects it. The keys' ids are
the maker and the checker, so one key can never do both."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from punchcard.domain.loyalty.results import Adjustment
from punchcard.entrypoints.http.deps import Approver, Operator, Reader, Svc
from punchcard.entrypoints.http.schemas_points import CallerKey, Decision, NewAdjustment, Serial

router = APIRouter(prefix="/v1/adjustments", tags=["adjustments"])


@router.post("", response_model=Adjustment, status_code=201)
def request_adjustment(
    body: NewAdjustment, request: Request, svc: Svc, caller: Operator, key: CallerKey
) -> JSONResponse:
    """Ask for a manual correction of a customer's points: positive credits an
    adjusted lot, negative takes points away. Nothing moves yet; the adjustment waits,
    pending, for another key to approve or reject it. The calling key is the maker."""
    return svc.idempotency.respond(
        request, caller, body,
        lambda: svc.loyalty.request_adjustment(
            caller.tenant, body.customer_id, points=body.points, reason=body.reason,
            requested_by=caller.actor, idempotency_key=key,
        ),
        status=201,
    )  # fmt: skip


@router.get("", response_model=list[Adjustment])
def pending(
    svc: Svc,
    caller: Reader,
    status: Annotated[Literal["pending"], Query()] = "pending",
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[Adjustment]:
    """The adjustments waiting for a decision, oldest first, at most ``limit`` of them.
    Only ``status=pending`` is listed here; a decided adjustment is in the customer's
    history as the transaction that posted it."""
    return svc.loyalty.pending_adjustments(caller.tenant, limit=limit)


@router.post("/{adjustment_id}/approve", response_model=Adjustment)
def approve(
    adjustment_id: Serial, request: Request, svc: Svc, caller: Approver,
    body: Decision | None = None,
) -> JSONResponse:  # fmt: skip
    """Approve a pending adjustment, which posts it at once; the calling key is the
    checker and must not be the key that requested it (403 maker_checker_violation).
    An adjustment is decided once: deciding it again is 409 adjustment_already_decided."""
    chosen = body or Decision()
    return svc.idempotency.respond(
        request, caller, chosen,
        lambda: svc.loyalty.approve_adjustment(
            caller.tenant, adjustment_id, approved_by=caller.actor, note=chosen.note
        ),
    )  # fmt: skip


@router.post("/{adjustment_id}/reject", response_model=Adjustment)
def reject(
    adjustment_id: Serial, request: Request, svc: Svc, caller: Approver,
    body: Decision | None = None,
) -> JSONResponse:  # fmt: skip
    """Reject a pending adjustment; nothing moves. The calling key is the checker and
    must not be the key that requested it (403 maker_checker_violation). An
    adjustment is decided once: deciding it again is 409 adjustment_already_decided."""
    chosen = body or Decision()
    return svc.idempotency.respond(
        request, caller, chosen,
        lambda: svc.loyalty.reject_adjustment(
            caller.tenant, adjustment_id, rejected_by=caller.actor, note=chosen.note
        ),
    )  # fmt: skip
