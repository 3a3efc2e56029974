"""Balance and history-page latency on a large loaded tenant, engine and HTTP.

``bench.loader`` builds the tenant (customers, postings); then random customers
are read one after another, after a warm-up pass: through the engine
(``loyalty.balance``: the customer's balances, and ``ledger.history``: the newest
50 entries of the points account) and through ``punchcard serve``
(``GET /v1/customers/{id}/balance``, which also lists open lots, the tier and
what expires soon, and ``GET /v1/customers/{id}/history``), on one connection
each. Closed loop: one read at a time, so these are service times, not queueing.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

from bench import http_load, loader
from bench.harness import Server, key, percentiles
from punchcard.config import Settings
from punchcard.domain.loyalty import accounts
from punchcard.service_layer.loyalty.facade import Loyalty

WARMUP = 200


def _timed(read: Callable[[str], object], customers: list[str]) -> list[float]:
    for customer in customers[:WARMUP]:
        read(customer)
    found = []
    for customer in customers[WARMUP:]:
        began = time.perf_counter()
        read(customer)
        found.append(time.perf_counter() - began)
    return found


def measure(url: str, server: Server, loaded: loader.Loaded, samples: int) -> dict[str, Any]:
    rng = random.Random(11)
    picks = [loaded.customer_id(rng.randrange(loaded.customers)) for _ in range(samples + WARMUP)]
    tenant = loaded.tenant
    found: dict[str, Any] = {
        "customers": loaded.customers, "postings": loaded.postings,
        "load_seconds": loaded.seconds, "load_checked": loaded.checked,
    }  # fmt: skip
    with Loyalty.open(Settings(database_url=url, pool_size=2)) as loyalty:
        asset = loyalty.programme(tenant).points_asset
        found["engine balance"] = percentiles(_timed(lambda c: loyalty.balance(tenant, c), picks))
        found["engine history"] = percentiles(_timed(
            lambda c: loyalty.ledger.history(tenant, accounts.points(c), asset, limit=50), picks
        ))  # fmt: skip
        token = key(loyalty.ledger.database, tenant, "auditor")
    for name, path in (("http balance", "balance"), ("http history", "history?limit=50")):
        outcome = http_load.closed_loop(
            server.host, server.port, count=len(picks),
            make=lambda i, p=path: http_load.request(  # type: ignore[misc]
                "GET", f"/v1/customers/{picks[i]}/{p}", token),
        )  # fmt: skip
        found[name] = percentiles(outcome.latencies[WARMUP:]) | {"statuses": outcome.statuses}
    return found
