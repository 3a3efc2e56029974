"""What a customer's page lets an operator do, each by the API's role for it:
request an adjustment (operators; it waits for a second person), void a hold
(operators), export everything held of the customer (DSAR) and erase their
personal data (support: operators and admins).

Erasure cannot be undone, so it has a page of its own that says what it destroys
and what stays, and the form must carry the ticked confirmation.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import HTMLResponse, JSONResponse, Response

from punchcard.domain.access import Role
from punchcard.domain.errors import InvalidRequest
from punchcard.entrypoints.console.customers import CustomerId
from punchcard.entrypoints.console.web import Poster, Reader, State, redirect, render
from punchcard.entrypoints.http.deps import SUPPORT
from punchcard.entrypoints.http.routes.reports import csv_answer

router = APIRouter(prefix="/customers")

Key = Annotated[str, Form(min_length=1, max_length=200)]


@router.post("/{customer_id}/adjustments")
def request_adjustment(
    request: Request, operator: Poster, state: State, *, customer_id: CustomerId,
    points: Annotated[int, Form(ge=-(2**53), le=2**53)],
    reason: Annotated[str, Form(max_length=500)], idempotency_key: Key,
) -> Response:  # fmt: skip
    operator.principal.require(Role.OPERATOR)
    state.services.loyalty.request_adjustment(
        operator.tenant, customer_id, points=points, reason=reason,
        requested_by=operator.actor, idempotency_key=idempotency_key,
    )  # fmt: skip
    return redirect(request, f"/customers/{customer_id}", "adjustment_requested")


@router.post("/{customer_id}/void")
def void_hold(
    request: Request, operator: Poster, state: State, *, customer_id: CustomerId,
    hold_id: Annotated[int, Form(ge=1, le=2**63 - 1)], idempotency_key: Key,
) -> Response:  # fmt: skip
    operator.principal.require(Role.OPERATOR)
    state.services.loyalty.void(operator.tenant, hold_id, idempotency_key=idempotency_key)
    return redirect(request, f"/customers/{customer_id}", "hold_voided")


@router.get("/{customer_id}/erase", response_class=HTMLResponse)
def confirm_erasure(
    request: Request, operator: Reader, state: State, customer_id: CustomerId
) -> Response:
    operator.principal.require(*SUPPORT)
    found = state.services.loyalty.customer(operator.tenant, customer_id)
    return render(request, "erase.html", operator, customer=found)


@router.post("/{customer_id}/erase")
def erase(
    request: Request, operator: Poster, state: State, customer_id: CustomerId,
    confirm: Annotated[str | None, Form()] = None,
) -> Response:  # fmt: skip
    operator.principal.require(*SUPPORT)
    if confirm != "erase":
        raise InvalidRequest("tick the box that confirms the erasure cannot be undone")
    state.services.vault.erase(operator.tenant, customer_id, by=operator.actor)
    return redirect(request, f"/customers/{customer_id}", "erased")


@router.get("/{customer_id}/export.json")
def export(operator: Reader, state: State, customer_id: CustomerId) -> Response:
    """Everything held of the customer (GDPR Art. 15 and 20), as the API's export."""
    operator.principal.require(*SUPPORT)
    document = state.services.vault.export(operator.tenant, customer_id)
    return JSONResponse(
        jsonable_encoder(document),
        headers={"Content-Disposition": f'attachment; filename="{customer_id}.json"'},
    )


@router.get("/{customer_id}/history.csv")
def history_csv(operator: Reader, state: State, customer_id: CustomerId) -> Response:
    operator.principal.require(*SUPPORT)
    text = state.services.vault.history_csv(operator.tenant, customer_id)
    return csv_answer(text, f"{customer_id}-history")
