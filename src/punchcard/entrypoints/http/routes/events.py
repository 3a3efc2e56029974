"""Events from the commerce platform: purchases earn, refunds reverse, engagement
earns. Each event is idempotent on its own id (order id, event id, refund id),
whatever the transport retries."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from punchcard.domain.loyalty.commands import LineItem
from punchcard.domain.loyalty.results import EarnResult, RefundResult
from punchcard.entrypoints.http.deps import Ingest, Svc
from punchcard.entrypoints.http.schemas import EngagementEvent, Event, PurchaseEvent
from punchcard.service_layer.loyalty.facade import Loyalty

router = APIRouter(prefix="/v1", tags=["events"])


def ingest(loyalty: Loyalty, tenant: str, event: Event) -> EarnResult | RefundResult:
    """Apply one event through the loyalty use cases."""
    if isinstance(event, PurchaseEvent):
        items = [
            LineItem(
                sku=i.sku,
                amount=i.amount,
                category=i.category,
                quantity=i.quantity,
                labels=tuple(i.labels),
            )
            for i in event.items
        ]
        return loyalty.earn_purchase(
            tenant, event.customer_id, order_id=event.order_id, amount=event.amount,
            currency=event.currency, occurred_at=event.occurred_at, items=items,
            channel=event.channel, store=event.store,
        )  # fmt: skip
    if isinstance(event, EngagementEvent):
        return loyalty.earn_engagement(
            tenant, event.customer_id, event_id=event.event_id, type=event.engagement,
            occurred_at=event.occurred_at,
        )  # fmt: skip
    return loyalty.refund(
        tenant, order_id=event.order_id, refund_id=event.refund_id, amount=event.amount
    )


@router.post("/events", response_model=EarnResult | RefundResult)
def post_event(event: Event, request: Request, svc: Svc, caller: Ingest) -> JSONResponse:
    """One purchase, refund or engagement event. A purchase earns points by the
    ruleset active when it occurred; a refund reverses in proportion."""
    return svc.idempotency.respond(
        request, caller, event, lambda: ingest(svc.loyalty, caller.tenant, event)
    )
