"""One use case, one database transaction, committed in exactly one place.

    with ledger.unit_of_work() as uow:
        result = uow.journal.post(Post(...))
        uow.commit()

Leaving the block without ``commit()`` rolls everything back. Deferred
constraints (the zero-sum trigger) run at commit, so ``commit()`` can raise.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from types import TracebackType
from typing import Self

from punchcard.adapters.postgres.catalog import Catalog
from punchcard.adapters.postgres.database import Database
from punchcard.adapters.postgres.errors import translated
from punchcard.adapters.postgres.journal import Journal
from punchcard.adapters.postgres.reads import LedgerReads
from punchcard.adapters.postgres.types import Connection


class UnitOfWork:
    journal: Journal
    reads: LedgerReads

    def __init__(
        self,
        database: Database,
        catalog: Catalog,
        *,
        clock: Callable[[], datetime],
        max_backdate: timedelta,
    ) -> None:
        self._database = database
        self._catalog = catalog
        self._clock = clock
        self._max_backdate = max_backdate
        self._after_commit: list[Callable[[], None]] = []
        self._committed = False
        self._scope: AbstractContextManager[Connection] | None = None

    def __enter__(self) -> Self:
        self._scope = self._database.connection()
        self.connection = self._scope.__enter__()
        self.reads = LedgerReads(self.connection)
        self.journal = Journal(
            self.connection,
            self._catalog,
            self.reads,
            clock=self._clock,
            max_backdate=self._max_backdate,
            after_commit=self._after_commit.append,
        )
        return self

    def commit(self) -> None:
        with translated():
            self.connection.commit()
        self._committed = True
        for callback in self._after_commit:
            callback()
        self._after_commit.clear()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._scope is not None
        self._scope.__exit__(exc_type, exc, tb)  # rolls back what was not committed
        self._scope = None
