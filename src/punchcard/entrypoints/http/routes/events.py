"""Events from the commerce platform: purchases earn, refunds reverse, engagement
earns. Each event is idempotent on its own id (order id, event id, refund id),
whatever the transport retries."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from punchcard.domain.loyalty.documents import to_json
from punchcard.domain.loyalty.results import EarnResult, RefundResult
from punchcard.entrypoints.http.deps import Ingest, Svc
from punchcard.entrypoints.http.schemas import Event, to_command
from punchcard.service_layer.loyalty.batch import apply

router = APIRouter(prefix="/v1", tags=["events"])


@router.post("/events", response_model=EarnResult | RefundResult)
def post_event(event: Event, request: Request, svc: Svc, caller: Ingest) -> JSONResponse:
    """One purchase, refund or engagement event. A purchase earns points by the
    ruleset active when it occurred; a refund reverses in proportion."""
    return svc.idempotency.respond(
        request, caller, event,
        lambda: to_json(apply(svc.loyalty, to_command(caller.tenant, event))), encoded=True,
    )  # fmt: skip
