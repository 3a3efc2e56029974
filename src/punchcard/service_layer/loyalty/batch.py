"""Many events at once: purchases, engagement events and refunds, each applied
exactly once, many to a database transaction.

    outcomes = ingest(loyalty, [Purchase(...), Refund(...), ...])

The events are split into rounds (``_rounds``): an event goes in the round after
the last one holding an event of its customer or of its key, so a customer's
events, and events sharing an order or event id, keep the order given. In each
round, purchases and engagement events go set-based, up to ``BULK_GROUP`` of one
tenant per transaction on up to ``BULK_LANES`` connections
(``bulk.earn_group``); refunds, and what the set-based path hands back, go one
by one:

Each such event is still its own use case: it claims its own key (order id, event id,
refund id), takes its customer's lock and keeps every invariant, in a SAVEPOINT
of a transaction shared with up to ``group`` other events (``UnitOfWork.nested``).
The savepoint checks the deferred zero-sum constraint before it is released; an
event that fails rolls back to its savepoint only and is reported, the others go
on. One COMMIT (one fsync) then makes the whole group durable; no outcome is
returned before it. Events are split into ``workers`` lanes by customer (a refund
goes with the customer of its order), so one customer's events are applied in
the order given while other customers' run in parallel on other connections.

Limits and recovery:

- A lane commits early instead of waiting for a customer another group of this
  process has locked, and when PostgreSQL reports a deadlock or a lost
  connection the event (or the whole group, if its COMMIT failed) is applied
  again on its own; it is idempotent, so "replayed" may then be the answer.
- A campaign budget row is shared by every customer: under a budgeted campaign
  every earn goes one by one, groups take turns on it, and the batch is little
  faster than single events.
- Each lane holds one pooled connection while it runs.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import count
from typing import Literal

from punchcard.domain.errors import PunchcardError, TransientError
from punchcard.domain.loyalty.commands import Engagement, Purchase, Refund
from punchcard.domain.loyalty.results import EarnResult, RefundResult
from punchcard.service_layer.loyalty import bulk, earning, refunds, setup
from punchcard.service_layer.loyalty.facade import Loyalty
from punchcard.service_layer.loyalty.work import LoyaltyWork
from punchcard.service_layer.unit_of_work import UnitOfWork

Event = Purchase | Engagement | Refund
Status = Literal["ok", "replayed", "error"]
Lane = tuple[str, str]
"""(tenant, customer id) — or (tenant, "order:…") for a refund of an order not seen."""

WORKERS = 4
GROUP = 50
BULK_GROUP = 250
BULK_LANES = 2
RETRIES = 3
log = logging.getLogger("punchcard.batch")


class InternalError(PunchcardError):
    """The server failed on this event; the others were applied."""

    code = "internal_error"


@dataclass(frozen=True, slots=True)
class Outcome:
    status: Status
    result: EarnResult | RefundResult | None = None
    error: PunchcardError | None = None

    @classmethod
    def of(cls, result: EarnResult | RefundResult) -> Outcome:
        return cls("replayed" if result.replayed else "ok", result)

    @classmethod
    def failed(cls, error: PunchcardError) -> Outcome:
        return cls("error", error=error)


def ingest(
    loyalty: Loyalty,
    events: Sequence[Event | PunchcardError],
    *,
    workers: int = WORKERS,
    group: int = GROUP,
) -> list[Outcome]:
    """Apply ``events``; one outcome per event, in order. An error in place of an
    event (it could not be parsed) is reported as that event's outcome."""
    outcomes: list[Outcome | None] = [
        Outcome.failed(e) if isinstance(e, PunchcardError) else None for e in events
    ]
    todo = [(i, e) for i, e in enumerate(events) if not isinstance(e, PunchcardError)]
    owners = _refund_owners(loyalty, todo)
    for round_ in _rounds(todo, owners):
        slow: list[tuple[int, Event]] = [(i, e) for i, e in round_ if isinstance(e, Refund)]
        earns = [(i, e) for i, e in round_ if not isinstance(e, Refund)]
        chunks = _tenant_chunks(earns, BULK_GROUP)
        if len(chunks) > 1 and workers > 1:
            lanes = min(workers, BULK_LANES, len(chunks))
            with ThreadPoolExecutor(max_workers=lanes, thread_name_prefix="bulk") as pool:
                groups = list(pool.map(lambda tc: bulk.earn_group(loyalty, *tc), chunks))
        else:
            groups = [bulk.earn_group(loyalty, tenant, chunk) for tenant, chunk in chunks]
        for answered, left in groups:
            for index, answer in answered:
                outcomes[index] = (
                    Outcome.failed(answer)
                    if isinstance(answer, PunchcardError)
                    else Outcome.of(answer)
                )
            slow += left
        for index, outcome in _one_by_one(loyalty, sorted(slow, key=lambda x: x[0]), owners,
                                          workers, group):  # fmt: skip
            outcomes[index] = outcome
    assert all(o is not None for o in outcomes)
    return [o for o in outcomes if o is not None]


