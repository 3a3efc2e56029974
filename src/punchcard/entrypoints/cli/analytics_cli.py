"""``punchcard analytics``: programme analytics for a period from the command line.

Tables for people, or with ``--json`` the document ``GET /v1/reports/analytics``
answers. Definitions are in ``punchcard.domain.finance.analytics``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from punchcard.entrypoints.cli.console import console, moment, one_line_errors
from punchcard.entrypoints.cli.finance_io import opened
from punchcard.entrypoints.cli.render_finance import emit
from punchcard.entrypoints.http.schemas_analytics import AnalyticsView
from punchcard.service_layer.analytics import analytics as programme_analytics

Tenant = Annotated[str, typer.Option(help="The programme's tenant.")]
Start = Annotated[str, typer.Option(help="The period's first instant, ISO-8601 with offset.")]
End = Annotated[str, typer.Option(help="The instant after the period (exclusive).")]
Json = Annotated[bool, typer.Option("--json", help="One JSON document on stdout, for scripts.")]


@one_line_errors
def analytics(tenant: Tenant, start: Start, end: End, as_json: Json = False) -> None:
    """Issued and redeemed points by day, the redemption rate, active members, tiers,
    top categories and campaign cost (points per rule and ruleset version)."""
    since, until = moment(start, "--start"), moment(end, "--end")
    with opened(tenant) as loyalty:
        report = programme_analytics(loyalty, tenant, since, until)
        programme = loyalty.programme(tenant)
    view = AnalyticsView.of(report, programme.points_asset, programme.currency)
    if as_json:
        emit(view)
    else:
        render(console, view, tenant)


def percent(bp: int | None) -> str:
    return "n/a" if bp is None else f"{bp // 100}.{bp % 100:02d}%"


def _say(out: Console, text: str) -> None:
    out.print(text, markup=False, highlight=False)


def _table(title: str, *columns: str, numeric: Sequence[str] = ()) -> Table:
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, justify="right" if column in numeric else "left")
    return table


def render(out: Console, view: AnalyticsView, tenant: str) -> None:
    _say(out, f"analytics of {tenant} from {view.start.isoformat(timespec='seconds')} to "
              f"{view.end.isoformat(timespec='seconds')} (days in {view.timezone})")  # fmt: skip
    _say(out, f"issued {view.issued:,} {view.asset}, redeemed {view.redeemed:,}: redemption "
              f"rate {percent(view.redemption_rate_bp)}")  # fmt: skip
    _say(out, f"members {view.members:,}, active {view.active_members:,} "
              f"({percent(view.active_bp)})")  # fmt: skip
    days = _table("by day", "day", "issued", "redeemed", numeric=("issued", "redeemed"))
    for day in view.days:
        if day.issued or day.redeemed:
            days.add_row(day.day.isoformat(), f"{day.issued:,}", f"{day.redeemed:,}")
    out.print(days)
    tiers = _table("tiers at the end", "tier", "members", numeric=("members",))
    for tier, members in view.tiers.items():
        tiers.add_row(tier or "(no tiers)", f"{members:,}")
    out.print(tiers)
    if view.categories:
        numbers = ("orders", "spend", "points")
        categories = _table("top categories", "category", *numbers, numeric=numbers)
        for category in view.categories:
            categories.add_row(category.category or "(none)", f"{category.orders:,}",
                               f"{category.spend:,}", f"{category.points:,}")  # fmt: skip
        out.print(categories)
        _say(out, f"spend in {view.currency} minor units")
    else:
        _say(out, "no line items were kept with the period's orders: no categories")
    _say(out, f"{view.orders:,} orders, {view.unitemised_orders:,} without line items; "
              f"{view.order_level_points:,} of {view.purchase_points:,} purchase points came "
              "from order-level rules")  # fmt: skip
    campaigns = _table(f"campaign cost (value in {view.value_asset} minor units)", "rule",
                       "version", "earns", "points", "value",
                       numeric=("version", "earns", "points", "value"))  # fmt: skip
    for cost in view.campaigns:
        version = "fixed rate" if cost.ruleset_version is None else str(cost.ruleset_version)
        campaigns.add_row(cost.rule, version, f"{cost.earns:,}", f"{cost.points:,}",
                          f"{cost.value:,}")  # fmt: skip
    out.print(campaigns)


def register(app: typer.Typer) -> None:
    app.command("analytics")(analytics)
