"""Reversals compensate, link to their original, and never exceed it in total."""

from __future__ import annotations

import pytest

from punchcard import Ledger, Posting, TransactionKind
from punchcard.domain import errors


@pytest.fixture
def earned(ledger: Ledger, tenant: str) -> int:
    return ledger.post(
        tenant, [Posting("program:issuance", "customer:a:points", "PTS", 100)],
        idempotency_key="earn",
    ).transaction.id  # fmt: skip


def test_partial_reversals_add_up_to_at_most_the_original(
    ledger: Ledger, tenant: str, earned: int
) -> None:
    first = ledger.reverse(tenant, earned, amount=30, idempotency_key="r1").transaction
    assert first.kind is TransactionKind.REVERSAL and first.reverses_id == earned
    assert first.postings == (Posting("customer:a:points", "program:issuance", "PTS", 30),)
    with pytest.raises(errors.ReversalExceedsOriginal, match="only 70"):
        ledger.reverse(tenant, earned, amount=71, idempotency_key="r2")
    rest = ledger.reverse(tenant, earned, idempotency_key="r3").transaction
    assert rest.postings[0].amount == 70
    with pytest.raises(errors.ReversalExceedsOriginal, match="in full"):
        ledger.reverse(tenant, earned, idempotency_key="r4")
    assert ledger.balance(tenant, "customer:a:points", "PTS").posted == 0
    assert ledger.balance(tenant, "program:issuance", "PTS").posted == 0


def test_full_reversal_of_a_multi_posting_transaction(ledger: Ledger, tenant: str) -> None:
    txn = ledger.post(
        tenant,
        [Posting("program:issuance", "customer:a:points", "PTS", 50),
         Posting("program:cashback", "customer:a:credit", "USD", 125)],
        idempotency_key="earn2",
    ).transaction  # fmt: skip
    with pytest.raises(errors.InvalidReversal, match="one posting"):
        ledger.reverse(tenant, txn.id, amount=10, idempotency_key="partial")
    reversal = ledger.reverse(tenant, txn.id, idempotency_key="full").transaction
    assert {(p.source, p.asset, p.amount) for p in reversal.postings} == {
        ("customer:a:points", "PTS", 50),
        ("customer:a:credit", "USD", 125),
    }
    assert ledger.balance(tenant, "customer:a:credit", "USD").posted == 0


def test_reversal_respects_the_overdraft_guard(ledger: Ledger, tenant: str, earned: int) -> None:
    ledger.post(tenant, [Posting("customer:a:points", "program:redeemed", "PTS", 90)],
                idempotency_key="spend")  # fmt: skip
    with pytest.raises(errors.InsufficientFunds):
        ledger.reverse(tenant, earned, idempotency_key="clawback")
    ledger.reverse(tenant, earned, amount=10, idempotency_key="clawback-what-is-left")
    assert ledger.balance(tenant, "customer:a:points", "PTS").posted == 0


def test_holds_and_voids_cannot_be_reversed(ledger: Ledger, tenant: str, earned: int) -> None:
    hold = ledger.hold(tenant, Posting("customer:a:points", "program:redeemed", "PTS", 5),
                       idempotency_key="h").hold  # fmt: skip
    with pytest.raises(errors.InvalidReversal, match="hold"):
        ledger.reverse(tenant, hold.id, idempotency_key="r-hold")
    void = ledger.void(tenant, hold.id, idempotency_key="v").transaction
    with pytest.raises(errors.InvalidReversal, match="void"):
        ledger.reverse(tenant, void.id, idempotency_key="r-void")


def test_a_reversal_can_itself_be_reversed(ledger: Ledger, tenant: str, earned: int) -> None:
    reversal = ledger.reverse(tenant, earned, amount=40, idempotency_key="r").transaction
    again = ledger.reverse(tenant, reversal.id, idempotency_key="rr").transaction
    assert again.postings == (Posting("program:issuance", "customer:a:points", "PTS", 40),)
    assert ledger.balance(tenant, "customer:a:points", "PTS").posted == 100
