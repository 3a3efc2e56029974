"""Posting: atomic multi-posting, multi-asset transactions; exactly-once keys; policies."""

from __future__ import annotations

from datetime import timedelta

import psycopg
import pytest

from punchcard import AccountPolicy, Ledger, Posting, TransactionKind
from punchcard.domain import commands, errors
from tests.conftest import setup_tenant


def earn(ledger: Ledger, tenant: str, customer: str, amount: int, key: str) -> int:
    result = ledger.post(
        tenant, [Posting("program:issuance", f"customer:{customer}:points", "PTS", amount)],
        idempotency_key=key,
    )  # fmt: skip
    return result.transaction.id


def test_a_posting_moves_value_and_balances_follow(ledger: Ledger, tenant: str) -> None:
    result = ledger.post(
        tenant,
        [Posting("program:issuance", "customer:a:points", "PTS", 250)],
        idempotency_key="order-1",
        metadata={"order": "1", "lines": [1, 2], "vip": True},
    )
    txn = result.transaction
    assert not result.replayed
    assert txn.kind is TransactionKind.POST
    assert txn.metadata == {"order": "1", "lines": [1, 2], "vip": True}
    customer = ledger.balance(tenant, "customer:a:points", "PTS")
    issuance = ledger.balance(tenant, "program:issuance", "PTS")
    assert (customer.posted, customer.available, customer.posted_credits) == (250, 250, 250)
    assert (issuance.posted, issuance.posted_debits) == (-250, 250)
    assert ledger.transaction(tenant, txn.id) == txn


def test_multi_asset_transactions_are_atomic(ledger: Ledger, tenant: str) -> None:
    earn(ledger, tenant, "a", 1000, "earn")
    convert = [
        Posting("customer:a:points", "program:conversion", "PTS", 1000),
        Posting("program:credit", "customer:a:credit", "USD", 1000),
    ]
    ledger.post(tenant, convert, idempotency_key="convert")
    assert ledger.balance(tenant, "customer:a:credit", "USD").posted == 1000
    assert ledger.balance(tenant, "customer:a:points", "PTS").posted == 0
    # The second leg fails (no points left): the first, though valid, must not land.
    with pytest.raises(errors.InsufficientFunds, match="customer:a:points"):
        ledger.post(
            tenant,
            [Posting("program:credit", "customer:a:credit", "USD", 5),
             Posting("customer:a:points", "program:conversion", "PTS", 1)],
            idempotency_key="convert-again",
        )  # fmt: skip
    assert ledger.balance(tenant, "customer:a:credit", "USD").posted == 1000
    with pytest.raises(errors.UnknownTransaction):
        ledger.transaction(tenant, 10**12)


def test_same_key_same_request_replays_the_original(ledger: Ledger, tenant: str) -> None:
    first = ledger.post(
        tenant, [Posting("program:issuance", "customer:a:points", "PTS", 10)],
        idempotency_key="k", metadata={"x": 1},
    )  # fmt: skip
    again = ledger.post(
        tenant, [Posting("program:issuance", "customer:a:points", "PTS", 10)],
        idempotency_key="k", metadata={"x": 1},
    )  # fmt: skip
    assert again.replayed and again.transaction == first.transaction
    assert ledger.balance(tenant, "customer:a:points", "PTS").posted == 10


@pytest.mark.parametrize(
    "changed",
    [
        {"postings": [Posting("program:issuance", "customer:a:points", "PTS", 11)]},
        {"postings": [Posting("program:issuance", "customer:b:points", "PTS", 10)]},
        {"metadata": {"x": 2}},
    ],
)
def test_same_key_different_request_is_a_conflict(
    ledger: Ledger, tenant: str, changed: dict[str, object]
) -> None:
    request: dict[str, object] = {
        "postings": [Posting("program:issuance", "customer:a:points", "PTS", 10)],
        "metadata": {"x": 1},
    }
    ledger.post(tenant, idempotency_key="k", **request)  # type: ignore[arg-type]
    with pytest.raises(errors.IdempotencyConflict, match="different request"):
        ledger.post(tenant, idempotency_key="k", **(request | changed))  # type: ignore[arg-type]
    assert ledger.balance(tenant, "customer:a:points", "PTS").posted == 10


