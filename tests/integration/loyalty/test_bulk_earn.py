"""The set-based batch path (``service_layer/loyalty/bulk.py``) gives every event
the answer, and leaves the books in the state, that applying the same events one
at a time in order gives; with a group's statements not growing with its size."""

from __future__ import annotations

import dataclasses
import threading
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from punchcard.domain.errors import PunchcardError
from punchcard.domain.loyalty.commands import Engagement, LineItem, Purchase, Refund
from punchcard.domain.loyalty.results import EarnResult
from punchcard.domain.rules.defaults import default_ruleset
from punchcard.service_layer.loyalty import batch
from punchcard.service_layer.loyalty.batch import Outcome
from punchcard.service_layer.loyalty.facade import Loyalty
from tests.conftest import setup_programme
from tests.helpers import run_together, verified
from tests.integration.rules.test_governance import publish

NO_CAMPAIGNS = 2000
BUDGETED = """
rules:
  - {id: base, effect: {rate: {points: 1, per: 100}}}
  - {id: welcome, effect: {flat: 100}, kind: bonus, budget: 300}
"""
CAPPED = """
rules:
  - {id: base, effect: {rate: {points: 1, per: 100}}}
  - id: daily
    effect: {flat: 40}
    kind: bonus
    caps: [{period: day, points: 100}]
"""
RULESETS: dict[str, Callable[[], str | Any] | None] = {
    "fixed rate": None,
    "seed (tiers, categories)": lambda: default_ruleset(NO_CAMPAIGNS),
    "capped": lambda: CAPPED,
    "budgeted (one by one)": lambda: BUDGETED,
}
REFS = ["a", "b", "c", "d"]
UNKNOWN = "cus_0000000000000000000000"

# An event as data: (kind, customer index or -1 for unknown, key number, amount, extra).
events_strategy = st.lists(
    st.one_of(
        st.tuples(
            st.just("purchase"), st.integers(-1, 3), st.integers(0, 8),
            st.integers(0, 90_000), st.sampled_from(["USD", "USD", "USD", "EUR"]),
            st.sampled_from([None, 1, 30, 24 * 45]),
        ),
        st.tuples(
            st.just("engagement"), st.integers(0, 3), st.integers(0, 3), st.just(0),
            st.sampled_from(["app_login", "review"]), st.just(None),
        ),
        st.tuples(
            st.just("refund"), st.just(0), st.integers(0, 8), st.integers(1, 20_000),
            st.just(""), st.just(None),
        ),
    ),
    min_size=1,
    max_size=24,
)  # fmt: skip


def _tenant(loyalty: Loyalty, ruleset: str) -> tuple[str, list[str]]:
    tenant = setup_programme(loyalty)
    make = RULESETS[ruleset]
    if make is not None:
        publish(loyalty, tenant, make())
    return tenant, [loyalty.enroll(tenant, f"shop-{ref}").id for ref in REFS]


