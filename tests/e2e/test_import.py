"""``punchcard import``, through the CLI (a real process when killed): JSON lines and CSV, bad lines
named and skipped, and an import killed half way that, run again, completes with
every event applied exactly once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from punchcard.adapters.postgres.database import Database
from punchcard.domain.loyalty.programme import default_programme
from punchcard.service_layer.ledger import Ledger
from punchcard.service_layer.loyalty.facade import Loyalty
from tests.e2e.test_cli import COMMAND, punchcard

WHEN = "2026-11-30T12:00:00+00:00"


@pytest.fixture
def shops(fresh_database_url: str) -> Iterator[Loyalty]:
    """Two tenants with the default programme (fixed rate: no ruleset published)."""
    database = Database(fresh_database_url, pool_size=2)
    loyalty = Loyalty(Ledger(database))
    try:
        for tenant in ("shop", "twin"):
            loyalty.create_programme(tenant, default_programme())
        yield loyalty
    finally:
        database.close()


def _events(count: int, customers: int) -> list[dict[str, object]]:
    """Purchases by reference over ``customers`` customers, a refund of every tenth."""
    found: list[dict[str, object]] = []
    for n in range(count):
        found.append({"type": "purchase", "customer_ref": f"c-{n % customers}",
                      "order_id": f"o-{n}", "amount": 1_000 + 37 * n, "currency": "USD",
                      "occurred_at": WHEN})  # fmt: skip
        if n % 10 == 0:
            found.append({"type": "refund", "order_id": f"o-{n}", "refund_id": f"r-{n}",
                          "amount": 500})  # fmt: skip
    return found


def _write(path: Path, events: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(e) + "\n" for e in events))
    return path


def _balances(loyalty: Loyalty, tenant: str, refs: int) -> dict[str, tuple[int, int]]:
    found: dict[str, tuple[int, int]] = {}
    for n in range(refs):
        customer = loyalty.find_customer(tenant, f"c-{n}")
        assert customer is not None
        balance = loyalty.balance(tenant, customer.id)
        found[f"c-{n}"] = (balance.pending, balance.available)
    return found


def _earns(url: str, tenant: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM punchcard.transactions WHERE tenant_id = %s "
            "AND metadata->>'operation' = 'earn'",
            (tenant,),
        ).fetchone()
    assert row is not None
    return int(row[0])


def test_a_jsonl_file_enrols_earns_refunds_and_names_its_bad_lines(
    fresh_database_url: str, shops: Loyalty, tmp_path: Path
) -> None:
    fractional = {"type": "purchase", "customer_ref": "c-0", "order_id": "bad", "amount": 1.5,
                  "currency": "USD"}  # fmt: skip
    stray = {"type": "refund", "order_id": "nowhere", "refund_id": "r-x", "amount": 1}
    events = [*_events(20, 5), fractional, stray]
    source = _write(tmp_path / "events.jsonl", events)
    first = punchcard(fresh_database_url, "import", str(source), "--tenant", "shop")
    assert first.returncode == 1, first.stdout + first.stderr
    assert "22 applied, 0 replayed, 2 failed" in first.stdout, first.stdout  # 2 refunds
    assert "line 23: invalid_request: amount: Input should be a valid integer" in first.stderr
    assert "line 24: unknown_order:" in first.stderr, first.stderr
    assert "Traceback" not in first.stderr

    again = punchcard(fresh_database_url, "import", str(source), "--tenant", "shop", "--json")
    summary = json.loads(again.stdout)
    assert summary["this_run"] == 0 and summary["ok"] == 22  # resumed at the end: nothing to do

    replay = punchcard(fresh_database_url, "import", str(source), "--tenant", "shop",
                       "--restart", "--json")  # fmt: skip
    summary = json.loads(replay.stdout)
    assert (summary["ok"], summary["replayed"], summary["error"]) == (0, 22, 2)
    assert _earns(fresh_database_url, "shop") == 20


def test_a_csv_file_is_read_by_its_header(
    fresh_database_url: str, shops: Loyalty, tmp_path: Path
) -> None:
    source = tmp_path / "events.csv"
    source.write_text(
        "type,customer_ref,order_id,amount,currency,refund_id,items\n"
        'purchase,alice,o-1,4550,USD,,"[{""sku"": ""milk"", ""amount"": 4550}]"\n'
        "\n"
        "refund,,o-1,550,,r-1,\n"
        "purchase,bob,o-2,12.50,USD,,\n"
        "purchase,bob,o-3,999,USD\n"
    )
    result = punchcard(fresh_database_url, "import", str(source), "--tenant", "shop")
    assert result.returncode == 1
    assert "2 applied, 0 replayed, 2 failed" in result.stdout, result.stdout
    assert "line 5: invalid_request: amount: '12.50' is not a whole number" in result.stderr
    assert "line 6: invalid_request: 5 cells, the header has 7" in result.stderr, result.stderr
    alice = shops.find_customer("shop", "alice")
    assert alice is not None
    assert shops.balance("shop", alice.id).pending == 45 - 5  # 1 pt per $1, less the refund


def test_bad_invocations_are_one_line(
    fresh_database_url: str, shops: Loyalty, tmp_path: Path
) -> None:
    source = _write(tmp_path / "events.jsonl", _events(3, 1))
    other = _write(tmp_path / "other.jsonl", _events(4, 2))
    assert punchcard(fresh_database_url, "import", str(source), "--tenant", "shop").returncode == 0
    (tmp_path / "other.jsonl.import-state.json").write_text(
        (tmp_path / "events.jsonl.import-state.json").read_text()
    )
    for args, message in [
        ((str(tmp_path / "missing.jsonl"), "--tenant", "shop"), "is not a file"),
        ((str(source), "--tenant", "nobody"), "unknown_programme"),
        ((str(source), "--tenant", "shop", "--format", "xml"), "--format is jsonl or csv"),
        ((str(other), "--tenant", "shop"), "records an import of another file or tenant"),
    ]:  # fmt: skip
        result = punchcard(fresh_database_url, "import", *args)
        assert result.returncode == 1, result.stdout
        assert result.stderr.count("\n") == 1 and message in result.stderr, result.stderr


def test_an_import_killed_half_way_completes_on_the_next_run_without_duplicates(
    fresh_database_url: str, shops: Loyalty, tmp_path: Path
) -> None:
    events = _events(1_500, 60)
    source = _write(tmp_path / "events.jsonl", events)
    state = tmp_path / "events.jsonl.import-state.json"
    environment = os.environ | {"PUNCHCARD_DATABASE_URL": fresh_database_url}
    command = [*COMMAND, "import", str(source), "--tenant", "shop", "--batch-size", "50",
               "--workers", "2"]  # fmt: skip
    process = subprocess.Popen(
        command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None:
            if state.exists() and json.loads(state.read_text())["offset"] > 0:
                break
            time.sleep(0.02)
        time.sleep(0.1)  # into the middle of the next chunk
        assert process.poll() is None, "the import finished before it could be killed"
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(30)
    cut = json.loads(state.read_text())
    assert 0 < cut["offset"] < source.stat().st_size, cut

    resumed = punchcard(fresh_database_url, "import", str(source), "--tenant", "shop", "--json")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    summary = json.loads(resumed.stdout)
    assert summary["error"] == 0 and summary["lines"] == len(events)
    assert summary["this_run"] == len(events) - sum(cut["counts"].values())
    # every purchase earned once, and the balances are those of an import never cut short
    assert _earns(fresh_database_url, "shop") == 1_500
    straight = punchcard(fresh_database_url, "import", str(source), "--tenant", "twin",
                         "--state", str(tmp_path / "twin.state"))  # fmt: skip
    assert straight.returncode == 0, straight.stderr
    assert _balances(shops, "shop", 60) == _balances(shops, "twin", 60)
    assert shops.ledger.verify(tenant="shop").ok
