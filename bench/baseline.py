"""Earns per second: raw PostgreSQL (pgbench) against punchcard's engine, same run.

    .venv/bin/python -m bench.baseline [--seconds 10] [--json out.json]

The baseline is pgbench (shipped in the pgserver wheel) running a script that does
the row work of one earn on plain tables with the same keys: an idempotency row,
a transaction row, two postings, an update of the customer's balance row and a
lot row, in one transaction with ``synchronous_commit`` on; and the same script
plus an update of one shared issuance row, to show what a hot row costs (and, for
``make bench``, of a random one of 32 slot rows, which is how the engine spreads
its issuance account). The
engine figure is ``earn`` of a purchase with line items, rated by the seed
ruleset, through the Python API from 1, 4 and 16 threads. Both run on the same
PostgreSQL: the embedded one (a throwaway data folder), or PUNCHCARD_DATABASE_URL.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import psycopg
from psycopg import sql

from bench.ingest import purchases, setup, warm
from punchcard.adapters.postgres.embedded import EmbeddedPostgres
from punchcard.config import Settings
from punchcard.service_layer.loyalty import earning
from punchcard.service_layer.loyalty.facade import Loyalty

CLIENTS = (1, 4, 16)
CUSTOMERS = 10_000
_PGSERVER = importlib.util.find_spec("pgserver")
assert _PGSERVER is not None, "pgserver is a dependency"
assert _PGSERVER.origin is not None
PGBENCH = Path(_PGSERVER.origin).parent  # the wheel ships pginstall/bin/pgbench

SCHEMA = """
DROP SCHEMA IF EXISTS bench CASCADE;
CREATE SCHEMA bench;
CREATE TABLE bench.operations (tenant text, key text, result jsonb, PRIMARY KEY (tenant, key));
CREATE TABLE bench.transactions (tenant text, id bigint, key text, metadata jsonb,
    recorded_at timestamptz DEFAULT now(), PRIMARY KEY (tenant, id), UNIQUE (tenant, key));
CREATE SEQUENCE bench.ids;
CREATE TABLE bench.entries (tenant text, transaction_id bigint, n int, account bigint,
    amount bigint CHECK (amount > 0), PRIMARY KEY (tenant, transaction_id, n));
CREATE TABLE bench.balances (tenant text, account bigint, balance bigint NOT NULL,
    version bigint NOT NULL, PRIMARY KEY (tenant, account));
CREATE TABLE bench.lots (tenant text, id bigint GENERATED ALWAYS AS IDENTITY, customer bigint,
    amount bigint, remaining bigint, expires_at timestamptz, PRIMARY KEY (tenant, id));
INSERT INTO bench.balances SELECT 't', n, 0, 0 FROM generate_series(-32, {customers}) n;
"""

EARN = """\\set c random(1, {customers})
BEGIN;
INSERT INTO bench.operations VALUES ('t', 'k' || :client_id || '-' || nextval('bench.ids'), '{{}}');
INSERT INTO bench.transactions (tenant, id, key, metadata)
  VALUES ('t', nextval('bench.ids'), 'tk' || currval('bench.ids'), '{{"operation": "earn"}}');
INSERT INTO bench.entries VALUES ('t', currval('bench.ids'), 0, 0, 125),
                                 ('t', currval('bench.ids'), 1, :c, 125);
UPDATE bench.balances SET balance = balance + 125, version = version + 1
  WHERE tenant = 't' AND account = :c;
