"""Reports: the roll-forward of a chosen period and the liability now, on a page and
as the same CSV files the API answers (``RollForwardView.to_csv`` and
``LiabilityView.to_csv``), for the finance readers only.

A period is picked as two calendar dates, both included, read in UTC: the report
runs from the first date's midnight to the midnight after the last.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from punchcard.domain.errors import InvalidRequest
from punchcard.entrypoints.console.web import Reader, State, render
from punchcard.entrypoints.http.deps import FINANCE
from punchcard.entrypoints.http.routes.reports import csv_answer
from punchcard.entrypoints.http.schemas_finance import LiabilityView, RollForwardView
from punchcard.service_layer import finance
from punchcard.service_layer.loyalty.facade import Loyalty

router = APIRouter(prefix="/reports")

DateText = Annotated[str | None, Query(max_length=10)]
MAX_DAYS = 3660
"""As the API: a period lists every day, so it is bounded."""


def period(start: str, end: str) -> tuple[datetime, datetime]:
    """[first midnight, the midnight after the last date) of two ISO dates, in UTC."""
    try:
        first, last = date.fromisoformat(start), date.fromisoformat(end)
    except ValueError:
        raise InvalidRequest("dates are written YYYY-MM-DD") from None
    if last < first:
        raise InvalidRequest("the period's last date is before its first")
    if (last - first).days >= MAX_DAYS:
        raise InvalidRequest(f"a period is at most {MAX_DAYS} days")
    begin = datetime(first.year, first.month, first.day, tzinfo=UTC)
    return begin, datetime(last.year, last.month, last.day, tzinfo=UTC) + timedelta(days=1)


def _chosen(loyalty: Loyalty, start: str | None, end: str | None) -> tuple[datetime, datetime]:
    today = loyalty.now().date()
    return period(start or today.replace(day=1).isoformat(), end or today.isoformat())


def _rollforward(loyalty: Loyalty, tenant: str, start: datetime, end: datetime) -> RollForwardView:
    asset = loyalty.programme(tenant).points_asset
    return RollForwardView.of(finance.rollforward(loyalty, tenant, start, end), start, end, asset)


def _liability(loyalty: Loyalty, tenant: str) -> LiabilityView:
    report, method = finance.liability_now(loyalty, tenant)
    programme = loyalty.programme(tenant)
    return LiabilityView.of(report, method, programme.points_asset, programme.credit_asset)


@router.get("", response_class=HTMLResponse)
def reports(
    request: Request, state: State, operator: Reader, start: DateText = None, end: DateText = None
) -> Response:
    operator.principal.require(*FINANCE)
    loyalty = state.services.loyalty
    first, after = _chosen(loyalty, start, end)
    return render(
        request, "reports.html", operator,
        start=first.date(), end=(after - timedelta(days=1)).date(),
        rollforward=_rollforward(loyalty, operator.tenant, first, after),
        liability=_liability(loyalty, operator.tenant),
    )  # fmt: skip


@router.get("/rollforward.csv")
def rollforward_csv(
    state: State, operator: Reader, start: DateText = None, end: DateText = None
) -> Response:
    operator.principal.require(*FINANCE)
    loyalty = state.services.loyalty
    first, after = _chosen(loyalty, start, end)
    view = _rollforward(loyalty, operator.tenant, first, after)
    name = f"rollforward-{first.date()}-{(after - timedelta(days=1)).date()}"
    return csv_answer(view.to_csv(), name)


@router.get("/liability.csv")
def liability_csv(state: State, operator: Reader) -> Response:
    operator.principal.require(*FINANCE)
    view = _liability(state.services.loyalty, operator.tenant)
    return csv_answer(view.to_csv(), f"liability-{view.as_of.date()}")