def _one_by_one(
    loyalty: Loyalty,
    todo: list[tuple[int, Event]],
    owners: dict[Lane, str],
    workers: int,
    group: int,
) -> list[tuple[int, Outcome]]:
    """Each event as its own use case, in savepoint groups over ``workers`` lanes."""
    if not todo:
        return []
    lanes = _split(todo, owners, max(1, workers))
    if len(lanes) == 1:
        return _run_lane(loyalty, lanes[0], max(1, group))
    with ThreadPoolExecutor(max_workers=len(lanes), thread_name_prefix="batch") as pool:
        done = list(pool.map(lambda lane: _run_lane(loyalty, lane, max(1, group)), lanes))
    return [item for lane_outcomes in done for item in lane_outcomes]


def _lane(event: Event, owners: dict[Lane, str]) -> Lane:
    if isinstance(event, Refund):
        owner = owners.get((event.tenant, event.order_id))
        return (event.tenant, owner or f"order:{event.order_id}")
    return (event.tenant, event.customer_id)


def _rounds(
    todo: list[tuple[int, Event]], owners: dict[Lane, str]
) -> list[list[tuple[int, Event]]]:
    """Split the events into rounds applied one after the other: an event goes in
    the round after the last that has an event of its customer or of its key (a
    refund also takes its order's key), so a customer's events, events that share
    a key, and a refund and the purchases of its order keep the order given, and no
    round has a customer or a key twice."""
    last: dict[tuple[str, ...], int] = {}
    rounds: list[list[tuple[int, Event]]] = []
    for index, event in todo:
        marks = [("lane", *_lane(event, owners)), ("key", event.tenant, event.key)]
        if isinstance(event, Refund):
            marks.append(("key", event.tenant, f"order:{event.order_id}"))
        n = max(last.get(mark, -1) for mark in marks) + 1
        for mark in marks:
            last[mark] = n
        if n == len(rounds):
            rounds.append([])
        rounds[n].append((index, event))
    return rounds


def _tenant_chunks(
    items: list[tuple[int, Purchase | Engagement]], size: int
) -> list[tuple[str, list[tuple[int, Purchase | Engagement]]]]:
    by_tenant: dict[str, list[tuple[int, Purchase | Engagement]]] = {}
    for item in items:
        by_tenant.setdefault(item[1].tenant, []).append(item)
    return [
        (tenant, chunk[start : start + size])
        for tenant, chunk in by_tenant.items()
        for start in range(0, len(chunk), size)
    ]


def enroll_all(
    loyalty: Loyalty, tenant: str, refs: Sequence[str]
) -> dict[str, str | PunchcardError]:
    """Each external reference's customer id, enrolling the new ones, in one transaction."""
    found: dict[str, str | PunchcardError] = {}
    with loyalty.ledger.unit_of_work() as outer:
        grouped = _Grouped(loyalty, outer)
        for ref in refs:
            try:
                found[ref] = setup.enroll(grouped, tenant, ref).id
            except PunchcardError as exc:
                found[ref] = exc
        outer.commit()
    return found


# -- lanes


@dataclass(slots=True)
class _Lane:
    lanes: list[Lane]
    items: list[tuple[int, Lane, Event]]


def _split(todo: list[tuple[int, Event]], owners: dict[Lane, str], workers: int) -> list[_Lane]:
    """Split the events by customer over at most ``workers`` lanes of similar size."""
    keyed: dict[Lane, list[tuple[int, Lane, Event]]] = {}
    for index, event in todo:
        lane = _lane(event, owners)
        keyed.setdefault(lane, []).append((index, lane, event))
    bins = [_Lane([], []) for _ in range(min(workers, len(keyed)) or 1)]
    for lane, items in sorted(keyed.items(), key=lambda kv: -len(kv[1])):
        smallest = min(bins, key=lambda b: len(b.items))
        smallest.lanes.append(lane)
        smallest.items.extend(items)
    for b in bins:
        b.items.sort(key=lambda item: item[0])
    return [b for b in bins if b.items] or bins[:1]


