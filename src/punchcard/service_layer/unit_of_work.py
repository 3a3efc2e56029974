"""One use case, one database transaction, committed in exactly one place.

    with ledger.unit_of_work() as uow:
        result = uow.journal.post(Post(...))
        uow.commit()

Leaving the block without ``commit()`` rolls everything back. Deferred
constraints (the zero-sum trigger) run at commit, so ``commit()`` can raise.

Group commit (the batch path): ``uow.nested()`` is a unit of work inside
``uow``'s transaction, on its connection. Its ``commit()`` checks the deferred
constraints at once and releases a savepoint; leaving it without committing
rolls back to that savepoint only. Its after-commit callbacks (the account
cache) wait for the outer ``commit()``, the one that makes it all durable:

    with ledger.unit_of_work() as group:
        for cmd in commands:
            with group.nested() as uow:      # SAVEPOINT
                ...
                uow.commit()                 # checks, then RELEASE SAVEPOINT
        group.commit()                       # one COMMIT, one fsync, for them all
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
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
from punchcard.domain.model import Account

SAVEPOINT = "SAVEPOINT punchcard_unit"
# Deferred constraints fire when switched to IMMEDIATE, so a nested unit is checked
# before its savepoint goes; switching back keeps the next unit's legs deferred.
RELEASE = (
    "SET CONSTRAINTS ALL IMMEDIATE; SET CONSTRAINTS ALL DEFERRED; RELEASE SAVEPOINT punchcard_unit"
)
ROLLBACK = "ROLLBACK TO SAVEPOINT punchcard_unit; RELEASE SAVEPOINT punchcard_unit"


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
        self._uncommitted: _Uncommitted | None = None

    @property
    def max_backdate(self) -> timedelta:
        """How far back a write's effective time may go (PUNCHCARD_MAX_BACKDATE_DAYS)."""
        return self._max_backdate

    def __enter__(self) -> Self:
        self._scope = self._database.connection()
        self._attach(self._scope.__enter__(), self._catalog)
        return self

    def _attach(self, connection: Connection, catalog: Catalog) -> None:
        self.connection = connection
        self.reads = LedgerReads(self.connection)
        self.journal = Journal(
            self.connection,
            catalog,
            self.reads,
            clock=self._clock,
            max_backdate=self._max_backdate,
            after_commit=self._after_commit.append,
        )

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
        self._uncommitted = None

    def nested(self) -> UnitOfWork:
        """A unit of work in a savepoint of this one's transaction (enter this one first)."""
        if self._uncommitted is None:
            self._uncommitted = _Uncommitted(self._catalog)
        return _Savepoint(self, self._uncommitted)


class _Savepoint(UnitOfWork):
    def __init__(self, outer: UnitOfWork, accounts: _Uncommitted) -> None:
        super().__init__(
            outer._database, outer._catalog, clock=outer._clock, max_backdate=outer._max_backdate
        )
        self._outer = outer
        self._uncommitted = _Uncommitted(accounts.committed, accounts)
        self._open = False

    def __enter__(self) -> Self:
        connection = self._outer.connection
        with translated():
            connection.execute(SAVEPOINT)
        self._open = True
        assert self._uncommitted is not None
        self._attach(connection, self._uncommitted)
        return self

    def commit(self) -> None:
        with translated():
            self.connection.execute(RELEASE)
        self._open = False
        self._outer._after_commit.extend(self._after_commit)
        self._after_commit.clear()
        assert self._uncommitted is not None
        self._uncommitted.keep()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._open and not self.connection.broken:
            with translated():
                self.connection.execute(ROLLBACK)
        self._open = False

    def nested(self) -> UnitOfWork:
        assert self._uncommitted is not None
        return _Savepoint(self, self._uncommitted)


class _Uncommitted(Catalog):
    """The account catalog as seen from inside a transaction that has not committed.

    Accounts this transaction resolved (some it created) are answered from here
    and never asked of the process cache again, which would take a row it can see
    for a committed one; a savepoint hands its accounts to its parent when it is
    released and forgets them when it is rolled back.
    """

    def __init__(self, committed: Catalog, parent: _Uncommitted | None = None) -> None:
        super().__init__()
        self.committed = committed
        self._parent = parent
        self._seen: dict[tuple[str, str], Account] = {}

    def require_tenant(self, conn: Connection, tenant: str) -> None:
        self.committed.require_tenant(conn, tenant)

    def require_assets(self, conn: Connection, tenant: str, codes: Iterable[str]) -> None:
        self.committed.require_assets(conn, tenant, codes)

    def resolve_accounts(
        self,
        conn: Connection,
        tenant: str,
        addresses: Iterable[str],
        after_commit: Callable[[Callable[[], None]], None],
    ) -> dict[str, Account]:
        found: dict[str, Account] = {}
        rest: list[str] = []
        for address in addresses:
            seen = self._lookup((tenant, address))
            if seen is None:
                rest.append(address)
            else:
                found[address] = seen
        if rest:
            resolved = self.committed.resolve_accounts(conn, tenant, rest, after_commit)
            self._seen |= {(tenant, address): account for address, account in resolved.items()}
            found |= resolved
        return found

    def _lookup(self, key: tuple[str, str]) -> Account | None:
        layer: _Uncommitted | None = self
        while layer is not None:
            if key in layer._seen:
                return layer._seen[key]
            layer = layer._parent
        return None

    def keep(self) -> None:
        if self._parent is not None:
            self._parent._seen |= self._seen
        self._seen = {}
