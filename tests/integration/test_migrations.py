"""Migrations: from zero to the expected schema, idempotent, and protected from edits."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

from punchcard.adapters.postgres import migrations
from punchcard.adapters.postgres.migrations import Migration, MigrationError

from .schema_snapshot import describe

EXPECTED = Path(__file__).with_name("expected_schema.txt")


@pytest.fixture
def empty_database_url(pg_admin_url: str) -> Iterator[str]:
    name = f"punchcard_empty_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield make_conninfo(pg_admin_url, dbname=name)
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def test_fresh_database_migrates_to_the_expected_schema(empty_database_url: str) -> None:
    with psycopg.connect(empty_database_url) as conn:
        applied = migrations.migrate(conn)
        assert [m.version for m in applied] == [m.version for m in migrations.available()]
        schema = describe(conn)
    if os.environ.get("PUNCHCARD_UPDATE_SCHEMA") == "1":
        EXPECTED.write_text(schema)
    assert schema == EXPECTED.read_text(), (
        "the migrated schema differs from tests/integration/expected_schema.txt; if the change "
        "is intended, rerun with PUNCHCARD_UPDATE_SCHEMA=1 and review the diff"
    )


def test_migrating_twice_is_a_no_op(empty_database_url: str) -> None:
    with psycopg.connect(empty_database_url) as conn:
        migrations.migrate(conn)
        before = describe(conn)
        recorded = conn.execute(
            "SELECT version, checksum FROM punchcard.schema_migrations"
        ).fetchall()
        assert migrations.migrate(conn) == []
        assert migrations.pending(conn) == []
        assert describe(conn) == before
        again = conn.execute("SELECT version, checksum FROM punchcard.schema_migrations").fetchall()
        assert again == recorded


def test_an_edited_applied_migration_stops_the_run(
    empty_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with psycopg.connect(empty_database_url) as conn:
        migrations.migrate(conn)
        original = migrations.available()
        edited = [Migration(m.version, m.name, m.sql + "\n-- edited") for m in original]
        monkeypatch.setattr(migrations, "available", lambda: edited)
        with pytest.raises(MigrationError, match="changed after it was applied"):
            migrations.migrate(conn)


def test_a_failing_migration_leaves_no_trace(
    empty_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with psycopg.connect(empty_database_url) as conn:
        migrations.migrate(conn)
        broken = [
            *migrations.available(),
            Migration(99, "broken", "CREATE TABLE t (x int); SELECT 1/0;"),
        ]
        monkeypatch.setattr(migrations, "available", lambda: broken)
        with pytest.raises(psycopg.errors.DivisionByZero):
            migrations.migrate(conn)
        assert conn.execute("SELECT to_regclass('punchcard.t')").fetchone() == (None,)
        versions = [v for (v,) in conn.execute("SELECT version FROM punchcard.schema_migrations")]
        assert 99 not in versions
