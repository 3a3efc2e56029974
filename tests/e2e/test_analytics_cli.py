"""``punchcard analytics`` through the CLI: a table for people, ``--json`` for
scripts, and a bad period as one line on stderr with exit 1. Figures are the
scenario's own arithmetic (one point per dollar, a cent a point)."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta

from punchcard.adapters.postgres.database import Database
from punchcard.domain.loyalty.programme import default_programme
from punchcard.service_layer.ledger import Ledger
from punchcard.service_layer.loyalty.facade import Loyalty
from tests.e2e.test_cli import punchcard


def test_analytics_as_a_table_and_as_json(fresh_database_url: str) -> None:
    database = Database(fresh_database_url, pool_size=2)
    start = datetime.now(UTC) - timedelta(minutes=1)
    try:
        loyalty = Loyalty(Ledger(database))
        loyalty.create_programme("shop", dataclasses.replace(default_programme(), pending_days=0))
        alice, _ = (loyalty.enroll("shop", who).id for who in ("alice", "bob"))
        loyalty.earn_purchase("shop", alice, order_id="o-1", amount=120_000, currency="USD")
        loyalty.redeem("shop", alice, option="product", points=600, idempotency_key="r-1")
    finally:
        database.close()
    period = ("--start", start.isoformat(), "--end", (start + timedelta(hours=1)).isoformat())

    done = punchcard(fresh_database_url, "analytics", "--tenant", "shop", *period, "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["issued"], report["redeemed"], report["redemption_rate_bp"]) == (
        1200, 600, 5000,
    )  # fmt: skip
    assert (report["members"], report["active_members"]) == (2, 1)
    assert report["campaigns"] == [
        {"rule": "base_rate", "ruleset_version": None, "earns": 1, "points": 1200, "value": 1200}
    ]

    table = punchcard(fresh_database_url, "analytics", "--tenant", "shop", *period)
    assert table.returncode == 0, table.stderr
    assert "redemption rate 50.00%" in table.stdout
    assert "members 2, active 1 (50.00%)" in table.stdout
    assert "base_rate" in table.stdout and "fixed rate" in table.stdout
    assert "no line items were kept" in table.stdout  # the fixed rate keeps none

    bad = punchcard(fresh_database_url, "analytics", "--tenant", "shop", "--start", "today",
                    "--end", "2026-01-01T00:00:00Z")  # fmt: skip
    assert bad.returncode == 1 and bad.stdout == ""
    assert bad.stderr.count("\n") == 1 and "--start 'today'" in bad.stderr
    unknown = punchcard(fresh_database_url, "analytics", "--tenant", "nobody", *period)
    assert unknown.returncode == 1 and "error: unknown_programme" in unknown.stderr