def _refund_owners(loyalty: Loyalty, todo: list[tuple[int, Event]]) -> dict[Lane, str]:
    """Who each refunded order belongs to: a purchase in the batch says, else the database."""
    owners: dict[Lane, str] = {}
    for _, e in todo:
        if isinstance(e, Purchase):
            owners.setdefault((e.tenant, e.order_id), e.customer_id)  # the first one to use it
    unknown = {
        (e.tenant, e.order_id)
        for _, e in todo
        if isinstance(e, Refund) and (e.tenant, e.order_id) not in owners
    }
    if unknown:
        with loyalty.work() as w:
            for tenant, order_id in sorted(unknown):
                owner = w.orders.owner(tenant, order_id)
                if owner is not None:
                    owners[(tenant, order_id)] = owner
    return owners


# -- groups


class _Holders:
    """Which lanes (customers) an open group of this process has locked: a group
    commits before it would wait for another, so two groups never wait on each other."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: dict[Lane, int] = {}

    def take(self, lane: Lane, group: int) -> bool:
        with self._lock:
            return self._held.setdefault(lane, group) == group

    def release(self, group: int, lanes: set[Lane]) -> None:
        with self._lock:
            for lane in lanes:
                if self._held.get(lane) == group:
                    del self._held[lane]


_HOLDERS = _Holders()
_GROUP_IDS = count(1)


class _Grouped(Loyalty):
    """The loyalty API with every unit of work a savepoint of ``outer``'s transaction."""

    def __init__(self, loyalty: Loyalty, outer: UnitOfWork) -> None:
        super().__init__(loyalty.ledger)
        self.__dict__.update(vars(loyalty))  # share its caches
        self._outer = outer

    def work(self) -> LoyaltyWork:
        return LoyaltyWork(self._outer.nested(), self.programmes, self.ledger.clock)


def _run_lane(loyalty: Loyalty, lane: _Lane, group: int) -> list[tuple[int, Outcome]]:
    done: list[tuple[int, Outcome]] = []
    items = lane.items
    while items:
        applied, left = _run_group(loyalty, items[:group])
        done += applied
        items = left + items[group:]
    return done


def _run_group(
    loyalty: Loyalty, items: list[tuple[int, Lane, Event]]
) -> tuple[list[tuple[int, Outcome]], list[tuple[int, Lane, Event]]]:
    """Apply a prefix of ``items`` in one transaction; return its outcomes (after
    COMMIT) and the items left for the next group."""
    me, held = next(_GROUP_IDS), set[Lane]()
    applied: list[tuple[int, Outcome]] = []
    alone: tuple[int, Lane, Event] | None = None
    try:
        with loyalty.ledger.unit_of_work() as outer:
            grouped = _Grouped(loyalty, outer)
            for n, (index, lane, event) in enumerate(items):
                if not _HOLDERS.take(lane, me):
                    alone = items[n]  # wait for that group holding nothing ourselves
                    break
                held.add(lane)
                try:
                    applied.append((index, Outcome.of(apply(grouped, event))))
                except TransientError:
                    if outer.connection.broken:
                        raise
                    alone = items[n]  # a deadlock: let go of our locks, then retry it
                    break
                except PunchcardError as exc:
                    applied.append((index, Outcome.failed(exc)))
                except Exception as exc:
                    if outer.connection.broken:
                        raise
                    log.exception("batch event failed", exc_info=exc)
                    applied.append((index, Outcome.failed(InternalError())))
            outer.commit()
    except Exception as exc:
        # The group's transaction is lost, and with it every event in it: apply them
        # one by one (idempotent: a COMMIT that did land replays).
        log.warning("batch group failed (%s); applying its events one by one", exc)
        return [(index, _alone(loyalty, event)) for index, _, event in items], []
    finally:
        _HOLDERS.release(me, held)
    if alone is None:
        return applied, items[len(applied) :]
    index, _, event = alone
    applied.append((index, _alone(loyalty, event)))
    return applied, items[len(applied) :]


def _alone(loyalty: Loyalty, event: Event) -> Outcome:
    """Apply one event in a transaction of its own, retrying a transient failure."""
    for attempt in range(RETRIES):
        try:
            return Outcome.of(apply(loyalty, event))
        except TransientError as exc:
            if attempt == RETRIES - 1:
                return Outcome.failed(exc)
            time.sleep(0.05 * 2**attempt)
        except PunchcardError as exc:
            return Outcome.failed(exc)
        except Exception as exc:
            log.exception("batch event failed", exc_info=exc)
            return Outcome.failed(InternalError())
    raise AssertionError("unreachable")


def apply(loyalty: Loyalty, event: Event) -> EarnResult | RefundResult:
    """One event, as its own use case (one transaction, unless ``loyalty`` is grouped)."""
    if isinstance(event, Refund):
        return refunds.refund(loyalty, event)
    return earning.earn(loyalty, event)
