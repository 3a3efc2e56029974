"""Rich tables for the finance and risk commands: the reports, a reconciliation, the
review queue, monitors and alerts; and the one JSON document ``--json`` prints
(the same document the HTTP API answers)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

import typer
from pydantic import BaseModel
from pydantic_core import to_jsonable_python
from rich.console import Console
from rich.table import Table

from punchcard.domain.finance.reconciliation import Outcome
from punchcard.entrypoints.http.schemas_finance import (
    BreakageView,
    LiabilityView,
    ReconciliationView,
    RollForwardView,
)
from punchcard.entrypoints.http.schemas_risk import AlertView, MonitorView, ReviewView


def emit(document: BaseModel | Sequence[BaseModel]) -> None:
    """One JSON document on stdout, for scripts."""
    data: object = (
        document.model_dump(mode="json") if isinstance(document, BaseModel)
        else [item.model_dump(mode="json") for item in document]
    )  # fmt: skip
    typer.echo(json.dumps(to_jsonable_python(data), indent=2))


def _say(console: Console, text: str) -> None:
    console.print(text, markup=False, highlight=False)


def _when(moment: datetime | None) -> str:
    return "" if moment is None else moment.isoformat(timespec="seconds")


def _table(title: str, *columns: str, numeric: Sequence[str] = ()) -> Table:
    table = Table(title=title or None, title_justify="left")
    for column in columns:
        table.add_column(column, justify="right" if column in numeric else "left")
    return table


def rollforward(console: Console, view: RollForwardView, tenant: str) -> None:
    _say(console, f"roll-forward of {tenant} from {_when(view.start)} to {_when(view.end)}: "
                  f"{view.asset} points, value in {view.value_asset} minor units")  # fmt: skip
    table = _table("", "line", "points", "value", numeric=("points", "value"))

    def row(label: str, points: int, value: int, *, bold: bool = False) -> None:
        style = "bold" if bold else None
        table.add_row(label, f"{points:+,}" if not bold else f"{points:,}", f"{value:,}",
                      style=style)  # fmt: skip

    row("opening", view.opening.points, view.opening.value, bold=True)
    for movement, figure in view.movements.items():
        if figure.points or figure.value:
            row(f"  {movement.value.replace('_', ' ')}", figure.points, figure.value)
        if movement.value == "issued":
            for kind, part in view.issued_by_kind.items():
                table.add_row(f"    of which {kind}", f"{part.points:,}", f"{part.value:,}")
    row("closing", view.closing.points, view.closing.value, bold=True)
    console.print(table)
    inside = ", ".join(f"{m.value} {f.points:,}" for m, f in view.internal.items() if f.points)
    if inside:
        _say(console, f"within what customers hold (nets to zero): {inside}")
    if view.written_off.points:
        off = view.written_off
        _say(console, f"written off by the programme (refund shortfalls): {off.points:,} "
                      f"points, {off.value:,}")  # fmt: skip
    _say(console, f"check: {view.check.explanation}")


def liability(console: Console, view: LiabilityView, tenant: str) -> None:
    _say(console, f"liability of {tenant} at {_when(view.as_of)}: {view.asset} points, value "
                  f"at issuance in {view.value_asset} minor units")  # fmt: skip
    table = _table("", "expires", "points", "value", numeric=("points", "value"))
    for bucket in view.buckets:
        table.add_row(bucket.name.replace("_", " "), f"{bucket.points:,}", f"{bucket.value:,}")
    table.add_row("held by open redemptions", f"{view.held.points:,}", f"{view.held.value:,}")
    table.add_row("total", f"{view.points:,}", f"{view.value:,}", style="bold")
    console.print(table)
    rate = f"{view.expected_redemption_bp / 100:.2f}%"
    _say(console, f"expected redemption {rate} ({view.method}): breakage-adjusted "
                  f"liability {view.breakage_adjusted_value:,}, expected breakage "
                  f"{view.expected_breakage_value:,}")  # fmt: skip


def breakage(console: Console, view: BreakageView) -> None:
    _say(console, f"IFRS 15 breakage: {view.issued:,} points issued, {view.allocated:,} of "
                  "revenue allocated")  # fmt: skip
    columns = ("period", "redeemed so far", "expected", "rate", "cumulative revenue",
               "recognised", "deferred")  # fmt: skip
    table = _table("", *columns, numeric=columns[1:])
    for p in view.periods:
        table.add_row(p.label, f"{p.cumulative_redeemed:,}", f"{p.expected_redemptions:,}",
                      f"{p.expected_rate_bp / 100:.2f}%", f"{p.cumulative_revenue:,}",
                      f"{p.revenue:,}", f"{p.deferred:,}")  # fmt: skip
    console.print(table)
    _say(console, f"recognised {view.recognised:,}, deferred {view.deferred:,}")


def reconciliation(console: Console, view: ReconciliationView, tenant: str) -> None:
    _say(console, f"reconciliation of {tenant} from {_when(view.start)} to {_when(view.end)}")
    counts = _table("", "outcome", "orders", numeric=("orders",))
    for outcome, count in view.counts.items():
        counts.add_row(outcome.value.replace("_", " "), f"{count:,}")
    console.print(counts)
    odd = [line for line in view.lines if line.outcome is not Outcome.MATCHED]
    if not odd:
        _say(console, "clean: every order matched")
        return
    table = _table("discrepancies", "order", "outcome", "file amount", "ledger amount",
                   "points", "file line", numeric=("file amount", "ledger amount", "points",
                                                   "file line"))  # fmt: skip
    for line in odd:
        table.add_row(line.order_id, line.outcome.value, _n(line.file_amount),
                      _n(line.ledger_amount), _n(line.points), _n(line.file_line))  # fmt: skip
    console.print(table)


def _n(value: int | None) -> str:
    return "" if value is None else f"{value:,}"


def reviews(console: Console, tenant: str, found: Sequence[ReviewView]) -> None:
    if not found:
        _say(console, f"no reviews of {tenant} are waiting")
        return
    table = _table(f"reviews of {tenant} waiting for a decision, oldest first", "review",
                   "kind", "customer", "points", "hold", "asked by", "since", "reasons",
                   numeric=("review", "points", "hold"))  # fmt: skip
    for r in found:
        table.add_row(str(r.id), r.kind, r.customer_id, f"{r.points:,}", _n(r.hold_id),
                      r.requested_by or "", _when(r.created_at), "; ".join(r.reasons))  # fmt: skip
    console.print(table)


def review(console: Console, r: ReviewView) -> None:
    decided = "" if r.decided_by is None else f" by {r.decided_by} at {_when(r.decided_at)}"
    note = "" if r.note is None else f" ({r.note})"
    _say(console, f"review {r.id} ({r.kind}, {r.points:,} points of {r.customer_id}): "
                  f"{r.status}{decided}{note}")  # fmt: skip


def monitors(console: Console, tenant: str, found: Sequence[MonitorView]) -> None:
    if not found:
        _say(console, f"no monitors in {tenant}")
        return
    table = _table(f"monitors of {tenant}", "monitor", "name", "measure", "customer",
                   "above", "tripped", numeric=("monitor", "above"))  # fmt: skip
    for m in found:
        table.add_row(str(m.id), m.name, m.measure, m.customer_id or "", f"{m.threshold:,}",
                      "yes" if m.tripped else "no")  # fmt: skip
    console.print(table)


def alerts(console: Console, tenant: str, found: Sequence[AlertView]) -> None:
    if not found:
        _say(console, f"no alerts in {tenant}")
        return
    table = _table(f"alerts of {tenant}, newest first", "alert", "kind", "raised", "subject",
                   numeric=("alert",))  # fmt: skip
    for a in found:
        table.add_row(str(a.id), a.kind, _when(a.raised_at), a.subject)
    console.print(table)
