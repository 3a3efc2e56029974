"""Finance reports: the roll-forward of the points customers hold over a period, the
liability now by expiry bucket, IFRS 15 breakage, and the reconciliation of an
external orders file with the ledger's earns.

Each answers JSON, or CSV with ``?format=csv`` or ``Accept: text/csv``. None
writes anything; the readers are auditors, approvers and admins (``Finance``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from punchcard.domain.errors import InvalidRequest
from punchcard.domain.finance.breakage import recognise
from punchcard.entrypoints.http.deps import Finance, Svc
from punchcard.entrypoints.http.schemas_finance import (
    Breakage,
    BreakageView,
    LiabilityView,
    OrdersDocument,
    ReconciliationView,
    ReportTime,
    RollForwardView,
    checked_period,
)
from punchcard.service_layer import finance

router = APIRouter(prefix="/v1", tags=["finance"])

Format = Annotated[
    Literal["json", "csv"] | None,
    Query(description="csv for a CSV answer (as with Accept: text/csv); json by default."),
]
Start = Annotated[
    ReportTime, Query(description="The period's first instant, e.g. 2026-01-01T00:00:00Z.")
]
End = Annotated[ReportTime, Query(description="The instant after the period (exclusive).")]
CSV_ANSWER: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}}
}
CSV_MEDIA = frozenset({"text/csv", "application/csv"})
JSON_MEDIA = frozenset({"application/json", ""})
ORDERS_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/json": {"schema": OrdersDocument.model_json_schema()},
        },
    }
}


class UnsupportedMediaType(InvalidRequest):
    """The body's Content-Type is not one this route reads."""

    code = "unsupported_media_type"
    http_status = 415


def wants_csv(request: Request, format: str | None) -> bool:
    if format is not None:
        return format == "csv"
    accepted = [part.split(";")[0].strip().lower()
                for part in request.headers.get("accept", "").split(",")]  # fmt: skip
    return any(media in CSV_MEDIA for media in accepted)


def csv_answer(text: str, name: str) -> Response:
    disposition = f'attachment; filename="{name}.csv"'
    return Response(text, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": disposition})  # fmt: skip


@router.get("/reports/rollforward", response_model=RollForwardView, responses=CSV_ANSWER)
def rollforward(
    request: Request, svc: Svc, caller: Finance, *, start: Start, end: End, format: Format = None
) -> Any:
    """What customers held at ``start``, every movement in and out of their points and
    pending accounts until ``end`` (by effective time), and what they held at ``end``,
    in points and at issuance value. ``check`` shows opening + movements = closing and,
    when the period ends now or later, that the closing ties to the ledger's balances."""
    report = finance.rollforward(svc.loyalty, caller.tenant, start, end)
    asset = svc.loyalty.programme(caller.tenant).points_asset
    view = RollForwardView.of(report, start, end, asset)
    return csv_answer(view.to_csv(), "rollforward") if wants_csv(request, format) else view


@router.get("/reports/liability", response_model=LiabilityView, responses=CSV_ANSWER)
def liability(
    request: Request,
    svc: Svc,
    caller: Finance,
    expected_redemption_bp: Annotated[int | None, Query(ge=0, le=10_000)] = None,
    format: Format = None,
) -> Any:
    """The points customers hold now by when they expire (30/90/365 days, later,
    never), valued at each lot's issuance value, and the breakage-adjusted liability
    at the expected redemption rate: given here in basis points, or estimated from
    the points redeemed against those expired (the method says which)."""
    report, method = finance.liability_now(
        svc.loyalty, caller.tenant, expected_redemption_bp=expected_redemption_bp
    )
    programme = svc.loyalty.programme(caller.tenant)
    view = LiabilityView.of(report, method, programme.points_asset, programme.credit_asset)
    return csv_answer(view.to_csv(), "liability") if wants_csv(request, format) else view


@router.post("/reports/breakage", response_model=BreakageView, responses=CSV_ANSWER)
def breakage(
    body: Breakage, request: Request, svc: Svc, caller: Finance, format: Format = None
) -> Any:
    """Revenue recognised per period under IFRS 15 (B39-B43) / ASC 606 for points
    carrying ``allocated`` revenue: allocated x cumulative redeemed / expected
    redemptions, less what earlier periods recognised. Give each period's
    expectation as points or as a rate of those issued; a period with neither uses
    the rate estimated from the tenant's history of redeemed against expired points,
    and ``method`` shows it. Writes nothing."""
    history_bp, method = None, "given"
    if body.needs_history:
        history_bp, method = finance.estimated_redemption(svc.loyalty, caller.tenant)
    periods = body.domain(history_bp)
    view = BreakageView.of(body, recognise(body.issued, body.allocated, periods), method)
    return csv_answer(view.to_csv(), "breakage") if wants_csv(request, format) else view


async def orders_body(request: Request) -> str:
    """The orders file as CSV text, from a CSV body or a JSON one."""
    raw = await request.body()
    media = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media in CSV_MEDIA:
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidRequest("an orders file must be UTF-8 text") from None
    if media not in JSON_MEDIA:
        raise UnsupportedMediaType(f"send the orders as text/csv or application/json, not {media}")
    try:
        return OrdersDocument.model_validate_json(raw).to_csv()
    except ValidationError as exc:
        raise RequestValidationError(
            [{**error, "loc": ("body", *error["loc"])} for error in exc.errors()]
        ) from None


OrdersBody = Annotated[str, Depends(orders_body)]
"""Declared after the caller: an anonymous request is a 401 before its body is read."""


@router.post("/reconciliations", response_model=ReconciliationView, responses=CSV_ANSWER,
             openapi_extra=ORDERS_BODY)  # fmt: skip
def reconcile(
    request: Request, svc: Svc, caller: Finance, orders: OrdersBody, *, start: Start, end: End,
    format: Format = None,
) -> Any:  # fmt: skip
    """Match an orders file (CSV with ``order_id`` and ``amount`` columns, amounts in
    minor units; or JSON ``{"orders": [...]}``) with the orders the ledger earned on
    in the period: matched, amount_mismatch, missing_in_ledger, missing_in_file,
    duplicate_in_file. An order the file names from outside the period is matched
    too. Nothing is written."""
    checked_period(start, end)
    report = finance.reconcile_orders(svc.loyalty, caller.tenant, orders, start, end)
    if wants_csv(request, format):
        return csv_answer(report.to_csv(), "reconciliation")
    return ReconciliationView.of(report, start, end)
