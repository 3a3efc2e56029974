"""What a compensating transaction posts: the original's postings, turned around.

A reversal never takes back more than the original posted, summed over every
reversal of it. A full reversal turns around what remains of each posting; a
partial one (``amount``) needs an original with a single posting, because
splitting an amount across several postings is a business decision (the refund
use case makes it), not the ledger's.
"""

from __future__ import annotations

from collections.abc import Mapping

from punchcard.domain.errors import InvalidReversal, ReversalExceedsOriginal
from punchcard.domain.model import Posting


def reversal_postings(
    original: Mapping[int, Posting],
    reversed_so_far: Mapping[int, int],
    amount: int | None,
) -> list[tuple[int, Posting]]:
    """Return ``(posting_index, posting)`` pairs keyed by the original's posting indexes
    (a reversal of a reversal may have gaps in them)."""
    remaining = {i: p.amount - reversed_so_far.get(i, 0) for i, p in original.items()}
    if amount is not None:
        if len(original) != 1:
            raise InvalidReversal(
                f"a partial reversal needs a transaction with one posting; this one has "
                f"{len(original)}: reverse it in full, or post the compensating postings"
            )
        [(index, left)] = remaining.items()
        if amount > left:
            raise ReversalExceedsOriginal(
                f"cannot reverse {amount}: only {left} of {original[index].amount} "
                "is left to reverse",
                remaining=left,
            )
        remaining = {index: amount}
    pairs = [
        (i, Posting(p.destination, p.source, p.asset, remaining[i]))
        for i, p in sorted(original.items())
        if remaining[i] > 0
    ]
    if not pairs:
        raise ReversalExceedsOriginal("the transaction has already been reversed in full")
    return pairs
