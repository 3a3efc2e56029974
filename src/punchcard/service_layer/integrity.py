"""Sealing the journal into a hash chain, verifying everything, sweeping expired holds.

Sealing runs after commit, in batches, so it never touches the write path. It
seals in (xid, id) order and only transactions whose writer had finished before
any still-running transaction began (see docs/ledger.md, "Sealing"); a late
committer therefore cannot be skipped, only sealed a batch later.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from punchcard.adapters.postgres.database import Database
from punchcard.adapters.postgres.integrity import IntegrityStore, SealRow
from punchcard.domain.canonical import GENESIS, chain_hash
from punchcard.domain.commands import ExpireHold
from punchcard.domain.errors import HoldAlreadyResolved
from punchcard.domain.verification import Check, SealReport, TenantReport, VerificationReport

if TYPE_CHECKING:
    from punchcard.service_layer.ledger import Ledger

MAX_PROBLEMS = 20


def seal(database: Database, *, batch_size: int = 1000) -> SealReport:
    sealed = touched = 0
    with database.connection() as conn:
        store = IntegrityStore(conn)
        tenants = store.tenants()
        conn.commit()
        for tenant in tenants:
            count = 0
            while True:
                if not store.try_lock_chain(tenant):
                    conn.rollback()  # another sealer has this chain right now
                    break
                head = store.head(tenant)
                candidates = store.candidates(tenant, head, batch_size)
                if not candidates:
                    conn.rollback()
                    break
                material = store.material(tenant, [id for id, _ in candidates])
                rows, previous = [], head.hash
                for seq, (txn_id, xid) in enumerate(candidates, start=head.seq + 1):
                    digest = chain_hash(previous, seq, material[txn_id].transaction.material())
                    rows.append(SealRow(seq, txn_id, xid, digest))
                    previous = digest
                store.insert_seals(tenant, rows)
                conn.commit()
                count += len(rows)
                if len(candidates) < batch_size:
                    break
            sealed += count
            touched += bool(count)
    return SealReport(sealed=sealed, tenants=touched)


def verify(database: Database, *, tenant: str | None = None) -> VerificationReport:
    with database.connection() as conn:
        # One snapshot for every check, so concurrent writers cannot look like drift.
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        # verify reads whole tenants: hash joins are right for that, and a nested loop
        # chosen from stale statistics (a tenant too new for autovacuum to have
        # analysed) scans the other tenants' rows once per row of this one.
        conn.execute("SET LOCAL enable_nestloop = off")
        store = IntegrityStore(conn)
        tenants = [tenant] if tenant else store.tenants()
        return VerificationReport(tuple(_verify_tenant(store, t) for t in tenants))


def _verify_tenant(store: IntegrityStore, tenant: str) -> TenantReport:
    chain, head = _check_chain(store, tenant)
    behind = store.unsealed_behind(tenant, head)
    unbalanced = store.unbalanced_transactions(tenant)
    totals = store.asset_totals(tenant)
    drift = store.balance_drift(tenant)
    structure = store.structural_problems(tenant)
    checks: tuple[Check, ...] = (
        chain,
        _check(
            "nothing inserted behind the seal",
            [f"transaction {t} is older than the sealed head but has no seal" for t in behind],
            "every transaction up to the head is sealed",
        ),
        _check(
            "every transaction sums to zero",
            [f"transaction {t} is off by {total} {asset}" for t, asset, total in unbalanced],
            "debits equal credits in every transaction, per asset",
        ),
        _check(
            "every asset sums to zero",
            [f"{asset} is off by {total}" for asset, total in totals if total != 0],
            ", ".join(f"{asset}: 0" for asset, _ in totals) or "no entries yet",
        ),
        _check(
            "stored balances match the journal",
            [
                f"{address} {asset}: journal says {_counters(expected)}, stored {_counters(stored)}"
                for address, asset, expected, stored in drift
            ],
            "every balance recomputed from entries and open holds",
        ),
        _check("cross-table consistency", structure, "holds, slots and policies agree"),
    )
    if store.has_programme(tenant):
        checks += _loyalty_checks(store, tenant)
    return TenantReport(tenant, checks, head.seq, head.hash.hex())


LOYALTY_CHECKS = (
    ("lots match their draws", "lot_problems",
     "every lot's remaining is its amount less its draws; no draw exceeds a lot"),
    ("lots match the balances", "lot_balance_problems",
     "per customer: active lots = available points, pending lots = pending, debt = clawback"),
    ("refunds stay within their orders", "refund_problems",
     "no order refunded, reversed or re-credited beyond what it had"),
    ("authorizations match their draws", "authorization_problems",
     "each redemption hold drew its points, and captured + released = held"),
)  # fmt: skip


def _loyalty_checks(store: IntegrityStore, tenant: str) -> tuple[Check, ...]:
    return tuple(
        _check(name, store.problems(query, tenant), summary)
        for name, query, summary in LOYALTY_CHECKS
    )


def _check_chain(store: IntegrityStore, tenant: str) -> tuple[Check, SealRow]:
    problems: list[str] = []
    previous, expected_seq = GENESIS, 1
    head = SealRow(0, 0, "0", GENESIS)
    for page in store.seals(tenant):
        material = store.material(tenant, [s.transaction_id for s in page])
        for seal_row in page:
            if seal_row.seq != expected_seq:
                problems.append(
                    f"seals {expected_seq}-{seal_row.seq - 1} are missing (removed from the chain)"
                )
            found = material.get(seal_row.transaction_id)
            where = f"transaction {seal_row.transaction_id} (seal {seal_row.seq})"
            if found is None:
                problems.append(f"{where} is missing: deleted after it was sealed")
            elif found.xid != seal_row.xid or seal_row.hash != chain_hash(
                previous, seal_row.seq, found.transaction.material()
            ):
                problems.append(f"{where} differs from what was sealed")
            previous, expected_seq, head = seal_row.hash, seal_row.seq + 1, seal_row
    waiting = store.unsealed_count(tenant)
    summary = f"{head.seq} sealed, {waiting} awaiting the sealer"
    return _check("seal chain", problems, summary), head


def _check(name: str, problems: list[str], summary: str) -> Check:
    shown = problems[:MAX_PROBLEMS]
    if len(problems) > MAX_PROBLEMS:
        shown.append(f"... and {len(problems) - MAX_PROBLEMS} more")
    return Check(name, not problems, summary if not problems else shown[0], tuple(shown))


def _counters(values: list[int]) -> str:
    debits, credits, pending_debits, pending_credits = values
    return f"posted -{debits}/+{credits}, pending -{pending_debits}/+{pending_credits}"


def expire_holds(ledger: Ledger, *, limit: int = 1000) -> int:
    with ledger.unit_of_work() as uow:
        due = uow.reads.expired_open_holds(ledger.clock(), limit)
    expired = 0
    for tenant, hold_id in due:
        cmd = ExpireHold(tenant=tenant, hold_id=hold_id, idempotency_key=f"expire-hold:{hold_id}")
        try:
            with ledger.unit_of_work() as uow:
                result = uow.journal.void(cmd)
                uow.commit()
        except HoldAlreadyResolved:
            continue  # captured or voided since we looked: nothing to expire
        expired += not result.replayed
    return expired
