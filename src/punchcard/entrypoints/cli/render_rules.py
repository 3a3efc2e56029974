"""Rich rendering for the rules commands: versions, simulations, explanations."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from rich.console import Console
from rich.table import Table

from punchcard.domain.rules.versions import RulesetVersion
from punchcard.entrypoints.cli.render import key_values
from punchcard.service_layer.rules.explain import Explanation
from punchcard.service_layer.rules.simulation import SimulationReport


def _at(moment: datetime | None) -> str:
    return "" if moment is None else f"{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"


def versions(
    console: Console, tenant: str, found: Sequence[RulesetVersion], active: int | None
) -> None:
    if not found:
        console.print(f"tenant {tenant} has no rulesets yet", markup=False)
        return
    table = Table(title=f"rulesets of {tenant}", title_justify="left")
    for column in ("v", "status", "name", "submitted by", "approved by", "active from"):
        table.add_column(column, justify="right" if column == "v" else "left",
                         no_wrap=column == "active from")  # fmt: skip
    for v in found:
        status = "active" if v.version == active else v.status.value
        table.add_row(str(v.version), status, v.ruleset.name, v.submitted_by or "",
                      v.approved_by or "", _at(v.activate_at))  # fmt: skip
    console.print(table)


def simulation(console: Console, report: SimulationReport, *, limit: int) -> None:
    changed = [event for event in report.events if event.delta]
    if changed and limit:
        table = Table(title="events the draft changes", title_justify="left")
        for column in ("event", "customer", "active", "draft", "delta"):
            table.add_column(column, justify="left" if column in ("event", "customer") else "right")
        for event in changed[:limit]:
            active = f"{event.active['points']:,}"
            table.add_row(event.key, event.customer_id, active, f"{event.draft['points']:,}",
                          f"{event.delta:+,}")  # fmt: skip
        console.print(table)
        if len(changed) > limit:
            console.print(f"… and {len(changed) - limit:,} more")
    active = "none published" if report.active_version is None else f"v{report.active_version}"
    rows = [
        ("events rated, nothing written", f"{len(report.events):,}"),
        (f"points by the active version ({active})", f"{report.active_points:,}"),
        ("points by the draft", f"{report.draft_points:,}"),
        ("delta", f"{report.delta:+,}"),
        ("events it changes", f"{len(changed):,}"),
        ("customers it changes", f"{len(report.affected_customers):,}"),
    ]
    fixed = sum(1 for event in report.events if "ruleset_version" not in event.active)
    if fixed:
        rows.append(("events before any version (the fixed rate)", f"{fixed:,}"))
    if report.draft_credit or report.active_credit:
        rows.append(("credit (minor units), active → draft",
                     f"{report.active_credit:,} → {report.draft_credit:,}"))  # fmt: skip
    key_values(console, "simulation", rows)


def explanation(console: Console, found: Explanation) -> None:
    stored = found.stored
    if found.version is None:
        points = sum(award["points"] for award in stored.get("awards", ()))
        console.print(
            f"transaction {found.transaction_id} was rated by the programme's fixed rate: "
            f"{points:,} points; there is no ruleset to recompute it by"
        )
        return
    lines = stored.get("lines", ())
    extra = [name for name in ("credit", "capped") if any(line.get(name) for line in lines)]
    table = Table(
        title=f"transaction {found.transaction_id}: ruleset v{found.version}, "
        f"tier {stored.get('tier') or '-'}",
        title_justify="left",
    )
    for column in ("rule", "item", "kind", "points", *extra):
        table.add_column(column, justify="left" if column in ("rule", "item", "kind") else "right")
    for line in lines:
        table.add_row(line["rule"], line.get("item", ""), line["kind"], f"{line['points']:,}",
                      *(f"{line.get(name, 0):,}" for name in extra))  # fmt: skip
    total = {"points": stored.get("points", 0), "credit": stored.get("credit", 0), "capped": ""}
    table.add_row("total", "", "", *(f"{total[name]:,}" for name in ("points", *extra)),
                  style="bold")  # fmt: skip
    console.print(table)
    for rule, why in stored.get("skipped", {}).items():
        console.print(f"rule {rule} did not apply: its condition failed: {why}", markup=False)
    verdict = "matches what was stored" if found.matches else "DIFFERS from what was stored"
    console.print(f"recomputed from its stored inputs by v{found.version}: {verdict}")
