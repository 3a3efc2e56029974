"""The database defends the invariants itself: each rule refuses a violating write,
even one that bypasses the engine and speaks SQL directly."""

from __future__ import annotations

import psycopg
import pytest

from punchcard import Ledger, Posting
from punchcard.adapters.postgres.errors import translated
from punchcard.domain import errors


@pytest.fixture
def posted(ledger: Ledger, tenant: str) -> int:
    result = ledger.post(
        tenant, [Posting("program:issuance", "customer:a:points", "PTS", 100)],
        idempotency_key="seed",
    )  # fmt: skip
    return result.transaction.id


def _ids(conn: psycopg.Connection, tenant: str) -> tuple[int, int]:
    rows: dict[str, int] = dict(
        conn.execute("SELECT address, id FROM accounts WHERE tenant_id = %s", (tenant,))
    )
    return rows["program:issuance"], rows["customer:a:points"]


def _new_transaction(conn: psycopg.Connection, tenant: str, key: str) -> int:
    row = conn.execute(
        "INSERT INTO transactions (tenant_id, kind, idempotency_key, request_hash, effective_at)"
        " VALUES (%s, 'post', %s, %s, now()) RETURNING id",
        (tenant, key, bytes(32)),
    ).fetchone()
    assert row is not None
    return int(row[0])


def test_amounts_must_be_positive(ledger: Ledger, tenant: str, posted: int) -> None:
    with ledger.database.connection() as conn:
        issuance, _ = _ids(conn, tenant)
        txn = _new_transaction(conn, tenant, "zero")
        with pytest.raises(errors.InvalidAmount), translated():
            conn.execute(
                "INSERT INTO entries VALUES (%s, %s, 0, false, %s, 'PTS', 0, now())",
                (tenant, txn, issuance),
            )


def test_an_unbalanced_transaction_is_refused_at_commit(
    ledger: Ledger, tenant: str, posted: int
) -> None:
    with ledger.database.connection() as conn:
        issuance, customer = _ids(conn, tenant)
        txn = _new_transaction(conn, tenant, "unbalanced")
        conn.execute(
            "INSERT INTO entries VALUES (%s, %s, 0, false, %s, 'PTS', 10, now()),"
            " (%s, %s, 0, true, %s, 'PTS', 9, now())",
            (tenant, txn, issuance, tenant, txn, customer),
        )  # accepted for now: the check is deferred to COMMIT
        with (
            pytest.raises(errors.UnbalancedTransaction, match="does not sum to zero"),
            translated(),
        ):
            conn.commit()
        assert conn.execute(
            "SELECT count(*) FROM transactions WHERE id = %s", (txn,)
        ).fetchone() == (0,)


def test_the_zero_sum_check_works_from_any_session(
    database_url: str, tenant: str, posted: int
) -> None:
    """The deferred trigger must not depend on the committing session's search_path."""
    with psycopg.connect(database_url) as conn:  # default search_path, no "punchcard"
        row = conn.execute(
            "INSERT INTO punchcard.transactions"
            " (tenant_id, kind, idempotency_key, request_hash, effective_at)"
            " VALUES (%s, 'post', 'plain-sql', %s, now()) RETURNING id",
            (tenant, bytes(32)),
        ).fetchone()
        assert row is not None
        conn.execute(
            "INSERT INTO punchcard.entries SELECT %s, %s, 0, false, a.id, 'PTS', 5, now()"
            " FROM punchcard.accounts a WHERE a.tenant_id = %s LIMIT 1",
            (tenant, row[0], tenant),
        )
        with pytest.raises(psycopg.errors.CheckViolation, match="does not sum to zero"):
            conn.commit()


def test_balance_per_asset_not_just_in_total(ledger: Ledger, tenant: str, posted: int) -> None:
    with ledger.database.connection() as conn:
        issuance, customer = _ids(conn, tenant)
        txn = _new_transaction(conn, tenant, "cross-asset")
        conn.execute(
            "INSERT INTO entries VALUES (%s, %s, 0, false, %s, 'PTS', 10, now()),"
            " (%s, %s, 0, true, %s, 'USD', 10, now())",
            (tenant, txn, issuance, tenant, txn, customer),
        )
        with pytest.raises(errors.UnbalancedTransaction), translated():
            conn.commit()


@pytest.mark.parametrize(
    ("table", "where"),
    [
        ("transactions", "id = %(txn)s"),
        ("entries", "transaction_id = %(txn)s"),
        ("accounts", "address = 'customer:a:points'"),
        ("assets", "code = 'PTS'"),
        ("seals", "transaction_id = %(txn)s"),
    ],
)
@pytest.mark.parametrize(
    "statement", ["UPDATE {table} SET tenant_id = tenant_id", "DELETE FROM {table}"]
)
def test_journal_tables_refuse_update_and_delete(
    ledger: Ledger, tenant: str, posted: int, table: str, where: str, statement: str
) -> None:
    ledger.seal()
    with ledger.database.connection() as conn:
        count = f"SELECT count(*) FROM {table} WHERE tenant_id = %(tenant)s AND {where}"
        params = {"tenant": tenant, "txn": posted}
        assert conn.execute(count, params).fetchone() == (1,) or table == "entries"
        with pytest.raises(errors.ImmutableRecord, match="append-only"), translated():
            conn.execute(
                statement.format(table=table) + f" WHERE tenant_id = %(tenant)s AND {where}", params
            )


