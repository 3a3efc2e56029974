"""``punchcard keys …``, ``customers show``, ``balances`` and ``transactions list``:
looking after a tenant from the command line.

Each prints a table for people, or with ``--json`` one JSON document for scripts;
an expected failure is one line on stderr and exit status 1 either way.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from pydantic_core import to_jsonable_python

from punchcard.config import Settings
from punchcard.domain import validation
from punchcard.domain.access import ApiKey
from punchcard.domain.errors import InvalidRequest, UnknownAccount, UnknownCustomer
from punchcard.domain.loyalty import accounts
from punchcard.domain.model import Page
from punchcard.entrypoints.cli import render_admin
from punchcard.entrypoints.cli.console import console, one_line_errors
from punchcard.service_layer.access import Keys
from punchcard.service_layer.loyalty.facade import Loyalty

Tenant = Annotated[str, typer.Option(help="The programme's tenant.")]
Json = Annotated[bool, typer.Option("--json", help="One JSON document on stdout, for scripts.")]
ACCOUNTS = {"points": accounts.points, "pending": accounts.pending,
            "credit": accounts.credit, "clawback": accounts.clawback}  # fmt: skip

keys_app = typer.Typer(help="API keys: create, list, revoke.", no_args_is_help=True)
customers_app = typer.Typer(help="Customers: look one up.", no_args_is_help=True)
transactions_app = typer.Typer(help="A customer's account history.", no_args_is_help=True)


@contextmanager
def _opened(tenant: str) -> Iterator[Loyalty]:
    validation.tenant_id(tenant)
    with Loyalty.open(Settings.from_env()) as loyalty:
        yield loyalty


def _emit(document: object) -> None:
    typer.echo(json.dumps(to_jsonable_python(document), indent=2, sort_keys=False))


def _key(key: ApiKey) -> dict[str, Any]:
    return {"id": key.id, "tenant": key.tenant, "name": key.name,
            "roles": sorted(role.value for role in key.roles), "rate_limit": key.rate_limit,
            "created_at": key.created_at, "created_by": key.created_by,
            "revoked_at": key.revoked_at}  # fmt: skip


# -- keys ---------------------------------------------------------------------------------


@keys_app.command("create")
@one_line_errors
def create_key(
    *,
    tenant: Tenant,
    name: Annotated[str, typer.Option(help="What the key is for, e.g. 'checkout service'.")],
    role: Annotated[
        list[str],
        typer.Option(help="ingest, operator, approver, auditor or admin; repeat for several."),
    ],
    rate_limit: Annotated[int, typer.Option(help="Requests a second (a burst of twice).")] = 100,
    by: Annotated[str, typer.Option(help="Who creates it, for the record.")] = "cli",
    as_json: Json = False,
) -> None:
    """Create an API key and print its token, this once: only a hash is stored."""
    with _opened(tenant) as loyalty:
        loyalty.programme(tenant)  # a key for a tenant with no programme serves nothing
        key, token = Keys(loyalty.ledger.database).create(
            tenant, name=name, roles_=role, created_by=by, rate_limit=rate_limit
        )
    if as_json:
        _emit({**_key(key), "token": token})
        return
    roles = ", ".join(sorted(r.value for r in key.roles))
    typer.echo(f"created key {key.id} in {tenant}: {key.name!r}, roles {roles}, "
               f"{key.rate_limit} requests/s")  # fmt: skip
    typer.echo(f"token (shown this once; store it now): {token}")


@keys_app.command("list")
@one_line_errors
def list_keys(tenant: Tenant, as_json: Json = False) -> None:
    """The tenant's keys, oldest first, revoked ones included (never their tokens)."""
    with _opened(tenant) as loyalty:
        found = Keys(loyalty.ledger.database).list(tenant)
    if as_json:
        _emit([_key(key) for key in found])
    else:
        render_admin.keys(console, tenant, found)


