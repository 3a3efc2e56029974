"""Reversal arithmetic: never more than the original, across any sequence."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from punchcard.domain import errors
from punchcard.domain.model import Posting
from punchcard.domain.reversal import reversal_postings

EARN = Posting("program:issuance", "customer:a:points", "PTS", 100)
CASHBACK = Posting("program:cashback", "customer:a:credit", "USD", 250)


def test_full_reversal_turns_around_what_remains() -> None:
    pairs = reversal_postings({0: EARN, 1: CASHBACK}, {0: 30}, None)
    assert pairs == [
        (0, Posting("customer:a:points", "program:issuance", "PTS", 70)),
        (1, Posting("customer:a:credit", "program:cashback", "USD", 250)),
    ]


def test_posting_indexes_with_gaps_are_kept() -> None:
    pairs = reversal_postings({2: EARN, 5: CASHBACK}, {5: 250}, None)
    assert pairs == [(2, Posting("customer:a:points", "program:issuance", "PTS", 100))]


def test_partial_reversal_needs_a_single_posting() -> None:
    with pytest.raises(errors.InvalidReversal, match="has 2"):
        reversal_postings({0: EARN, 1: CASHBACK}, {}, 10)
    assert reversal_postings({0: EARN}, {}, 10) == [
        (0, Posting("customer:a:points", "program:issuance", "PTS", 10))
    ]


def test_reversals_cannot_exceed_the_original() -> None:
    with pytest.raises(errors.ReversalExceedsOriginal, match="only 40 of 100"):
        reversal_postings({0: EARN}, {0: 60}, 41)
    with pytest.raises(errors.ReversalExceedsOriginal, match="in full"):
        reversal_postings({0: EARN, 1: CASHBACK}, {0: 100, 1: 250}, None)


@given(st.lists(st.one_of(st.none(), st.integers(1, 150)), max_size=12))
def test_no_sequence_of_reversals_exceeds_the_original(requests: list[int | None]) -> None:
    reversed_so_far: dict[int, int] = {}
    for amount in requests:
        try:
            pairs = reversal_postings({0: EARN}, reversed_so_far, amount)
        except errors.ReversalExceedsOriginal:
            continue
        for index, posting in pairs:
            reversed_so_far[index] = reversed_so_far.get(index, 0) + posting.amount
        assert reversed_so_far[0] <= EARN.amount
