"""The dashboard: the programme at a glance.

Points issued and redeemed per day (a chart), members and how many were active,
the tier distribution and top categories come from the analytics report; the
outstanding liability and its expiry buckets from the liability report; both
only for the finance readers, as in the API. Webhook delivery health (the last
24 hours across endpoints) is for every reader, who may list deliveries. The
latest verification is the one an auditor last ran from here (it seals first,
as ``GET /v1/verify`` does).
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from punchcard.domain.access import Role
from punchcard.entrypoints.console.reports import period
from punchcard.entrypoints.console.web import Poster, Reader, State, redirect, render
from punchcard.entrypoints.console.webhooks import delivery_health
from punchcard.entrypoints.http.deps import FINANCE, READ
from punchcard.entrypoints.http.schemas_admin import VerificationView
from punchcard.entrypoints.http.schemas_analytics import AnalyticsView
from punchcard.entrypoints.http.schemas_finance import LiabilityView
from punchcard.service_layer import finance, risk
from punchcard.service_layer.analytics import analytics

router = APIRouter()

DateText = Annotated[str | None, Query(max_length=10)]


@router.get("/", response_class=HTMLResponse)
def dashboard(
    request: Request, state: State, operator: Reader, start: DateText = None, end: DateText = None
) -> Response:
    loyalty = state.services.loyalty
    tenant = operator.tenant
    today = loyalty.now().date()
    first, after = period(start or (today - timedelta(days=29)).isoformat(),
                          end or today.isoformat())  # fmt: skip
    ctx: dict[str, Any] = {"start": first.date(), "end": (after - timedelta(days=1)).date()}
    if operator.principal.allows(*FINANCE):
        programme = loyalty.programme(tenant)
        figures = AnalyticsView.of(
            analytics(loyalty, tenant, first, after), programme.points_asset, programme.currency
        )
        report, method = finance.liability_now(loyalty, tenant)
        ctx["analytics"] = figures
        ctx["liability"] = LiabilityView.of(
            report, method, programme.points_asset, programme.credit_asset
        )
        ctx["chart"] = json.dumps({
            "labels": [d.day.isoformat() for d in figures.days],
            "issued": [d.issued for d in figures.days],
            "redeemed": [d.redeemed for d in figures.days],
        })  # fmt: skip
        ctx["tier_total"] = sum(figures.tiers.values()) or 1
        ctx["alerts"] = risk.alerts(loyalty, tenant, limit=5)
    if operator.principal.allows(*READ):  # who may list deliveries through the API
        ctx["webhook_health"] = delivery_health(loyalty, tenant)
    ctx["verification"] = state.verified.get(tenant)
    return render(request, "dashboard.html", operator, **ctx)


@router.post("/verify")
def verify(request: Request, state: State, operator: Poster) -> Response:
    """Seal, then verify this tenant's journal; the dashboard shows the outcome."""
    operator.principal.require(Role.AUDITOR)
    ledger = state.services.loyalty.ledger
    ledger.seal()
    report = VerificationView.of(ledger.verify(tenant=operator.tenant))
    state.verified[operator.tenant] = {
        "at": state.services.loyalty.now(),
        "by": operator.actor,
        "report": report,
    }
    return redirect(request, "/", "verified")
