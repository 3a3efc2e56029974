"""Each numbered item of issue 6: run its benchmark, turn what it measured into figures.

The targets are the issue's, on the same machine in the same run; where the
issue gives none (latencies of the slower paths, memory) the figure is shown
without one. Everything measured, targeted or not, also goes into the JSON's
``details``.
"""

from __future__ import annotations

import os
import time
from typing import Any

from bench import baseline as pgbaseline
from bench import batch_ingest, http_load, loader, profiles, rules_eval
from bench import contention as hot
from bench import reads as reading
from bench.harness import Server, key, percentiles
from bench.ingest import setup, warm
from bench.profiles import Profile
from bench.report import Figure, Report
from punchcard.config import Settings
from punchcard.service_layer.loyalty.facade import Loyalty

DAY = 10_000_000
"""Events in the seed's day: 10 million transactions."""
HTTP_RATES = (115, 1_000)


def rules(profile: Profile, report: Report) -> None:
    found = rules_eval.measure(profile.rule_orders, profile.rule_rounds)
    report.details["6 rules"] = found
    report.add(
        Figure(
            "6 rules",
            "evaluations/s/core (median pass)",
            found["median_per_s"],
            "/s",
            target=20_000,
        )
    )


def baseline(url: str, profile: Profile, report: Report) -> None:
    found = pgbaseline.measure(url, profile.seconds, slotted=True)
    report.details["1-2 baseline"] = found
    for clients in pgbaseline.CLIENTS:
        plain, shared = found[f"pgbench c{clients}"], found[f"pgbench shared c{clients}"]
        assert isinstance(plain, float)
        assert isinstance(shared, float)
        report.add(
            Figure("1 baseline", f"pgbench earn rows, {clients} clients", plain, "/s"),
            Figure("1 baseline", f"  + one shared issuance row, {clients} clients", shared, "/s"),
        )
    top = max(pgbaseline.CLIENTS)
    plain, shared, slotted, own = (
        found[f"pgbench {v}c{top}"] for v in ("", "shared ", "slotted ", "own ")
    )
    assert isinstance(own, float)
    assert isinstance(plain, float)
    assert isinstance(shared, float)
    assert isinstance(slotted, float)
    report.add(
        Figure(
            "1 baseline",
            f"hot row cost, one shared row, c{top}",
            1 - shared / plain,
            "share",
            note="1 - shared/plain: what a single issuance row would cost",
        ),
        Figure(
            "1 baseline",
            f"issuance cost, 32 slot rows (engine's), c{top}",
            1 - slotted / plain,
            "share",
            target=0.10,
            better="lower",
            note="1 - slotted/plain, pgbench; the first free of 32 rows (SKIP LOCKED), "
            "as the engine picks its issuance slot",
        ),
        Figure(
            "1 baseline",
            f"  of which the extra statement alone, c{top}",
            1 - own / plain,
            "share",
            note="1 - own/plain: each client updates a row of its own, so no one waits",
        ),
    )
    for clients in pgbaseline.CLIENTS:
        run = found[f"engine c{clients}"]
        assert isinstance(run, dict)
        base = found[f"pgbench c{clients}"]
        assert isinstance(base, float)
        report.add(
            Figure("2 engine", f"earns/s, {clients} connections", run["rate"], "/s"),
            Figure(
                "2 engine",
                f"  p95 at {clients} connections",
                run["p95_ms"],
                "ms",
                note=f"p50 {run['p50_ms']:.1f} ms, p99 {run['p99_ms']:.1f} ms",
            ),
            Figure(
                "2 engine",
                f"  ratio to pgbench, {clients} connections",
                run["rate"] / base,
                "x",
                target=0.60 if clients == top else None,
            ),
        )


def http(url: str, server: Server, profile: Profile, report: Report) -> None:
    tenant = f"bench-http-{os.getpid()}"
    with Loyalty.open(Settings(database_url=url, pool_size=4)) as loyalty:
        customers = setup(loyalty, tenant, 1_000)
        warm(loyalty, tenant, customers)
        token = key(loyalty.ledger.database, tenant, "ingest")
    warming = [
        http_load.request("POST", "/v1/events", token, e)
        for e in batch_ingest.events(customers, 100, f"warm-{os.getpid()}")
    ]
    http_load.closed_loop(server.host, server.port, warming.__getitem__, count=len(warming))
    found: dict[str, Any] = {"floor": _floor(server)}
    report.add(
        Figure(
            "3 http",
            "floor: GET /healthz on one connection, p50",
            found["floor"]["p50_ms"],
            "ms",
            note=f"load generator CPU {found['floor']['client_cpu_us']:.0f} µs/request",
        ),
    )
    runs = [(f"{rate:,}/s", float(rate)) for rate in HTTP_RATES]
    runs.append(("saturation", profile.saturation_rate))
    for name, rate in runs:
        count = int(rate * profile.http_seconds)
        bodies = [
            http_load.request("POST", "/v1/events", token, e)
            for e in batch_ingest.events(customers, count, f"{name[:4]}-{os.getpid()}")
        ]
        outcome = http_load.open_loop(
            server.host,
            server.port,
            bodies.__getitem__,
            rate=rate,
            seconds=profile.http_seconds,
            grace=2.0 if name == "saturation" else 5.0,
        )
        found[name] = summary = outcome.summary()
        p95 = summary["p95_ms"]
        detail = (
            f"p50 {summary['p50_ms']:.1f}, p99 {summary['p99_ms']:.1f} ms; "
            f"{summary['errors']} errors or unserved of {count}"
        )
        if name == "saturation":
            report.add(
                Figure(
                    "3 http",
                    f"saturation: earns/s achieved (offered {rate:,.0f}/s)",
                    summary["achieved_per_s"],
                    "/s",
                    target=1_500,
                    note=detail,
                )
            )
            continue
        target = 50.0 if rate == 115 else 10.0
        report.add(
            Figure("3 http", f"{name} offered: achieved", summary["achieved_per_s"], "/s"),
            Figure(
                "3 http",
                f"{name} offered: p95 (from the scheduled time)",
                p95,
                "ms",
                target=target,
                better="lower",
                note=detail,
            ),
        )
    report.details["3 http"] = found


