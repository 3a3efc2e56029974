"""The roll-forward's valuation, without a database: rounding, lot events, write-offs."""

from __future__ import annotations

from fractions import Fraction

import pytest

from punchcard.domain.finance.rollforward import (
    LotEvent,
    Movement,
    RollForward,
    held_value,
    lot_movement,
    rounded,
    valued,
    written_off_value,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Fraction(1, 2), 1), (Fraction(-1, 2), -1), (Fraction(3, 2), 2), (Fraction(-5, 2), -3),
        (Fraction(2, 3), 1), (Fraction(-2, 3), -1), (Fraction(1, 3), 0), (Fraction(-1, 3), 0),
        (Fraction(7), 7), (Fraction(0), 0),
    ],
)  # fmt: skip
def test_rounding_is_half_away_from_zero(value: Fraction, expected: int) -> None:
    assert rounded(value) == expected


def event(event: str, detail: str, points: int, operation: str | None = None) -> LotEvent:
    return LotEvent(event, detail, operation, points, 3, 2)


@pytest.mark.parametrize(
    ("lot", "expected"),
    [
        (event("lot", "earned", 1), (Movement.ISSUED, 1)),
        (event("lot", "bonus", 1), (Movement.ISSUED, 1)),
        (event("lot", "transferred", 1, "transfer"), (Movement.TRANSFERRED, 1)),
        (event("lot", "transferred", 1, "exchange"), (Movement.EXCHANGED_IN, 1)),
        (event("lot", "refunded_redemption", 1), (Movement.REDEMPTIONS_REFUNDED, 1)),
        (event("draw", "hold", 1), (Movement.REDEEMED, -1)),
        (event("draw", "release", 1), (Movement.REDEEMED, 1)),
        (event("draw", "repay", 1), (Movement.CLAWED_BACK, -1)),
        (event("draw", "settle", 1), (Movement.DEBT_SETTLED, -1)),
        (event("draw", "something new", 1), (Movement.OTHER, -1)),
        (event("activate", "earned", 1), (Movement.ACTIVATED, 0)),
    ],
)
def test_each_lot_event_has_one_movement(lot: LotEvent, expected: tuple[Movement, int]) -> None:
    assert lot_movement(lot) == expected


def test_a_hold_voided_in_the_period_is_worth_nothing() -> None:
    events = [event("lot", "earned", 9), event("draw", "hold", 6), event("draw", "release", 6)]
    assert held_value(events) == 6  # 9 points at 2/3
    report = valued(RollForward(0, 9), asset="USD", opening=Fraction(0), closing=Fraction(6),
                    period=events)  # fmt: skip
    assert report.values == {Movement.ISSUED: 6}
    assert report.value_balanced and report.value_rounding == 0


def test_transfers_keep_in_and_out_apart() -> None:
    out = LotEvent("draw", "transfer", None, 100, 3, 2)  # 66 2/3
    received = LotEvent("lot", "transferred", "transfer", 100, 1, 1)  # 100
    report = valued(RollForward(0, 0), asset="USD", opening=Fraction(200, 3),
                    closing=Fraction(100), period=[out, received])  # fmt: skip
    assert report.gross_values == {Movement.TRANSFERRED: 67}
    assert report.values == {Movement.TRANSFERRED: 33}
    assert report.value_balanced and report.value_rounding == 0


def test_an_unexplained_difference_is_not_balanced() -> None:
    report = valued(RollForward(0, 0), asset="USD", opening=Fraction(0), closing=Fraction(1),
                    period=[])  # fmt: skip
    assert not report.value_balanced


def test_a_write_off_is_valued_at_its_orders_lots() -> None:
    rows = [
        (1, 30, 10, 1, 1),  # order 1: 10 points at 1 and 20 at 1/2 -> 2/3 a point
        (1, 30, 20, 2, 1),
        (2, 5, 0, 1, 0),  # order 2: no lots found, so the fallback
    ]
    assert written_off_value(rows, Fraction(3)) == 30 * Fraction(2, 3) + 5 * 3
