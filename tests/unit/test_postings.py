"""The pure arithmetic of a write: validation, balance changes, zero-sum."""

from __future__ import annotations

from collections import defaultdict

import pytest
from hypothesis import given
from hypothesis import strategies as st

from punchcard.domain import errors, postings
from punchcard.domain.model import Posting
from punchcard.domain.postings import BalanceChange

ADDRESSES = ["customer:a:points", "customer:b:points", "program:issuance", "program:redeemed"]

valid_postings = st.lists(
    st.tuples(
        st.sampled_from(ADDRESSES), st.sampled_from(ADDRESSES), st.sampled_from(["PTS", "USD"]),
        st.integers(1, 10**12),
    ).filter(lambda t: t[0] != t[1]).map(lambda t: Posting(*t)),
    min_size=1,
    max_size=20,
)  # fmt: skip


def test_validate_refuses_what_is_not_a_ledger_write() -> None:
    with pytest.raises(errors.InvalidPosting, match="1 to 256 postings"):
        postings.validate([])
    with pytest.raises(errors.InvalidPosting, match="1 to 256 postings"):
        postings.validate([Posting("a:b", "c:d", "PTS", 1)] * 257)
    with pytest.raises(errors.InvalidPosting, match=r"postings\[0\] is a tuple"):
        postings.validate([("a:b", "c:d", "PTS", 1)])  # type: ignore[list-item]
    with pytest.raises(errors.InvalidPosting, match=r"postings\[1\] moves PTS from a:b to itself"):
        postings.validate([Posting("a:b", "c:d", "PTS", 1), Posting("a:b", "a:b", "PTS", 1)])
    with pytest.raises(errors.InvalidAmount, match=r"postings\[0\]\.amount"):
        postings.validate([Posting("a:b", "c:d", "PTS", 0)])
    with pytest.raises(errors.InvalidAsset):
        postings.validate([Posting("a:b", "c:d", "pts", 1)])


def test_posted_changes_merge_per_account_and_asset() -> None:
    changes = postings.posted_changes(
        [
            Posting("program:issuance", "customer:a:points", "PTS", 100),
            Posting("customer:a:points", "program:redeemed", "PTS", 30),
            Posting("program:issuance", "customer:a:points", "USD", 5),
        ]
    )
    assert changes[("customer:a:points", "PTS")] == BalanceChange(
        posted_debits=30, posted_credits=100
    )
    assert changes[("customer:a:points", "USD")] == BalanceChange(posted_credits=5)
    assert changes[("program:issuance", "PTS")] == BalanceChange(posted_debits=100)


def test_hold_changes_reserve_and_release_symmetrically() -> None:
    p = Posting("customer:a:points", "program:redeemed", "PTS", 40)
    reserve = postings.hold_changes(p, reserve=True)
    release = postings.hold_changes(p, reserve=False)
    assert reserve[("customer:a:points", "PTS")] == BalanceChange(pending_debits=40)
    assert reserve[("program:redeemed", "PTS")] == BalanceChange(pending_credits=40)
    assert postings.combine(reserve, release) == {k: BalanceChange() for k in reserve}


@given(valid_postings)
def test_every_write_sums_to_zero_per_asset(moves: list[Posting]) -> None:
    changes = postings.posted_changes(postings.validate(moves))
    per_asset: dict[str, int] = defaultdict(int)
    for (_, asset), change in changes.items():
        per_asset[asset] += change.posted_credits - change.posted_debits
    assert set(per_asset.values()) <= {0}


@given(valid_postings)
def test_each_account_moves_by_its_credits_minus_debits(moves: list[Posting]) -> None:
    changes = postings.posted_changes(moves)
    for (address, asset), change in changes.items():
        credits = sum(p.amount for p in moves if p.destination == address and p.asset == asset)
        debits = sum(p.amount for p in moves if p.source == address and p.asset == asset)
        assert (change.posted_credits, change.posted_debits) == (credits, debits)
    assert postings.addresses(moves) == {a for a, _ in changes}