def test_keys_are_scoped_per_tenant(ledger: Ledger, tenant: str) -> None:
    other = setup_tenant(ledger)
    earn(ledger, tenant, "a", 5, "shared-key")
    assert not ledger.post(
        other, [Posting("program:issuance", "customer:a:points", "PTS", 7)],
        idempotency_key="shared-key",
    ).replayed  # fmt: skip
    assert ledger.balance(other, "customer:a:points", "PTS").posted == 7
    assert ledger.balance(tenant, "customer:a:points", "PTS").posted == 5


def test_unknown_tenant_asset_and_account_are_named(ledger: Ledger, tenant: str) -> None:
    with pytest.raises(errors.UnknownTenant, match="nobody"):
        ledger.post("nobody", [Posting("a:b", "c:d", "PTS", 1)], idempotency_key="k")
    with pytest.raises(errors.UnknownAsset, match="GOLD"):
        ledger.post(tenant, [Posting("program:issuance", "customer:a:x", "GOLD", 1)],
                    idempotency_key="k")  # fmt: skip
    with pytest.raises(errors.UnknownAccount, match="customer:ghost:points"):
        ledger.balance(tenant, "customer:ghost:points", "PTS")


def test_a_bounded_account_cannot_go_negative_but_a_permitted_one_can(
    ledger: Ledger, tenant: str
) -> None:
    ledger.set_account_policy(tenant, "customer:*:debt", AccountPolicy.customer_may_go_negative())
    with pytest.raises(errors.InsufficientFunds):
        ledger.post(tenant, [Posting("customer:a:points", "program:redeemed", "PTS", 1)],
                    idempotency_key="overdraw")  # fmt: skip
    ledger.post(tenant, [Posting("customer:a:debt", "program:redeemed", "PTS", 5)],
                idempotency_key="allowed")  # fmt: skip
    assert ledger.balance(tenant, "customer:a:debt", "PTS").posted == -5


def test_asset_definitions_are_idempotent_and_guarded(ledger: Ledger, tenant: str) -> None:
    assert ledger.create_asset(tenant, "PTS", precision=0).precision == 0
    with pytest.raises(errors.AlreadyExists, match="precision 0"):
        ledger.create_asset(tenant, "PTS", precision=2)
    with pytest.raises(errors.UnknownTenant):
        ledger.create_asset("no-such-tenant", "PTS", precision=0)


def test_point_in_time_balance_uses_effective_time(ledger: Ledger, tenant: str) -> None:
    now = ledger.clock()
    address = "customer:a:points"
    for days, amount in [(10, 100), (5, 20), (1, 3)]:
        ledger.post(
            tenant, [Posting("program:issuance", address, "PTS", amount)],
            idempotency_key=f"back-{days}", effective_at=now - timedelta(days=days),
        )  # fmt: skip
    assert ledger.balance(tenant, address, "PTS", as_of=now - timedelta(days=11)).posted == 0
    assert ledger.balance(tenant, address, "PTS", as_of=now - timedelta(days=6)).posted == 100
    assert ledger.balance(tenant, address, "PTS", as_of=now - timedelta(days=2)).posted == 120
    assert ledger.balance(tenant, address, "PTS", as_of=now).posted == 123
    with pytest.raises(errors.InvalidEffectiveTime, match="30 days"):
        ledger.post(tenant, [Posting("program:issuance", address, "PTS", 1)],
                    idempotency_key="too-old", effective_at=now - timedelta(days=31))  # fmt: skip


