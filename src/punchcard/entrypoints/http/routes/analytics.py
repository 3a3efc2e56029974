"""Programme analytics: issuance and redemption by day, the redemption rate,
active members, tiers, top categories and campaign cost, for the finance readers
(auditors, approvers and admins). Reads only."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from punchcard.entrypoints.http.deps import Finance, Svc
from punchcard.entrypoints.http.routes.reports import CSV_ANSWER, Format, csv_answer, wants_csv
from punchcard.entrypoints.http.schemas_analytics import AnalyticsView
from punchcard.entrypoints.http.schemas_finance import ReportTime
from punchcard.service_layer.analytics import analytics as programme_analytics

router = APIRouter(prefix="/v1", tags=["finance"])

Start = Annotated[
    ReportTime, Query(description="The period's first instant, e.g. 2026-01-01T00:00:00Z.")
]
End = Annotated[
    ReportTime, Query(description="The instant after the period (exclusive); at most 3,660 "
                      "days after the start.")
]  # fmt: skip


@router.get("/reports/analytics", response_model=AnalyticsView, responses=CSV_ANSWER)
def analytics(
    request: Request, svc: Svc, caller: Finance, *, start: Start, end: End, format: Format = None
) -> Any:
    """Points issued and redeemed each day (in the programme's time zone) and the
    redemption rate; members and how many were active; the tier distribution at
    the end; spend and points by line-item category; and what each rule (campaign)
    awarded per ruleset version, in points and at issuance value. CSV with
    ``?format=csv`` or ``Accept: text/csv``: one long table to pivot."""
    report = programme_analytics(svc.loyalty, caller.tenant, start, end)
    programme = svc.loyalty.programme(caller.tenant)
    view = AnalyticsView.of(report, programme.points_asset, programme.currency)
    return csv_answer(view.to_csv(), "analytics") if wants_csv(request, format) else view
