"""The benchmark's bulk loader writes a tenant that `punchcard verify` finds clean.

``bench.loader`` fills the real tables with INSERT … SELECT, in bulk mode with
triggers and foreign keys off for its session; these tests load a small tenant
both ways (bulk, and checked with every trigger firing) across several chunks,
and check that verify passes, that each customer's balance is its lots and its
postings, and that the tables' guards are still in force afterwards.
"""

from __future__ import annotations

import psycopg
import pytest
from bench import loader

from punchcard.adapters.postgres.database import Database
from punchcard.config import Settings
from punchcard.service_layer import integrity
from punchcard.service_layer.loyalty.facade import Loyalty

CUSTOMERS = 250
POSTINGS = 2_500


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loader, "CHUNK_CUSTOMERS", 100)  # three chunks, the last one short


@pytest.mark.usefixtures("small_chunks")
@pytest.mark.parametrize("checked", [False, True], ids=["bulk", "checked"])
def test_loaded_tenant_passes_verify(fresh_database_url: str, checked: bool) -> None:
    done = loader.load(fresh_database_url, "bench-load", CUSTOMERS, POSTINGS, checked=checked)
    assert (done.customers, done.postings, done.checked) == (CUSTOMERS, POSTINGS, checked)

    database = Database(fresh_database_url, pool_size=1)
    try:
        report = integrity.verify(database, tenant="bench-load")
    finally:
        database.close()
    failed = [(c.name, c.problems) for t in report.tenants for c in t.checks if not c.ok]
    assert report.ok, failed

    with psycopg.connect(fresh_database_url, options="-c search_path=punchcard") as conn:
        counts = {
            table: conn.execute(
                psycopg.sql.SQL("SELECT count(*) FROM {} WHERE tenant_id = 'bench-load'").format(
                    psycopg.sql.Identifier(table)
                )
            ).fetchone()
            for table in ("customers", "transactions", "entries", "lots")
        }
        assert counts == {
            "customers": (CUSTOMERS,), "transactions": (POSTINGS,),
            "entries": (2 * POSTINGS,), "lots": (POSTINGS,),
        }  # fmt: skip
        per_customer = conn.execute(
            "SELECT count(*), min(n), max(n) FROM (SELECT count(*) AS n FROM lots"
            " WHERE tenant_id = 'bench-load' GROUP BY customer_id) x"
        ).fetchone()
        assert per_customer == (CUSTOMERS, POSTINGS // CUSTOMERS, POSTINGS // CUSTOMERS)
        lots_of_7 = conn.execute(
            "SELECT sum(remaining) FROM lots WHERE tenant_id = 'bench-load'"
            " AND customer_id = 'cus_load7'"
        ).fetchone()
        # The guards are still there: the loader switched them off for its own session only.
        with pytest.raises(psycopg.ProgrammingError, match="append-only"):
            conn.execute("UPDATE transactions SET metadata = '{}' WHERE tenant_id = 'bench-load'")

    with Loyalty.open(Settings(database_url=fresh_database_url, pool_size=1)) as loyalty:
        balance = loyalty.balance("bench-load", done.customer_id(7))
    assert lots_of_7 is not None
    assert balance.available == balance.spendable == lots_of_7[0] > 0
