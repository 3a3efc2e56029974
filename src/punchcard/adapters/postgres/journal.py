"""The ledger's write path: one command becomes rows in the caller's transaction.

Order of work in every write, which is also the lock order (see docs/ledger.md):
1. claim the idempotency key by inserting the transaction row (a replay stops here);
2. lock the hold or the original transaction, if the command resolves or reverses one;
3. create accounts on first use (sorted by address);
4. insert the entries (two legs per posting);
5. change bounded balances in (account id, asset) order, then unbounded slots in the
   same order. The balances_no_overdraft CHECK refuses an overdraft.
Nothing here commits; the unit of work does, once.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta

from psycopg import errors as pg
from psycopg.types.json import Jsonb

from punchcard.adapters.postgres.catalog import Catalog
from punchcard.adapters.postgres.errors import translated
from punchcard.adapters.postgres.queries import query
from punchcard.adapters.postgres.reads import LedgerReads
from punchcard.adapters.postgres.types import Connection
from punchcard.domain import commands, postings
from punchcard.domain.errors import (
    CaptureExceedsHold,
    Conflict,
    HoldAlreadyResolved,
    HoldExpired,
    IdempotencyConflict,
    InsufficientFunds,
    InvalidReversal,
)
from punchcard.domain.model import (
    Account,
    AccountKind,
    Hold,
    HoldResult,
    HoldStatus,
    Posting,
    PostResult,
    Transaction,
    TransactionKind,
)
from punchcard.domain.postings import BalanceChange
from punchcard.domain.reversal import reversal_postings
from punchcard.domain.validation import JsonValue

SLOTS = 32
"""Balance slots per unbounded account and asset (the schema's CHECK allows 0-31)."""

REVERSIBLE = frozenset({TransactionKind.POST, TransactionKind.CAPTURE, TransactionKind.REVERSAL})

Changes = dict[tuple[str, str], BalanceChange]
Claimable = (
    commands.Post | commands.PlaceHold | commands.CaptureHold | commands.VoidHold | commands.Reverse
)


class Journal:
    def __init__(
        self,
        conn: Connection,
        catalog: Catalog,
        reads: LedgerReads,
        *,
        clock: Callable[[], datetime],
        max_backdate: timedelta,
        after_commit: Callable[[Callable[[], None]], None],
    ) -> None:
        self._conn = conn
        self._catalog = catalog
        self._reads = reads
        self._clock = clock
        self._max_backdate = max_backdate
        self._after_commit = after_commit

    # -- commands

    def post(self, cmd: commands.Post) -> PostResult:
        now = self._clock()
        effective_at = commands.effective_time(cmd.effective_at, now, self._max_backdate)
        self._catalog.require_assets(self._conn, cmd.tenant, {p.asset for p in cmd.postings})
        claimed = self._claim(cmd, TransactionKind.POST, effective_at)
        if isinstance(claimed, Transaction):
            return PostResult(claimed, replayed=True)
        txn_id, recorded_at = claimed
        indexed = list(enumerate(cmd.postings))
        accounts = self._accounts(cmd.tenant, postings.addresses(cmd.postings))
        self._insert_entries(cmd.tenant, txn_id, indexed, accounts, effective_at)
        self._apply(cmd.tenant, postings.posted_changes(cmd.postings), accounts)
        txn = Transaction(
            txn_id, cmd.tenant, TransactionKind.POST, tuple(cmd.postings),
            cmd.idempotency_key, effective_at, recorded_at, cmd.meta,
        )  # fmt: skip
        return PostResult(txn, replayed=False)

    def post_many(self, cmds: Sequence[commands.Post]) -> list[PostResult]:
        """Many posts of one tenant with one statement per table: the transactions,
        their entries, then every balance change summed per account (customers'
        bounded balances in one statement, each unbounded account's slot once).
        Same rows and checks as ``post`` one by one; results in the order given.
        An overdraft anywhere refuses the whole lot (InsufficientFunds)."""
        if not cmds:
            return []
        tenant = cmds[0].tenant
        if any(cmd.tenant != tenant for cmd in cmds):
            raise ValueError("post_many takes the posts of one tenant")
        now = self._clock()
        effective = [commands.effective_time(c.effective_at, now, self._max_backdate) for c in cmds]
        self._catalog.require_assets(
            self._conn, tenant, {p.asset for cmd in cmds for p in cmd.postings}
        )
        fingerprints = [cmd.fingerprint() for cmd in cmds]
        with translated():
            rows = self._conn.execute(
                query("insert_transactions"),
                {
                    "tenant": tenant,
                    "keys": [cmd.idempotency_key for cmd in cmds],
                    "request_hashes": fingerprints,
                    "effective_at": effective,
                    "metadata": [Jsonb(cmd.meta) for cmd in cmds],
                },
            ).fetchall()
        claimed = {key: (txn_id, recorded_at) for txn_id, key, recorded_at in rows}
        new = [
            (cmd, claimed.pop(cmd.idempotency_key), at)
            for cmd, at in zip(cmds, effective, strict=True)
            if cmd.idempotency_key in claimed
        ]
        results: dict[int, PostResult] = {}
        if new:
            addresses = {a for cmd, _, _ in new for a in postings.addresses(cmd.postings)}
            accounts = self._accounts(tenant, sorted(addresses))
            self._insert_entries_many(tenant, new, accounts)
            self._apply_many(
                tenant,
                postings.combine(*(postings.posted_changes(cmd.postings) for cmd, _, _ in new)),
                accounts,
            )
            for cmd, (txn_id, recorded_at), at in new:
                txn = Transaction(
                    txn_id, tenant, TransactionKind.POST, tuple(cmd.postings),
                    cmd.idempotency_key, at, recorded_at, cmd.meta,
                )  # fmt: skip
                results[id(cmd)] = PostResult(txn, replayed=False)
        return [
            results.get(id(cmd)) or PostResult(self._replay(cmd, fp), replayed=True)
            for cmd, fp in zip(cmds, fingerprints, strict=True)
        ]

    def hold(self, cmd: commands.PlaceHold) -> HoldResult:
        now = self._clock()
        effective_at = commands.effective_time(cmd.effective_at, now, self._max_backdate)
        expires_at = cmd.expiry(now)
        self._catalog.require_assets(self._conn, cmd.tenant, {cmd.posting.asset})
        claimed = self._claim(cmd, TransactionKind.HOLD, effective_at)
        if isinstance(claimed, Transaction):
            return HoldResult(self._reads.hold(cmd.tenant, claimed.id), claimed, replayed=True)
        txn_id, recorded_at = claimed
        p = cmd.posting
        accounts = self._accounts(cmd.tenant, {p.source, p.destination})
        self._conn.execute(
            query("insert_hold"),
            {
                "tenant": cmd.tenant,
                "transaction_id": txn_id,
                "source_id": accounts[p.source].id,
                "destination_id": accounts[p.destination].id,
                "asset": p.asset,
                "amount": p.amount,
                "expires_at": expires_at,
            },
        )
        self._apply(cmd.tenant, postings.hold_changes(p, reserve=True), accounts)
        txn = Transaction(
            txn_id, cmd.tenant, TransactionKind.HOLD, (), cmd.idempotency_key,
            effective_at, recorded_at, cmd.meta,
        )  # fmt: skip
        hold = Hold(txn_id, p, expires_at, HoldStatus.PENDING, resolved_by=None)
        return HoldResult(hold, txn, replayed=False)

    def capture(self, cmd: commands.CaptureHold) -> PostResult:
        return self._resolve(cmd, TransactionKind.CAPTURE, cmd.amount)

    def void(self, cmd: commands.VoidHold) -> PostResult:
        kind = (
            TransactionKind.EXPIRE if isinstance(cmd, commands.ExpireHold) else TransactionKind.VOID
        )
        return self._resolve(cmd, kind, None)

    def reverse(self, cmd: commands.Reverse) -> PostResult:
        now = self._clock()
        effective_at = commands.effective_time(cmd.effective_at, now, self._max_backdate)
        claimed = self._claim(
            cmd, TransactionKind.REVERSAL, effective_at, reverses_id=cmd.transaction_id
        )
        if isinstance(claimed, Transaction):
            return PostResult(claimed, replayed=True)
        txn_id, recorded_at = claimed
        params = {"tenant": cmd.tenant, "id": cmd.transaction_id}
        row = self._conn.execute(query("lock_transaction"), params).fetchone()
        assert row is not None  # the foreign key on reverses_id proved it exists
        if row[0] not in REVERSIBLE:
            raise InvalidReversal(
                f"transaction {cmd.transaction_id} is a {row[0]}, which posts nothing to reverse"
            )
        original = self._reads.indexed_postings(cmd.tenant, cmd.transaction_id)
        so_far: dict[int, int] = dict(
            self._conn.execute(query("reversed_so_far"), params).fetchall()
        )
        pairs = reversal_postings(original, so_far, cmd.amount)
        reversal = [p for _, p in pairs]
        accounts = self._accounts(cmd.tenant, postings.addresses(reversal))
        self._insert_entries(cmd.tenant, txn_id, pairs, accounts, effective_at)
        self._apply(cmd.tenant, postings.posted_changes(reversal), accounts)
        txn = Transaction(
            txn_id, cmd.tenant, TransactionKind.REVERSAL, tuple(reversal), cmd.idempotency_key,
            effective_at, recorded_at, cmd.meta, reverses_id=cmd.transaction_id,
        )  # fmt: skip
        return PostResult(txn, replayed=False)

    # -- steps

    def _resolve(
        self,
        cmd: commands.CaptureHold | commands.VoidHold,
        kind: TransactionKind,
        amount: int | None,
    ) -> PostResult:
        now = self._clock()
        effective_at = commands.effective_time(cmd.effective_at, now, self._max_backdate)
        try:
            claimed = self._claim(cmd, kind, effective_at, hold_id=cmd.hold_id)
        except HoldAlreadyResolved:
            raise HoldAlreadyResolved(f"hold {cmd.hold_id} was already resolved") from None
        if isinstance(claimed, Transaction):
            return PostResult(claimed, replayed=True)
        txn_id, recorded_at = claimed
        row = self._conn.execute(
            query("resolve_hold"),
            {"tenant": cmd.tenant, "hold_id": cmd.hold_id, "transaction_id": txn_id},
        ).fetchone()
        if row is None:  # the unique index should have said so already
            raise HoldAlreadyResolved(f"hold {cmd.hold_id} was already resolved")
        source, destination, asset, held, expires_at = row
        expired = expires_at is not None and expires_at <= now
        if kind is TransactionKind.CAPTURE and expired:
            raise HoldExpired(f"hold {cmd.hold_id} expired at {expires_at.isoformat()}")
        if kind is TransactionKind.EXPIRE and not expired:
            raise Conflict(f"hold {cmd.hold_id} has not expired yet")
        captured = 0
        if kind is TransactionKind.CAPTURE:
            captured = held if amount is None else amount
        if captured > held:
            raise CaptureExceedsHold(
                f"cannot capture {captured} from hold {cmd.hold_id}, which holds {held}"
            )
        hold_posting = Posting(source, destination, asset, held)
        posted = [Posting(source, destination, asset, captured)] if captured else []
        accounts = self._accounts(cmd.tenant, {source, destination})
        if posted:
            self._insert_entries(cmd.tenant, txn_id, [(0, posted[0])], accounts, effective_at)
        changes = postings.combine(
            postings.hold_changes(hold_posting, reserve=False), postings.posted_changes(posted)
        )
        self._apply(cmd.tenant, changes, accounts)
        txn = Transaction(
            txn_id, cmd.tenant, kind, tuple(posted), cmd.idempotency_key, effective_at,
            recorded_at, cmd.meta, hold_id=cmd.hold_id,
        )  # fmt: skip
        return PostResult(txn, replayed=False)

    def _claim(
        self,
        cmd: Claimable,
        kind: TransactionKind,
        effective_at: datetime,
        *,
        hold_id: int | None = None,
        reverses_id: int | None = None,
    ) -> tuple[int, datetime] | Transaction:
        """Insert the transaction row, claiming its key: its (id, recorded_at), or the
        original transaction when the key was already used for this same request."""
        fingerprint = cmd.fingerprint()
        with translated():
            row = self._conn.execute(
                query("insert_transaction"),
                {
                    "tenant": cmd.tenant,
                    "kind": kind.value,
                    "key": cmd.idempotency_key,
                    "request_hash": fingerprint,
                    "effective_at": effective_at,
                    "metadata": Jsonb(cmd.meta),
                    "hold_id": hold_id,
                    "reverses_id": reverses_id,
                },
            ).fetchone()
        return self._replay(cmd, fingerprint) if row is None else (row[0], row[1])

    def _replay(self, cmd: Claimable, fingerprint: bytes) -> Transaction:
        row = self._conn.execute(
            query("transaction_by_key"), {"tenant": cmd.tenant, "key": cmd.idempotency_key}
        ).fetchone()
        assert row is not None  # ON CONFLICT only skips when the key's row is committed
        txn_id, stored = row
        if bytes(stored) != fingerprint:
            raise IdempotencyConflict(
                f"idempotency key {cmd.idempotency_key!r} was used for a different request "
                f"(transaction {txn_id})",
                transaction_id=txn_id,
            )
        return self._reads.transaction(cmd.tenant, txn_id)

    def _accounts(self, tenant: str, addresses: Iterable[str]) -> dict[str, Account]:
        return self._catalog.resolve_accounts(self._conn, tenant, addresses, self._after_commit)

    def _insert_entries(
        self,
        tenant: str,
        txn_id: int,
        indexed: list[tuple[int, Posting]],
        accounts: dict[str, Account],
        effective_at: datetime,
    ) -> None:
        legs = [
            (i, is_credit, accounts[p.destination if is_credit else p.source].id, p.asset, p.amount)
            for i, p in indexed
            for is_credit in (False, True)
        ]
        index, credit, account, asset, amount = (list(column) for column in zip(*legs, strict=True))
        with translated():
            self._conn.execute(
                query("insert_entries"),
                {
                    "tenant": tenant,
                    "transaction_id": txn_id,
                    "effective_at": effective_at,
                    "posting_index": index,
                    "is_credit": credit,
                    "account_id": account,
                    "asset": asset,
                    "amount": amount,
                },
            )

    def _insert_entries_many(
        self,
        tenant: str,
        new: list[tuple[commands.Post, tuple[int, datetime], datetime]],
        accounts: dict[str, Account],
    ) -> None:
        legs = [
            (txn_id, i, is_credit, accounts[p.destination if is_credit else p.source].id,
             p.asset, p.amount, at)
            for cmd, (txn_id, _), at in new
            for i, p in enumerate(cmd.postings)
            for is_credit in (False, True)
        ]  # fmt: skip
        if not legs:
            return
        txn, index, credit, account, asset, amount, at = (list(c) for c in zip(*legs, strict=True))
        with translated():
            self._conn.execute(
                query("insert_entries_many"),
                {
                    "tenant": tenant, "transaction_id": txn, "posting_index": index,
                    "is_credit": credit, "account_id": account, "asset": asset,
                    "amount": amount, "effective_at": at,
                },
            )  # fmt: skip

    def _apply_many(self, tenant: str, changes: Changes, accounts: dict[str, Account]) -> None:
        """Bounded balances in one statement (opening the missing rows first), then
        each unbounded account's slot, as ``_apply`` does one by one."""
        keyed = sorted(
            (
                (accounts[address], asset, change)
                for (address, asset), change in changes.items()
                if change != BalanceChange()
            ),
            key=lambda item: (item[0].id, item[1]),
        )
        bounded = [k for k in keyed if k[0].policy.kind is AccountKind.BOUNDED]
        if bounded:
            found = self._change_bounded_many(tenant, bounded)
            missing = [k for k in bounded if (k[0].id, k[1]) not in found]
            if missing:
                self._conn.execute(
                    query("open_bounded_balances"),
                    {
                        "tenant": tenant,
                        "account_id": [account.id for account, _, _ in missing],
                        "asset": [asset for _, asset, _ in missing],
                        "allow_negative": [a.policy.allow_negative for a, _, _ in missing],
                    },
                )
                self._change_bounded_many(tenant, missing)
        for account, asset, change in keyed:
            if account.policy.kind is AccountKind.UNBOUNDED:
                self._change_slot(tenant, account, asset, change)

    def _change_bounded_many(
        self, tenant: str, keyed: list[tuple[Account, str, BalanceChange]]
    ) -> set[tuple[int, str]]:
        params = {
            "tenant": tenant,
            "account_id": [account.id for account, _, _ in keyed],
            "asset": [asset for _, asset, _ in keyed],
            "posted_debits": [c.posted_debits for _, _, c in keyed],
            "posted_credits": [c.posted_credits for _, _, c in keyed],
            "pending_debits": [c.pending_debits for _, _, c in keyed],
            "pending_credits": [c.pending_credits for _, _, c in keyed],
        }
        try:
            rows = self._conn.execute(query("change_bounded_balances"), params).fetchall()
        except pg.CheckViolation as exc:
            if exc.diag.constraint_name != "balances_no_overdraft":
                raise
            raise InsufficientFunds("a posting of the lot would overdraw an account") from None
        return {(account_id, asset) for account_id, asset in rows}

    def _apply(self, tenant: str, changes: Changes, accounts: dict[str, Account]) -> None:
        keyed = sorted(
            (
                (accounts[address], asset, change)
                for (address, asset), change in changes.items()
                if change != BalanceChange()
            ),
            key=lambda item: (item[0].id, item[1]),
        )
        for account, asset, change in keyed:
            if account.policy.kind is AccountKind.BOUNDED:
                self._change_bounded(tenant, account, asset, change)
        for account, asset, change in keyed:
            if account.policy.kind is AccountKind.UNBOUNDED:
                self._change_slot(tenant, account, asset, change)

    def _change_bounded(
        self, tenant: str, account: Account, asset: str, change: BalanceChange
    ) -> None:
        params = _balance_params(tenant, account, asset, change)
        try:
            if self._conn.execute(query("change_bounded_balance"), params).fetchone() is None:
                params["allow_negative"] = account.policy.allow_negative
                self._conn.execute(query("open_bounded_balance"), params)
                self._conn.execute(query("change_bounded_balance"), params)
        except pg.CheckViolation as exc:
            if exc.diag.constraint_name != "balances_no_overdraft":
                raise
            raise InsufficientFunds(
                f"account {account.address} does not have enough {asset} available "
                f"for a debit of {change.posted_debits + change.pending_debits}",
                account=account.address,
                asset=asset,
            ) from None

    def _change_slot(
        self, tenant: str, account: Account, asset: str, change: BalanceChange
    ) -> None:
        params = _balance_params(tenant, account, asset, change)
        if self._conn.execute(query("change_free_slot"), params).fetchone() is None:
            params["slot"] = random.randrange(SLOTS)
            self._conn.execute(query("change_slot"), params)


def _balance_params(
    tenant: str, account: Account, asset: str, change: BalanceChange
) -> dict[str, JsonValue]:
    return {
        "tenant": tenant,
        "account_id": account.id,
        "asset": asset,
        "posted_debits": change.posted_debits,
        "posted_credits": change.posted_credits,
        "pending_debits": change.pending_debits,
        "pending_credits": change.pending_credits,
    }
