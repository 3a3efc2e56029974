"""The ``punchcard`` command: thin wrappers that parse, call the engine and render."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Annotated

import typer

from punchcard.adapters.postgres.database import Database
from punchcard.config import Settings
from punchcard.domain import validation
from punchcard.entrypoints.cli import (
    admin_cli,
    analytics_cli,
    finance_cli,
    importer,
    privacy_cli,
    render,
    rules,
    webhooks_cli,
)
from punchcard.entrypoints.cli import consume as consume_module
from punchcard.entrypoints.cli import demo as demo_module
from punchcard.entrypoints.cli import serve as serve_module
from punchcard.entrypoints.cli.console import console, moment, one_line_errors
from punchcard.service_layer.ledger import Ledger
from punchcard.service_layer.loyalty.facade import Loyalty

app = typer.Typer(
    help="punchcard: a loyalty-points ledger on PostgreSQL.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@contextmanager
def opened_ledger() -> Iterator[Ledger]:
    ledger = Ledger.open(Settings.from_env())
    try:
        yield ledger
    finally:
        ledger.close()


@app.command()
@one_line_errors
def migrate() -> None:
    """Apply pending schema migrations (safe to run twice)."""
    database = Database.open(Settings.from_env())
    try:
        applied = database.migrate()
    finally:
        database.close()
    if not applied:
        console.print("schema is up to date")
    for migration in applied:
        console.print(f"applied {migration.version:04d}_{migration.name}")


@app.command()
@one_line_errors
def seal(
    batch_size: Annotated[
        int, typer.Option(min=1, help="Transactions per database transaction.")
    ] = 1000,
) -> None:
    """Seal committed transactions into each tenant's hash chain."""
    with opened_ledger() as ledger:
        report = ledger.seal(batch_size=batch_size)
    console.print(f"sealed {report.sealed} transaction(s) in {report.tenants} tenant(s)")


@app.command()
@one_line_errors
def verify(
    tenant: Annotated[str | None, typer.Option(help="Verify one tenant only.")] = None,
    seal_first: Annotated[
        bool, typer.Option("--seal/--no-seal", help="Seal committed transactions first.")
    ] = True,
) -> None:
    """Recompute the seal chain, zero-sums and every balance; exit 1 on any discrepancy."""
    if tenant is not None:
        validation.tenant_id(tenant)
    with opened_ledger() as ledger:
        if seal_first:
            ledger.seal()
        report = ledger.verify(tenant=tenant)
    render.verification(console, report)
    if not report.ok:
        raise typer.Exit(1)


@app.command("expire-holds")
@one_line_errors
def expire_holds(
    limit: Annotated[int, typer.Option(min=1, help="Most holds to expire in this run.")] = 1000,
) -> None:
    """Void every hold whose expiry has passed, giving redemption holds' points back."""
    with Loyalty.open(Settings.from_env()) as loyalty:
        # redemption holds first: the loyalty sweep also gives their lots back
        authorizations = loyalty.expire_authorizations(limit=limit)
        expired = loyalty.ledger.expire_holds(limit=limit)
    console.print(f"expired {expired} hold(s) and {authorizations} redemption authorization(s)")


@app.command("activate-pending")
@one_line_errors
def activate_pending() -> None:
    """Make spendable the pending purchase points whose return window has closed."""
    with Loyalty.open(Settings.from_env()) as loyalty:
        report = loyalty.activate_pending()
    console.print(
        f"activated {report.points} point(s) in {report.lots} lot(s) "
        f"of {report.customers} customer(s)"
    )


@app.command("expire")
@one_line_errors
def expire_points(
    tenant: Annotated[str, typer.Option(help="The programme's tenant.")],
    as_of: Annotated[
        str | None,
        typer.Option(help="Expire what is due at this ISO-8601 time with offset (default: now)."),
    ] = None,
) -> None:
    """Expire every lot of points whose expiry has come."""
    validation.tenant_id(tenant)
    when = None if as_of is None else moment(as_of, "--as-of")
    with Loyalty.open(Settings.from_env()) as loyalty:
        report = loyalty.expire(tenant, as_of=when)
    console.print(
        f"expired {report.points} point(s) in {report.lots} lot(s) "
        f"of {report.customers} customer(s)"
    )


@app.command()
@one_line_errors
def expiring(
    tenant: Annotated[str, typer.Option(help="The programme's tenant.")],
    days: Annotated[int, typer.Option(min=1, max=3660, help="Warning window, in days.")] = 30,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="Most customers to list.")] = 100,
) -> None:
    """List the customers whose points expire within the next --days days."""
    validation.tenant_id(tenant)
    with Loyalty.open(Settings.from_env()) as loyalty:
        rows = loyalty.expiring(tenant, within=timedelta(days=days), limit=limit)
    render.expiring(console, tenant, rows, days=days)


@app.command()
@one_line_errors
def demo(
    customers: Annotated[int, typer.Option(min=1, help="Customers to simulate.")] = 1000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Concurrent writers.")] = 8,
    tenant: Annotated[str | None, typer.Option(help="Tenant id (default: a new demo-…)")] = None,
    seed: Annotated[int, typer.Option(help="Random seed, for reproducible runs.")] = 7,
) -> None:
    """Simulate the default loyalty programme, then seal and verify it."""
    if tenant is not None:
        validation.tenant_id(tenant)
    with Loyalty.open(Settings.from_env()) as loyalty:
        ok = demo_module.run(
            loyalty, console, customers=customers, workers=workers, tenant=tenant, seed=seed
        )
    if not ok:
        raise typer.Exit(1)


app.command("expire-points", hidden=True)(expire_points)  # its first name, still accepted
app.command("explain")(rules.explain)
app.add_typer(rules.app, name="rules")
app.add_typer(privacy_cli.app, name="vault")
app.add_typer(webhooks_cli.app, name="webhooks")
importer.register(app)
serve_module.register(app)
consume_module.register(app)
admin_cli.register(app)
finance_cli.register(app)
analytics_cli.register(app)


def main() -> None:  # pragma: no cover - console entry point
    sys.exit(app())