def test_history_pages_by_cursor_newest_first(ledger: Ledger, tenant: str) -> None:
    ids = [earn(ledger, tenant, "a", n, f"e{n}") for n in range(1, 8)]
    seen: list[int] = []
    cursor = None
    while True:
        page = ledger.history(tenant, "customer:a:points", "PTS", limit=3, starting_after=cursor)
        seen += [e.transaction_id for e in page.items]
        assert all(e.is_credit and e.asset == "PTS" for e in page.items)
        if not page.has_more:
            assert page.next_cursor is None
            break
        cursor = page.next_cursor
    assert seen == ids[::-1]
    with pytest.raises(errors.InvalidCursor):
        ledger.history(tenant, "customer:a:points", "PTS", starting_after="garbage!")
    with pytest.raises(errors.InvalidRequest, match="limit"):
        ledger.history(tenant, "customer:a:points", "PTS", limit=0)


def test_bad_input_writes_nothing(ledger: Ledger, tenant: str) -> None:
    bad = [
        [Posting("program:issuance", "customer:a:points", "PTS", 0)],
        [Posting("program:issuance", "customer:a:points", "PTS", 1.5)],  # type: ignore[arg-type]
        [Posting("program:issuance", "program:issuance", "PTS", 1)],
        [Posting("program issuance", "customer:a:points", "PTS", 1)],
        [],
    ]
    for postings in bad:
        with pytest.raises(errors.InvalidRequest):
            ledger.post(tenant, postings, idempotency_key="bad")
    with pytest.raises(errors.InvalidMetadata):
        ledger.post(tenant, [Posting("program:issuance", "customer:a:points", "PTS", 1)],
                    idempotency_key="bad", metadata={"rate": 0.5})  # fmt: skip
    with pytest.raises(errors.UnknownAccount):
        ledger.balance(tenant, "customer:a:points", "PTS")


# -- many posts at once (Journal.post_many, the set-based batch's ledger write) -------


def _post(tenant: str, key: str, *postings: Posting) -> commands.Post:
    return commands.Post(tenant=tenant, postings=postings, idempotency_key=key, metadata={})


def test_many_posts_land_as_each_alone_would_and_replay_by_key(ledger: Ledger, tenant: str) -> None:
    earn(ledger, tenant, "a", 100, "seed")
    lot = [
        _post(tenant, "m-1", Posting("program:issuance", "customer:a:points", "PTS", 30)),
        _post(tenant, "m-2", Posting("customer:a:points", "program:redeemed", "PTS", 120)),
        _post(tenant, "m-3", Posting("program:issuance", "customer:b:points", "PTS", 5)),
    ]
    with ledger.unit_of_work() as uow:
        results = uow.journal.post_many(lot)
        uow.commit()
    assert [r.replayed for r in results] == [False, False, False]
    assert ledger.balance(tenant, "customer:a:points", "PTS").posted == 100 + 30 - 120
    assert ledger.balance(tenant, "customer:b:points", "PTS").posted == 5
    assert [ledger.transaction(tenant, r.transaction.id) for r in results] == [
        r.transaction for r in results
    ]
    with ledger.unit_of_work() as uow:
        again = uow.journal.post_many(lot)
        uow.commit()
    assert [(r.replayed, r.transaction.id) for r in again] == [
        (True, r.transaction.id) for r in results
    ]
    assert ledger.verify(tenant=tenant).ok


def test_many_posts_that_would_overdraw_an_account_write_nothing(
    ledger: Ledger, tenant: str, database_url: str
) -> None:
    earn(ledger, tenant, "a", 100, "seed")
    lot = [
        _post(tenant, "o-1", Posting("program:issuance", "customer:b:points", "PTS", 50)),
        _post(tenant, "o-2", Posting("customer:a:points", "program:redeemed", "PTS", 101)),
    ]
    with ledger.unit_of_work() as uow, pytest.raises(errors.InsufficientFunds):
        uow.journal.post_many(lot)  # the unit of work, not committed, rolls back
    assert ledger.balance(tenant, "customer:a:points", "PTS").posted == 100
    with psycopg.connect(database_url, options="-c search_path=punchcard") as conn:
        found = conn.execute(
            "SELECT count(*) FROM transactions"
            " WHERE tenant_id = %s AND idempotency_key LIKE 'o-%%'",
            (tenant,),
        ).fetchone()
    assert found == (0,)
