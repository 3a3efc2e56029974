"""Rich tables for the tenant commands: keys, a customer, balances and lots, history."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.table import Table

from punchcard.domain.access import ApiKey
from punchcard.domain.loyalty.results import Customer, LotView, PointsBalance
from punchcard.domain.model import Entry
from punchcard.entrypoints.cli import render


def _when(moment: datetime | None) -> str:
    return "" if moment is None else moment.isoformat(timespec="seconds")


def keys(console: Console, tenant: str, found: Sequence[ApiKey]) -> None:
    if not found:
        console.print(f"no API keys in {tenant}", markup=False, highlight=False)
        return
    table = Table(title=f"API keys of {tenant}", title_justify="left")
    for column in ("key", "name", "roles", "per second", "created", "by", "revoked"):
        table.add_column(column, justify="right" if column == "per second" else "left")
    for key in found:
        table.add_row(
            key.id, key.name, ", ".join(sorted(role.value for role in key.roles)),
            f"{key.rate_limit:,}", _when(key.created_at), key.created_by, _when(key.revoked_at),
        )  # fmt: skip
    console.print(table)
    active = sum(1 for key in found if key.revoked_at is None)
    console.print(f"{len(found)} key(s), {active} active")


def customer(console: Console, found: Customer) -> None:
    rows = [("id", found.id), ("reference", found.external_ref),
            ("enrolled", _when(found.created_at))]  # fmt: skip
    render.key_values(console, f"customer {found.id}", rows)


def balance(console: Console, found: PointsBalance, lots: Sequence[LotView]) -> None:
    rows = [
        ("available", f"{found.available:,}"),
        ("spendable now", f"{found.spendable:,}"),
        ("pending (return window open)", f"{found.pending:,}"),
        ("held by authorizations", f"{found.held:,}"),
        ("past expiry, awaiting the sweep", f"{found.expiring:,}"),
        ("owed (clawback debt)", f"{found.debt:,}"),
        ("store credit (minor units)", f"{found.credit:,}"),
    ]
    render.key_values(console, f"balance of {found.customer_id}", rows)
    if not lots:
        console.print("no open lots")
        return
    table = Table(title="lots", title_justify="left")
    for column in ("lot", "kind", "amount", "remaining", "status", "active from", "expires",
                   "transaction", "order"):  # fmt: skip
        numeric = column in ("lot", "amount", "remaining", "transaction")
        table.add_column(column, justify="right" if numeric else "left")
    for lot in lots:
        table.add_row(
            str(lot.id), lot.kind.value, f"{lot.amount:,}", f"{lot.remaining:,}",
            lot.status.value, _when(lot.active_from), _when(lot.expires_at),
            str(lot.transaction_id), lot.order_id or "",
        )  # fmt: skip
    console.print(table)


@dataclass(frozen=True, slots=True)
class HistoryRow:
    entry: Entry
    operation: str
    """What the transaction was, from its metadata: earn, redeem, refund, …"""

    def document(self) -> dict[str, Any]:
        entry = self.entry
        return {"transaction_id": entry.transaction_id, "posting_index": entry.posting_index,
                "operation": self.operation or None, "effective_at": entry.effective_at,
                "amount": entry.signed_amount}  # fmt: skip


def history(
    console: Console, address: str, asset: str, rows: Sequence[HistoryRow], cursor: str | None
) -> None:
    if not rows:
        console.print(f"nothing has moved on {address} yet", markup=False, highlight=False)
        return
    table = Table(title=f"{address} in {asset}, newest first", title_justify="left")
    for column in ("transaction", "operation", "effective at", "amount"):
        table.add_column(column, justify="right" if column in ("transaction", "amount") else "left")
    for row in rows:
        table.add_row(str(row.entry.transaction_id), row.operation,
                      _when(row.entry.effective_at), f"{row.entry.signed_amount:+,}")  # fmt: skip
    console.print(table)
    if cursor is not None:
        console.print(f"more: --starting-after {cursor}", markup=False, highlight=False)