INSERT INTO bench.lots (tenant, customer, amount, remaining, expires_at)
  VALUES ('t', :c, 125, 125, now() + interval '2 years');
{shared}COMMIT;
"""
SHARED = {
    "": "",
    "shared": "UPDATE bench.balances SET balance = balance - 125, version = version + 1\n"
    "  WHERE tenant = 't' AND account = 0;\n",
    # What the engine does with its issuance account (ledger_writes.sql, change_free_slot):
    # the first of its 32 slot rows that no other writer holds, so no one waits.
    "slotted": "WITH free AS MATERIALIZED (SELECT account FROM bench.balances\n"
    "  WHERE tenant = 't' AND account < 0 ORDER BY account LIMIT 1 FOR UPDATE SKIP LOCKED)\n"
    "UPDATE bench.balances AS b SET balance = balance - 125, version = version + 1\n"
    "  FROM free WHERE b.tenant = 't' AND b.account = free.account;\n",
    # The same update, of a row no other client writes: what the statement costs alone.
    "own": "UPDATE bench.balances SET balance = balance - 125, version = version + 1\n"
    "  WHERE tenant = 't' AND account = -1 - :client_id % 32;\n",
}


def pgbench(url: str, clients: int, seconds: float, shared: str = "") -> float:
    """Earns/s of the plain script, or with the ``shared``, ``slotted`` or ``own``
    issuance row."""
    script = EARN.format(customers=CUSTOMERS, shared=SHARED[shared])
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as handle:
        handle.write(script)
    try:
        found = subprocess.run(  # noqa: S603 - the wheel's own binary
            [str(PGBENCH / "pginstall/bin/pgbench"), "-n", "-f", handle.name, "-c",
             str(clients), "-j", str(min(clients, 4)), "-T", str(max(1, round(seconds))), url],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    finally:
        os.unlink(handle.name)
    match = re.search(r"tps = ([0-9.]+)", found.stdout)
    assert match, found.stdout + found.stderr
    return float(match.group(1))


def engine(loyalty: Loyalty, clients: int, seconds: float) -> dict[str, float]:
    tenant = f"bench-{clients}-{os.getpid()}"
    customers = setup(loyalty, tenant, 1_000)
    warm(loyalty, tenant, customers)
    work = purchases(tenant, customers, int(seconds * 3_000))
    latencies: list[list[float]] = [[] for _ in range(clients)]
    stop = time.perf_counter() + seconds

    def run(n: int) -> None:
        for cmd in work[n::clients]:
            started = time.perf_counter()
            if started >= stop:
                return
            earning.earn(loyalty, cmd)
            latencies[n].append(time.perf_counter() - started)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    every = sorted(x for lane in latencies for x in lane)
    cuts = statistics.quantiles(every, n=100)
    return {"rate": len(every) / elapsed, "p50_ms": cuts[49] * 1000, "p95_ms": cuts[94] * 1000,
            "p99_ms": cuts[98] * 1000}  # fmt: skip


def measure(
    url: str, seconds: float, clients_: tuple[int, ...] = CLIENTS, *, slotted: bool = False
) -> dict[str, object]:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL(SCHEMA).format(customers=sql.Literal(CUSTOMERS)))
    figures: dict[str, object] = {}
    for clients in clients_:
        figures[f"pgbench c{clients}"] = pgbench(url, clients, seconds)
        figures[f"pgbench shared c{clients}"] = pgbench(url, clients, seconds, "shared")
    if slotted:
        for variant in ("slotted", "own"):
            figures[f"pgbench {variant} c{max(clients_)}"] = pgbench(
                url, max(clients_), seconds, variant
            )
    with Loyalty.open(Settings(database_url=url, pool_size=20)) as loyalty:
        for clients in clients_:
            figures[f"engine c{clients}"] = engine(loyalty, clients, seconds)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA bench CASCADE")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    url = os.environ.get("PUNCHCARD_DATABASE_URL")
    if url:
        figures = measure(url, args.seconds)
    else:
        with tempfile.TemporaryDirectory() as folder:
            embedded = EmbeddedPostgres(Path(folder) / "pgdata", delete_on_stop=True)
            try:
                figures = measure(embedded.start(), args.seconds)
            finally:
                embedded.stop()
    print(f"{'clients':>7} {'pgbench':>9} {'+shared':>9} {'engine':>8} {'ratio':>6} "
          f"{'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}")  # fmt: skip
    for clients in CLIENTS:
        base = figures[f"pgbench c{clients}"]
        shared = figures[f"pgbench shared c{clients}"]
        run = figures[f"engine c{clients}"]
        assert isinstance(base, float)
        assert isinstance(shared, float)
        assert isinstance(run, dict)
        print(f"{clients:>7} {base:>9,.0f} {shared:>9,.0f} {run['rate']:>8,.0f} "
              f"{run['rate'] / base:>6.1%} {run['p50_ms']:>7.1f} {run['p95_ms']:>7.1f} "
              f"{run['p99_ms']:>7.1f}")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