def _floor(server: Server, count: int = 1_000) -> dict[str, float]:
    """What any request costs (routing, middleware, logging), and what the client costs."""
    probe = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    cpu = time.process_time()
    outcome = http_load.closed_loop(server.host, server.port, lambda _: probe, count=count)
    client = (time.process_time() - cpu) / count * 1e6
    return percentiles(outcome.latencies) | {"client_cpu_us": client}


def contention(url: str, profile: Profile, report: Report) -> None:
    found = hot.measure(url, profile.contention_seconds)
    report.details["4 contention"] = found
    note = (
        f"{found['ok']} redeemed, {found['insufficient']} refused as insufficient, "
        f"{found['error']} errors; p50 {found['p50_ms']:.1f} ms"
    )
    verified = "ok" if found["verify_ok"] else "FAILED"
    report.add(
        Figure(
            "4 contention",
            "redemptions/s, 10 hot customers, 16 clients",
            found["redemptions_per_s"],
            "/s",
            note=note,
        ),
        Figure("4 contention", "  p95", found["p95_ms"], "ms"),
        Figure(
            "4 contention",
            "  balances below zero (SQL over the ledger)",
            found["negative_balances"] + found["negative_lots"],
            "rows",
            target=1,
            better="lower",
        ),
        Figure(
            "4 contention",
            "  ledger checks failed (sums, lots, verify)",
            0 if found["consistent"] else 1,
            "checks",
            target=1,
            better="lower",
            note=f"left {found['points_left']} points, expected {found['expected_left']}, "
            f"lots {found['lots_left']}; verify {verified}",
        ),
    )


def batch(url: str, server: Server, profile: Profile, report: Report) -> None:
    found = batch_ingest.measure(url, server, profile.batch_events, profile.import_small)
    report.details["5 batch"] = found
    copy = found["copy"]["events_per_s"]
    size = f"{profile.batch_events:,} events"
    if profile.batch_events < profiles.FULL_BATCH:
        size += f", not the issue's {profiles.FULL_BATCH:,}"
    imported = found["import"]
    own = imported["summary"].get("seconds") or imported["seconds"]
    rate = profile.batch_events / own
    report.add(
        Figure(
            "5 batch",
            "POST /v1/events:batch, events/s",
            found["http"]["events_per_s"],
            "/s",
            target=20_000,
            note=size,
        ),
        Figure(
            "5 batch",
            "  ratio to COPY of the same rows",
            found["http"]["events_per_s"] / copy,
            "x",
            target=0.5,
        ),
        Figure(
            "5 batch",
            "punchcard import, events/s",
            rate,
            "/s",
            target=20_000,
            note=f"its own timer; {imported['events_per_s']:,.0f}/s with process start",
        ),
        Figure(
            "5 batch",
            "  ratio to COPY of the same rows",
            rate / copy,
            "x",
            target=0.5,
            note=f"COPY {copy:,.0f} events/s ({found['copy']['rows']:,} rows) into "
            "same-shaped staging tables",
        ),
        Figure(
            "5 batch",
            "  10 million events by import, extrapolated",
            DAY / rate,
            "s",
            target=600,
            better="lower",
        ),
    )
    small = found["import_small"]
    report.add(
        Figure(
            "8 memory",
            f"import peak RSS, {profile.batch_events:,} events",
            imported["peak_rss_mb"],
            "MB",
        ),
        Figure(
            "8 memory",
            f"import peak RSS, {profile.import_small:,} events",
            small["peak_rss_mb"],
            "MB",
        ),
        Figure(
            "8 memory",
            "  import RSS growth (larger / smaller file)",
            imported["peak_rss_mb"] / small["peak_rss_mb"],
            "x",
            target=1.10,
            better="lower",
            note=f"{profile.batch_events / profile.import_small:.0f}x the events",
        ),
    )


def reads(url: str, server: Server, profile: Profile, report: Report) -> None:
    tenant = f"bench-reads-{os.getpid()}"
    print(
        f"  loading {profile.load_customers:,} customers, {profile.load_postings:,} postings",
        flush=True,
    )
    loaded = loader.load(url, tenant, profile.load_customers, profile.load_postings, progress=True)
    found = reading.measure(url, server, loaded, profile.read_samples)
    report.details["7 reads"] = found
    size = f"{loaded.customers:,} customers, {loaded.postings:,} postings"
    if (loaded.customers, loaded.postings) != profiles.FULL_LOAD:
        size += " (quick load, not 1,000,000 / 20,000,000)"
    report.add(Figure("7 reads", "loaded in", loaded.seconds, "s", note=size))
    for name in ("engine balance", "engine history", "http balance", "http history"):
        cuts = found[name]
        report.add(
            Figure(
                "7 reads",
                f"{name}: p95",
                cuts["p95_ms"],
                "ms",
                target=2.0 if name == "engine balance" else None,
                better="lower",
                note=f"p50 {cuts['p50_ms']:.2f}, p99 {cuts['p99_ms']:.2f} ms",
            )
        )


def api_memory(server: Server, report: Report) -> None:
    report.add(
        Figure("8 memory", "API process peak RSS (after items 3, 5, 7)", server.peak_rss_mb(), "MB")
    )
