"""Test fixtures: a real PostgreSQL, real commits, a fresh tenant per test.

The server is the embedded one (pgserver, PostgreSQL 16) unless
PUNCHCARD_TEST_DATABASE_URL names another; .ci/run uses that to run the database
tests again on a stock PostgreSQL 15. A migrated template database is built once
per session; most tests share one clone of it and isolate themselves by tenant,
while tests that tamper with rows or the schema get a clone of their own.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

from punchcard import AccountPolicy, Ledger
from punchcard.adapters.postgres.database import Database
from punchcard.adapters.postgres.embedded import EmbeddedPostgres
from punchcard.domain.loyalty.programme import Programme, default_programme
from punchcard.service_layer.loyalty.facade import Loyalty

RUN = f"{os.getpid()}_{uuid.uuid4().hex[:6]}"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that reaches the server is marked ``db`` (``make test-db`` runs those)."""
    for item in items:
        if "pg_admin_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.db)


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    url = os.environ.get("PUNCHCARD_TEST_DATABASE_URL")
    if url:
        yield url
        return
    # Not under pytest's basetemp: a second pytest run deletes all but the newest
    # three basetemps, and with them a running server's data folder.
    folder = Path(tempfile.mkdtemp(prefix="punchcard-test-pg-"))
    server = EmbeddedPostgres(folder / "pgdata", delete_on_stop=True)
    server.start()
    try:
        yield server.admin_url()
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


def _admin(url: str, statement: sql.Composed) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(statement)


def clone(admin_url: str, template: str, name: str) -> str:
    _admin(
        admin_url,
        sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
            sql.Identifier(name), sql.Identifier(template)
        ),
    )
    return make_conninfo(admin_url, dbname=name)


def drop(admin_url: str, name: str) -> None:
    _admin(
        admin_url, sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    )


@pytest.fixture(scope="session")
def template_db(pg_admin_url: str) -> Iterator[str]:
    """A database with every migration applied, to clone from."""
    name = f"punchcard_tmpl_{RUN}"
    _admin(pg_admin_url, sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    database = Database(make_conninfo(pg_admin_url, dbname=name), pool_size=1)
    database.migrate()
    database.close()
    yield name
    drop(pg_admin_url, name)


@pytest.fixture(scope="session")
def database_url(pg_admin_url: str, template_db: str) -> Iterator[str]:
    name = f"punchcard_test_{RUN}"
    url = clone(pg_admin_url, template_db, name)
    yield url
    drop(pg_admin_url, name)


@pytest.fixture
def fresh_database_url(pg_admin_url: str, template_db: str) -> Iterator[str]:
    """A migrated database of this test's own, for tests that tamper with it."""
    name = f"punchcard_own_{RUN}_{uuid.uuid4().hex[:8]}"
    url = clone(pg_admin_url, template_db, name)
    yield url
    drop(pg_admin_url, name)


@pytest.fixture(scope="session")
def shared_database(database_url: str) -> Iterator[Database]:
    database = Database(database_url, pool_size=40)
    yield database
    database.close()


@pytest.fixture(scope="session")
def ledger(shared_database: Database) -> Ledger:
    return Ledger(shared_database)


_tenants = itertools.count(1)


def setup_tenant(ledger: Ledger, prefix: str = "t") -> str:
    """A tenant with PTS (precision 0) and USD (precision 2); program:** and
    partner:** are unbounded system accounts, customer:** the bounded default."""
    tenant = f"{prefix}{next(_tenants)}-{uuid.uuid4().hex[:8]}"
    ledger.create_tenant(tenant)
    ledger.create_asset(tenant, "PTS", precision=0)
    ledger.create_asset(tenant, "USD", precision=2)
    ledger.set_account_policy(tenant, "program:**", AccountPolicy.system())
    ledger.set_account_policy(tenant, "partner:**", AccountPolicy.system())
    return tenant


@pytest.fixture
def tenant(ledger: Ledger) -> str:
    return setup_tenant(ledger)


class FakeClock:
    """A clock tests move by hand (hold expiry, backdating)."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def clocked_ledger(shared_database: Database, clock: FakeClock) -> Ledger:
    """The shared database seen through a ledger whose clock the test controls."""
    return Ledger(shared_database, clock=clock)


@pytest.fixture
def keys() -> Callable[[str], str]:
    """Unique idempotency keys: keys('earn') -> 'earn-<uuid>'."""

    def key(prefix: str = "k") -> str:
        return f"{prefix}-{uuid.uuid4().hex}"

    return key


# -- the loyalty programme ---------------------------------------------------------------


@pytest.fixture(scope="session")
def loyalty(ledger: Ledger) -> Loyalty:
    """The loyalty API over the shared test database (real clock)."""
    return Loyalty(ledger)


@pytest.fixture
def clocked_loyalty(clocked_ledger: Ledger) -> Loyalty:
    """The loyalty API with the test's FakeClock (``clock``)."""
    return Loyalty(clocked_ledger)


def setup_programme(loyalty: Loyalty, programme: Programme | None = None, prefix: str = "p") -> str:
    """A new tenant running ``programme`` (default: the seed programme with no pending
    period, so purchase points are spendable at once)."""
    tenant = f"{prefix}{next(_tenants)}-{uuid.uuid4().hex[:8]}"
    chosen = programme or dataclasses.replace(default_programme(), pending_days=0)
    loyalty.create_programme(tenant, chosen)
    return tenant


@pytest.fixture
def programme_tenant(loyalty: Loyalty) -> str:
    return setup_programme(loyalty)
