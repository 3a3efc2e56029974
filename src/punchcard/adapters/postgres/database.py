"""The one PostgreSQL punchcard uses: a connection pool, embedded or external.

This package is the only place that imports psycopg. Connections use the
``punchcard`` schema and start in a transaction that the unit of work commits.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg_pool import ConnectionPool

from punchcard.adapters.postgres import migrations
from punchcard.adapters.postgres.arrays import FlatListBinaryDumper
from punchcard.adapters.postgres.embedded import EmbeddedPostgres
from punchcard.adapters.postgres.types import Connection
from punchcard.config import Settings

_OPEN = (psycopg.pq.TransactionStatus.INTRANS, psycopg.pq.TransactionStatus.INERROR)


class Database:
    def __init__(
        self, url: str, *, pool_size: int = 20, embedded: EmbeddedPostgres | None = None
    ) -> None:
        self.url = url
        self._embedded = embedded
        self.pool: ConnectionPool[Connection] = ConnectionPool(
            url,
            min_size=1,
            max_size=pool_size,
            kwargs={"options": f"-c search_path={migrations.SCHEMA} -c TimeZone=UTC"},
            configure=_configure,
            open=True,
            name="punchcard",
        )

    @classmethod
    def open(cls, settings: Settings) -> Database:
        """Connect to PUNCHCARD_DATABASE_URL, or start the embedded server."""
        if settings.database_url:
            return cls(settings.database_url, pool_size=settings.pool_size)
        embedded = EmbeddedPostgres(settings.pgdata.resolve())
        url = embedded.start()
        return cls(url, pool_size=settings.pool_size, embedded=embedded)

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """A pooled connection; whatever it leaves uncommitted is rolled back."""
        conn = self.pool.getconn()
        try:
            yield conn
        finally:
            # A broken connection (server gone) cannot roll back and must not hide the
            # error that broke it; the pool discards it on return.
            if not conn.broken and conn.info.transaction_status in _OPEN:
                conn.rollback()
            self.pool.putconn(conn)

    def migrate(self) -> list[migrations.Migration]:
        with psycopg.connect(self.url) as conn:
            return migrations.migrate(conn)

    def close(self) -> None:
        self.pool.close()
        if self._embedded is not None:
            self._embedded.stop()


def _configure(conn: Connection) -> None:
    conn.adapters.register_dumper(list, FlatListBinaryDumper)
