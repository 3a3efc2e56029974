"""Earns, set-based: a group of one tenant's purchases and engagement events, each
customer at most once, written with one statement per table for the whole group.

    outcomes, left = earn_group(loyalty, tenant, [(index, purchase), ...])

Each event gets the rows, checks and result ``earning.earn`` would give it alone,
and the group does the same steps in the same order, once each: claim every key
(sorted), lock every customer (sorted), read the cap counters, rate each event in
Python, post every ledger transaction (``Journal.post_many``), write the lots,
customer rows, rule counters, tier changes, orders, outbox events and results,
and commit once. About 15 statements for the group instead of about 13 per event.

An event whose answer is an error (unknown customer, wrong currency, a time too
far back) is reported, and the group is done again without it, so it writes
nothing. The events this path does not cover are handed back in ``left``, to be
applied one by one (``batch``): a customer who owes points (the earn repays
them, with draws), a ruleset with a campaign budget (a counter every customer
shares, locked in rule order, evaluated again until stable), a key that comes
twice in the group. If the group's transaction fails (a deadlock, an overdraft,
a lost connection), every event not yet answered is handed back the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING

from punchcard.adapters.postgres.loyalty.bulk import Claim
from punchcard.adapters.postgres.loyalty.customers import Profile
from punchcard.adapters.postgres.loyalty.operations import key_taken
from punchcard.adapters.postgres.loyalty.orders import Order
from punchcard.domain import commands as ledger_commands
from punchcard.domain import events as domain_events
from punchcard.domain.errors import PunchcardError, UnknownCustomer
from punchcard.domain.events import Event, for_operation
from punchcard.domain.loyalty.commands import Engagement, Purchase
from punchcard.domain.loyalty.documents import to_document
from punchcard.domain.loyalty.earning import fixed_rate
from punchcard.domain.loyalty.movement import CustomerState, Movement, NewLot
from punchcard.domain.loyalty.programme import Programme
from punchcard.domain.loyalty.results import EarnResult
from punchcard.domain.rules import tiers as tier_math
from punchcard.domain.rules.evaluation import CompiledRuleset, evaluate
from punchcard.domain.rules.facts import EventFacts
from punchcard.domain.rules.versions import TierChange
from punchcard.domain.validation import JsonValue
from punchcard.service_layer.loyalty import earning
from punchcard.service_layer.loyalty.work import LoyaltyWork, ledger_key, merged, replay
from punchcard.service_layer.rules.rating import (
    Rating,
    cap_keys,
    check_currency,
    context_of,
    counter_of,
    inputs_document,
    rated,
)

if TYPE_CHECKING:
    from punchcard.service_layer.loyalty.facade import Loyalty

Earn = Purchase | Engagement
Item = tuple[int, Earn]
Answer = EarnResult | PunchcardError
ATTEMPTS = 3
log = logging.getLogger("punchcard.batch")


def earn_group(
    loyalty: Loyalty, tenant: str, items: Sequence[Item]
) -> tuple[list[tuple[int, Answer]], list[Item]]:
    """Apply ``items`` (one tenant's, each customer at most once): the answers, and
    the items left for the one-by-one path."""
    answered: list[tuple[int, Answer]] = []
    left: list[Item] = []
    todo = list(items)
    for _ in range(ATTEMPTS):
        if not todo:
            break
        try:
            attempt = _attempt(loyalty, tenant, todo)
        except Exception as exc:  # the group's transaction is lost: one by one
            log.warning("bulk earn group failed (%s); applying its events one by one", exc)
            return answered, left + todo
        answered += attempt.answered
        left += attempt.left
        if attempt.committed:
            return answered, left
        settled = {index for index, _ in attempt.answered} | {index for index, _ in attempt.left}
        todo = [item for item in todo if item[0] not in settled]
    return answered, left + todo


@dataclass(slots=True)
class _Attempt:
    committed: bool = False
    answered: list[tuple[int, Answer]] = field(default_factory=list)
    left: list[Item] = field(default_factory=list)


@dataclass(slots=True)
class _Earn:
    """One claimed event on its way through the group."""

    index: int
    request: Earn
    cmd: Earn
    """``request`` with its occurrence time set."""
    op_id: int
    state: CustomerState
    rating: Rating
    inputs: dict[str, JsonValue] | None
    movement: Movement
    credited: list[NewLot]
    post: ledger_commands.Post | None = None
    txn_id: int | None = None
    lot_ids: list[int] = field(default_factory=list)
    tier_change: TierChange | None = None
    result: EarnResult | None = None

    @property
    def at(self) -> datetime:
        assert self.cmd.occurred_at is not None
        return self.cmd.occurred_at


def _attempt(loyalty: Loyalty, tenant: str, items: list[Item]) -> _Attempt:
    """One transaction for the group. It commits only if every claimed event can be
    written; otherwise it rolls back and says which events to answer or hand back."""
    attempt = _Attempt()
    with loyalty.work() as w:
        claimed = _claim(w, tenant, items, attempt)
        earns, redo = _rate_all(loyalty, w, tenant, claimed, attempt)
        if redo:
            return attempt  # not committed: the rest is done again without them
        _write(w, tenant, earns)
        w.commit()
    attempt.committed = True
    attempt.answered += [(e.index, e.result) for e in earns if e.result is not None]
    return attempt


def _claim(
    w: LoyaltyWork, tenant: str, items: list[Item], attempt: _Attempt
) -> list[tuple[int, Earn, int]]:
    """Claim every key; replays and reused keys are answered at once (they write
    nothing), a key claimed twice in the group is left for later."""
    claims = [Claim(e.key, type(e).__name__, e.fingerprint()) for _, e in items]
    ids, taken = w.bulk.claim(tenant, claims)
    claimed: list[tuple[int, Earn, int]] = []
    for (index, event), claim in zip(items, claims, strict=True):
        op_id = ids.pop(event.key, None)
        if op_id is not None:
            claimed.append((index, event, op_id))
            continue
        found = taken.get(event.key)
        if found is None or found.result is None:
            attempt.left.append((index, event))  # its key came twice in this group
        elif found.kind != claim.kind or found.fingerprint != claim.fingerprint:
            attempt.answered.append((index, key_taken(event.key, found.kind, found.id)))
        else:
            attempt.answered.append((index, replay(EarnResult, found.result)))
    return claimed


def _rate_all(
    loyalty: Loyalty,
    w: LoyaltyWork,
    tenant: str,
    claimed: list[tuple[int, Earn, int]],
    attempt: _Attempt,
) -> tuple[list[_Earn], bool]:
    """Lock the customers and rate every claimed event; True if any of them must be
    answered with an error or left, so that the group is done again without it."""
    if not claimed:
        return [], False
    now = w.now
    locked = w.customers.lock_found(tenant, [e.customer_id for _, e, _ in claimed], now)
    programme = w.programme(tenant, locked.programme_version)
    versions = w.bulk.published_rulesets(tenant)
    plans: list[_Plan] = []
    redo = False
    for index, request, op_id in claimed:
        cmd = replace(request, occurred_at=request.occurred_at or now)
        at = cmd.occurred_at or now
        state = locked.customers.get(cmd.customer_id)
        version = _active(versions, min(at, now))
        compiled = None if version is None else loyalty.compiled.get(w.rules, tenant, version)
        try:
            if state is None:
                raise UnknownCustomer(
                    f"customer {cmd.customer_id} is not enrolled in tenant {tenant!r}"
                )
            check_currency(programme, cmd)
        except PunchcardError as exc:
            attempt.answered.append((index, exc))
            redo = True
            continue
        if state.deficit or state.debt or (compiled is not None and _budgeted(compiled)):
            attempt.left.append((index, request))
            redo = True
            continue
        plans.append(_Plan(index, request, cmd, op_id, state, compiled, version))
    if redo:
        return [], True
    usage = w.bulk.usage(
        tenant,
        [
            (plan.cmd.customer_id, *key)
            for plan in plans
            if plan.compiled is not None
            for key in cap_keys(plan.compiled, _facts(plan.cmd, programme))
        ],
    )
    earns: list[_Earn] = []
    for plan in plans:
        index, request, cmd, op_id = plan.index, plan.request, plan.cmd, plan.op_id
        try:
            earn = _rate(programme, now, plan, locked.profiles[cmd.customer_id], usage)
        except PunchcardError as exc:  # the event is refused by its rating
            attempt.answered.append((index, exc))
            redo = True
            continue
        if earn.movement.draws or earn.movement.activated:
            attempt.left.append((index, request))
            redo = True
        elif earn.movement.postings:
            try:
                earn.post = ledger_commands.Post(
                    tenant=tenant, postings=merged(earn.movement.postings),
                    idempotency_key=ledger_key(op_id),
                    metadata=earning.metadata(cmd, earn.rating.breakdown),
                    effective_at=ledger_commands.effective_time(earn.at, now, w.max_backdate),
                )  # fmt: skip
            except PunchcardError as exc:
                attempt.answered.append((index, exc))
                redo = True
        earns.append(earn)
    return earns, redo


@dataclass(frozen=True, slots=True)
class _Plan:
    index: int
    request: Earn
    cmd: Earn
    op_id: int
    state: CustomerState
    compiled: CompiledRuleset | None
    version: int | None


def _rate(
    programme: Programme,
    now: datetime,
    plan: _Plan,
    profile: Profile,
    usage: dict[tuple[str, str, str], int],
) -> _Earn:
    cmd, compiled, version = plan.cmd, plan.compiled, plan.version
    at = cmd.occurred_at or now
    inputs: dict[str, JsonValue] | None = None
    if compiled is None or version is None:
        rating = Rating(fixed_rate(programme, cmd), counter_of(cmd))
    else:
        facts = _facts(cmd, programme)
        mine = {
            key: usage[(cmd.customer_id, *key)]
            for key in cap_keys(compiled, facts)
            if (cmd.customer_id, *key) in usage
        }
        context = context_of(compiled, profile, mine)
        rating = rated(compiled, evaluate(compiled, facts, context), counter_of(cmd))
        inputs = inputs_document(version, programme.timezone, cmd, at, context)
    movement = Movement(programme, now, {plan.state.id: plan.state})
    credited = earning.plan(programme, movement, cmd, rating.breakdown, at)
    return _Earn(
        plan.index, plan.request, cmd, plan.op_id, plan.state, rating, inputs, movement, credited
    )


def _write(w: LoyaltyWork, tenant: str, earns: list[_Earn]) -> None:
    """Every table once for the group, in the order ``earning.earn`` writes them."""
    posting = [e for e in earns if e.post is not None]
    results = w.journal.post_many([e.post for e in posting if e.post is not None])
    for earn, posted in zip(posting, results, strict=True):
        earn.txn_id = posted.transaction.id
    lot_ids = w.lots.insert_many(
        tenant, [(e.txn_id, e.movement) for e in posting if e.txn_id is not None]
    )
    for earn, ids in zip(posting, lot_ids, strict=True):
        earn.lot_ids = ids
    w.customers.save(
        tenant, [s for e in posting for s in e.movement.changed_customers({e.state.id: e.state})]
    )
    w.bulk.add_usage(
        tenant,
        {(e.cmd.customer_id, *key): used for e in earns for key, used in e.rating.usage.items()},
    )
    w.bulk.count_events(tenant, [(e.cmd.customer_id, e.rating.counter) for e in earns])
    programme = earns[0].movement.programme if earns else None
    if programme is not None:
        _move_tiers(w, tenant, programme, earns)
    orders = [
        Order(e.cmd.order_id, e.cmd.customer_id, e.cmd.amount, e.cmd.currency,
              e.rating.breakdown.points, e.at, e.op_id, e.txn_id)
        for e in earns
        if isinstance(e.cmd, Purchase)
    ]  # fmt: skip
    w.orders.add_orders(tenant, orders)
    outbox: list[Event] = []
    finished: list[tuple[int, dict[str, JsonValue], dict[str, JsonValue] | None]] = []
    for e in earns:
        result = earning.result(
            e.cmd, e.rating.breakdown, credited=e.credited, lot_ids=e.lot_ids, txn_id=e.txn_id,
            tier_change=e.tier_change,
        )  # fmt: skip
        if e.tier_change is not None:
            outbox.append(domain_events.tier_changed(e.cmd.customer_id, e.tier_change))
        outbox += for_operation(e.request, result)
        finished.append((e.op_id, to_document(result), e.inputs))
        e.result = result
    w.outbox.add(tenant, outbox)
    w.bulk.finish(tenant, finished)


def _move_tiers(w: LoyaltyWork, tenant: str, programme: Programme, earns: list[_Earn]) -> None:
    """Measure every customer whose ruleset has tiers, once per measure, and move up
    the ones that now qualify for a higher tier (``rating.record``)."""
    tiered = [e for e in earns if e.rating.tiers is not None]
    changes: list[tuple[str, TierChange]] = []
    for measure in {e.rating.tiers.measure for e in tiered if e.rating.tiers is not None}:
        group = [
            e for e in tiered if e.rating.tiers is not None and e.rating.tiers.measure is measure
        ]
        windows = [
            (e.cmd.customer_id, tier_math.window_start(e.rating.tiers, e.at, programme.timezone))
            for e in group
            if e.rating.tiers is not None
        ]
        measured = w.rules.measures(tenant, measure, windows)
        for e in group:
            assert e.rating.tiers is not None
            value = measured.get(e.cmd.customer_id, 0)
            higher = tier_math.upgrade(e.rating.tiers, e.rating.tier, value)
            if higher is not None:
                e.tier_change = TierChange(e.rating.tier, higher, "qualified", value, e.at)
                changes.append((e.cmd.customer_id, e.tier_change))
    w.rules.change_tiers(tenant, changes)


def _facts(cmd: Earn, programme: Programme) -> EventFacts:
    assert cmd.occurred_at is not None
    return EventFacts.of(cmd, cmd.occurred_at, programme.timezone)


def _active(versions: list[tuple[int, datetime]], at: datetime) -> int | None:
    """The published version active at ``at`` (versions newest first)."""
    return next((version for version, since in versions if since <= at), None)


def _budgeted(compiled: CompiledRuleset) -> bool:
    return any(c.rule.budget is not None for c in compiled.rules)
