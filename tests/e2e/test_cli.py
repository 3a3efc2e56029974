"""The CLI, run against a database of the test's own (see ``punchcard`` below)."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
import time
import traceback
from datetime import timedelta

import psycopg
import pytest

from punchcard.adapters.postgres.database import Database
from punchcard.domain.loyalty.expiry import ExpiryRule
from punchcard.domain.loyalty.programme import LotKind, Rate, RedemptionOption, default_programme
from punchcard.service_layer.ledger import Ledger
from punchcard.service_layer.loyalty.facade import Loyalty

COMMAND = [sys.executable, "-m", "punchcard"]
IN_PROCESS = os.environ.get("PUNCHCARD_TEST_CLI", "in-process") != "subprocess"
"""Commands run in this process through Click's runner (the same ``app`` that
``python -m punchcard`` runs, with its own stdout, stderr, environment and exit
code), which saves the second of start-up each subprocess costs; the tests of
``serve`` and of a killed ``import`` still start real processes.
PUNCHCARD_TEST_CLI=subprocess runs every command as a subprocess."""


def punchcard(url: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {"PUNCHCARD_DATABASE_URL": url, "COLUMNS": "200"} | env
    if IN_PROCESS:
        return _in_process(list(args), environment)
    return subprocess.run(
        [*COMMAND, *args], env=os.environ | environment, capture_output=True, text=True,
        timeout=300, check=False,
    )  # fmt: skip


def _in_process(args: list[str], environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    from typer.testing import CliRunner  # noqa: PLC0415 - only this way of running needs it

    from punchcard.entrypoints.cli.main import app  # noqa: PLC0415

    result = CliRunner().invoke(app, args, env=environment, prog_name="punchcard")
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += "".join(traceback.format_exception(result.exception))  # as Python prints it
    return subprocess.CompletedProcess([*COMMAND, *args], result.exit_code, result.stdout, stderr)


def test_migrate_twice_then_up_to_date(fresh_database_url: str) -> None:
    first = punchcard(fresh_database_url, "migrate")
    assert first.returncode == 0, first.stderr
    assert "schema is up to date" in first.stdout  # the template was migrated already
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA punchcard CASCADE")
    fresh = punchcard(fresh_database_url, "migrate")
    assert fresh.returncode == 0, fresh.stderr
    assert "applied 0001_ledger" in fresh.stdout
    assert "schema is up to date" in punchcard(fresh_database_url, "migrate").stdout


def _rows(output: str, title: str) -> dict[str, str]:
    """The rows of one of the demo's key-value tables."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == title)
    end = next(i for i, line in enumerate(lines) if i > start and line.startswith("└"))
    cells = [line.strip("│").split("│") for line in lines[start:end] if line.startswith("│")]
    return {name.strip(): value.strip() for name, value in cells}


