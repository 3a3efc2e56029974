"""One loyalty operation, one database transaction.

    with loyalty.work() as w:
        ...                        # claim, lock, read, plan, write
        w.commit()

``run_operation`` is the shape every client-facing operation shares: claim the
idempotency key first (a replay stops there and returns the stored result),
do the work, record its events (the outbox), store the result beside the key,
commit once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, Self, TypeVar

from punchcard.adapters.postgres.loyalty.adjustments import AdjustmentStore
from punchcard.adapters.postgres.loyalty.bulk import BulkStore
from punchcard.adapters.postgres.loyalty.customers import CustomerStore, Profile
from punchcard.adapters.postgres.loyalty.lots import LotStore
from punchcard.adapters.postgres.loyalty.operations import OperationLog, Replay
from punchcard.adapters.postgres.loyalty.orders import OrderStore
from punchcard.adapters.postgres.loyalty.programmes import ProgrammeCache
from punchcard.adapters.postgres.outbox import Outbox
from punchcard.adapters.postgres.rules import RulesStore
from punchcard.domain import commands as ledger_commands
from punchcard.domain.events import Event, for_operation
from punchcard.domain.loyalty import commands
from punchcard.domain.loyalty.documents import from_document, to_document
from punchcard.domain.loyalty.movement import CustomerState, Movement
from punchcard.domain.loyalty.programme import Programme
from punchcard.domain.model import Posting
from punchcard.domain.validation import JsonValue
from punchcard.service_layer.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from punchcard.service_layer.loyalty.facade import Loyalty


class _Result(Protocol):
    @property
    def replayed(self) -> bool: ...


R = TypeVar("R", bound=_Result)


@dataclass(frozen=True, slots=True)
class Scope:
    """What an operation locked: the programme as of now and the customers' states."""

    tenant: str
    programme: Programme
    customers: dict[str, CustomerState]
    now: datetime
    ruleset_version: int | None = None
    """The published ruleset version active at the time the lock was taken for."""
    profiles: dict[str, Profile] = field(default_factory=dict)

    def movement(self) -> Movement:
        return Movement(self.programme, self.now, dict(self.customers))


class LoyaltyWork:
    def __init__(self, uow: UnitOfWork, programmes: ProgrammeCache, clock: Callable[[], datetime]):
        self._uow = uow
        self._programmes = programmes
        self.now = clock()
        self.inputs: dict[str, JsonValue] | None = None
        """What the operation was computed from, stored with its result (earns)."""

    def __enter__(self) -> Self:
        self._uow.__enter__()
        conn = self.connection = self._uow.connection
        self.journal = self._uow.journal
        self.reads = self._uow.reads
        self.operations = OperationLog(conn)
        self.customers = CustomerStore(conn)
        self.lots = LotStore(conn)
        self.orders = OrderStore(conn)
        self.adjustments = AdjustmentStore(conn)
        self.rules = RulesStore(conn)
        self.outbox = Outbox(conn)
        self.bulk = BulkStore(conn)
        self.max_backdate = self._uow.max_backdate
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._uow.__exit__(exc_type, exc, tb)

    def commit(self) -> None:
        self._uow.commit()

    def emit(self, tenant: str, *events: Event) -> None:
        """Record events in this operation's transaction (the outbox)."""
        self.outbox.add(tenant, events)

    def programme(self, tenant: str, version: int | None = None) -> Programme:
        return self._programmes.get(self._uow.connection, tenant, version)

    def lock(
        self, tenant: str, customer_ids: Iterable[str], *, at: datetime | None = None
    ) -> Scope:
        """Lock the customers (sorted) and read the programme in force, the ruleset
        version active at ``at`` (default now) and what rules read about them."""
        locked = self.customers.lock(tenant, customer_ids, min(at or self.now, self.now))
        programme = self.programme(tenant, locked.programme_version)
        return Scope(
            tenant, programme, locked.customers, self.now, locked.ruleset_version,
            locked.profiles,
        )  # fmt: skip

    def post(
        self,
        tenant: str,
        key: str,
        scope: Scope,
        movement: Movement,
        *,
        metadata: Mapping[str, object],
        effective_at: datetime | None = None,
        bump: Iterable[str] = (),
    ) -> tuple[int, list[int]]:
        """Write a movement: its ledger transaction, then its lots, draws and debts.
        Returns the transaction id and the new lots' ids."""
        result = self.journal.post(
            ledger_commands.Post(
                tenant=tenant,
                postings=merged(movement.postings),
                idempotency_key=key,
                metadata=metadata,
                effective_at=effective_at,
            )
        )
        txn_id = result.transaction.id
        lot_ids = self.lots.write(tenant, txn_id, movement)
        changed = movement.changed_customers(scope.customers)
        changed_ids = {s.id for s in changed}
        changed += [movement.customers[cid] for cid in bump if cid not in changed_ids]
        self.customers.save(tenant, changed)
        return txn_id, lot_ids


def merged(postings: Iterable[Posting]) -> list[Posting]:
    """One posting per (source, destination, asset), in first-seen order."""
    totals: dict[tuple[str, str, str], int] = {}
    for p in postings:
        key = (p.source, p.destination, p.asset)
        totals[key] = totals.get(key, 0) + p.amount
    return [Posting(s, d, a, amount) for (s, d, a), amount in totals.items()]


def run_operation(
    loyalty: Loyalty,
    cmd: commands._Command,
    result_type: type[R],
    body: Callable[[LoyaltyWork, int], R],
) -> R:
    kind = type(cmd).__name__
    with loyalty.work() as w:
        claimed = w.operations.claim(cmd.tenant, cmd.key, kind, cmd.fingerprint())
        if isinstance(claimed, Replay):
            return replay(result_type, claimed.result)
        result = body(w, claimed.id)
        w.emit(cmd.tenant, *for_operation(cmd, result))
        w.operations.finish(cmd.tenant, claimed.id, to_document(result), w.inputs)
        w.commit()
    return result


def replay(result_type: type[R], document: dict[str, Any]) -> R:
    return replace(from_document(result_type, document), replayed=True)  # type: ignore[type-var]


def ledger_key(op_id: int) -> str:
    """The ledger transaction of an operation is keyed by the operation itself."""
    return f"loyalty:{op_id}"
