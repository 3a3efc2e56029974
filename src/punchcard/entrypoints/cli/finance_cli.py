"""``punchcard report rollforward|liability|breakage`` and ``punchcard reconcile``:
the finance reports from the command line.

Each prints tables for people, or with ``--json`` the document the HTTP API
answers; ``--csv FILE`` also writes the report as CSV. A roll-forward that does not
balance or tie to the ledger, and a reconciliation with any discrepancy, exit 1
(as ``verify`` does), after printing and writing the report.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from punchcard.domain.errors import InvalidRequest
from punchcard.domain.finance.breakage import recognise
from punchcard.entrypoints.cli import render_finance, risk_cli
from punchcard.entrypoints.cli.console import console, moment, one_line_errors
from punchcard.entrypoints.cli.finance_io import opened, read, write
from punchcard.entrypoints.http.schemas_finance import (
    Breakage,
    BreakageView,
    LiabilityView,
    ReconciliationView,
    RollForwardView,
    checked_period,
)
from punchcard.service_layer import finance

Tenant = Annotated[str, typer.Option(help="The programme's tenant.")]
Json = Annotated[bool, typer.Option("--json", help="One JSON document on stdout, for scripts.")]
CsvFile = Annotated[Path | None, typer.Option("--csv", help="Also write the report as CSV here.")]
Start = Annotated[str, typer.Option(help="The period's first instant, ISO-8601 with offset.")]
End = Annotated[str, typer.Option(help="The instant after the period (exclusive).")]

report_app = typer.Typer(help="Finance reports: rollforward, liability, breakage.",
                         no_args_is_help=True)  # fmt: skip


def _wrote(path: Path | None, as_json: bool) -> None:
    if path is not None and not as_json:
        console.print(f"wrote {path}", markup=False, highlight=False)


@report_app.command("rollforward")
@one_line_errors
def rollforward(
    tenant: Tenant, start: Start, end: End, csv_file: CsvFile = None, as_json: Json = False
) -> None:
    """Opening, every movement and closing of the points customers hold over a period,
    in points and value, with the check that it balances and ties to the ledger."""
    since, until = moment(start, "--start"), moment(end, "--end")
    with opened(tenant) as loyalty:
        report = finance.rollforward(loyalty, tenant, since, until)
        asset = loyalty.programme(tenant).points_asset
    view = RollForwardView.of(report, since, until, asset)
    write(csv_file, view.to_csv())
    if as_json:
        render_finance.emit(view)
    else:
        render_finance.rollforward(console, view, tenant)
    _wrote(csv_file, as_json)
    if not view.check.balanced or view.check.ties_to_ledger is False:
        raise typer.Exit(1)


@report_app.command("liability")
@one_line_errors
def liability(
    tenant: Tenant,
    expected_redemption_bp: Annotated[
        int | None,
        typer.Option(min=0, max=10_000, help="Expected redemption rate in basis points "
                     "(default: estimated from redeemed vs expired points)."),
    ] = None,
    csv_file: CsvFile = None,
    as_json: Json = False,
) -> None:  # fmt: skip
    """The points customers hold now by expiry bucket, at issuance value, and the
    breakage-adjusted liability."""
    with opened(tenant) as loyalty:
        report, method = finance.liability_now(
            loyalty, tenant, expected_redemption_bp=expected_redemption_bp
        )
        programme = loyalty.programme(tenant)
    view = LiabilityView.of(report, method, programme.points_asset, programme.credit_asset)
    write(csv_file, view.to_csv())
    if as_json:
        render_finance.emit(view)
    else:
        render_finance.liability(console, view, tenant)
    _wrote(csv_file, as_json)


def _period(text: str) -> dict[str, Any]:
    """``LABEL:REDEEMED:EXPECTED``, EXPECTED in points or as basis points (``9700bp``)."""
    label, redeemed, expected = [*text.rsplit(":", 2), "", ""][:3]
    number = expected.removesuffix("bp")
    if not (redeemed.isascii() and redeemed.isdigit() and number.isascii() and number.isdigit()):
        raise InvalidRequest(f"--period {text!r} is LABEL:REDEEMED:EXPECTED, e.g. "
                             "'year 1:4500:9700' (EXPECTED in points, or as basis points: "
                             "9700bp)")  # fmt: skip
    key = "expected_rate_bp" if expected.endswith("bp") else "expected_redemptions"
    return {"label": label, "cumulative_redeemed": int(redeemed), key: int(number)}


@report_app.command("breakage")
@one_line_errors
def breakage(
    issued: Annotated[int, typer.Option(help="Points issued.")],
    allocated: Annotated[int, typer.Option(help="Revenue allocated to them, in minor units.")],
    period: Annotated[list[str], typer.Option(
        help="LABEL:REDEEMED:EXPECTED per period, in order: cumulative points redeemed and "
             "the points expected to be redeemed in all (or 9700bp); repeat for each.")],
    csv_file: CsvFile = None,
    as_json: Json = False,
) -> None:  # fmt: skip
    """Revenue recognised per period under IFRS 15 / ASC 606 (no database needed)."""
    try:
        body = Breakage.model_validate(
            {"issued": issued, "allocated": allocated, "periods": [_period(p) for p in period]}
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise InvalidRequest(f"{where}: {first['msg']}") from None
    view = BreakageView.of(body, recognise(body.issued, body.allocated, body.domain()))
    write(csv_file, view.to_csv())
    if as_json:
        render_finance.emit(view)
    else:
        render_finance.breakage(console, view)
    _wrote(csv_file, as_json)


@one_line_errors
def reconcile(
    *,
    tenant: Tenant,
    file: Annotated[Path, typer.Option(help="CSV of orders with order_id and amount columns.")],
    start: Start,
    end: End,
    csv_file: CsvFile = None,
    as_json: Json = False,
) -> None:
    """Match a file of orders with the ledger's earns of the period: matched, amount
    mismatch, missing in the ledger or in the file, duplicates. Exit 1 unless clean."""
    since, until = moment(start, "--start"), moment(end, "--end")
    checked_period(since, until)
    text = read(file)
    with opened(tenant) as loyalty:
        report = finance.reconcile_orders(loyalty, tenant, text, since, until)
    view = ReconciliationView.of(report, since, until)
    write(csv_file, report.to_csv())
    if as_json:
        render_finance.emit(view)
    else:
        render_finance.reconciliation(console, view, tenant)
    _wrote(csv_file, as_json)
    if not view.clean:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add the finance and risk commands to the CLI."""
    app.add_typer(report_app, name="report")
    app.command("reconcile")(reconcile)
    risk_cli.register(app)
