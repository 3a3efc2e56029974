"""A tenant with many customers and postings, written straight into the real tables.

    .venv/bin/python -m bench.loader --customers 100000 --postings 2000000 [--checked]

What it builds is what earns on a programme without a pending period leave
behind, minus the rows reads never look at: per posting one ``post``
transaction, its two legs (``program:issuance`` to ``customer:<id>:points``), an
active ``earned`` lot of the same amount; per customer the points account and
its balance row; the issuance account's balance grows by the total. No
operations, orders or seals are written (the loaded transactions are "awaiting
the sealer"), so ``punchcard verify`` passes on the result.

Rows are made by ``INSERT … SELECT`` from ``generate_series`` in chunks of
customers, one transaction per chunk. Inside a chunk each customer's postings are
interleaved with the others' (heap pages are shared as they would be in a real
ledger), and effective times rise with the transaction id across the whole load,
over the last 30 days, so every lot is active and none has expired.

By default, as a superuser, a chunk runs with ``session_replication_role =
replica``: foreign keys and triggers (the deferred zero-sum check among them) do
not fire, as in ``pg_restore --disable-triggers``; the rows are built to satisfy
them, and ``verify`` (run by ``tests/integration/test_bench_loader.py``) checks
that they do. ``--checked`` (and any non-superuser) loads with every trigger and
foreign key firing, several times slower. Transaction ids are reserved by moving
the ``transaction_ids`` sequence: run the loader against a database that is not
being written to.
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import dataclass, replace
from typing import LiteralString

import psycopg

from punchcard.config import Settings
from punchcard.domain.loyalty import accounts
from punchcard.domain.loyalty.programme import Programme, default_programme
from punchcard.service_layer.loyalty.facade import Loyalty

CHUNK_CUSTOMERS = 20_000
WINDOW_DAYS = 30

ISSUANCE_ACCOUNT = """
INSERT INTO accounts (tenant_id, address, kind, allow_negative)
VALUES (%(tenant)s, %(issuance)s, 'unbounded', true)
ON CONFLICT (tenant_id, address) DO NOTHING
"""
ACCOUNT_ID = "SELECT id FROM accounts WHERE tenant_id = %(tenant)s AND address = %(address)s"
RESERVE_IDS = """
SELECT nextval('transaction_ids'), setval('transaction_ids', nextval('transaction_ids') + %(n)s)
"""

CHUNK: tuple[LiteralString, ...] = (
    """
CREATE TEMP TABLE load_accounts (c bigint PRIMARY KEY, id bigint NOT NULL) ON COMMIT DROP
""",
    """
INSERT INTO customers (tenant_id, id, external_ref, created_at, event_counts)
SELECT %(tenant)s, 'cus_load' || c, 'load-' || c, %(start)s, %(counts)s::jsonb
  FROM generate_series(%(lo)s::bigint, %(hi)s::bigint - 1) c
""",
    """
WITH a AS (
    INSERT INTO accounts (tenant_id, address, kind, allow_negative, created_at)
    SELECT %(tenant)s, 'customer:cus_load' || c || ':points', 'bounded', false, %(start)s
      FROM generate_series(%(lo)s::bigint, %(hi)s::bigint - 1) c
    RETURNING id, address
)
INSERT INTO load_accounts SELECT split_part(substr(address, 18), ':', 1)::bigint, id FROM a
""",
    """
-- Posting n of the whole load: customer lo + n mod (customers in the chunk).
CREATE TEMP TABLE load_postings ON COMMIT DROP AS
SELECT p.n, %(base)s::bigint + p.n AS txn, a.id AS account_id, 'cus_load' || a.c AS customer_id,
       1 + (p.n * 7919) %% 500 AS amount,
       %(start)s::timestamptz + p.n * %(step)s::interval AS at
  FROM generate_series(%(lo)s::bigint * %(per)s, %(hi)s::bigint * %(per)s - 1) AS p(n)
  JOIN load_accounts a ON a.c = %(lo)s + p.n %% (%(hi)s - %(lo)s)
""",
    """
INSERT INTO transactions (tenant_id, id, kind, idempotency_key, request_hash, effective_at,
                          recorded_at, metadata)
SELECT %(tenant)s, txn, 'post', 'load:' || n, sha256(('load:' || n)::bytea), at, at,
       jsonb_build_object('operation', 'earn', 'customer_id', customer_id,
                          'order_id', 'load-' || n, 'points', amount)
  FROM load_postings ORDER BY txn
""",
    """
INSERT INTO entries (tenant_id, transaction_id, posting_index, is_credit, account_id, asset,
                     amount, effective_at)
SELECT %(tenant)s, p.txn, 0, leg.is_credit,
       CASE WHEN leg.is_credit THEN p.account_id ELSE %(issuance)s END, %(asset)s, p.amount, p.at
  FROM load_postings p CROSS JOIN (VALUES (false), (true)) AS leg(is_credit)
 ORDER BY p.txn, leg.is_credit
