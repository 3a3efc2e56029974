"""Webhook endpoints (admin), their deliveries (readers), replays, and the
tenant's outbox events. Delivery itself runs in the background worker
(docs/webhooks.md)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse

from punchcard.entrypoints.http.deps import Admin, Reader, Svc
from punchcard.entrypoints.http.schemas_webhooks import (
    DeliveryList,
    DeliveryView,
    EndpointChange,
    EndpointList,
    EndpointView,
    EndpointWithSecret,
    EventList,
    EventView,
    NewEndpoint,
    Replay,
    Replayed,
)
from punchcard.service_layer import webhooks

router = APIRouter(prefix="/v1", tags=["webhooks"])

EndpointId = Annotated[str, Path(min_length=1, max_length=64)]
EventId = Annotated[str, Path(min_length=1, max_length=64)]


@router.post("/webhooks/endpoints", response_model=EndpointWithSecret, status_code=201)
def add_endpoint(body: NewEndpoint, request: Request, svc: Svc, caller: Admin) -> JSONResponse:
    """Register an endpoint; it receives events recorded from now on, signed with the
    ``secret`` in this answer (shown again only by a rotation)."""
    return svc.idempotency.respond(
        request, caller, body,
        lambda: EndpointWithSecret.with_secret(webhooks.add_endpoint(
            svc.loyalty, caller.tenant, body.url, event_types=body.event_types,
            description=body.description,
        )),
        status=201,
    )  # fmt: skip


@router.get("/webhooks/endpoints", response_model=EndpointList)
def list_endpoints(svc: Svc, caller: Admin) -> EndpointList:
    """The tenant's endpoints, oldest first (without their secrets)."""
    found = webhooks.endpoints(svc.loyalty, caller.tenant)
    return EndpointList(data=[EndpointView.of(e) for e in found])


@router.get("/webhooks/endpoints/{endpoint_id}", response_model=EndpointView)
def get_endpoint(endpoint_id: EndpointId, svc: Svc, caller: Admin) -> EndpointView:
    return EndpointView.of(webhooks.endpoint(svc.loyalty, caller.tenant, endpoint_id))


@router.patch("/webhooks/endpoints/{endpoint_id}", response_model=EndpointView)
def change_endpoint(
    endpoint_id: EndpointId, body: EndpointChange, request: Request, svc: Svc, caller: Admin
) -> JSONResponse:
    """Change the url, filter or description, or disable (undelivered messages wait)
    and enable (they are sent) the endpoint."""
    return svc.idempotency.respond(
        request, caller, body,
        lambda: EndpointView.of(webhooks.update_endpoint(
            svc.loyalty, caller.tenant, endpoint_id, url=body.url, event_types=body.event_types,
            description=body.description, enabled=body.enabled, reason=body.disabled_reason,
        )),
    )  # fmt: skip


@router.delete("/webhooks/endpoints/{endpoint_id}", status_code=204)
def remove_endpoint(endpoint_id: EndpointId, svc: Svc, caller: Admin) -> None:
    """Delete the endpoint with its deliveries and their attempts."""
    webhooks.remove_endpoint(svc.loyalty, caller.tenant, endpoint_id)


@router.post("/webhooks/endpoints/{endpoint_id}:rotate-secret", response_model=EndpointWithSecret)
def rotate_secret(
    endpoint_id: EndpointId, request: Request, svc: Svc, caller: Admin
) -> JSONResponse:
    """A new secret; for 24 hours the previous one signs too, so each message carries
    two signatures while the receiver switches."""
    return svc.idempotency.respond(
        request, caller, None,
        lambda: EndpointWithSecret.with_secret(
            webhooks.rotate_secret(svc.loyalty, caller.tenant, endpoint_id)
        ),
    )  # fmt: skip


@router.get("/webhooks/endpoints/{endpoint_id}/deliveries", response_model=DeliveryList)
def deliveries(
    endpoint_id: EndpointId, svc: Svc, caller: Reader, *,
    status: Annotated[Literal["pending", "delivered", "failed", "disabled"] | None, Query()]
        = None,
    before: Annotated[int | None, Query(ge=1)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> DeliveryList:  # fmt: skip
    """The endpoint's messages, newest first, each with its attempts."""
    found = webhooks.deliveries(svc.loyalty, caller.tenant, endpoint_id, status=status,
                                before=before, limit=limit)  # fmt: skip
    return DeliveryList(data=[DeliveryView.of(m) for m in found])


@router.post("/webhooks/events/{event_id}:replay", response_model=Replayed, status_code=202)
def replay(
    event_id: EventId, request: Request, svc: Svc, caller: Admin, body: Replay | None = None
) -> JSONResponse:
    """Send an event again, as new deliveries (the same ``webhook-id``)."""
    chosen = body or Replay()
    return svc.idempotency.respond(
        request, caller, chosen,
        lambda: Replayed(deliveries=webhooks.replay(
            svc.loyalty, caller.tenant, event_id, chosen.endpoint_id
        )),
        status=202,
    )  # fmt: skip


@router.get("/outbox", response_model=EventList)
def outbox(
    svc: Svc, caller: Reader,
    type: Annotated[str | None, Query(max_length=63)] = None,
    customer_id: Annotated[str | None, Query(max_length=128)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> EventList:  # fmt: skip
    """The tenant's events, newest first, as webhooks deliver them."""
    found = svc.loyalty.events(caller.tenant, type_=type, customer_id=customer_id, limit=limit)
    return EventList(data=[EventView.of(e) for e in found])
