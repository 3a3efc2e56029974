"""The seal chain: batches after commit, late committers included, tampering named."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from punchcard import Ledger, Posting
from punchcard.adapters.postgres.database import Database
from punchcard.domain.commands import Post
from tests.conftest import setup_tenant


@pytest.fixture
def own_ledger(fresh_database_url: str) -> Iterator[Ledger]:
    database = Database(fresh_database_url, pool_size=4)
    yield Ledger(database)
    database.close()


def _earn(ledger: Ledger, tenant: str, n: int) -> int:
    return ledger.post(
        tenant, [Posting("program:issuance", f"customer:c{n}:points", "PTS", 10 + n)],
        idempotency_key=f"earn-{n}", metadata={"n": n},
    ).transaction.id  # fmt: skip


def _tamper(url: str, statement: str, *params: object) -> None:
    """What an attacker with superuser SQL can do: bypass every trigger."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")
        conn.execute("SET search_path = punchcard")
        with conn.transaction():
            for part, count in _split(statement):
                conn.execute(part, params[:count])
                params = params[count:]


def _split(statement: str) -> list[tuple[str, int]]:
    parts = [p.strip() for p in statement.split(";") if p.strip()]
    return [(p, p.count("%s")) for p in parts]


def _problems(ledger: Ledger) -> list[str]:
    report = ledger.verify()
    return report.problems


def test_a_clean_ledger_verifies(own_ledger: Ledger) -> None:
    tenant = setup_tenant(own_ledger)
    ids = [_earn(own_ledger, tenant, n) for n in range(25)]
    assert own_ledger.seal(batch_size=7).sealed == 25
    assert _sealed(own_ledger) == ids
    assert own_ledger.seal().sealed == 0
    report = own_ledger.verify()
    assert report.ok, report.problems
    assert report.tenants[0].head_seq == 25


def test_a_late_committer_is_sealed_not_skipped(own_ledger: Ledger) -> None:
    tenant = setup_tenant(own_ledger)
    # Accounts are created here: first use inside the slow transaction below would make
    # the quick writers wait for it.
    first = [_earn(own_ledger, tenant, n) for n in range(3)]
    assert own_ledger.seal().sealed == 3
    with own_ledger.unit_of_work() as slow:
        # Claims a lower xid than the writes below, but commits last.
        late = slow.journal.post(
            Post(tenant=tenant, idempotency_key="slow",
                 postings=[Posting("program:issuance", "customer:c0:points", "PTS", 1)])
        ).transaction.id  # fmt: skip
        quick = [_earn(own_ledger, tenant, n) for n in range(3, 6)]
        # The quick ones committed, but the chain may not pass the open transaction.
        assert own_ledger.seal().sealed == 0
        slow.commit()
    assert own_ledger.seal().sealed == 4
    assert _sealed(own_ledger) == [*first, late, *quick]
    assert own_ledger.verify().ok


def _sealed(ledger: Ledger) -> list[int]:
    with ledger.database.connection() as conn:
        return [t for (t,) in conn.execute("SELECT transaction_id FROM seals ORDER BY seq")]


def test_a_changed_amount_is_named(own_ledger: Ledger, fresh_database_url: str) -> None:
    tenant = setup_tenant(own_ledger)
    ids = [_earn(own_ledger, tenant, n) for n in range(5)]
    own_ledger.seal()
    _tamper(fresh_database_url, "UPDATE entries SET amount = amount + 1 WHERE transaction_id = %s"
            " AND is_credit", ids[2])  # fmt: skip
    problems = _problems(own_ledger)
    assert any(f"transaction {ids[2]} (seal 3) differs" in p for p in problems), problems
    assert any(f"transaction {ids[2]} is off by 1 PTS" in p for p in problems), problems
    assert any("stored balances match the journal" in p for p in problems), problems