""",
    """
INSERT INTO lots (tenant_id, customer_id, kind, amount, remaining, issued_at, active_from,
                  expires_at, value_points, value_minor, transaction_id, activated_by)
SELECT %(tenant)s, customer_id, 'earned', amount, amount, at, at, at + interval '2 years',
       1, 1, txn, txn
  FROM load_postings ORDER BY txn
""",
    """
INSERT INTO balances (tenant_id, account_id, asset, slot, allow_negative, posted_credits)
SELECT %(tenant)s, account_id, %(asset)s, 0, false, sum(amount)
  FROM load_postings GROUP BY account_id
""",
    """
INSERT INTO balances (tenant_id, account_id, asset, slot, allow_negative, posted_debits)
SELECT %(tenant)s, %(issuance)s, %(asset)s, 0, true, sum(amount) FROM load_postings
ON CONFLICT (tenant_id, account_id, asset, slot)
DO UPDATE SET posted_debits = balances.posted_debits + EXCLUDED.posted_debits
""",
)

ANALYZE = "VACUUM (ANALYZE) {}"
LOADED_TABLES = ("customers", "accounts", "transactions", "entries", "lots", "balances")


@dataclass(frozen=True, slots=True)
class Loaded:
    tenant: str
    customers: int
    postings: int
    seconds: float
    checked: bool

    def customer_id(self, n: int) -> str:
        return f"cus_load{n}"


def load(
    url: str, tenant: str, customers: int, postings: int, *, checked: bool = False,
    progress: bool = False,
) -> Loaded:  # fmt: skip
    """Create ``tenant`` with the default programme (no pending days) and load it."""
    if postings % customers:
        raise ValueError("postings must be a multiple of customers")
    per = postings // customers
    started = time.perf_counter()
    with Loyalty.open(Settings(database_url=url, pool_size=2)) as loyalty:
        loyalty.create_programme(tenant, _programme())
        asset = loyalty.programme(tenant).points_asset
    with psycopg.connect(url, options="-c search_path=punchcard -c TimeZone=UTC") as conn:
        superuser = conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        row = superuser.fetchone()
        checked = checked or not (row and row[0])
        conn.execute(ISSUANCE_ACCOUNT, {"tenant": tenant, "issuance": accounts.ISSUANCE})
        found = conn.execute(ACCOUNT_ID, {"tenant": tenant, "address": accounts.ISSUANCE})
        issuance = _one(found.fetchone())
        base = _one(conn.execute(RESERVE_IDS, {"n": postings + 1}).fetchone())
        window = conn.execute("SELECT now() - make_interval(days => %s)", (WINDOW_DAYS,))
        start = _one(window.fetchone())
        conn.commit()
        step = f"{WINDOW_DAYS * 86_400_000_000 // postings} microseconds"
        for lo in range(0, customers, CHUNK_CUSTOMERS):
            hi = min(lo + CHUNK_CUSTOMERS, customers)
            with conn.transaction():
                if not checked:
                    conn.execute("SET LOCAL session_replication_role = replica")
                params = {"tenant": tenant, "lo": lo, "hi": hi, "per": per, "base": base,
                     "start": start, "step": step, "issuance": issuance, "asset": asset,
                          "counts": f'{{"purchase": {per}}}'}  # fmt: skip
                for statement in CHUNK:
                    conn.execute(statement, params)
            if progress:
                print(f"  loaded {hi:,}/{customers:,} customers "
                      f"({time.perf_counter() - started:.0f} s)", flush=True)  # fmt: skip
        conn.autocommit = True
        for table in LOADED_TABLES:
            conn.execute(psycopg.sql.SQL(ANALYZE).format(psycopg.sql.Identifier(table)))
    return Loaded(tenant, customers, postings, time.perf_counter() - started, checked)


def _programme() -> Programme:
    return replace(default_programme(), pending_days=0)


def _one(row: tuple[object, ...] | None) -> object:
    assert row is not None
    return row[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--postings", type=int, default=2_000_000)
    parser.add_argument("--tenant", default=f"bench-load-{os.getpid()}")
    parser.add_argument("--checked", action="store_true", help="fire every trigger and FK")
    args = parser.parse_args()
    url = os.environ.get("PUNCHCARD_DATABASE_URL")
    if not url:
        raise SystemExit("bench.loader: set PUNCHCARD_DATABASE_URL to the database to load")
    done = load(url, args.tenant, args.customers, args.postings, checked=args.checked,
                progress=True)  # fmt: skip
    print(f"{done.postings:,} postings for {done.customers:,} customers in {done.seconds:.1f} s"
          f" ({'checked' if done.checked else 'bulk'})")  # fmt: skip


if __name__ == "__main__":
    main()
