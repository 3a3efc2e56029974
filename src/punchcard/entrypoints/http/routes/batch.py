"""Events in bulk: ``POST /v1/events:batch`` applies up to 1,000 purchases,
engagement events and refunds in one request.

Limits: 1 to 1,000 events (``EventBatch``) and at most 1 MB of body; the
whole body is validated before anything runs, so a malformed event is a 400
naming its index and field (``body.events.3.purchase.amount``) and nothing is
applied. Each event is then applied on its own (see
``punchcard.service_layer.loyalty.batch``): idempotent by its own id (order id,
event id, refund id) exactly as ``POST /v1/events`` is, so a retried batch
replays what was applied and applies the rest. The answer is always 200 with
one result per event, in the order sent::

    {"results": [{"index": 0, "status": "ok", "result": {...EarnResult}},
                 {"index": 1, "status": "replayed", "result": {...}},
                 {"index": 2, "status": "error",
                  "error": {"code": "unknown_customer", "status": 404, "detail": "..."}}],
     "ok": 1, "replayed": 1, "failed": 1}

A bad event never fails the others. An Idempotency-Key, if sent, replays the
whole answer like any write.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from punchcard.domain.errors import PunchcardError
from punchcard.domain.loyalty.commands import Engagement, Purchase, Refund
from punchcard.domain.loyalty.documents import to_json
from punchcard.domain.loyalty.results import EarnResult, RefundResult
from punchcard.entrypoints.http.deps import Ingest, Svc
from punchcard.entrypoints.http.problems import TYPE_BASE
from punchcard.entrypoints.http.schemas import Event, EventBatch, to_command
from punchcard.service_layer.loyalty import batch
from punchcard.service_layer.loyalty.batch import Outcome

router = APIRouter(prefix="/v1", tags=["events"])


class EventProblem(BaseModel):
    type: str
    title: str
    status: int
    detail: str
    code: str


class EventResult(BaseModel):
    index: int
    status: Literal["ok", "replayed", "error"]
    result: EarnResult | RefundResult | None = None
    error: EventProblem | None = None


class BatchResults(BaseModel):
    results: list[EventResult]
    ok: int
    replayed: int
    failed: int


def commands(
    tenant: str, events: list[Event]
) -> list[Purchase | Engagement | Refund | PunchcardError]:
    found: list[Purchase | Engagement | Refund | PunchcardError] = []
    for event in events:
        try:
            found.append(to_command(tenant, event))
        except PunchcardError as exc:
            found.append(exc)
    return found


def problem(error: PunchcardError) -> dict[str, Any]:
    title = (type(error).__doc__ or error.code).strip().splitlines()[0]
    return {"type": TYPE_BASE + error.code, "title": title, "status": error.http_status,
            "detail": error.message, "code": error.code}  # fmt: skip


def rendered(outcomes: list[Outcome]) -> dict[str, Any]:
    results: list[dict[str, Any]] = []
    for index, outcome in enumerate(outcomes):
        entry: dict[str, Any] = {"index": index, "status": outcome.status}
        if outcome.result is not None:
            entry["result"] = to_json(outcome.result)
        if outcome.error is not None:
            entry["error"] = problem(outcome.error)
        results.append(entry)
    statuses = [o.status for o in outcomes]
    return {"results": results, "ok": statuses.count("ok"),
            "replayed": statuses.count("replayed"), "failed": statuses.count("error")}  # fmt: skip


@router.post("/events:batch", response_model=BatchResults)
def post_batch(body: EventBatch, request: Request, svc: Svc, caller: Ingest) -> JSONResponse:
    """Up to 1,000 events in one request, each applied exactly once by its own id and
    answered on its own: a bad event is reported in its result, never fails the rest.
    Much faster than one request per event: purchases and engagement events are
    applied set-based, a group of customers to a database transaction."""
    return svc.idempotency.respond(
        request, caller, body,
        lambda: rendered(batch.ingest(svc.loyalty, commands(caller.tenant, body.events))),
        encoded=True,
    )  # fmt: skip
