"""Holds reserve funds; capture, void or expiry resolves each exactly once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from punchcard import HoldStatus, Ledger, Posting, TransactionKind
from punchcard.domain import errors
from tests.conftest import FakeClock

SPEND = Posting("customer:a:points", "program:redeemed", "PTS", 60)


@pytest.fixture
def funded(clocked_ledger: Ledger, tenant: str) -> Ledger:
    clocked_ledger.post(
        tenant, [Posting("program:issuance", "customer:a:points", "PTS", 100)],
        idempotency_key="fund",
    )  # fmt: skip
    return clocked_ledger


def test_a_hold_reserves_funds_without_posting_them(funded: Ledger, tenant: str) -> None:
    result = funded.hold(tenant, SPEND, idempotency_key="h", timeout=timedelta(minutes=15))
    assert result.hold.status is HoldStatus.PENDING
    assert result.transaction.kind is TransactionKind.HOLD
    customer = funded.balance(tenant, "customer:a:points", "PTS")
    assert (customer.posted, customer.pending_debits, customer.available) == (100, 60, 40)
    assert funded.balance(tenant, "program:redeemed", "PTS").pending_credits == 60
    with pytest.raises(errors.InsufficientFunds):
        funded.post(tenant, [Posting("customer:a:points", "program:redeemed", "PTS", 41)],
                    idempotency_key="spend-too-much")  # fmt: skip
    with pytest.raises(errors.InsufficientFunds):
        funded.hold(tenant, Posting("customer:a:points", "program:redeemed", "PTS", 41),
                    idempotency_key="hold-too-much")  # fmt: skip


def test_partial_capture_posts_part_and_releases_the_rest(funded: Ledger, tenant: str) -> None:
    hold = funded.hold(tenant, SPEND, idempotency_key="h").hold
    captured = funded.capture(tenant, hold.id, amount=45, idempotency_key="c")
    assert captured.transaction.kind is TransactionKind.CAPTURE
    assert captured.transaction.postings == (Posting(SPEND.source, SPEND.destination, "PTS", 45),)
    assert captured.transaction.hold_id == hold.id
    customer = funded.balance(tenant, "customer:a:points", "PTS")
    assert (customer.posted, customer.pending_debits, customer.available) == (55, 0, 55)
    redeemed = funded.balance(tenant, "program:redeemed", "PTS")
    assert (redeemed.posted, redeemed.pending_credits) == (45, 0)
    assert funded.get_hold(tenant, hold.id).status is HoldStatus.CAPTURED


def test_capture_defaults_to_the_full_amount_and_never_more(funded: Ledger, tenant: str) -> None:
    hold = funded.hold(tenant, SPEND, idempotency_key="h").hold
    with pytest.raises(errors.CaptureExceedsHold, match="holds 60"):
        funded.capture(tenant, hold.id, amount=61, idempotency_key="c-big")
    assert funded.get_hold(tenant, hold.id).status is HoldStatus.PENDING
    funded.capture(tenant, hold.id, idempotency_key="c")
    assert funded.balance(tenant, "customer:a:points", "PTS").posted == 40


def test_void_releases_everything(funded: Ledger, tenant: str) -> None:
    hold = funded.hold(tenant, SPEND, idempotency_key="h").hold
    voided = funded.void(tenant, hold.id, idempotency_key="v")
    assert voided.transaction.kind is TransactionKind.VOID and voided.transaction.postings == ()
    customer = funded.balance(tenant, "customer:a:points", "PTS")
    assert (customer.posted, customer.pending_debits, customer.available) == (100, 0, 100)
    assert funded.get_hold(tenant, hold.id).status is HoldStatus.VOIDED


def test_a_hold_resolves_only_once_but_replays_freely(funded: Ledger, tenant: str) -> None:
    hold = funded.hold(tenant, SPEND, idempotency_key="h").hold
    first = funded.capture(tenant, hold.id, amount=10, idempotency_key="c")
    assert funded.capture(tenant, hold.id, amount=10, idempotency_key="c").replayed
    assert (
        funded.capture(tenant, hold.id, amount=10, idempotency_key="c").transaction
        == first.transaction
    )
    with pytest.raises(errors.HoldAlreadyResolved):
        funded.capture(tenant, hold.id, amount=10, idempotency_key="c2")
    with pytest.raises(errors.HoldAlreadyResolved):
        funded.void(tenant, hold.id, idempotency_key="v")
    with pytest.raises(errors.IdempotencyConflict):
        funded.capture(tenant, hold.id, amount=11, idempotency_key="c")
    replay = funded.hold(tenant, SPEND, idempotency_key="h")
    assert replay.replayed and replay.hold.status is HoldStatus.CAPTURED
    assert funded.balance(tenant, "customer:a:points", "PTS").posted == 90


def test_expired_holds_are_swept_once_and_cannot_be_captured(
    funded: Ledger, tenant: str, clock: FakeClock
) -> None:
    short = funded.hold(tenant, SPEND, idempotency_key="short", timeout=timedelta(minutes=5)).hold
    spend = Posting("customer:a:points", "program:redeemed", "PTS", 10)
    forever = funded.hold(tenant, spend, idempotency_key="forever").hold
    clock.advance(timedelta(minutes=6))
    with pytest.raises(errors.HoldExpired):
        funded.capture(tenant, short.id, idempotency_key="late")
    assert funded.expire_holds() >= 1
    assert funded.expire_holds() == 0
    assert funded.get_hold(tenant, short.id).status is HoldStatus.EXPIRED
    assert funded.get_hold(tenant, forever.id).status is HoldStatus.PENDING
    customer = funded.balance(tenant, "customer:a:points", "PTS")
    assert (customer.pending_debits, customer.available) == (10, 90)


def test_hold_expiry_must_be_in_the_future(funded: Ledger, tenant: str, clock: FakeClock) -> None:
    with pytest.raises(errors.InvalidRequest, match="already passed"):
        funded.hold(tenant, SPEND, idempotency_key="h", expires_at=clock.now - timedelta(seconds=1))
    with pytest.raises(errors.InvalidRequest, match="not both"):
        funded.hold(tenant, SPEND, idempotency_key="h", expires_at=clock.now + timedelta(hours=1),
                    timeout=timedelta(hours=1))  # fmt: skip