@pytest.mark.parametrize(
    "table", ["transactions", "entries", "holds", "seals", "accounts", "assets"]
)
def test_journal_tables_refuse_truncate(ledger: Ledger, table: str) -> None:
    with ledger.database.connection() as conn, pytest.raises(errors.ImmutableRecord), translated():
        conn.execute(f"TRUNCATE {table} CASCADE")


def test_a_hold_is_resolved_at_most_once_even_in_sql(
    ledger: Ledger, tenant: str, posted: int
) -> None:
    hold = ledger.hold(
        tenant, Posting("customer:a:points", "program:redeemed", "PTS", 10), idempotency_key="h"
    ).hold
    ledger.void(tenant, hold.id, idempotency_key="v")
    with ledger.database.connection() as conn:
        with pytest.raises(errors.ImmutableRecord), translated():
            conn.execute(
                "UPDATE holds SET resolved_by = %s WHERE tenant_id = %s AND transaction_id = %s",
                (posted, tenant, hold.id),
            )
        conn.rollback()
        with pytest.raises(errors.ImmutableRecord), translated():
            conn.execute(
                "UPDATE holds SET amount = 1 WHERE tenant_id = %s AND transaction_id = %s",
                (tenant, hold.id),
            )
        conn.rollback()
        with pytest.raises(errors.HoldAlreadyResolved), translated():
            conn.execute(
                "INSERT INTO transactions (tenant_id, kind, idempotency_key, request_hash,"
                " effective_at, hold_id) VALUES (%s, 'void', 'again', %s, now(), %s)",
                (tenant, bytes(32), hold.id),
            )


def test_the_overdraft_guard_holds_in_sql(ledger: Ledger, tenant: str, posted: int) -> None:
    with ledger.database.connection() as conn:
        _, customer = _ids(conn, tenant)
        with pytest.raises(errors.InsufficientFunds), translated():
            conn.execute(
                "UPDATE balances SET posted_debits = posted_debits + 101"
                " WHERE tenant_id = %s AND account_id = %s",
                (tenant, customer),
            )


def test_unknown_hold_and_transaction_references_are_refused(ledger: Ledger, tenant: str) -> None:
    with pytest.raises(errors.UnknownHold):
        ledger.void(tenant, 999_999_999, idempotency_key="void-nothing")
    with pytest.raises(errors.UnknownTransaction):
        ledger.reverse(tenant, 999_999_999, idempotency_key="reverse-nothing")


_CHANGED = {
    "text": "{column} || 'x'",
    "bytea": "sha256({column})",
    "timestamp with time zone": "{column} + interval '1 second'",
}


def test_an_operation_is_finished_once_and_no_other_column_changes(
    ledger: Ledger, tenant: str
) -> None:
    """The operations guard lets one UPDATE write the result (and inputs) of an
    unfinished operation and nothing else: each other column, changed alongside the
    result, is refused; so is a second result. Every column of the table is tried,
    so a column added later must be known to the guard (and to this test)."""
    with ledger.database.connection() as conn:
        columns = conn.execute(
            "SELECT column_name, data_type, is_identity FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = 'operations'"
            " AND column_name NOT IN ('result', 'inputs') ORDER BY ordinal_position"
        ).fetchall()
        assert {c for c, _, _ in columns} >= {"tenant_id", "id", "idempotency_key", "kind"}
        row = conn.execute(
            "INSERT INTO operations (tenant_id, idempotency_key, kind, request_hash)"
            " VALUES (%s, 'guarded', 'Test', %s) RETURNING id",
            (tenant, bytes(32)),
        ).fetchone()
        assert row is not None
        conn.commit()
        where = " WHERE tenant_id = %(tenant)s AND id = %(id)s"
        params = {"tenant": tenant, "id": row[0]}
        for column, data_type, identity in columns:
            if identity == "YES":
                change = "DEFAULT"
            else:
                assert data_type in _CHANGED, f"no change for {column} ({data_type}) here"
                change = _CHANGED[data_type].format(column=column)
            statement = f"UPDATE operations SET result = '{{}}', {column} = {change}" + where
            with pytest.raises(errors.ImmutableRecord, match="append-only"), translated():
                conn.execute(statement, params)
            conn.rollback()
        finish = "UPDATE operations SET result = '{}', inputs = '{}'" + where
        conn.execute(finish, params)
        conn.commit()
        with pytest.raises(errors.ImmutableRecord, match="append-only"), translated():
            conn.execute(finish, params)
