"""The error hierarchy's stable codes, cursors, and the balance arithmetic."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest

from punchcard.domain import errors
from punchcard.domain.cursors import HistoryCursor
from punchcard.domain.model import Balance, Entry


def all_errors() -> list[type[errors.PunchcardError]]:
    found: list[type[errors.PunchcardError]] = []
    pending: list[type[errors.PunchcardError]] = [errors.PunchcardError]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


def test_every_error_has_a_unique_code_a_status_and_a_message() -> None:
    classes = all_errors()
    codes = [cls.code for cls in classes]
    assert len(codes) == len(set(codes)), sorted(codes)
    for cls in classes:
        assert 400 <= cls.http_status < 600, cls
        assert cls.__doc__, cls
        assert cls().message == cls.__doc__.strip()


def test_business_outcomes_are_never_500() -> None:
    expected = [
        errors.InsufficientFunds, errors.IdempotencyConflict, errors.HoldAlreadyResolved,
        errors.HoldExpired, errors.ReversalExceedsOriginal, errors.UnknownAccount,
    ]  # fmt: skip
    for cls in expected:
        assert cls.http_status < 500


def test_balance_arithmetic() -> None:
    balance = Balance("customer:a:points", "PTS", posted_debits=30, posted_credits=100,
                      pending_debits=50, pending_credits=7)  # fmt: skip
    assert (balance.posted, balance.available) == (70, 20)
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    assert Entry(1, 0, "PTS", 5, False, moment).signed_amount == -5
    assert Entry(1, 0, "PTS", 5, True, moment).signed_amount == 5


def test_cursors_round_trip() -> None:
    cursor = HistoryCursor(datetime(2026, 11, 22, 1, 2, 3, 456789, tzinfo=UTC), 42, 3)
    assert HistoryCursor.decode(cursor.encode()) == cursor


def _token(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "token",
    ["", "!!!", _token(b"not json"), _token(b"[1, 2]"), _token(b'[1, "2", 3]'),
     _token(b"[true, 2, 3]"), _token(b'{"a": 1}'), _token(b"[1e400, 2, 3]")],
)  # fmt: skip
def test_garbage_cursors_are_refused(token: str) -> None:
    with pytest.raises(errors.InvalidCursor):
        HistoryCursor.decode(token)
