"""The review queue: redemptions the velocity rules held, and customers the earnings
scan flagged, each waiting for an approver's decision.

Approving a held redemption captures it, rejecting it voids it (the points come
back), in the transaction that records the decision. Approving or rejecting an
earnings flag records the decision only. A review is decided once, and never by
the key that asked for the redemption (maker-checker); an earnings flag has no
maker, so any approver may decide it.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from punchcard.domain.loyalty.commands import DecideReview
from punchcard.entrypoints.http.deps import Approver, Reader, Svc
from punchcard.entrypoints.http.schemas_points import Decision, Serial
from punchcard.entrypoints.http.schemas_risk import ReviewList, ReviewView
from punchcard.service_layer import risk

router = APIRouter(prefix="/v1/reviews", tags=["reviews"])


@router.get("", response_model=ReviewList)
def pending(
    svc: Svc,
    caller: Reader,
    status: Annotated[Literal["pending"], Query()] = "pending",
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> ReviewList:
    """The reviews waiting for a decision, oldest first, at most ``limit`` of them.
    A decided review is read by its id."""
    found = risk.pending_reviews(svc.loyalty, caller.tenant, limit=limit)
    return ReviewList(data=[ReviewView.of(review) for review in found])


@router.get("/{review_id}", response_model=ReviewView)
def one(review_id: Serial, svc: Svc, caller: Reader) -> ReviewView:
    """One review, pending or decided: who asked, who decided, when, and the note."""
    return ReviewView.of(risk.review(svc.loyalty, caller.tenant, review_id))


def _decide(
    review_id: int, request: Request, svc: Svc, caller: Approver, *, approve: bool,
    body: Decision | None,
) -> JSONResponse:  # fmt: skip
    chosen = body or Decision()
    cmd = DecideReview(tenant=caller.tenant, review_id=review_id, approve=approve,
                       decided_by=caller.actor, note=chosen.note)  # fmt: skip
    return svc.idempotency.respond(
        request, caller, chosen, lambda: ReviewView.of(risk.decide_review(svc.loyalty, cmd))
    )


@router.post("/{review_id}/approve", response_model=ReviewView)
def approve(
    review_id: Serial, request: Request, svc: Svc, caller: Approver,
    body: Decision | None = None,
) -> JSONResponse:  # fmt: skip
    """Approve a review: a held redemption is captured (the points are spent). The
    calling key must not be the one that asked for the redemption (403
    maker_checker_violation). A review is decided once: deciding it otherwise is 409
    review_already_decided (the same decision by the same key answers it again)."""
    return _decide(review_id, request, svc, caller, approve=True, body=body)


@router.post("/{review_id}/reject", response_model=ReviewView)
def reject(
    review_id: Serial, request: Request, svc: Svc, caller: Approver,
    body: Decision | None = None,
) -> JSONResponse:  # fmt: skip
    """Reject a review: a held redemption is voided and its points go back to the
    customer. Not by the key that asked for it (403 maker_checker_violation); deciding
    it otherwise is 409 review_already_decided."""
    return _decide(review_id, request, svc, caller, approve=False, body=body)
