"""Concurrency claims, tested with real concurrent connections.

Each test starts its threads at a barrier so they reach PostgreSQL together.
"""

from __future__ import annotations

from collections import Counter
from typing import TypeVar

import pytest

from punchcard import Ledger, Posting
from punchcard.domain import errors
from tests.helpers import run_together

T = TypeVar("T")

pytestmark = pytest.mark.slow


def earn(ledger: Ledger, tenant: str, customer: str, amount: int, key: str) -> None:
    ledger.post(
        tenant, [Posting("program:issuance", f"customer:{customer}:points", "PTS", amount)],
        idempotency_key=key,
    )  # fmt: skip


def test_twenty_redemptions_of_the_whole_balance_exactly_one_wins(
    ledger: Ledger, tenant: str
) -> None:
    earn(ledger, tenant, "a", 500, "fund")
    results = run_together(
        20,
        lambda i: ledger.post(
            tenant,
            [Posting("customer:a:points", "program:redeemed", "PTS", 500)],
            idempotency_key=f"redeem-{i}",
        ),
    )
    kinds = Counter(type(r).__name__ for r in results)
    assert kinds == {"PostResult": 1, "InsufficientFunds": 19}
    balance = ledger.balance(tenant, "customer:a:points", "PTS")
    assert (balance.posted, balance.available) == (0, 0)
    assert ledger.verify(tenant=tenant).ok


def test_holds_and_direct_spends_race_without_overdraft(ledger: Ledger, tenant: str) -> None:
    earn(ledger, tenant, "a", 1000, "fund")
    spend = Posting("customer:a:points", "program:redeemed", "PTS", 150)

    def work(i: int) -> object:
        if i % 2:
            return ledger.hold(tenant, spend, idempotency_key=f"hold-{i}")
        return ledger.post(tenant, [spend], idempotency_key=f"spend-{i}")

    results = run_together(16, work)
    won = sum(not isinstance(r, Exception) for r in results)
    assert won == 6  # 6 x 150 = 900 <= 1000 < 7 x 150
    assert all(isinstance(r, errors.InsufficientFunds) for r in results if isinstance(r, Exception))
    assert ledger.balance(tenant, "customer:a:points", "PTS").available == 100


def test_sixteen_writers_earn_from_one_issuance_account_in_parallel(
    ledger: Ledger, tenant: str
) -> None:
    per_thread = 500

    def work(i: int) -> int:
        for n in range(per_thread):
            earn(ledger, tenant, f"w{i}-{n % 50}", 1 + n % 7, f"earn-{i}-{n}")
        return per_thread

    assert sum(run_together(16, work)) == 16 * per_thread  # type: ignore[arg-type]
    expected = 16 * sum(1 + n % 7 for n in range(per_thread))
    assert ledger.balance(tenant, "program:issuance", "PTS").posted == -expected
    ledger.seal()
    report = ledger.verify(tenant=tenant)
    assert report.ok, report.problems
    with ledger.database.connection() as conn:
        slots = conn.execute(
            "SELECT count(*) FROM balances b JOIN accounts a"
            " ON a.tenant_id = b.tenant_id AND a.id = b.account_id"
            " WHERE b.tenant_id = %s AND a.address = 'program:issuance'",
            (tenant,),
        ).fetchone()
    assert slots is not None and slots[0] > 1  # writers spread over slots, not one hot row


def test_fifty_concurrent_calls_with_one_key_make_one_transaction(
    ledger: Ledger, tenant: str
) -> None:
    results = run_together(
        50,
        lambda i: ledger.post(
            tenant,
            [Posting("program:issuance", "customer:a:points", "PTS", 10)],
            idempotency_key="the-one-key",
        ),
    )
    assert not any(isinstance(r, Exception) for r in results), results
    originals = [r for r in results if not r.replayed]  # type: ignore[union-attr]
    assert len(originals) == 1
    assert {r.transaction.id for r in results} == {originals[0].transaction.id}  # type: ignore[union-attr]
    assert ledger.balance(tenant, "customer:a:points", "PTS").posted == 10


def test_capture_and_void_race_exactly_one_resolves(ledger: Ledger, tenant: str) -> None:
    earn(ledger, tenant, "a", 100, "fund")
    for round_ in range(5):
        hold = ledger.hold(
            tenant, Posting("customer:a:points", "program:redeemed", "PTS", 10),
            idempotency_key=f"hold-{round_}",
        ).hold  # fmt: skip

        def work(i: int, hold_id: int = hold.id, r: int = round_) -> object:
            if i % 2:
                return ledger.void(tenant, hold_id, idempotency_key=f"void-{r}-{i}")
            return ledger.capture(tenant, hold_id, idempotency_key=f"capture-{r}-{i}")

        results = run_together(8, work)
        assert sum(not isinstance(r, Exception) for r in results) == 1, results
        assert all(
            isinstance(r, errors.HoldAlreadyResolved) for r in results if isinstance(r, Exception)
        )
    assert ledger.balance(tenant, "customer:a:points", "PTS").pending_debits == 0
    assert ledger.verify(tenant=tenant).ok


def test_concurrent_partial_reversals_never_exceed_the_original(
    ledger: Ledger, tenant: str
) -> None:
    original = ledger.post(
        tenant, [Posting("program:issuance", "customer:a:points", "PTS", 100)],
        idempotency_key="earn",
    ).transaction  # fmt: skip
    results = run_together(
        12, lambda i: ledger.reverse(tenant, original.id, amount=30, idempotency_key=f"r-{i}")
    )
    assert sum(not isinstance(r, Exception) for r in results) == 3
    assert all(
        isinstance(r, errors.ReversalExceedsOriginal) for r in results if isinstance(r, Exception)
    )
    assert ledger.balance(tenant, "customer:a:points", "PTS").posted == 10


def test_opposite_transfers_do_not_deadlock_and_balances_end_exact(
    ledger: Ledger, tenant: str
) -> None:
    earn(ledger, tenant, "a", 10_000, "fund-a")
    earn(ledger, tenant, "b", 10_000, "fund-b")

    def work(i: int) -> int:
        source, destination = ("a", "b") if i % 2 else ("b", "a")
        for n in range(250):
            ledger.post(
                tenant,
                [Posting(f"customer:{source}:points", f"customer:{destination}:points", "PTS", 3),
                 Posting("program:fees", f"customer:{source}:points", "PTS", 1)],
                idempotency_key=f"transfer-{i}-{n}",
            )  # fmt: skip
        return 250

    assert sum(run_together(4, work)) == 1000  # type: ignore[arg-type]
    a = ledger.balance(tenant, "customer:a:points", "PTS").posted
    b = ledger.balance(tenant, "customer:b:points", "PTS").posted
    assert (a, b) == (10_500, 10_500)
    assert ledger.verify(tenant=tenant).ok


def test_many_writers_creating_the_same_new_accounts_make_each_once(
    ledger: Ledger, tenant: str
) -> None:
    results = run_together(
        12,
        lambda i: ledger.post(
            tenant,
            [
                Posting("program:issuance", "customer:new1:points", "PTS", 1),
                Posting("program:issuance", "customer:new2:points", "PTS", 1),
            ][:: 1 if i % 2 else -1],
            idempotency_key=f"first-use-{i}",
        ),
    )
    assert not any(isinstance(r, Exception) for r in results), results
    assert ledger.balance(tenant, "customer:new1:points", "PTS").posted == 12
    with ledger.database.connection() as conn:
        count = conn.execute(
            "SELECT count(*) FROM accounts WHERE tenant_id = %s AND address LIKE 'customer:new%%'",
            (tenant,),
        ).fetchone()
    assert count == (2,)
