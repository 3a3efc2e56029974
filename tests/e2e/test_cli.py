"""The CLI, run for real as a subprocess against a database of the test's own."""

from __future__ import annotations

import os
import subprocess
import sys

import psycopg
import pytest

COMMAND = [sys.executable, "-m", "punchcard"]


def punchcard(url: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = os.environ | {"PUNCHCARD_DATABASE_URL": url, "COLUMNS": "200"} | env
    return subprocess.run(
        [*COMMAND, *args], env=environment, capture_output=True, text=True, timeout=300,
        check=False,
    )  # fmt: skip


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


def test_demo_ends_with_a_clean_verify(fresh_database_url: str) -> None:
    result = punchcard(fresh_database_url, "demo", "--customers", "40", "--workers", "4",
                       "--tenant", "demo-e2e")  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "verify: clean" in result.stdout
    assert "points outstanding (liability)" in result.stdout
    again = punchcard(fresh_database_url, "verify", "--tenant", "demo-e2e")
    assert again.returncode == 0 and "verify: clean" in again.stdout


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
    assert f"transaction {row[0]} (seal 1) differs from what was sealed" in result.stdout
    assert "DISCREPANCIES FOUND" in result.stdout


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["verify", "--tenant", "BAD TENANT"], {}, "error: invalid_tenant: tenant id 'BAD TENANT'"),
        (["seal"], {"PUNCHCARD_POOL_SIZE": "abc"}, "error: config: PUNCHCARD_POOL_SIZE must be"),
    ],
)
def test_bad_input_is_one_line_and_a_non_zero_exit(
    fresh_database_url: str, args: list[str], env: dict[str, str], message: str
) -> None:
    result = punchcard(fresh_database_url, *args, **env)
    assert result.returncode == 1
    assert result.stderr.startswith(message), result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_expire_holds_and_seal_report_counts(fresh_database_url: str) -> None:
    assert "expired 0 hold(s)" in punchcard(fresh_database_url, "expire-holds").stdout
    assert "sealed 0 transaction(s)" in punchcard(fresh_database_url, "seal").stdout
