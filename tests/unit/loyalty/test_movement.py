"""A movement plans one operation's postings, draws, lots and debts, all in memory."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from punchcard.domain.errors import InsufficientFunds, InsufficientPoints
from punchcard.domain.loyalty import accounts
from punchcard.domain.loyalty.lots import Draw, DrawReason, Lot
from punchcard.domain.loyalty.movement import CustomerState, LotDraw, Movement, NewLot
from punchcard.domain.loyalty.programme import (
    LotKind,
    NegativeBalancePolicy,
    Rate,
    default_programme,
)
from punchcard.domain.model import Posting

NOW = datetime(2026, 5, 10, 12, tzinfo=UTC)
CUS = "cus_1"
POINTS = accounts.points(CUS)
CLAWBACK = accounts.clawback(CUS)


def movement(
    policy: NegativeBalancePolicy = NegativeBalancePolicy.CLAWBACK_FROM_FUTURE,
    *,
    deficit: int = 0,
    debt: int = 0,
) -> Movement:
    programme = replace(default_programme(), negative_balance=policy)
    return Movement(programme, NOW, {CUS: CustomerState(CUS, "ext-1", deficit, debt)})


def pts(source: str, destination: str, amount: int) -> Posting:
    return Posting(source, destination, "PTS", amount)


def active_lot(id: int, remaining: int, expires_in_days: int = 30) -> Lot:
    issued = NOW - timedelta(days=5)
    return Lot(
        id, CUS, LotKind.EARNED, remaining, remaining, issued, issued,
        NOW + timedelta(days=expires_in_days), Rate(1, 1), 1, 1,
    )  # fmt: skip


def test_a_credit_pending_until_later_goes_to_the_pending_account() -> None:
    m = movement(deficit=30, debt=20)
    until = NOW + timedelta(days=14)
    lot = m.credit(CUS, 100, kind=LotKind.EARNED, source=accounts.ISSUANCE, pending_until=until,
                   order_id="o-1")  # fmt: skip
    assert lot is not None
    assert m.postings == [pts(accounts.ISSUANCE, accounts.pending(CUS), 100)]
    assert (lot.pending, lot.active_from, lot.order_id) == (True, until, "o-1")
    assert (lot.repaid, lot.settled, lot.remaining) == (0, 0, 100)
    assert lot.expires_at == datetime(2028, 5, 10, 12, tzinfo=UTC)  # earned: 24 months
    assert m.customers[CUS] == CustomerState(CUS, "ext-1", 30, 20)
    assert m.new_lots == [lot]


def test_a_credit_pending_until_now_is_spendable_at_once() -> None:
    m = movement()
    lot = m.credit(CUS, 10, kind=LotKind.BONUS, source=accounts.ISSUANCE, pending_until=NOW)
    assert lot is not None
    assert not lot.pending
    assert lot.active_from == NOW
    assert m.postings == [pts(accounts.ISSUANCE, POINTS, 10)]


def test_nothing_is_credited_for_zero_points() -> None:
    m = movement()
    assert m.credit(CUS, 0, kind=LotKind.EARNED, source=accounts.ISSUANCE) is None
    assert (m.postings, m.new_lots) == ([], [])


def test_a_credit_repays_the_negative_balance_then_settles_the_debt() -> None:
    m = movement(deficit=30, debt=50)
    lot = m.credit(CUS, 100, kind=LotKind.EARNED, source=accounts.ISSUANCE)
    assert lot is not None
    # The repaid 30 need no posting: the points account simply climbs back from -30.
    assert m.postings == [pts(accounts.ISSUANCE, POINTS, 100), pts(POINTS, CLAWBACK, 50)]
    assert (lot.repaid, lot.settled, lot.remaining) == (30, 50, 20)
    assert (m.customers[CUS].deficit, m.customers[CUS].debt) == (0, 0)


def test_a_small_credit_only_repays_part_of_the_deficit() -> None:
    m = movement(deficit=30, debt=50)
    lot = m.credit(CUS, 20, kind=LotKind.EARNED, source=accounts.ISSUANCE)
    assert lot is not None
    assert m.postings == [pts(accounts.ISSUANCE, POINTS, 20)]
    assert (lot.repaid, lot.settled, lot.remaining) == (20, 0, 0)
    assert (m.customers[CUS].deficit, m.customers[CUS].debt) == (10, 50)


def test_a_debit_spends_lots_in_order_and_records_its_draws() -> None:
    m = movement()
    lots = [active_lot(1, 40, expires_in_days=60), active_lot(2, 40, expires_in_days=10)]
    draws = m.debit(CUS, lots, 50, destination=accounts.REDEEMED, reason=DrawReason.REDEEM)
    assert draws == [Draw(2, 40), Draw(1, 10)]
    assert m.postings == [pts(POINTS, accounts.REDEEMED, 50)]
    assert m.draws == [
        LotDraw(Draw(2, 40), DrawReason.REDEEM),
        LotDraw(Draw(1, 10), DrawReason.REDEEM),
    ]


def test_a_debit_is_all_or_nothing() -> None:
    m = movement()
    with pytest.raises(InsufficientPoints, match="cus_1 has 40 spendable points; 50") as caught:
        m.debit(CUS, [active_lot(1, 40)], 50, destination=accounts.REDEEMED,
                reason=DrawReason.REDEEM)  # fmt: skip
    assert isinstance(caught.value, InsufficientFunds)
    assert caught.value.code == "insufficient_points"
    assert caught.value.http_status == 422
    assert caught.value.details == {"customer_id": CUS, "available": 40}
    assert (m.postings, m.draws) == ([], [])


def test_take_back_reports_the_shortfall() -> None:
    m = movement()
    lots = [active_lot(1, 40), active_lot(2, 40, expires_in_days=90)]
    shortfall = m.take_back(CUS, lots, 100, destination=accounts.ISSUANCE, first=[2])
    assert shortfall == 20
    assert m.postings == [pts(POINTS, accounts.ISSUANCE, 80)]
    assert [d.draw for d in m.draws] == [Draw(2, 40), Draw(1, 40)]
    assert {d.reason for d in m.draws} == {DrawReason.REFUND}


@pytest.mark.parametrize(
    ("policy", "posting", "deficit", "debt"),
    [
        (NegativeBalancePolicy.ALLOW_NEGATIVE, pts(POINTS, accounts.ISSUANCE, 25), 35, 5),
        (NegativeBalancePolicy.CLAWBACK_FROM_FUTURE, pts(CLAWBACK, accounts.ISSUANCE, 25), 10, 30),
        (NegativeBalancePolicy.WRITE_OFF, pts(accounts.WRITEOFF, accounts.ISSUANCE, 25), 10, 5),
    ],
)
def test_owe_follows_the_policy(
    policy: NegativeBalancePolicy, posting: Posting, deficit: int, debt: int
) -> None:
    m = movement(policy, deficit=10, debt=5)
    before = dict(m.customers)
    m.owe(CUS, 25, destination=accounts.ISSUANCE)
    assert m.postings == [posting]
    assert (m.customers[CUS].deficit, m.customers[CUS].debt) == (deficit, debt)
    changed = [] if policy is NegativeBalancePolicy.WRITE_OFF else [m.customers[CUS]]
    assert m.changed_customers(before) == changed


def test_owing_nothing_does_nothing() -> None:
    m = movement(NegativeBalancePolicy.ALLOW_NEGATIVE)
    m.owe(CUS, 0, destination=accounts.ISSUANCE)
    assert m.postings == []
    assert m.customers[CUS].deficit == 0


def test_new_lots_become_drawable_with_negative_ids_in_creation_order() -> None:
    m = movement(deficit=5)
    first = m.credit(CUS, 30, kind=LotKind.EARNED, source=accounts.ISSUANCE)
    pending = m.credit(CUS, 7, kind=LotKind.EARNED, source=accounts.ISSUANCE,
                       pending_until=NOW + timedelta(days=1))  # fmt: skip
    second = m.credit(CUS, 20, kind=LotKind.REFUNDED_REDEMPTION, source=accounts.REDEEMED)
    assert first is not None and pending is not None and second is not None
    a, p, b = m.as_lot(first), m.as_lot(pending), m.as_lot(second)
    assert (a.id, p.id, b.id) == (-1, -2, -3)
    assert (a.remaining, a.activated_by, a.point_value) == (25, 0, Rate(1, 1))
    assert p.pending and not p.spendable(NOW)
    assert b.expires_at == datetime(2027, 6, 1, tzinfo=UTC)  # 12 months, end of month
    draws = m.debit(CUS, [a, p, b], 40, destination=accounts.REDEEMED, reason=DrawReason.REDEEM)
    assert draws == [Draw(-3, 20), Draw(-1, 20)]


def test_as_lot_finds_the_lot_by_identity() -> None:
    m = movement()
    twin = NewLot(CUS, LotKind.BONUS, 5, NOW, NOW, None, False)
    m.new_lots.extend([twin, replace(twin)])
    assert m.as_lot(m.new_lots[1]).id == -2
