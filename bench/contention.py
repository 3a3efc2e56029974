"""Redemptions racing on a few hot customers: throughput, p95, and no overdraft.

Ten customers get one active lot each (an approved adjustment, so it is
spendable at once); sixteen threads then redeem 500 points from a random one
of them through the engine until the time is up. Together they ask for more
than there is, so the overdraft guard is exercised: every refusal must be
``insufficient_points``, never an error. Afterwards SQL over the ledger checks
that no balance went negative, that each customer's balance is what was
granted less what was redeemed, that lots still equal balances, and
``verify`` runs on the tenant.
"""

from __future__ import annotations

import os
import random
import threading
import time
from dataclasses import replace
from typing import Any

import psycopg

from bench.harness import percentiles
from punchcard.config import Settings
from punchcard.domain.errors import InsufficientPoints
from punchcard.domain.loyalty.programme import default_programme
from punchcard.service_layer import integrity
from punchcard.service_layer.loyalty import batch
from punchcard.service_layer.loyalty.facade import Loyalty

HOT = 10
CLIENTS = 16
POINTS = 500

NEGATIVE = """
SELECT count(*) FILTER (WHERE b.posted_credits - b.posted_debits - b.pending_debits < 0),
       coalesce(sum(b.posted_credits - b.posted_debits - b.pending_debits), 0)
  FROM punchcard.balances b
  JOIN punchcard.accounts a ON a.tenant_id = b.tenant_id AND a.id = b.account_id
 WHERE b.tenant_id = %(tenant)s AND a.address LIKE 'customer:%%:points'
"""
NEGATIVE_LOTS = """
SELECT count(*) FILTER (WHERE remaining < 0), coalesce(sum(remaining), 0)
  FROM punchcard.lots WHERE tenant_id = %(tenant)s
"""


def measure(url: str, seconds: float, *, grant: int | None = None) -> dict[str, Any]:
    """``grant`` points per customer: by default enough for 400 redemptions/s in all."""
    grant = grant or POINTS * 10 * max(1, round(seconds * 400 / HOT / 10))
    tenant = f"bench-hot-{os.getpid()}"
    with Loyalty.open(Settings(database_url=url, pool_size=CLIENTS + 2)) as loyalty:
        loyalty.create_programme(tenant, replace(default_programme(), pending_days=0))
        ids = batch.enroll_all(loyalty, tenant, [f"hot-{n}" for n in range(HOT)])
        hot = [str(ids[f"hot-{n}"]) for n in range(HOT)]
        for n, customer in enumerate(hot):
            asked = loyalty.request_adjustment(
                tenant, customer, points=grant, reason="bench", requested_by="maker",
                idempotency_key=f"grant-{n}",
            )  # fmt: skip
            loyalty.approve_adjustment(tenant, asked.id, approved_by="checker")
        latencies: list[list[float]] = [[] for _ in range(CLIENTS)]
        counts = [{"ok": 0, "insufficient": 0, "error": 0} for _ in range(CLIENTS)]
        failures: list[str] = []
        drained: dict[str, int] = {}  # customer -> 1 (big redemptions refused) or 2 (empty)
        stop = time.perf_counter() + seconds

        def redeem(n: int, key: str, customer: str, points: int, label: str = "ok") -> bool:
            try:
                loyalty.redeem(tenant, customer, option="product", points=points,
                               idempotency_key=key)  # fmt: skip
                counts[n][label] = counts[n].get(label, 0) + 1
                return True
            except InsufficientPoints:
                counts[n]["insufficient"] += 1
            except Exception as exc:  # counted and shown, never hidden
                counts[n]["error"] += 1
                failures.append(f"{type(exc).__name__}: {exc}")
            return False

        def client(n: int) -> None:
            rng = random.Random(n)
            i = 0
            while time.perf_counter() < stop:
                i += 1
                began = time.perf_counter()
                redeem(n, f"r-{n}-{i}", rng.choice(hot), POINTS)
                latencies[n].append(time.perf_counter() - began)
            # Then everyone races to empty the same ten balances, large and small.
            while left := [c for c in hot if drained.get(c, 0) < 2]:
                i += 1
                customer = rng.choice(left)
                big = drained.get(customer, 0) == 0
                points = POINTS * 10 if big else POINTS
                if not redeem(n, f"r-{n}-{i}", customer, points, f"drained_{points}"):
                    drained[customer] = max(drained.get(customer, 0), 1 if big else 2)

        threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = seconds
        report = integrity.verify(loyalty.ledger.database, tenant=tenant)
    total = {k: sum(c.get(k, 0) for c in counts) for k in ("ok", "insufficient", "error")}
    drained_points = sum(
        int(k[8:]) * v for c in counts for k, v in c.items() if k[:8] == "drained_"
    )
    checks = _ledger_checks(url, tenant)
    every = [x for lane in latencies for x in lane]
    expected_left = HOT * grant - total["ok"] * POINTS - drained_points
    return {
        "clients": CLIENTS, "hot_customers": HOT, "seconds": elapsed,
        "redemptions_per_s": total["ok"] / elapsed, "attempts_per_s": len(every) / elapsed,
        "drained_points": drained_points,
        **total, **percentiles(every),
        **checks, "expected_left": expected_left, "verify_ok": report.ok,
        "failures": failures[:5],
        "consistent": checks["negative_balances"] == 0 and checks["negative_lots"] == 0
        and checks["points_left"] == expected_left == checks["lots_left"] and report.ok
        and total["error"] == 0,
    }  # fmt: skip


def _ledger_checks(url: str, tenant: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        negative, left = conn.execute(NEGATIVE, {"tenant": tenant}).fetchone() or (0, 0)
        lots = conn.execute(NEGATIVE_LOTS, {"tenant": tenant}).fetchone() or (0, 0)
    return {"negative_balances": int(negative), "points_left": int(left),
            "negative_lots": int(lots[0]), "lots_left": int(lots[1])}  # fmt: skip
