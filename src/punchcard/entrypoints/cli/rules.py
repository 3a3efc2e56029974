"""``punchcard rules …`` and ``punchcard explain``: governing rulesets from the
command line (a draft, a submission, a second person's approval), simulating a
draft on a file of events, and explaining an earn."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import yaml

from punchcard.config import Settings
from punchcard.domain import validation
from punchcard.domain.rules.documents import ruleset_document
from punchcard.entrypoints.cli import render_rules, rules_files
from punchcard.entrypoints.cli.console import console, moment, one_line_errors
from punchcard.service_layer.loyalty.facade import Loyalty

app = typer.Typer(help="Rulesets: draft, submit, approve, list, show, simulate.",
                  no_args_is_help=True)  # fmt: skip

Tenant = Annotated[str, typer.Option(help="The programme's tenant.")]
Version = Annotated[int, typer.Option(min=1, help="The ruleset version.")]
By = Annotated[str, typer.Option(help="Who does it (maker-checker: approver ≠ submitter).")]
File = Annotated[Path, typer.Option(help="A ruleset document, JSON or YAML.")]


def _open(tenant: str) -> Loyalty:
    validation.tenant_id(tenant)
    return Loyalty.open(Settings.from_env())


@app.command()
@one_line_errors
def create(tenant: Tenant, file: File, by: By) -> None:
    """Store a ruleset document as a new draft version."""
    ruleset = rules_files.ruleset(file)
    with _open(tenant) as loyalty:
        version = loyalty.create_ruleset(tenant, ruleset, created_by=by)
    console.print(
        f'created draft ruleset v{version.version} "{ruleset.name}" '
        f"({len(ruleset.rules)} rules) by {by}",
        markup=False, highlight=False,
    )  # fmt: skip


@app.command()
@one_line_errors
def submit(
    tenant: Tenant,
    version: Version,
    by: By,
    activate_at: Annotated[
        str | None,
        typer.Option(help="ISO-8601 time with offset it takes effect (default: on approval)."),
    ] = None,
) -> None:
    """Freeze a draft and ask a second person to approve it."""
    when = None if activate_at is None else moment(activate_at, "--activate-at")
    with _open(tenant) as loyalty:
        submitted = loyalty.submit_ruleset(tenant, version, submitted_by=by, activate_at=when)
    takes_effect = "on approval" if when is None else f"from {when.isoformat()} once approved"
    console.print(f"submitted ruleset v{submitted.version} by {by}; it takes effect "
                  f"{takes_effect}", markup=False, highlight=False)  # fmt: skip


@app.command()
@one_line_errors
def approve(tenant: Tenant, version: Version, by: By) -> None:
    """Publish a submitted version (not by who submitted it). Published versions never change."""
    with _open(tenant) as loyalty:
        published = loyalty.approve_ruleset(tenant, version, approved_by=by)
    assert published.activate_at is not None
    console.print(
        f"published ruleset v{published.version}, approved by {by}; active from "
        f"{published.activate_at.isoformat(timespec='seconds')}",
        markup=False, highlight=False,
    )  # fmt: skip


app.command("publish", help="Approve and publish a submitted version (the same as approve).")(
    approve
)


@app.command("list")
@one_line_errors
def list_(
    tenant: Tenant,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="Most versions to list.")] = 50,
) -> None:
    """The tenant's ruleset versions, newest first, and which one is active."""
    with _open(tenant) as loyalty:
        versions = loyalty.rulesets(tenant, limit=limit)
        active = loyalty.active_ruleset(tenant)
    render_rules.versions(console, tenant, versions, active.version if active else None)


@app.command()
@one_line_errors
def show(tenant: Tenant, version: Version) -> None:
    """Print a version's document as YAML (it reads back as the same ruleset)."""
    with _open(tenant) as loyalty:
        found = loyalty.ruleset(tenant, version)
    document = _without_nulls(ruleset_document(found.ruleset))
    header = f"# ruleset v{found.version}, {found.status.value}, made by {found.created_by}"
    if found.approved_by:
        header += f", approved by {found.approved_by}"
    typer.echo(header)
    typer.echo(yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100), nl=False)


def _without_nulls(value: object) -> object:
    """Every field that can be null defaults to null, so leaving nulls out changes nothing."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


@app.command()
@one_line_errors
def simulate(
    tenant: Tenant,
    file: Annotated[Path, typer.Option(help="The draft ruleset, JSON or YAML.")],
    events: Annotated[Path, typer.Option(help="Events to rate, one JSON object per line.")],
    limit: Annotated[int, typer.Option(min=0, help="Most changed events to list.")] = 20,
) -> None:
    """Rate events by a draft and by the active version; nothing is written."""
    draft = rules_files.ruleset(file)
    parsed = rules_files.events(events, tenant)
    with _open(tenant) as loyalty:
        report = loyalty.simulate(tenant, draft, parsed)
    render_rules.simulation(console, report, limit=limit)


@one_line_errors
def explain(
    tenant: Tenant,
    transaction: Annotated[int, typer.Option(min=1, help="The earn's ledger transaction id.")],
) -> None:
    """Show why an earn got its points, and recompute it; exit 1 if it differs."""
    with _open(tenant) as loyalty:
        explanation = loyalty.explain(tenant, transaction)
    render_rules.explanation(console, explanation)
    if explanation.matches is False:
        raise typer.Exit(1)