def test_changed_metadata_is_named(own_ledger: Ledger, fresh_database_url: str) -> None:
    tenant = setup_tenant(own_ledger)
    ids = [_earn(own_ledger, tenant, n) for n in range(3)]
    own_ledger.seal()
    _tamper(fresh_database_url, """UPDATE transactions SET metadata = '{"n": 99}' WHERE id = %s""",
            ids[0])  # fmt: skip
    problems = _problems(own_ledger)
    assert problems == [
        f"{tenant}: seal chain: transaction {ids[0]} (seal 1) differs from what was sealed"
    ]


def test_a_deleted_transaction_is_named(own_ledger: Ledger, fresh_database_url: str) -> None:
    tenant = setup_tenant(own_ledger)
    ids = [_earn(own_ledger, tenant, n) for n in range(4)]
    own_ledger.seal()
    _tamper(fresh_database_url, "DELETE FROM entries WHERE transaction_id = %s;"
            " DELETE FROM transactions WHERE id = %s", ids[1], ids[1])  # fmt: skip
    problems = _problems(own_ledger)
    assert any(f"transaction {ids[1]} (seal 2) is missing" in p for p in problems), problems


def test_a_removed_seal_is_named(own_ledger: Ledger, fresh_database_url: str) -> None:
    tenant = setup_tenant(own_ledger)
    for n in range(4):
        _earn(own_ledger, tenant, n)
    own_ledger.seal()
    _tamper(fresh_database_url, "DELETE FROM seals WHERE seq = 2")
    problems = _problems(own_ledger)
    assert any("seals 2-2 are missing" in p for p in problems), problems


def test_a_row_inserted_behind_the_seal_is_named(
    own_ledger: Ledger, fresh_database_url: str
) -> None:
    tenant = setup_tenant(own_ledger)
    ids = [_earn(own_ledger, tenant, n) for n in range(3)]
    own_ledger.seal()
    _tamper(
        fresh_database_url,
        "INSERT INTO transactions (tenant_id, id, kind, idempotency_key, request_hash,"
        " effective_at, xid) SELECT tenant_id, 9999999, kind, 'forged', request_hash,"
        " effective_at, xid FROM transactions WHERE id = %s",
        ids[0],
    )
    problems = _problems(own_ledger)
    assert any("transaction 9999999 is older than the sealed head" in p for p in problems), problems


def test_a_rewritten_balance_is_named(own_ledger: Ledger, fresh_database_url: str) -> None:
    tenant = setup_tenant(own_ledger)
    _earn(own_ledger, tenant, 1)
    own_ledger.seal()
    _tamper(fresh_database_url, "UPDATE balances SET posted_credits = 1000000"
            " WHERE slot = 0 AND NOT allow_negative")  # fmt: skip
    problems = _problems(own_ledger)
    assert any("customer:c1:points PTS: journal says posted -0/+11" in p for p in problems), (
        problems
    )


def test_sealing_order_is_numeric_across_a_power_of_ten(own_ledger: Ledger) -> None:
    """Regression: xids sorted as text put '1000' before '999' and skipped rows."""
    tenant = setup_tenant(own_ledger)
    _earn(own_ledger, tenant, 0)
    with own_ledger.database.connection() as conn:
        row = conn.execute("SELECT pg_current_xact_id()::text::bigint").fetchone()
        conn.rollback()
        assert row is not None
        boundary = 10 ** len(str(row[0]))
        gap = boundary - row[0] - 3
        if gap > 300_000:
            pytest.skip(f"xid {row[0]} is too far below {boundary} to cross it quickly")
        # Every subtransaction that writes takes an xid: burn them up to the boundary.
        conn.execute("CREATE TEMP TABLE burn (n int)")
        conn.execute(
            f"DO $$ BEGIN FOR i IN 1..{gap} LOOP BEGIN INSERT INTO burn VALUES (i);"
            " EXCEPTION WHEN others THEN NULL; END; END LOOP; END $$"
        )
        conn.commit()
    ids = [_earn(own_ledger, tenant, n) for n in range(1, 7)]
    assert own_ledger.seal().sealed == 7
    assert _sealed(own_ledger)[1:] == ids
    assert own_ledger.verify().ok