def test_demo_ends_with_a_clean_verify_and_is_reproducible(fresh_database_url: str) -> None:
    args = ("demo", "--customers", "40", "--workers", "4", "--seed", "11")
    runs = [punchcard(fresh_database_url, *args, "--tenant", t) for t in ("demo-e2e", "demo-again")]
    for result in runs:
        assert result.returncode == 0, result.stdout + result.stderr
        assert "verify: clean" in result.stdout
    first, second = (run.stdout for run in runs)
    happened = _rows(first, "what happened")
    assert happened["enroll"] == "40"
    assert int(happened["purchase"]) >= 40
    assert "redeem product" in happened and "authorize" in happened
    sweeps = _rows(first, "sweeps")
    assert sweeps["expire points as of now"] == "0 pts in 0 lots of 0 customers"
    assert "points already spent, now owed" in _rows(first, "refunds, under clawback_from_future")
    accounts = _rows(first, "programme accounts")
    assert "points outstanding (liability)" in accounts
    # the seed ruleset rates every earn: categories multiply, tiers move, a draft is simulated
    assert 'ruleset v1 "seed programme": made and submitted by marketing-mia' in first
    assert "refused: maker_checker_violation: marketing-mia submitted ruleset 1" in first
    assert "ruleset v1 approved by finance-fred: published, active from" in first
    by_rule = _rows(first, "points earned by rule (before refunds)")
    assert int(by_rule["base"].replace(",", "")) > 0 and "category_groceries" in by_rule
    assert "customers in silver" in _rows(first, "tiers")
    simulated = _rows(first, 'simulate draft "double points weekend"')
    assert simulated["orders rated, nothing written"] == happened["purchase"]  # all, under 400
    assert "recomputed from its stored inputs by v1: matches what was stored" in first
    # the same seed tells the same story, whatever the threads' interleaving
    titles = (
        "what happened",
        "sweeps",
        "refunds, under clawback_from_future",
        "programme accounts",
        "points earned by rule (before refunds)",
        "tiers",
    )
    timings = ("elapsed", "calls per second")
    for title in titles:
        told, retold = (
            {k: v for k, v in _rows(run, title).items() if k not in timings}
            for run in (first, second)
        )
        assert told == retold, title
    verified = punchcard(fresh_database_url, "verify", "--tenant", "demo-e2e")
    assert verified.returncode == 0 and "verify: clean" in verified.stdout
    # a second run on the same tenant carries on with the customers it finds there
    rerun = punchcard(fresh_database_url, "demo", "--customers", "10", "--tenant", "demo-e2e")
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert "verify: clean" in rerun.stdout


