"""Postings in, balance changes out: the pure arithmetic of a ledger write.

The engine turns a validated list of postings into one ``BalanceChange`` per
(account, asset). Counters only ever grow except pending counters, which a
capture, void or expiry releases with a negative change.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from punchcard.domain import validation
from punchcard.domain.errors import InvalidPosting
from punchcard.domain.model import Posting

MAX_POSTINGS = 256


@dataclass(frozen=True, slots=True)
class BalanceChange:
    posted_debits: int = 0
    posted_credits: int = 0
    pending_debits: int = 0
    pending_credits: int = 0

    def __add__(self, other: BalanceChange) -> BalanceChange:
        return BalanceChange(
            self.posted_debits + other.posted_debits,
            self.posted_credits + other.posted_credits,
            self.pending_debits + other.pending_debits,
            self.pending_credits + other.pending_credits,
        )


def validate(postings: Sequence[Posting]) -> tuple[Posting, ...]:
    if not isinstance(postings, Sequence) or not 0 < len(postings) <= MAX_POSTINGS:
        raise InvalidPosting(f"a transaction needs 1 to {MAX_POSTINGS} postings")
    checked = []
    for i, p in enumerate(postings):
        if not isinstance(p, Posting):
            raise InvalidPosting(f"postings[{i}] is a {type(p).__name__}, not a Posting")
        validation.address(p.source)
        validation.address(p.destination)
        validation.asset_code(p.asset)
        validation.amount(p.amount, what=f"postings[{i}].amount")
        if p.source == p.destination:
            raise InvalidPosting(f"postings[{i}] moves {p.asset} from {p.source} to itself")
        checked.append(p)
    return tuple(checked)


def _merge(
    into: dict[tuple[str, str], BalanceChange], key: tuple[str, str], change: BalanceChange
) -> None:
    into[key] = into[key] + change if key in into else change


def posted_changes(postings: Iterable[Posting]) -> dict[tuple[str, str], BalanceChange]:
    changes: dict[tuple[str, str], BalanceChange] = {}
    for p in postings:
        _merge(changes, (p.source, p.asset), BalanceChange(posted_debits=p.amount))
        _merge(changes, (p.destination, p.asset), BalanceChange(posted_credits=p.amount))
    return changes


def hold_changes(posting: Posting, *, reserve: bool) -> dict[tuple[str, str], BalanceChange]:
    """Reserve (or release) a hold's amount in the pending counters of both sides."""
    amount = posting.amount if reserve else -posting.amount
    return {
        (posting.source, posting.asset): BalanceChange(pending_debits=amount),
        (posting.destination, posting.asset): BalanceChange(pending_credits=amount),
    }


def combine(
    *parts: dict[tuple[str, str], BalanceChange],
) -> dict[tuple[str, str], BalanceChange]:
    out: dict[tuple[str, str], BalanceChange] = {}
    for part in parts:
        for key, change in part.items():
            _merge(out, key, change)
    return out


def addresses(postings: Iterable[Posting]) -> set[str]:
    return {a for p in postings for a in (p.source, p.destination)}