@keys_app.command("revoke")
@one_line_errors
def revoke_key(
    tenant: Tenant,
    key: Annotated[str, typer.Option(help="The key's id, key_….")],
    as_json: Json = False,
) -> None:
    """Revoke a key: refused within seconds by every API process (at once by this one)."""
    with _opened(tenant) as loyalty:
        revoked = Keys(loyalty.ledger.database).revoke(tenant, key)
    if as_json:
        _emit(_key(revoked))
    else:
        typer.echo(f"revoked key {revoked.id} ({revoked.name!r}) of {tenant}")


# -- customers, balances, history ---------------------------------------------------------


@customers_app.command("show")
@one_line_errors
def show_customer(
    tenant: Tenant,
    id_: Annotated[str | None, typer.Option("--id", help="punchcard's customer id.")] = None,
    ref: Annotated[str | None, typer.Option(help="Your reference for the customer.")] = None,
    as_json: Json = False,
) -> None:
    """One customer, by id or by your reference."""
    if (id_ is None) == (ref is None):
        raise InvalidRequest("give exactly one of --id and --ref")
    with _opened(tenant) as loyalty:
        if id_ is not None:
            customer = loyalty.customer(tenant, id_)
        else:
            assert ref is not None
            found = loyalty.find_customer(tenant, ref)
            if found is None:
                raise UnknownCustomer(f"no customer of {tenant} has the reference {ref!r}")
            customer = found
    if as_json:
        _emit(customer)
    else:
        render_admin.customer(console, customer)


@one_line_errors
def balances(
    tenant: Tenant,
    customer: Annotated[str, typer.Option(help="The customer's id.")],
    closed: Annotated[bool, typer.Option("--closed", help="List used-up lots too.")] = False,
    as_json: Json = False,
) -> None:
    """A customer's balances, and the lots of points behind them."""
    with _opened(tenant) as loyalty:
        balance = loyalty.balance(tenant, customer)
        lots = loyalty.lots(tenant, customer, include_closed=closed)
    if as_json:
        _emit({"balance": balance, "lots": lots})
    else:
        render_admin.balance(console, balance, lots)


@transactions_app.command("list")
@one_line_errors
def list_transactions(
    *,
    tenant: Tenant,
    customer: Annotated[str, typer.Option(help="The customer's id.")],
    account: Annotated[str, typer.Option(help="points, pending, credit or clawback.")] = "points",
    limit: Annotated[int, typer.Option(help="Most entries, 1-500.")] = 20,
    starting_after: Annotated[
        str | None, typer.Option(help="The next_cursor of the previous page.")
    ] = None,
    as_json: Json = False,
) -> None:
    """A page of one of the customer's accounts, newest first, with what each
    transaction was (earn, redeem, refund …)."""
    if account not in ACCOUNTS:
        raise InvalidRequest(f"--account is one of {', '.join(ACCOUNTS)}, not {account!r}")
    with _opened(tenant) as loyalty:
        loyalty.customer(tenant, customer)
        programme = loyalty.programme(tenant)
        asset = programme.credit_asset if account == "credit" else programme.points_asset
        address = ACCOUNTS[account](customer)
        try:
            page = loyalty.ledger.history(
                tenant, address, asset, limit=limit, starting_after=starting_after
            )
        except UnknownAccount:  # enrolled, but nothing ever moved on this account
            page = Page((), has_more=False, next_cursor=None)
        operations = {
            txn_id: loyalty.ledger.transaction(tenant, txn_id).metadata.get("operation")
            for txn_id in dict.fromkeys(entry.transaction_id for entry in page.items)
        }
    rows = [render_admin.HistoryRow(entry, str(operations[entry.transaction_id] or ""))
            for entry in page.items]  # fmt: skip
    if as_json:
        _emit({"account": address, "asset": asset, "has_more": page.has_more,
               "next_cursor": page.next_cursor,
               "entries": [row.document() for row in rows]})  # fmt: skip
    else:
        render_admin.history(console, address, asset, rows, page.next_cursor)


def register(app: typer.Typer) -> None:
    """Add these commands to the CLI."""
    app.add_typer(keys_app, name="keys")
    app.add_typer(customers_app, name="customers")
    app.command("balances")(balances)
    app.add_typer(transactions_app, name="transactions")
