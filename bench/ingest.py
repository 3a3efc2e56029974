"""Events per second: one event per call against the batch path, on one database.

    .venv/bin/python -m bench.ingest [--events 2000] [--customers 200] [--json out.json]

Runs on the embedded PostgreSQL (a throwaway data folder) unless
PUNCHCARD_DATABASE_URL names a server; synchronous_commit stays on. Each mode
gets a tenant of its own with the default programme and its seed ruleset
published, the same customers and the same purchases (1-4 line items):

- ``single x4``: ``earn`` one event per call (one transaction each) from 4 threads,
  what 4 clients posting ``/v1/events`` cost without HTTP;
- ``http single x4``: ``POST /v1/events`` one event per request from 4 threads, to
  a real ``punchcard serve`` on loopback;
- ``batch``: ``loyalty.batch.ingest`` in chunks of 1,000 (``punchcard import``'s path);
- ``http batch``: ``POST /v1/events:batch`` with 1,000 events per request.

Prints one table with events/s and the ratio to ``single x4``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from punchcard.adapters.postgres.embedded import EmbeddedPostgres
from punchcard.config import Settings
from punchcard.domain.loyalty.commands import LineItem, Purchase
from punchcard.domain.loyalty.programme import default_programme
from punchcard.domain.rules.defaults import default_ruleset
from punchcard.service_layer.access import Keys
from punchcard.service_layer.loyalty import batch, earning
from punchcard.service_layer.loyalty.facade import Loyalty

CATEGORIES = ["groceries", "gas", "dining", "travel", "books", "gift_cards"]
CHUNK = 1000


def setup(loyalty: Loyalty, tenant: str, customers: int) -> list[str]:
    loyalty.create_programme(tenant, default_programme())
    draft = loyalty.create_ruleset(tenant, default_ruleset(loyalty.now().year), created_by="m")
    loyalty.submit_ruleset(tenant, draft.version, submitted_by="m")
    loyalty.approve_ruleset(tenant, draft.version, approved_by="c")
    ids = batch.enroll_all(loyalty, tenant, [f"c-{n}" for n in range(customers)])
    return [str(ids[f"c-{n}"]) for n in range(customers)]


def warm(loyalty: Loyalty, tenant: str, customers: list[str]) -> None:
    """One purchase per customer through the batch path, so that what is timed next
    is a steady-state earn: the customer's accounts and balance rows exist, as the
    pgbench baseline's balance rows do. (A customer's first earn also opens its
    accounts: four more statements.)"""
    for start in range(0, len(customers), CHUNK):
        batch.ingest(loyalty, [
            Purchase(tenant=tenant, customer_id=c, order_id=f"warm-{start + n}", amount=1_000,
                     currency="USD")
            for n, c in enumerate(customers[start : start + CHUNK])
        ])  # fmt: skip


def purchases(tenant: str, customers: list[str], count: int) -> list[Purchase]:
    rng = random.Random(7)
    found = []
    for n in range(count):
        items = tuple(LineItem(sku=f"s{rng.randint(1, 99)}", amount=rng.randint(100, 9_000),
                               category=rng.choice(CATEGORIES))
                      for _ in range(rng.randint(1, 4)))  # fmt: skip
        found.append(Purchase(tenant=tenant, customer_id=rng.choice(customers),
                              order_id=f"o-{n}", amount=sum(i.amount for i in items),
                              currency="USD", items=items))  # fmt: skip
    return found


def body(p: Purchase) -> dict[str, Any]:
    return {"type": "purchase", "customer_id": p.customer_id, "order_id": p.order_id,
            "amount": p.amount, "currency": p.currency,
            "items": [{"sku": i.sku, "amount": i.amount, "category": i.category}
                      for i in p.items]}  # fmt: skip


def post(url: str, token: str, document: object) -> int:
    request = urllib.request.Request(  # noqa: S310 - loopback
        url, data=json.dumps(document).encode(), method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
        status: int = response.status
        response.read()
    return status


def timed(run: Callable[[], object], events: int) -> float:
    started = time.perf_counter()
    run()
    return events / (time.perf_counter() - started)


def server(url: str) -> tuple[subprocess.Popen[bytes], int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    process = subprocess.Popen(  # noqa: S603 - our own command
        [sys.executable, "-m", "punchcard", "serve", "--port", str(port), "--no-sweeps"],
        env=os.environ | {"PUNCHCARD_DATABASE_URL": url},
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    assert process.stdout is not None
    for line in process.stdout:
        if b"Ctrl-C stops" in line:
            break
    return process, port


def measure(url: str, events: int, customers: int) -> dict[str, float]:
    rates: dict[str, float] = {}
    with Loyalty.open(Settings(database_url=url, pool_size=12)) as loyalty:
        tenants = {mode: f"bench-{mode}-{os.getpid()}" for mode in
                   ("single", "httpsingle", "batch", "httpbatch")}  # fmt: skip
        work = {}
        for mode, tenant in tenants.items():
            work[mode] = purchases(tenant, setup(loyalty, tenant, customers), events)
        keys = Keys(loyalty.ledger.database)
        tokens = {mode: keys.create(tenants[mode], name="bench", roles_=["ingest"],
                                    created_by="bench", rate_limit=100_000)[1]
                  for mode in ("httpsingle", "httpbatch")}  # fmt: skip

        with ThreadPoolExecutor(4) as pool:
            rates["single x4"] = timed(
                lambda: list(pool.map(lambda p: earning.earn(loyalty, p), work["single"])), events
            )
        rates["batch"] = timed(
            lambda: [batch.ingest(loyalty, work["batch"][i : i + CHUNK])
                     for i in range(0, events, CHUNK)], events,
        )  # fmt: skip
        process, port = server(url)
        try:
            base = f"http://127.0.0.1:{port}/v1"
            with ThreadPoolExecutor(4) as pool:
                rates["http single x4"] = timed(
                    lambda: list(pool.map(lambda p: post(f"{base}/events", tokens["httpsingle"],
                                                         body(p)), work["httpsingle"])), events,
                )  # fmt: skip
            chunks = [work["httpbatch"][i : i + CHUNK] for i in range(0, events, CHUNK)]
            rates["http batch"] = timed(
                lambda: [post(f"{base}/events:batch", tokens["httpbatch"],
                              {"events": [body(p) for p in chunk]}) for chunk in chunks], events,
            )  # fmt: skip
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(60)
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    url = os.environ.get("PUNCHCARD_DATABASE_URL")
    if url:
        rates = measure(url, args.events, args.customers)
    else:
        with tempfile.TemporaryDirectory() as folder:
            embedded = EmbeddedPostgres(Path(folder) / "pgdata", delete_on_stop=True)
            try:
                rates = measure(embedded.start(), args.events, args.customers)
            finally:
                embedded.stop()
    single = rates["single x4"]
    print(f"{'mode':<16} {'events/s':>10} {'x single':>9}   ({args.events:,} purchases)")
    for mode, rate in rates.items():
        print(f"{mode:<16} {rate:>10,.0f} {rate / single:>9.2f}")
    if args.json:
        args.json.write_text(json.dumps({"events": args.events, "rates": rates}, indent=2))


if __name__ == "__main__":
    main()
