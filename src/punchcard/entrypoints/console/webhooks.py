"""Webhooks: the tenant's endpoints, their recent deliveries with every attempt,
and replaying an event, through the same webhook use cases as ``/v1``.

The rights are the API's: readers see deliveries (as ``GET …/deliveries``), only
admins see an endpoint's url, filter and state (as ``GET /v1/webhooks/endpoints``;
a url may itself carry a receiver's token) and replay. A replay runs through the
API's own Idempotency-Key store with the form's fresh key, so submitting the same
form twice queues the messages once.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from punchcard.adapters.postgres.webhooks import Endpoint, Health, Message
from punchcard.entrypoints.console.web import Poster, Reader, State, redirect, render
from punchcard.entrypoints.http.deps import READ
from punchcard.service_layer import webhooks
from punchcard.service_layer.loyalty.facade import Loyalty

router = APIRouter(prefix="/webhooks")

RECENT = 10
"""Deliveries shown per endpoint, newest first."""
Id = Annotated[str, Form(min_length=1, max_length=64)]
Key = Annotated[str, Form(min_length=1, max_length=200)]


@dataclass(frozen=True, slots=True)
class Totals:
    """The dashboard tile: messages of the last day across the tenant's endpoints."""

    endpoints: int
    delivered: int
    retrying: int
    waiting: int
    failed: int

    @classmethod
    def of(cls, health: list[Health]) -> Totals:
        return cls(len(health), sum(h.delivered for h in health),
                   sum(h.retrying for h in health), sum(h.waiting for h in health),
                   sum(h.failed for h in health))  # fmt: skip


def delivery_health(loyalty: Loyalty, tenant: str) -> Totals:
    return Totals.of(webhooks.health(loyalty, tenant))


@router.get("", response_class=HTMLResponse)
def webhooks_page(request: Request, operator: Reader, state: State) -> Response:
    operator.principal.require(*READ)
    loyalty = state.services.loyalty
    tenant = operator.tenant
    found: list[tuple[Endpoint, list[Message]]] = [
        (e, webhooks.deliveries(loyalty, tenant, e.id, limit=RECENT))
        for e in webhooks.endpoints(loyalty, tenant)
    ]
    return render(
        request, "webhooks.html", operator, endpoints=found, recent=RECENT,
        health={h.endpoint_id: h for h in webhooks.health(loyalty, tenant)},
        # A fresh key per rendered form: submitting it twice replays, never doubles.
        idempotency_key=f"console-{uuid.uuid4().hex}",
    )  # fmt: skip


@router.post("/replay")
def replay(
    request: Request, operator: Poster, state: State, *, event_id: Id, endpoint_id: Id,
    idempotency_key: Key,
) -> Response:  # fmt: skip
    """Queue the event again for this endpoint (admin, as ``POST …:replay``)."""
    operator.principal.require()
    body = {"event_id": event_id, "endpoint_id": endpoint_id}
    answer = state.services.idempotency.respond(
        _keyed(request, idempotency_key), operator.principal, body,
        lambda: webhooks.replay(state.services.loyalty, operator.tenant, event_id, endpoint_id),
        status=202,
    )  # fmt: skip
    if answer.status_code >= 400:  # an expected refusal, stored with the key like a success
        problem: dict[str, Any] = json.loads(bytes(answer.body))
        return render(request, "error.html", operator, status=answer.status_code,
                      code=problem["code"], message=problem["detail"])  # fmt: skip
    return redirect(request, "/webhooks", "replayed")


def _keyed(request: Request, key: str) -> Request:
    """The request as the API would see it, the form's key in its Idempotency-Key header."""
    headers = [*request.scope["headers"], (b"idempotency-key", key.encode())]
    return Request({**request.scope, "headers": headers})
