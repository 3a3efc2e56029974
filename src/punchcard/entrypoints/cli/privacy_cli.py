"""``punchcard vault …``: customers' personal data from the command line.

``set`` stores a record read from a JSON file (never from the command line, where
shell histories and process lists would keep it), ``show`` decrypts it, ``find``
looks a customer up by e-mail, ``erase`` destroys the data key for good,
``export`` writes everything held of a customer, and ``rotate`` gives a tenant a
new key-encryption key, re-wrapping every data key and destroying the old KEK.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from pydantic_core import to_jsonable_python

from punchcard.adapters.crypto.keyfile import FileKeyProvider
from punchcard.config import Settings
from punchcard.domain import validation
from punchcard.domain.errors import InvalidRequest, UnknownCustomer
from punchcard.domain.privacy.personal_data import personal_data
from punchcard.entrypoints.cli.console import console, one_line_errors
from punchcard.service_layer.loyalty.facade import Loyalty
from punchcard.service_layer.privacy import Vault

app = typer.Typer(
    help="Personal data: set, show, find, erase, export; rotate a tenant's key.",
    no_args_is_help=True,
)
Tenant = Annotated[str, typer.Option(help="The programme's tenant.")]
CustomerId = Annotated[str, typer.Option("--customer", help="The customer id (cus_…).")]


@contextmanager
def _vault(tenant: str) -> Iterator[Vault]:
    validation.tenant_id(tenant)
    settings = Settings.from_env()
    with Loyalty.open(settings) as loyalty:
        yield Vault(loyalty, FileKeyProvider(settings.key_file))


def _emit(document: object) -> None:
    typer.echo(json.dumps(to_jsonable_python(document), indent=2))


@app.command("set")
@one_line_errors
def set_(
    *, tenant: Tenant, customer: CustomerId,
    file: Annotated[Path, typer.Option(help="A JSON file: name, email, phone, "
                                            "date_of_birth, address, attributes.")],
) -> None:  # fmt: skip
    """Replace a customer's personal data with the record in FILE (stored encrypted)."""
    try:
        document = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InvalidRequest(f"{file} is not a readable JSON file: {type(exc).__name__}") from None
    record = personal_data(document)
    with _vault(tenant) as vault:
        vault.store(tenant, customer, record)
    console.print(f"personal data of {customer} stored (encrypted)")


@app.command()
@one_line_errors
def show(*, tenant: Tenant, customer: CustomerId) -> None:
    """Print a customer's personal data as JSON; an error once it is erased."""
    with _vault(tenant) as vault:
        _emit({"customer_id": customer, **asdict(vault.read(tenant, customer))})


@app.command()
@one_line_errors
def find(*, tenant: Tenant,
         email: Annotated[str, typer.Option(help="The e-mail address.")]) -> None:  # fmt: skip
    """Print the id of the customer with this e-mail (through its keyed hash)."""
    with _vault(tenant) as vault:
        found = vault.find_by_email(tenant, email)
    if found is None:
        raise UnknownCustomer("no customer has this e-mail address")
    typer.echo(found.id)


@app.command()
@one_line_errors
def erase(
    *, tenant: Tenant, customer: CustomerId,
    by: Annotated[str, typer.Option(help="Who erases, for the record (no personal data).")],
) -> None:  # fmt: skip
    """Erase a customer's personal data for good: the data key is destroyed. Balances
    and history stay under the pseudonymous id. Erasing again shows the first erasure."""
    with _vault(tenant) as vault:
        done = vault.erase(tenant, customer, by=by)
    console.print(f"erased personal data of {done.customer_id} at "
                  f"{done.erased_at.isoformat()} by {done.erased_by}")  # fmt: skip


@app.command()
@one_line_errors
def export(
    *, tenant: Tenant, customer: CustomerId,
    csv: Annotated[Path | None, typer.Option(help="Also write the ledger history as CSV.")]
        = None,
) -> None:  # fmt: skip
    """Print everything held of a customer as JSON (GDPR Art. 15 and 20)."""
    with _vault(tenant) as vault:
        document = vault.export(tenant, customer)
        if csv is not None:
            csv.write_text(vault.history_csv(tenant, customer), encoding="utf-8")
    _emit(document)


@app.command()
@one_line_errors
def rotate(*, tenant: Tenant) -> None:
    """Give the tenant a new key-encryption key: every data key is re-wrapped with it
    (ciphertexts untouched) and the old KEKs are destroyed."""
    with _vault(tenant) as vault:
        done = vault.rotate(tenant)
    retired = ", ".join(done.retired) or "none"
    console.print(f"tenant {tenant}: KEK {done.kek_id} is current; {done.rewrapped} data "
                  f"key(s) re-wrapped; retired {retired}")  # fmt: skip
