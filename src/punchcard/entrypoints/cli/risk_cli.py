"""``punchcard reviews …``, ``punchcard monitors …`` and ``punchcard alerts``: the
review queue, balance monitors and alerts from the command line.

``reviews scan`` and ``monitors check`` are the jobs ``punchcard serve`` runs on
its own; they are here for a deployment that schedules them with cron instead.
"""

from __future__ import annotations

from typing import Annotated

import typer

from punchcard.domain.loyalty.commands import DecideReview
from punchcard.entrypoints.cli import render_finance
from punchcard.entrypoints.cli.console import console, one_line_errors
from punchcard.entrypoints.cli.finance_io import opened
from punchcard.entrypoints.http.schemas_risk import AlertView, MonitorView, ReviewView
from punchcard.service_layer import risk

Tenant = Annotated[str, typer.Option(help="The programme's tenant.")]
Json = Annotated[bool, typer.Option("--json", help="One JSON document on stdout, for scripts.")]
ReviewId = Annotated[int, typer.Option("--review", min=1, help="The review's id.")]
By = Annotated[str, typer.Option(help="Who decides (never who asked for the redemption).")]
Note = Annotated[str | None, typer.Option(help="Why, for the audit trail.")]
Limit = Annotated[int, typer.Option(min=1, max=1000, help="Most to list.")]

reviews_app = typer.Typer(help="The review queue: list, show, approve, reject, scan.",
                          no_args_is_help=True)  # fmt: skip
monitors_app = typer.Typer(help="Balance monitors: add, list, check.", no_args_is_help=True)


def _say(text: str) -> None:
    console.print(text, markup=False, highlight=False)


# -- reviews ------------------------------------------------------------------------------


@reviews_app.command("list")
@one_line_errors
def list_reviews(tenant: Tenant, limit: Limit = 100, as_json: Json = False) -> None:
    """The reviews waiting for a decision, oldest first."""
    with opened(tenant) as loyalty:
        found = [ReviewView.of(r) for r in risk.pending_reviews(loyalty, tenant, limit=limit)]
    if as_json:
        render_finance.emit(found)
    else:
        render_finance.reviews(console, tenant, found)


@reviews_app.command("show")
@one_line_errors
def show_review(tenant: Tenant, review: ReviewId, as_json: Json = False) -> None:
    """One review, pending or decided, with who decided it."""
    with opened(tenant) as loyalty:
        found = ReviewView.of(risk.review(loyalty, tenant, review))
    if as_json:
        render_finance.emit(found)
    else:
        render_finance.review(console, found)


def _decide(tenant: str, review: int, by: str, note: str | None, *, approve: bool,
            as_json: bool) -> None:  # fmt: skip
    with opened(tenant) as loyalty:
        cmd = DecideReview(tenant=tenant, review_id=review, approve=approve, decided_by=by,
                           note=note)  # fmt: skip
        decided = ReviewView.of(risk.decide_review(loyalty, cmd))
    if as_json:
        render_finance.emit(decided)
    else:
        render_finance.review(console, decided)


@reviews_app.command("approve")
@one_line_errors
def approve(
    tenant: Tenant, review: ReviewId, by: By, note: Note = None, as_json: Json = False
) -> None:
    """Approve a review: a held redemption is captured."""
    _decide(tenant, review, by, note, approve=True, as_json=as_json)


@reviews_app.command("reject")
@one_line_errors
def reject(
    tenant: Tenant, review: ReviewId, by: By, note: Note = None, as_json: Json = False
) -> None:
    """Reject a review: a held redemption is voided and its points go back."""
    _decide(tenant, review, by, note, approve=False, as_json=as_json)


@reviews_app.command("scan")
@one_line_errors
def scan(tenant: Tenant) -> None:
    """Flag the customers who earned more in the last hour than the programme allows."""
    with opened(tenant) as loyalty:
        flagged = risk.scan_earnings(loyalty, tenant)
    _say(f"flagged {len(flagged)} customer(s) for review")


# -- monitors and alerts ------------------------------------------------------------------


@monitors_app.command("add")
@one_line_errors
def add_monitor(
    *,
    tenant: Tenant,
    name: Annotated[str, typer.Option(help="What it watches for, e.g. 'liability over 1M'.")],
    measure: Annotated[str, typer.Option(help="programme_liability or customer_balance.")],
    threshold: Annotated[int, typer.Option(min=0, help="Alert when the measure goes above.")],
    customer: Annotated[
        str | None, typer.Option(help="The customer, for customer_balance.")
    ] = None,
    as_json: Json = False,
) -> None:
    """Watch the programme's liability or a customer's balance."""
    with opened(tenant) as loyalty:
        made = MonitorView.of(risk.add_monitor(
            loyalty, tenant, name=name, measure=measure, threshold=threshold,
            customer_id=customer,
        ))  # fmt: skip
    if as_json:
        render_finance.emit(made)
    else:
        _say(f"added monitor {made.id} {made.name!r}: {made.measure} above {made.threshold:,}")


@monitors_app.command("list")
@one_line_errors
def list_monitors(tenant: Tenant, as_json: Json = False) -> None:
    """The tenant's monitors, and whether each is tripped."""
    with opened(tenant) as loyalty:
        found = [MonitorView.of(m) for m in risk.monitors(loyalty, tenant)]
    if as_json:
        render_finance.emit(found)
    else:
        render_finance.monitors(console, tenant, found)


@monitors_app.command("check")
@one_line_errors
def check_monitors(tenant: Tenant) -> None:
    """Check every monitor now; one that turned true raises an alert."""
    with opened(tenant) as loyalty:
        raised = risk.check_monitors(loyalty, tenant)
    _say(f"raised {len(raised)} alert(s)")
    for alert in raised:
        _say(f"  {alert.subject}")


@one_line_errors
def alerts(tenant: Tenant, limit: Limit = 50, as_json: Json = False) -> None:
    """The latest alerts, newest first: monitors that tripped, verifications that failed."""
    with opened(tenant) as loyalty:
        found = [AlertView.of(a) for a in risk.alerts(loyalty, tenant, limit=limit)]
    if as_json:
        render_finance.emit(found)
    else:
        render_finance.alerts(console, tenant, found)


def register(app: typer.Typer) -> None:
    app.add_typer(reviews_app, name="reviews")
    app.add_typer(monitors_app, name="monitors")
    app.command("alerts")(alerts)
