"""Rich rendering for the CLI: verify reports, expiry warnings and summaries."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from punchcard.domain.loyalty.results import ExpiringPoints
from punchcard.domain.verification import VerificationReport


def verification(console: Console, report: VerificationReport) -> None:
    if not report.tenants:
        console.print("no tenants yet: nothing to verify")
        return
    for tenant in report.tenants:
        table = Table(title=f"verify {tenant.tenant}", title_justify="left")
        table.add_column("check")
        table.add_column("ok", justify="center")
        table.add_column("result")
        for check in tenant.checks:
            mark = "[green]✓[/]" if check.ok else "[red]✗[/]"
            table.add_row(check.name, mark, check.summary)
        console.print(table)
        for check in tenant.checks:
            for problem in check.problems:
                console.print(f"[red]✗[/] {check.name}: {problem}")
        console.print(f"chain head: seal {tenant.head_seq} {tenant.head_hash}")
    verdict = "[green]clean[/]" if report.ok else "[red]DISCREPANCIES FOUND[/]"
    console.print(f"verify: {verdict} ({len(report.tenants)} tenant(s))")


def key_values(console: Console, title: str, rows: list[tuple[str, str]]) -> None:
    table = Table(title=title, title_justify="left", show_header=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    for key, value in rows:
        table.add_row(key, value)
    console.print(table)


def expiring(console: Console, tenant: str, rows: list[ExpiringPoints], *, days: int) -> None:
    if not rows:
        console.print(f"no points of {tenant} expire within {days} days")
        return
    table = Table(title=f"points of {tenant} expiring within {days} days", title_justify="left")
    table.add_column("customer")
    table.add_column("points", justify="right")
    table.add_column("first expiry")
    for row in rows:
        table.add_row(
            row.customer_id, f"{row.points:,}", row.first_expiry.isoformat(timespec="seconds")
        )
    console.print(table)
    console.print(f"{sum(row.points for row in rows):,} point(s) of {len(rows)} customer(s)")
