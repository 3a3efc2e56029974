"""Batch ingestion against COPY: ``POST /v1/events:batch`` and ``punchcard import``.

Both paths get the same kind of purchases (1-4 line items, seed ruleset, customers
enrolled beforehand), each in a tenant of its own: the HTTP one in requests of
1,000 events from one client, the import as a JSON-lines file given to ``punchcard
import`` in a process of its own (its time includes the process start; its peak
RSS is read from ``wait4``). The import runs twice, at two sizes, to show its
memory does not grow with the file.

The COPY rate is for the same rows: every row the import of the larger file
inserted (each table of the tenant whose row count it changed) is written out
with ``COPY … TO`` and then loaded, timed, with ``COPY … FROM`` in one transaction
into **same-shaped staging tables** (``CREATE TABLE … (LIKE … INCLUDING ALL)``:
columns, defaults, CHECKs and indexes, no foreign keys or triggers) in a
``bench_copy`` schema on the same database. Rows the import updated in place
(the customers' counters, the issuance balance) are not part of it.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from bench.harness import Server, key
from bench.ingest import CATEGORIES, setup
from punchcard.config import Settings
from punchcard.service_layer.loyalty.facade import Loyalty

CHUNK = 1000
CUSTOMERS = 1000
TENANT_TABLES = """
SELECT c.table_name FROM information_schema.columns c
  JOIN information_schema.tables t USING (table_schema, table_name)
 WHERE c.table_schema = 'punchcard' AND c.column_name = 'tenant_id'
   AND t.table_type = 'BASE TABLE'
 ORDER BY 1
"""


def events(
    customers: list[str], count: int, prefix: str, seed: int = 7
) -> Iterator[dict[str, Any]]:
    """Purchase bodies as ``POST /v1/events`` takes them, made one at a time."""
    rng = random.Random(seed)
    for n in range(count):
        items = [
            {"sku": f"s{rng.randint(1, 99)}", "amount": rng.randint(100, 9_000),
             "category": rng.choice(CATEGORIES)}
            for _ in range(rng.randint(1, 4))
        ]  # fmt: skip
        yield {"type": "purchase", "customer_id": rng.choice(customers),
               "order_id": f"{prefix}-{n}", "amount": sum(i["amount"] for i in items),
               "currency": "USD", "items": items}  # fmt: skip


def http_batch(server: Server, token: str, customers: list[str], count: int) -> dict[str, Any]:
    stream = events(customers, count, "h")
    statuses: dict[int, int] = {}
    began = time.perf_counter()
    while chunk := [e for _, e in zip(range(CHUNK), stream, strict=False)]:
        request = urllib.request.Request(  # noqa: S310 - loopback
            f"{server.base}/v1/events:batch", data=json.dumps({"events": chunk}).encode(),
            method="POST",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )  # fmt: skip
        with urllib.request.urlopen(request, timeout=600) as response:  # noqa: S310
            statuses[response.status] = statuses.get(response.status, 0) + 1
            response.read()
    seconds = time.perf_counter() - began
    return {"events": count, "seconds": seconds, "events_per_s": count / seconds,
            "statuses": statuses}  # fmt: skip


def run_import(
    url: str, tenant: str, customers: list[str], count: int, folder: Path
) -> dict[str, Any]:
    """``punchcard import`` of ``count`` purchases as a child process: rate and peak RSS."""
    path = folder / f"{tenant}.jsonl"
    with path.open("w") as handle:
        for event in events(customers, count, "i"):
            handle.write(json.dumps(event) + "\n")
    began = time.perf_counter()
    child = subprocess.Popen(  # noqa: S603 - our own command
        [sys.executable, "-m", "punchcard", "import", str(path), "--tenant", tenant, "--json"],
        env=os.environ | {"PUNCHCARD_DATABASE_URL": url},
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    assert child.stdout is not None
    out = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - began
    try:
        summary = json.loads(out)
    except json.JSONDecodeError:
        summary = {"output": out.decode(errors="replace")[-500:]}
    return {"events": count, "seconds": seconds, "events_per_s": count / seconds,
            "peak_rss_mb": usage.ru_maxrss / 1024, "exit": child.returncode,
            "file_mb": path.stat().st_size / 2**20, "summary": summary}  # fmt: skip


def counts(conn: psycopg.Connection[Any], tenant: str, tables: list[str]) -> dict[str, int]:
    found = {}
    for table in tables:
        query = sql.SQL("SELECT count(*) FROM punchcard.{} WHERE tenant_id = %s").format(
            sql.Identifier(table)
        )
        row = conn.execute(query, (tenant,)).fetchone()
        found[table] = int(row[0]) if row else 0
    return found


def copy_rate(
    url: str, tenant: str, written: dict[str, int], count: int, folder: Path
) -> dict[str, Any]:
    """COPY the tenant's rows of the ``written`` tables into same-shaped staging tables."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS bench_copy CASCADE")
        conn.execute("CREATE SCHEMA bench_copy")
        for table in written:
            name = sql.Identifier(table)
            conn.execute(sql.SQL("CREATE TABLE bench_copy.{} (LIKE punchcard.{} INCLUDING ALL)")
                         .format(name, name))  # fmt: skip
            query = sql.SQL("COPY (SELECT * FROM punchcard.{} WHERE tenant_id = {}) TO STDOUT "
                            "(FORMAT binary)").format(name, sql.Literal(tenant))  # fmt: skip
            with (folder / f"{table}.copy").open("wb") as out, conn.cursor().copy(query) as copy:
                for data in copy:
                    out.write(data)
        conn.autocommit = False
        began = time.perf_counter()
        for table in written:
            query = sql.SQL("COPY bench_copy.{} FROM STDIN (FORMAT binary)").format(
                sql.Identifier(table)
            )
            with (folder / f"{table}.copy").open("rb") as source, conn.cursor().copy(query) as copy:
                while data := source.read(1 << 20):
                    copy.write(data)
        conn.commit()
        seconds = time.perf_counter() - began
        conn.autocommit = True
        conn.execute("DROP SCHEMA bench_copy CASCADE")
    return {"rows": sum(written.values()), "tables": written, "seconds": seconds,
            "events_per_s": count / seconds}  # fmt: skip


def measure(url: str, server: Server, events_: int, small: int) -> dict[str, Any]:
    pid = os.getpid()
    tenants = {mode: f"bench-{mode}-{pid}" for mode in ("batch", "import", "import-small")}
    with Loyalty.open(Settings(database_url=url, pool_size=4)) as loyalty:
        customers = {mode: setup(loyalty, t, CUSTOMERS) for mode, t in tenants.items()}
        token = key(loyalty.ledger.database, tenants["batch"], "ingest")
    found: dict[str, Any] = {"http": http_batch(server, token, customers["batch"], events_)}
    with tempfile.TemporaryDirectory(prefix="punchcard-bench-") as name:
        folder = Path(name)
        with psycopg.connect(url) as conn:
            tables = [t for (t,) in conn.execute(TENANT_TABLES)]
            before = counts(conn, tenants["import"], tables)
        found["import"] = run_import(url, tenants["import"], customers["import"], events_, folder)
        with psycopg.connect(url) as conn:
            after = counts(conn, tenants["import"], tables)
        written = {t: after[t] for t in tables if after[t] != before[t]}
        found["copy"] = copy_rate(url, tenants["import"], written, events_, folder)
        found["import_small"] = run_import(
            url, tenants["import-small"], customers["import-small"], small, folder
        )
    return found
