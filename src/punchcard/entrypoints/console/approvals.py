"""Approvals: what waits for a second person. Pending adjustments, submitted
ruleset versions and flagged redemptions, each approved or rejected by an
approver (or admin) who is not its maker.

Maker-checker is the use cases' own rule: approving what this key requested is
refused by the service with ``maker_checker_violation``, which the console shows
as a page naming that code, as the API answers it with a 403.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, Response

from punchcard.domain.access import Role
from punchcard.domain.loyalty.commands import DecideReview
from punchcard.domain.rules.versions import RulesetStatus
from punchcard.entrypoints.console.web import Poster, Reader, State, redirect, render
from punchcard.service_layer import risk

router = APIRouter(prefix="/approvals")

Serial = Annotated[int, Path(ge=1, le=2**63 - 1)]
Decision = Annotated[Literal["approve", "reject"], Form()]
Note = Annotated[str | None, Form(max_length=500)]


@router.get("", response_class=HTMLResponse)
def approvals(request: Request, operator: Reader, state: State) -> Response:
    loyalty = state.services.loyalty
    tenant = operator.tenant
    submitted = [v for v in loyalty.rulesets(tenant, limit=200)
                 if v.status is RulesetStatus.SUBMITTED]  # fmt: skip
    return render(
        request, "approvals.html", operator,
        adjustments=loyalty.pending_adjustments(tenant, limit=200),
        rulesets=submitted,
        reviews=risk.pending_reviews(loyalty, tenant, limit=200),
    )  # fmt: skip


def _note(note: str | None) -> str | None:
    return (note or "").strip() or None


@router.post("/adjustments/{adjustment_id}")
def decide_adjustment(
    request: Request, operator: Poster, state: State, *, adjustment_id: Serial,
    decision: Decision, note: Note = None,
) -> Response:  # fmt: skip
    operator.principal.require(Role.APPROVER)
    loyalty = state.services.loyalty
    if decision == "approve":
        loyalty.approve_adjustment(operator.tenant, adjustment_id, approved_by=operator.actor,
                                   note=_note(note))  # fmt: skip
    else:
        loyalty.reject_adjustment(operator.tenant, adjustment_id, rejected_by=operator.actor,
                                  note=_note(note))  # fmt: skip
    return redirect(request, "/approvals", f"adjustment_{decision}d")


@router.post("/reviews/{review_id}")
def decide_review(
    request: Request, operator: Poster, state: State, *, review_id: Serial,
    decision: Decision, note: Note = None,
) -> Response:  # fmt: skip
    operator.principal.require(Role.APPROVER)
    cmd = DecideReview(tenant=operator.tenant, review_id=review_id,
                       approve=decision == "approve", decided_by=operator.actor,
                       note=_note(note))  # fmt: skip
    risk.decide_review(state.services.loyalty, cmd)
    return redirect(request, "/approvals", f"review_{decision}d")


@router.post("/rulesets/{version}")
def decide_ruleset(
    request: Request, operator: Poster, state: State,
    version: Annotated[int, Path(ge=1, le=2**31 - 1)],
    decision: Annotated[Literal["approve", "withdraw"], Form()],
) -> Response:  # fmt: skip
    """Approve publishes the version; withdraw sends it back to draft (the API has
    no other way to refuse a submitted ruleset)."""
    operator.principal.require(Role.APPROVER)
    loyalty = state.services.loyalty
    if decision == "approve":
        loyalty.approve_ruleset(operator.tenant, version, approved_by=operator.actor)
        return redirect(request, "/approvals", "ruleset_approved")
    loyalty.withdraw_ruleset(operator.tenant, version)
    return redirect(request, "/approvals", "ruleset_withdrawn")
