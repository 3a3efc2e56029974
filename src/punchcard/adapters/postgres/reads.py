"""Reads of the ledger on one connection: accounts, balances, history, transactions, holds."""

from __future__ import annotations

from datetime import datetime

from punchcard.adapters.postgres.queries import query
from punchcard.adapters.postgres.types import Connection
from punchcard.domain.cursors import HistoryCursor
from punchcard.domain.errors import UnknownAccount, UnknownHold, UnknownTransaction
from punchcard.domain.model import (
    Account,
    AccountKind,
    AccountPolicy,
    Balance,
    Entry,
    Hold,
    HoldStatus,
    Page,
    Posting,
    Transaction,
    TransactionKind,
)

_STATUS = {
    None: HoldStatus.PENDING,
    "capture": HoldStatus.CAPTURED,
    "void": HoldStatus.VOIDED,
    "expire": HoldStatus.EXPIRED,
}


class LedgerReads:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def account(self, tenant: str, address: str) -> Account:
        row = self._conn.execute(
            query("account_by_address"), {"tenant": tenant, "address": address}
        ).fetchone()
        if row is None:
            raise UnknownAccount(f"account {address!r} does not exist in tenant {tenant!r}")
        id, address, kind, allow_negative = row
        return Account(id, address, AccountPolicy(AccountKind(kind), allow_negative))

    def balance(self, tenant: str, address: str, asset: str) -> Balance:
        account = self.account(tenant, address)
        row = self._conn.execute(
            query("balance"), {"tenant": tenant, "account_id": account.id, "asset": asset}
        ).fetchone()
        assert row is not None  # an aggregate always answers
        return Balance(address, asset, *row)

    def balance_as_of(self, tenant: str, address: str, asset: str, as_of: datetime) -> Balance:
        """Posted balance at an effective time (holds are not historical)."""
        account = self.account(tenant, address)
        row = self._conn.execute(
            query("balance_as_of"),
            {"tenant": tenant, "account_id": account.id, "asset": asset, "as_of": as_of},
        ).fetchone()
        assert row is not None
        return Balance(address, asset, posted_debits=row[0], posted_credits=row[1])

    def history(
        self, tenant: str, address: str, asset: str, *, limit: int, after: HistoryCursor | None
    ) -> Page[Entry]:
        account = self.account(tenant, address)
        params: dict[str, object] = {
            "tenant": tenant,
            "account_id": account.id,
            "asset": asset,
            "limit": limit + 1,
        }
        if after is None:
            rows = self._conn.execute(query("history_first_page"), params).fetchall()
        else:
            params |= {
                "after_effective_at": after.effective_at,
                "after_transaction_id": after.transaction_id,
                "after_posting_index": after.posting_index,
            }
            rows = self._conn.execute(query("history_next_page"), params).fetchall()
        entries = tuple(Entry(*row) for row in rows[:limit])
        has_more = len(rows) > limit
        cursor = None
        if has_more:
            last = entries[-1]
            cursor = HistoryCursor(last.effective_at, last.transaction_id, last.posting_index)
        return Page(entries, has_more, cursor.encode() if cursor else None)

    def transaction(self, tenant: str, transaction_id: int) -> Transaction:
        row = self._conn.execute(
            query("transaction_by_id"), {"tenant": tenant, "id": transaction_id}
        ).fetchone()
        if row is None:
            raise UnknownTransaction(f"transaction {transaction_id} does not exist")
        id, kind, key, effective_at, recorded_at, metadata, hold_id, reverses_id = row
        postings = tuple(self.indexed_postings(tenant, id).values())
        return Transaction(
            id, tenant, TransactionKind(kind), postings, key, effective_at, recorded_at,
            metadata, hold_id=hold_id, reverses_id=reverses_id,
        )  # fmt: skip

    def indexed_postings(self, tenant: str, transaction_id: int) -> dict[int, Posting]:
        rows = self._conn.execute(
            query("transaction_postings"), {"tenant": tenant, "id": transaction_id}
        ).fetchall()
        return {index: Posting(src, dst, asset, amount) for index, src, dst, asset, amount in rows}

    def hold(self, tenant: str, hold_id: int) -> Hold:
        row = self._conn.execute(query("hold_by_id"), {"tenant": tenant, "id": hold_id}).fetchone()
        if row is None:
            raise UnknownHold(f"hold {hold_id} does not exist")
        id, source, destination, asset, amount, expires_at, resolved_by, resolution = row
        return Hold(
            id,
            Posting(source, destination, asset, amount),
            expires_at,
            _STATUS[resolution],
            resolved_by,
        )

    def expired_open_holds(self, now: datetime, limit: int) -> list[tuple[str, int]]:
        """Open holds whose expiry has passed, across tenants, for the sweep."""
        rows = self._conn.execute(query("expired_open_holds"), {"now": now, "limit": limit})
        return [(tenant, hold_id) for tenant, hold_id in rows]