def _commands(
    loyalty: Loyalty, tenant: str, customers: list[str], spec: list[tuple[Any, ...]]
) -> list[Purchase | Engagement | Refund]:
    now = loyalty.now()
    made: list[Purchase | Engagement | Refund] = []
    for kind, who, key, amount, extra, hours_ago in spec:
        customer = UNKNOWN if who < 0 else customers[who]
        when = None if hours_ago is None else now - timedelta(hours=hours_ago)
        if kind == "purchase":
            items = (LineItem(sku="g", amount=amount // 2, category="groceries"),)
            made.append(Purchase(tenant=tenant, customer_id=customer, order_id=f"o-{key}",
                                 amount=amount, currency=extra, occurred_at=when,
                                 items=items))  # fmt: skip
        elif kind == "engagement":
            made.append(Engagement(tenant=tenant, customer_id=customer, event_id=f"e-{key}",
                                   type=extra))  # fmt: skip
        else:
            made.append(Refund(tenant=tenant, order_id=f"o-{key}", refund_id=f"r-{len(made)}",
                               amount=amount))  # fmt: skip
    return made


def _one_at_a_time(loyalty: Loyalty, events: list[Purchase | Engagement | Refund]) -> list[Outcome]:
    outcomes = []
    for event in events:
        try:
            outcomes.append(Outcome.of(batch.apply(loyalty, event)))
        except PunchcardError as exc:
            outcomes.append(Outcome.failed(exc))
    return outcomes


def _answer(outcome: Outcome) -> tuple[Any, ...]:
    """What an outcome says, without ids and times that differ between tenants."""
    if outcome.error is not None:
        return (outcome.status, outcome.error.code)
    result: Any = outcome.result
    lots = tuple((lot.kind, lot.points, lot.pending) for lot in getattr(result, "lots", ()))
    breakdown = getattr(result, "breakdown", {})
    return (outcome.status, getattr(result, "points", None), getattr(result, "credit", None),
            getattr(result, "tier", None), lots, breakdown.get("lines"),
            getattr(result, "points_reversed", None))  # fmt: skip


def _books(loyalty: Loyalty, tenant: str, customers: list[str]) -> list[Any]:
    state: list[Any] = []
    for customer in customers:
        balance = loyalty.balance(tenant, customer)
        lots = sorted(
            (lot.kind, lot.amount, lot.remaining) for lot in loyalty.lots(tenant, customer)
        )
        state.append((balance.available, balance.pending, balance.credit, lots,
                      loyalty.tier(tenant, customer).tier))  # fmt: skip
    return state


def _table(database_url: str, sql: str, tenant: str) -> list[Any]:
    with psycopg.connect(database_url, options="-c search_path=punchcard") as conn:
        return list(conn.execute(sql, (tenant,)).fetchall())


@pytest.mark.parametrize("ruleset", list(RULESETS))
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(spec=events_strategy)
@example(  # a refund between purchases of its order id: it must stay between them
    spec=[("purchase", -1, 0, 0, "USD", None), ("refund", 0, 0, 1, "", None),
          ("purchase", 0, 0, 1, "USD", 1)]
)  # fmt: skip
def test_a_batch_answers_and_books_as_the_events_one_at_a_time(
    loyalty: Loyalty, database_url: str, ruleset: str, spec: list[tuple[Any, ...]]
) -> None:
    one, one_customers = _tenant(loyalty, ruleset)
    many, many_customers = _tenant(loyalty, ruleset)
    alone = _one_at_a_time(loyalty, _commands(loyalty, one, one_customers, spec))
    grouped = batch.ingest(loyalty, _commands(loyalty, many, many_customers, spec))
    if ruleset.startswith("budgeted"):
        # A campaign budget is shared by all customers, and a batch keeps the order of
        # each customer's events, not the order across customers: who gets the last
        # points of the budget may differ, how many are given may not.
        assert [o.status for o in grouped] == [o.status for o in alone]
        assert _given(grouped) == _given(alone)
        verified(loyalty, many)
        return
    assert [_answer(o) for o in grouped] == [_answer(o) for o in alone]
    assert _books(loyalty, many, many_customers) == _books(loyalty, one, one_customers)
    counts = "SELECT event_counts FROM customers WHERE tenant_id = %s ORDER BY external_ref"
    assert _table(database_url, counts, many) == _table(database_url, counts, one)
    usage = "SELECT rule_id, period_key, used FROM rule_usage WHERE tenant_id = %s ORDER BY 1, 2, 3"
    assert len(_table(database_url, usage, many)) == len(_table(database_url, usage, one))
    kinds = "SELECT type, count(*) FROM outbox WHERE tenant_id = %s GROUP BY type ORDER BY type"
    assert _table(database_url, kinds, many) == _table(database_url, kinds, one)
    verified(loyalty, many)


def _given(outcomes: list[Outcome]) -> int:
    return sum(o.result.points for o in outcomes if isinstance(o.result, EarnResult))


def test_a_batch_again_replays_every_event_with_its_first_answer(loyalty: Loyalty) -> None:
    tenant, customers = _tenant(loyalty, "seed (tiers, categories)")
    spec = [("purchase", n % 4, n, 10_000 + n, "USD", None) for n in range(40)]
    first = batch.ingest(loyalty, _commands(loyalty, tenant, customers, spec))
    again = batch.ingest(loyalty, _commands(loyalty, tenant, customers, spec))
    assert {o.status for o in first} == {"ok"}
    assert {o.status for o in again} == {"replayed"}
    assert [o.result for o in again] == [
        dataclasses.replace(o.result, replayed=True) for o in first if o.result is not None
    ]
    verified(loyalty, tenant)


def test_a_groups_statements_do_not_grow_with_its_size(
    loyalty: Loyalty, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Set-based: 30 events and 240 events (each customer once) cost the same
    number of statements; one at a time, each event costs about thirteen."""
    executed = Counter[int]()
    original = psycopg.Connection.execute

    def counting(self: psycopg.Connection[Any], *args: Any, **kwargs: Any) -> Any:
        executed[threading.get_ident()] += 1
        return original(self, *args, **kwargs)

    def statements(n: int) -> int:
        tenant = setup_programme(loyalty)
        publish(loyalty, tenant, default_ruleset(NO_CAMPAIGNS))
        ids = batch.enroll_all(loyalty, tenant, [f"shop-{i}" for i in range(n)])
        events = [
            Purchase(tenant=tenant, customer_id=str(ids[f"shop-{i}"]), order_id=f"o-{i}",
                     amount=20_00, currency="USD")
            for i in range(n)
        ]  # fmt: skip
        batch.ingest(loyalty, events[:1])  # warm the caches: programme, ruleset, accounts
        executed.clear()
        with monkeypatch.context() as patched:
            patched.setattr(psycopg.Connection, "execute", counting)
            outcomes = batch.ingest(loyalty, events[1:], workers=1)
        assert {o.status for o in outcomes} == {"ok"}
        return sum(executed.values())

    small, large = statements(30), statements(240)
    assert large == small
    assert large < 30


def test_concurrent_batches_of_the_same_events_apply_each_once(loyalty: Loyalty) -> None:
    tenant, customers = _tenant(loyalty, "seed (tiers, categories)")
    spec = [("purchase", n % 4, n, 5_000 + n, "USD", None) for n in range(60)]
    events = _commands(loyalty, tenant, customers, spec)
    runs = run_together(4, lambda i: batch.ingest(loyalty, events[i * 5 :] + events[: i * 5]))
    outcomes = [o for run in runs if not isinstance(run, Exception) for o in run]
    assert len(outcomes) == 4 * 60
    assert Counter(o.status for o in outcomes) == {"ok": 60, "replayed": 180}
    earned = sum(
        o.result.points for o in outcomes if isinstance(o.result, EarnResult) and o.status == "ok"
    )
    assert sum(loyalty.balance(tenant, c).available for c in customers) == earned
    verified(loyalty, tenant)
