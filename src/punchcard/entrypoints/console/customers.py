"""Customers: find one by external reference, or by e-mail through the vault, and
see everything about them: balance (available, spendable, pending), lots with
their expiry, tier and its history, the points history with each earn's rule
breakdown, and their personal data for support (operators and admins).

The e-mail search is a POST, as ``POST /v1/customers:lookup`` is, so the address
never sits in a URL that logs and browser histories keep.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from punchcard.domain.errors import PunchcardError, UnknownAccount, UnknownCustomer
from punchcard.domain.loyalty import accounts
from punchcard.entrypoints.console.web import Operator, Poster, Reader, State, redirect, render
from punchcard.entrypoints.http.deps import SUPPORT
from punchcard.service_layer.loyalty.facade import Loyalty

router = APIRouter(prefix="/customers")

CustomerId = Annotated[str, Path(min_length=1, max_length=64)]
HISTORY = 25
"""Entries shown: the newest; the full history is in the export."""


@router.get("", response_class=HTMLResponse)
def search(
    request: Request, operator: Reader, state: State,
    ref: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:  # fmt: skip
    """The search form; with ``ref``, the customer of that reference."""
    if ref:
        found = state.services.loyalty.find_customer(operator.tenant, ref.strip())
        if found is None:
            raise UnknownCustomer("no customer has this external reference")
        return redirect(request, f"/customers/{found.id}")
    return render(request, "search.html", operator)


@router.post("/lookup")
def lookup(
    request: Request, operator: Poster, state: State, email: Annotated[str, Form(max_length=320)]
) -> Response:
    operator.principal.require(*SUPPORT)
    found = state.services.vault.find_by_email(operator.tenant, email)
    if found is None:
        raise UnknownCustomer("no customer has this e-mail address")
    return redirect(request, f"/customers/{found.id}")


@router.get("/{customer_id}", response_class=HTMLResponse)
def customer(request: Request, operator: Reader, state: State, customer_id: CustomerId) -> Response:
    loyalty = state.services.loyalty
    tenant = operator.tenant
    found = loyalty.customer(tenant, customer_id)  # unknown here: unknown_customer, 404
    ctx: dict[str, Any] = {
        "customer": found,
        "balance": loyalty.balance(tenant, customer_id),
        "lots": loyalty.lots(tenant, customer_id),
        "tier": loyalty.tier(tenant, customer_id),
        "history": _history(loyalty, tenant, customer_id),
        # A fresh key per rendered form: submitting it twice replays, never doubles.
        "idempotency_key": f"console-{uuid.uuid4().hex}",
    }
    if operator.principal.allows(*SUPPORT):
        ctx |= _personal(state, operator, customer_id)
    return render(request, "customer.html", operator, **ctx)


def _personal(state: State, operator: Operator, customer_id: str) -> dict[str, Any]:
    vault = state.services.vault
    erased = vault.erasure(operator.tenant, customer_id)
    if erased is not None:
        return {"erasure": erased}
    try:
        return {"personal": vault.read(operator.tenant, customer_id)}
    except PunchcardError as exc:  # none stored yet: say so on the page
        return {"personal_error": exc}


def _history(loyalty: Loyalty, tenant: str, customer_id: str) -> list[dict[str, Any]]:
    """The newest points entries, each with its transaction's operation and, for an
    earn, the rule breakdown stored with it."""
    asset = loyalty.programme(tenant).points_asset
    try:
        page = loyalty.ledger.history(tenant, accounts.points(customer_id), asset, limit=HISTORY)
    except UnknownAccount:  # the account opens with the customer's first entry
        return []
    rows = []
    for entry in page.items:
        txn = loyalty.ledger.transaction(tenant, entry.transaction_id)
        breakdown: Any = txn.metadata.get("breakdown")
        lines = breakdown.get("lines", []) if isinstance(breakdown, dict) else []
        rows.append({
            "entry": entry, "operation": txn.metadata.get("operation", txn.kind),
            "order_id": txn.metadata.get("order_id"),
            "lines": [line for line in lines if line.get("points")],
            "version": breakdown.get("ruleset_version") if isinstance(breakdown, dict) else None,
        })  # fmt: skip
    return rows