def test_verify_exits_1_and_names_a_tampered_transaction(fresh_database_url: str) -> None:
    assert punchcard(fresh_database_url, "demo", "--customers", "5", "--workers", "2",
                     "--tenant", "victim").returncode == 0  # fmt: skip
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")
        row = conn.execute(
            "UPDATE punchcard.entries SET amount = amount * 2 WHERE tenant_id = 'victim'"
            " AND transaction_id = (SELECT min(transaction_id) FROM punchcard.entries"
            " WHERE tenant_id = 'victim') RETURNING transaction_id"
        ).fetchone()
    assert row is not None
    result = punchcard(fresh_database_url, "verify")
    assert result.returncode == 1
    # the demo's writers commit in any order, so the first id is not always the first seal
    assert re.search(rf"transaction {row[0]} \(seal \d+\) differs from what was sealed",
                     result.stdout), result.stdout  # fmt: skip
    assert "DISCREPANCIES FOUND" in result.stdout


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["verify", "--tenant", "BAD TENANT"], {}, "error: invalid_tenant: tenant id 'BAD TENANT'"),
        (["seal"], {"PUNCHCARD_POOL_SIZE": "abc"}, "error: config: PUNCHCARD_POOL_SIZE must be"),
        (["expire-points", "--tenant", "nobody"], {},
         "error: unknown_programme: tenant 'nobody' has no loyalty programme"),
        (["expiring", "--tenant", "nobody", "--days", "7"], {},
         "error: unknown_programme: tenant 'nobody' has no loyalty programme"),
        (["expire-points", "--tenant", "nobody", "--as-of", "yesterday"], {},
         "error: invalid_request: --as-of 'yesterday' is not an ISO-8601 time with a UTC offset"),
        (["expire-points", "--tenant", "nobody", "--as-of", "2025-06-30T00:00:00"],
         {"COLUMNS": "60"},  # still one line on a narrow terminal
         "error: invalid_request: --as-of '2025-06-30T00:00:00' is not an ISO-8601 time with"),
        (["expire-points", "--tenant", "BAD TENANT"], {}, "error: invalid_tenant: tenant id"),
        (["demo", "--tenant", "BAD TENANT"], {}, "error: invalid_tenant: tenant id"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_and_a_non_zero_exit(
    fresh_database_url: str, args: list[str], env: dict[str, str], message: str
) -> None:
    result = punchcard(fresh_database_url, *args, **env)
    assert result.returncode == 1
    assert result.stderr.startswith(message), result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_sweeps_report_zero_on_an_empty_database(fresh_database_url: str) -> None:
    assert (
        "expired 0 hold(s) and 0 redemption authorization(s)"
        in punchcard(fresh_database_url, "expire-holds").stdout
    )
    assert "sealed 0 transaction(s)" in punchcard(fresh_database_url, "seal").stdout
    assert (
        "activated 0 point(s) in 0 lot(s) of 0 customer(s)"
        in punchcard(fresh_database_url, "activate-pending").stdout
    )


def test_the_scheduled_sweeps_act_on_what_is_due(fresh_database_url: str) -> None:
    """Pending points come due, an authorization runs out and an engagement lot is past
    its expiry: each command acts on exactly that, and reports it."""
    programme = dataclasses.replace(
        default_programme(),
        expiry={LotKind.ENGAGEMENT: ExpiryRule.after(days=1)},
        redemption_options={"product": RedemptionOption(Rate(80, 100), minimum=1)},
    )
    database = Database(fresh_database_url, pool_size=2)
    loyalty = Loyalty(Ledger(database))
    try:
        loyalty.create_programme("shop", programme)
        alice = loyalty.enroll("shop", "alice").id
        now = loyalty.now()
        loyalty.earn_engagement("shop", alice, event_id="e-old", type="app_login",
                                occurred_at=now - timedelta(days=3))  # fmt: skip
        loyalty.earn_engagement("shop", alice, event_id="e-new", type="review_written")
        loyalty.earn_purchase("shop", alice, order_id="o-1", amount=12_000, currency="USD",
                              occurred_at=now - timedelta(days=14, seconds=-1))  # fmt: skip
        loyalty.earn_purchase("shop", alice, order_id="o-2", amount=30_000, currency="USD")
        loyalty.authorize("shop", alice, option="product", points=20, idempotency_key="a-1",
                          timeout=timedelta(seconds=1))  # fmt: skip
        time.sleep(1.2)

        activated = punchcard(fresh_database_url, "activate-pending")
        assert activated.stdout.strip() == "activated 120 point(s) in 1 lot(s) of 1 customer(s)"
        holds = punchcard(fresh_database_url, "expire-holds")
        assert holds.stdout.strip() == "expired 0 hold(s) and 1 redemption authorization(s)"
        as_of = (now - timedelta(days=1)).isoformat()
        expired = punchcard(fresh_database_url, "expire", "--tenant", "shop",
                            "--as-of", as_of)  # fmt: skip
        assert expired.returncode == 0, expired.stderr
        assert expired.stdout.strip() == "expired 5 point(s) in 1 lot(s) of 1 customer(s)"
        again = punchcard(fresh_database_url, "expire", "--tenant", "shop")
        assert again.stdout.strip() == "expired 0 point(s) in 0 lot(s) of 0 customer(s)"
        future = punchcard(fresh_database_url, "expire", "--tenant", "shop",
                           "--as-of", (now + timedelta(days=2)).isoformat())  # fmt: skip
        assert future.returncode == 1 and "in the future" in future.stderr

        expected = loyalty.expiring("shop", within=timedelta(days=2))
        assert [(e.customer_id, e.points) for e in expected] == [(alice, 50)]
        soon = punchcard(fresh_database_url, "expiring", "--tenant", "shop", "--days", "2")
        assert soon.returncode == 0, soon.stderr
        assert alice in soon.stdout and "50 point(s) of 1 customer(s)" in soon.stdout
        assert loyalty.balance("shop", alice).available == 50 + 120  # the hold gave its 20 back
        loyalty.create_programme("quiet", programme)
    finally:
        database.close()
    none = punchcard(fresh_database_url, "expiring", "--tenant", "quiet", "--days", "30")
    assert none.stdout.strip() == "no points of quiet expire within 30 days"
