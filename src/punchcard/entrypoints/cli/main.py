"""The ``punchcard`` command: thin wrappers that parse, call the engine and render."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, ParamSpec, TypeVar

import typer
from rich.console import Console

from punchcard.adapters.postgres.database import Database
from punchcard.config import ConfigError, Settings
from punchcard.domain import validation
from punchcard.domain.errors import PunchcardError
from punchcard.entrypoints.cli import demo as demo_module
from punchcard.entrypoints.cli import render
from punchcard.service_layer.ledger import Ledger

app = typer.Typer(
    help="punchcard: a loyalty-points ledger on PostgreSQL.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
errors = Console(stderr=True)

P = ParamSpec("P")
R = TypeVar("R")


def one_line_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Expected failures print one line on stderr and exit 1, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except PunchcardError as exc:
            errors.print(f"error: {exc.code}: {exc.message}", markup=False, highlight=False)
        except ConfigError as exc:
            errors.print(f"error: config: {exc}", markup=False, highlight=False)
        raise typer.Exit(1)

    return wrapper


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
    """Void every hold whose expiry has passed."""
    with opened_ledger() as ledger:
        expired = ledger.expire_holds(limit=limit)
    console.print(f"expired {expired} hold(s)")


@app.command()
@one_line_errors
def demo(
    customers: Annotated[int, typer.Option(min=1, help="Customers to simulate.")] = 2000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Concurrent writers.")] = 8,
    tenant: Annotated[str | None, typer.Option(help="Tenant id (default: a new demo-…)")] = None,
    seed: Annotated[int, typer.Option(help="Random seed, for reproducible runs.")] = 7,
) -> None:
    """Simulate a loyalty programme, then seal and verify it."""
    with opened_ledger() as ledger:
        ok = demo_module.run(
            ledger, console, customers=customers, workers=workers, tenant=tenant, seed=seed
        )
    if not ok:
        raise typer.Exit(1)


def main() -> None:  # pragma: no cover - console entry point
    sys.exit(app())
