"""The roll-forward of the points the programme owes, over a period.

What customers hold (their points and pending accounts) at the start, every
movement in or out of those accounts during the period by what caused it, and
what they hold at the end. Opening + movements = closing by construction when
every posting is classified; a posting nothing explains lands in ``other``, so
a gap shows instead of hiding. The closing figure is then compared with the
balances the ledger holds, and the report says whether they tie.

Movements are classified by the accounts a posting joins: a customer's points
or pending account on one side, and on the other the programme account that
names the cause (``program:issuance`` for earns and refund reversals,
``program:redeemed``, ``program:conversion``, ``program:expired``,
``program:adjustments``), a partner's exchange account, the customer's own
clawback account (a debt being settled), or another customer (a transfer).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum


class Movement(StrEnum):
    ISSUED = "issued"
    """Earned from purchases and engagement (program:issuance -> customer)."""
    CLAWED_BACK = "clawed_back"
    """Taken back by refunds, pending points cancelled included (customer -> program:issuance)."""
    REDEEMED = "redeemed"
    REDEMPTIONS_REFUNDED = "redemptions_refunded"
    """Redeemed points given back when their order was refunded."""
    CONVERTED = "converted"
    EXPIRED = "expired"
    ADJUSTED = "adjusted"
    DEBT_SETTLED = "debt_settled"
    """Points that paid a clawback debt (customer points -> customer clawback)."""
    EXCHANGED_OUT = "exchanged_out"
    EXCHANGED_IN = "exchanged_in"
    TRANSFERRED = "transferred"
    """Between customers: out and in, which cancel out in the total."""
    ACTIVATED = "activated"
    """From pending to spendable: inside what customers hold, so it nets to zero."""
    OTHER = "other"


CAUSES = {
    "program:issuance": (Movement.ISSUED, Movement.CLAWED_BACK),
    "program:redeemed": (Movement.REDEMPTIONS_REFUNDED, Movement.REDEEMED),
    "program:conversion": (Movement.OTHER, Movement.CONVERTED),
    "program:expired": (Movement.OTHER, Movement.EXPIRED),
    "program:adjustments": (Movement.ADJUSTED, Movement.ADJUSTED),
}
"""For each programme account: (a posting from it to a customer, one to it)."""


def held(address: str) -> bool:
    """Is this one of the accounts whose balance is the points owed?"""
    return address.startswith("customer:") and address.endswith((":points", ":pending"))


def classify(source: str, destination: str) -> tuple[Movement, int] | None:
    """The movement a posting of positive amount makes, and its sign for what
    customers hold (+1 in, -1 out); None if it does not touch what they hold."""
    into, out_of = held(destination), held(source)
    if into and out_of:
        same = source.rsplit(":", 1)[0] == destination.rsplit(":", 1)[0]
        return (Movement.ACTIVATED if same else Movement.TRANSFERRED), 0
    if not (into or out_of):
        return None
    other = source if into else destination
    sign = 1 if into else -1
    if other in CAUSES:
        return CAUSES[other][0 if into else 1], sign
    if other.startswith("partner:"):
        return (Movement.EXCHANGED_IN if into else Movement.EXCHANGED_OUT), sign
    if other.startswith("customer:") and other.endswith(":clawback"):
        return Movement.DEBT_SETTLED, sign
    return Movement.OTHER, sign


@dataclass
class RollForward:
    opening: int
    closing: int
    """Computed from the journal: what customers held at the period's end."""
    movements: dict[Movement, int] = field(default_factory=dict)
    issued_by_kind: dict[str, int] = field(default_factory=dict)
    gross: dict[Movement, int] = field(default_factory=dict)
    """Movements inside what customers hold (activated, transferred), gross: they
    net to zero in the total."""
    written_off: int = 0
    """Refund shortfalls the programme absorbed (write_off policy): no customer
    holding moves, so it is shown beside the movements, not among them."""
    ledger_closing: int | None = None
    """The same total read from the balances the ledger keeps, when the period
    ends now (the tie-out)."""

    @property
    def net_movements(self) -> int:
        return sum(self.movements.values())

    @property
    def balanced(self) -> bool:
        """Opening + movements = closing."""
        return self.opening + self.net_movements == self.closing

    @property
    def ties_to_ledger(self) -> bool | None:
        return None if self.ledger_closing is None else self.ledger_closing == self.closing


def roll_forward(
    opening: int, closing: int, postings: Iterable[tuple[str, str, int]]
) -> RollForward:
    """Classify the period's postings (source, destination, amount)."""
    report = RollForward(opening, closing)
    for source, destination, amount in postings:
        if source == "program:writeoff":
            report.written_off += amount
            continue
        found = classify(source, destination)
        if found is None:
            continue
        movement, sign = found
        if sign == 0:
            report.gross[movement] = report.gross.get(movement, 0) + amount
            continue
        report.movements[movement] = report.movements.get(movement, 0) + sign * amount
    return report
