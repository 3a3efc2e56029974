"""The ledger engine's Python API: each call is one unit of work.

    with Ledger.open() as ledger:                     # embedded PostgreSQL unless
        ledger.create_tenant("acme")                  # PUNCHCARD_DATABASE_URL is set
        ledger.create_asset("acme", "PTS", precision=0)
        ledger.set_account_policy("acme", "program:**", AccountPolicy.system())
        ledger.post("acme", [Posting("program:issuance", "customer:c1:points", "PTS", 100)],
                    idempotency_key="order-1001")

Use cases that must write more than one thing atomically use
``ledger.unit_of_work()`` and the commands in ``punchcard.domain.commands``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Self

from punchcard.adapters.postgres.catalog import Catalog
from punchcard.adapters.postgres.database import Database
from punchcard.adapters.postgres.setup import SetupStore
from punchcard.config import Settings
from punchcard.domain import commands, policies, validation
from punchcard.domain.cursors import HistoryCursor
from punchcard.domain.errors import AlreadyExists, InvalidRequest
from punchcard.domain.model import (
    AccountPolicy,
    Asset,
    Balance,
    Entry,
    Hold,
    HoldResult,
    Page,
    Posting,
    PostResult,
    Transaction,
)
from punchcard.domain.verification import SealReport, VerificationReport
from punchcard.service_layer import integrity
from punchcard.service_layer.unit_of_work import UnitOfWork

MAX_PAGE = 500


def utc_now() -> datetime:
    return datetime.now(UTC)


class Ledger:
    def __init__(
        self,
        database: Database,
        *,
        clock: Callable[[], datetime] = utc_now,
        max_backdate: timedelta = timedelta(days=30),
        settings: Settings | None = None,
    ) -> None:
        self.database = database
        self.settings = settings or Settings()
        """What the ledger was opened with (the workers read their settings here)."""
        self.clock = clock
        self._max_backdate = max_backdate
        self._catalog = Catalog()

    @classmethod
    def open(cls, settings: Settings | None = None, *, migrate: bool = True) -> Ledger:
        settings = settings or Settings.from_env()
        database = Database.open(settings)
        if migrate:
            database.migrate()
        return cls(database, max_backdate=settings.max_backdate, settings=settings)

    def close(self) -> None:
        self.database.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(
            self.database, self._catalog, clock=self.clock, max_backdate=self._max_backdate
        )

    # -- set-up (idempotent by natural key)

    def create_tenant(self, tenant: str, name: str | None = None) -> None:
        validation.tenant_id(tenant)
        with self.database.connection() as conn:
            SetupStore(conn).add_tenant(tenant, name or tenant)
            conn.commit()

    def create_asset(self, tenant: str, code: str, *, precision: int) -> Asset:
        """Define an asset; defining it again with the same precision is a no-op."""
        validation.tenant_id(tenant)
        validation.asset_code(code)
        validation.precision(precision)
        with self.database.connection() as conn:
            stored = SetupStore(conn).add_asset(tenant, code, precision)
            conn.commit()
        if stored != precision:
            raise AlreadyExists(
                f"asset {code} already exists in tenant {tenant!r} with precision {stored}"
            )
        return Asset(code, precision)

    def set_account_policy(self, tenant: str, pattern: str, policy: AccountPolicy) -> None:
        """Choose the policy of accounts first used from now on whose address matches."""
        validation.tenant_id(tenant)
        policies.validate_pattern(pattern)
        policies.validate_policy(policy)
        with self.database.connection() as conn:
            SetupStore(conn).set_policy(tenant, pattern, policy)
            conn.commit()

    # -- writes

    def post(
        self,
        tenant: str,
        postings: Sequence[Posting],
        *,
        idempotency_key: str,
        metadata: Mapping[str, object] | None = None,
        effective_at: datetime | None = None,
    ) -> PostResult:
        cmd = commands.Post(
            tenant=tenant, postings=postings, idempotency_key=idempotency_key,
            metadata=metadata or {}, effective_at=effective_at,
        )  # fmt: skip
        with self.unit_of_work() as uow:
            result = uow.journal.post(cmd)
            uow.commit()
        return result

    def hold(
        self,
        tenant: str,
        posting: Posting,
        *,
        idempotency_key: str,
        expires_at: datetime | None = None,
        timeout: timedelta | None = None,
        metadata: Mapping[str, object] | None = None,
    ) -> HoldResult:
        cmd = commands.PlaceHold(
            tenant=tenant, posting=posting, idempotency_key=idempotency_key,
            expires_at=expires_at, timeout=timeout, metadata=metadata or {},
        )  # fmt: skip
        with self.unit_of_work() as uow:
            result = uow.journal.hold(cmd)
            uow.commit()
        return result

    def capture(
        self,
        tenant: str,
        hold_id: int,
        *,
        idempotency_key: str,
        amount: int | None = None,
        metadata: Mapping[str, object] | None = None,
    ) -> PostResult:
        cmd = commands.CaptureHold(
            tenant=tenant, hold_id=hold_id, amount=amount, idempotency_key=idempotency_key,
            metadata=metadata or {},
        )  # fmt: skip
        with self.unit_of_work() as uow:
            result = uow.journal.capture(cmd)
            uow.commit()
        return result

    def void(
        self,
        tenant: str,
        hold_id: int,
        *,
        idempotency_key: str,
        metadata: Mapping[str, object] | None = None,
    ) -> PostResult:
        cmd = commands.VoidHold(
            tenant=tenant, hold_id=hold_id, idempotency_key=idempotency_key,
            metadata=metadata or {},
        )  # fmt: skip
        with self.unit_of_work() as uow:
            result = uow.journal.void(cmd)
            uow.commit()
        return result

    def reverse(
        self,
        tenant: str,
        transaction_id: int,
        *,
        idempotency_key: str,
        amount: int | None = None,
        metadata: Mapping[str, object] | None = None,
    ) -> PostResult:
        cmd = commands.Reverse(
            tenant=tenant, transaction_id=transaction_id, amount=amount,
            idempotency_key=idempotency_key, metadata=metadata or {},
        )  # fmt: skip
        with self.unit_of_work() as uow:
            result = uow.journal.reverse(cmd)
            uow.commit()
        return result

    def expire_holds(self, *, limit: int = 1000) -> int:
        """Void every hold whose expiry has passed; safe to run from several workers."""
        return integrity.expire_holds(self, limit=limit)

    # -- reads

    def balance(
        self, tenant: str, address: str, asset: str, *, as_of: datetime | None = None
    ) -> Balance:
        validation.address(address)
        validation.asset_code(asset)
        with self.unit_of_work() as uow:
            if as_of is None:
                return uow.reads.balance(tenant, address, asset)
            validation.aware_time(as_of, what="as_of")
            return uow.reads.balance_as_of(tenant, address, asset, as_of)

    def history(
        self,
        tenant: str,
        address: str,
        asset: str,
        *,
        limit: int = 50,
        starting_after: str | None = None,
    ) -> Page[Entry]:
        """Entries of one account in one asset, newest effective time first."""
        validation.address(address)
        validation.asset_code(asset)
        if isinstance(limit, bool) or not isinstance(limit, int) or not 0 < limit <= MAX_PAGE:
            raise InvalidRequest(f"limit must be an integer from 1 to {MAX_PAGE}")
        after = HistoryCursor.decode(starting_after) if starting_after else None
        with self.unit_of_work() as uow:
            return uow.reads.history(tenant, address, asset, limit=limit, after=after)

    def transaction(self, tenant: str, transaction_id: int) -> Transaction:
        with self.unit_of_work() as uow:
            return uow.reads.transaction(tenant, transaction_id)

    def get_hold(self, tenant: str, hold_id: int) -> Hold:
        with self.unit_of_work() as uow:
            return uow.reads.hold(tenant, hold_id)

    # -- integrity

    def seal(self, *, batch_size: int = 1000) -> SealReport:
        return integrity.seal(self.database, batch_size=batch_size)

    def verify(self, *, tenant: str | None = None) -> VerificationReport:
        return integrity.verify(self.database, tenant=tenant)
