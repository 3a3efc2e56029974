"""Balance monitors and the alerts they and the scheduled verification raise.

A monitor watches the programme's liability (the points all customers hold) or
one customer's balance; ``punchcard serve`` checks every monitor at each sweep
(a minute by default), and one whose measure goes above its threshold raises an
alert, once, until it has gone back at or below. Verification runs hourly and
raises an alert on any discrepancy. Alerts are kept (append-only) and read here.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from punchcard.entrypoints.http.deps import Admin, Finance, Svc
from punchcard.entrypoints.http.schemas_risk import (
    AlertList,
    AlertView,
    MonitorList,
    MonitorView,
    NewMonitor,
)
from punchcard.service_layer import risk

router = APIRouter(prefix="/v1", tags=["monitoring"])


@router.get("/monitors", response_model=MonitorList)
def list_monitors(svc: Svc, caller: Finance) -> MonitorList:
    """The tenant's monitors, oldest first, and whether each is tripped now."""
    return MonitorList(data=[MonitorView.of(m) for m in risk.monitors(svc.loyalty, caller.tenant)])


@router.post("/monitors", response_model=MonitorView, status_code=201)
def add_monitor(body: NewMonitor, request: Request, svc: Svc, caller: Admin) -> JSONResponse:
    """Watch a measure: ``programme_liability``, or ``customer_balance`` of the
    ``customer_id`` given; an alert is raised when it goes above ``threshold`` points."""
    return svc.idempotency.respond(
        request, caller, body,
        lambda: MonitorView.of(risk.add_monitor(
            svc.loyalty, caller.tenant, name=body.name, measure=body.measure,
            threshold=body.threshold, customer_id=body.customer_id,
        )),
        status=201,
    )  # fmt: skip


@router.get("/alerts", response_model=AlertList)
def list_alerts(
    svc: Svc, caller: Finance, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> AlertList:
    """The latest alerts, newest first: monitors that tripped, verifications that
    found a discrepancy."""
    found = risk.alerts(svc.loyalty, caller.tenant, limit=limit)
    return AlertList(data=[AlertView.of(alert) for alert in found])
