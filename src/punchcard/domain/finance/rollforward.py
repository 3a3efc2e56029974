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

**Value.** Beside the points, every figure carries a value in the credit asset's
minor unit, at the value per point each lot recorded when it was issued. Value
is read from the lots' own journal: a lot's creation adds its points at its
value, each draw takes points off at the value of the lot it drew. So a movement
that draws several lots is worth the sum, over the lots it drew, of the points
drawn times that lot's value per point; nothing is averaged. A redemption hold
counts when it is resolved (a capture takes the points it kept, a void or an
expiry takes nothing), as the points do: until then they are still held. Two
value movements have no points beside them: points that repay a negative
balance (``allow_negative``) are clawed back in points when the refund posts,
but in value when a later lot repays them, since the deficit itself owes points,
not lots. So value is of the lots customers hold, and it ties to the liability.

Each figure (opening, closing, each movement, each lot kind) is summed exactly
as a ``Fraction`` and rounded once, half away from zero, to a whole minor unit;
the rounded figures can miss each other by those roundings, which
``value_rounding`` shows, while ``value_balanced`` checks the exact sums.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from fractions import Fraction


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
    value_asset: str = ""
    """What the values are in (the programme's credit asset, in its minor unit)."""
    opening_value: int = 0
    closing_value: int = 0
    values: dict[Movement, int] = field(default_factory=dict)
    """Net value in (+) or out (-) of what customers hold, by movement."""
    issued_value_by_kind: dict[str, int] = field(default_factory=dict)
    gross_values: dict[Movement, int] = field(default_factory=dict)
    """Activated: the value that became spendable. Transferred: the value that left
    the senders' lots; ``values[TRANSFERRED]`` is what the receivers' new lots,
    at the point value of their day, are worth more (or less)."""
    written_off_value: int = 0
    """Written-off points at the issuance value of the refunded order's own lots."""
    value_balanced: bool = True
    """Exact opening value + movements = exact closing value."""
    ledger_closing_value: int | None = None
    """The closing value read from what the lots have left (and open holds drew),
    when the period ends now (the tie-out in value)."""

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

    @property
    def net_values(self) -> int:
        return sum(self.values.values())

    @property
    def value_rounding(self) -> int:
        """Closing - opening - movements, in value: what rounding each figure once left."""
        return self.closing_value - self.opening_value - self.net_values

    @property
    def value_ties_to_ledger(self) -> bool | None:
        if self.ledger_closing_value is None:
            return None
        return self.ledger_closing_value == self.closing_value


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


# -- value

CREATED = {
    "earned": Movement.ISSUED,
    "bonus": Movement.ISSUED,
    "engagement": Movement.ISSUED,
    "adjusted": Movement.ADJUSTED,
    "refunded_redemption": Movement.REDEMPTIONS_REFUNDED,
}
"""The movement a new lot of each kind makes (``transferred``: see ``lot_movement``)."""

DRAWN = {
    "redeem": Movement.REDEEMED,
    "hold": Movement.REDEEMED,
    "release": Movement.REDEEMED,
    "convert": Movement.CONVERTED,
    "transfer": Movement.TRANSFERRED,
    "exchange": Movement.EXCHANGED_OUT,
    "expire": Movement.EXPIRED,
    "refund": Movement.CLAWED_BACK,
    "cancel": Movement.CLAWED_BACK,
    "repay": Movement.CLAWED_BACK,
    "adjust": Movement.ADJUSTED,
    "settle": Movement.DEBT_SETTLED,
}
"""The movement a draw of each reason makes; a release gives points back."""


@dataclass(frozen=True, slots=True)
class LotEvent:
    """Points a lot gained or lost, summed for one kind of event and one value."""

    event: str
    """``lot`` (created), ``draw`` (drawn or released) or ``activate``."""
    detail: str
    """The lot's kind, or the draw's reason."""
    operation: str | None
    """The operation that created the lot (tells a transfer from an exchange)."""
    points: int
    value_points: int
    value_minor: int

    @property
    def worth(self) -> Fraction:
        return Fraction(self.points * self.value_minor, self.value_points)


def lot_movement(event: LotEvent) -> tuple[Movement, int]:
    """The movement a lot event makes and its sign for what customers hold."""
    if event.event == "activate":
        return Movement.ACTIVATED, 0
    if event.event == "lot":
        if event.detail == "transferred":
            moved = Movement.TRANSFERRED if event.operation == "transfer" else Movement.EXCHANGED_IN
            return moved, 1
        return CREATED.get(event.detail, Movement.OTHER), 1
    return DRAWN.get(event.detail, Movement.OTHER), 1 if event.detail == "release" else -1


def rounded(value: Fraction) -> int:
    """To a whole minor unit, half away from zero."""
    half_up = (2 * abs(value.numerator) + value.denominator) // (2 * value.denominator)
    return half_up if value >= 0 else -half_up


def held_value(events: Iterable[LotEvent]) -> Fraction:
    """What the lots hold after ``events`` (everything up to a moment), exactly."""
    total = Fraction(0)
    for event in events:
        total += lot_movement(event)[1] * event.worth
    return total


def written_off_value(
    rows: Iterable[tuple[int, int, int, int, int]], fallback: Fraction
) -> Fraction:
    """Rows (transaction, points written off, lot points, value points, value minor)
    of each refund's write-off and its order's earned lots: the points at those
    lots' amount-weighted value per point (``fallback`` if none was found)."""
    shortfall: dict[int, int] = {}
    lots: dict[int, tuple[int, Fraction]] = {}
    for txn, points, lot_points, value_points, value_minor in rows:
        shortfall[txn] = points
        count, worth = lots.get(txn, (0, Fraction(0)))
        if lot_points:
            lots[txn] = count + lot_points, worth + Fraction(lot_points * value_minor, value_points)
    total = Fraction(0)
    for txn, points in shortfall.items():
        count, worth = lots.get(txn, (0, Fraction(0)))
        total += points * (worth / count if count else fallback)
    return total


def valued(
    report: RollForward,
    *,
    asset: str,
    opening: Fraction,
    closing: Fraction,
    period: Iterable[LotEvent],
    written_off: Fraction = Fraction(0),
) -> RollForward:
    """``report`` with its values: ``opening`` and ``closing`` what the lots held at
    the period's start and end (see ``held_value``), ``period`` the lot events
    between them."""
    exact: dict[Movement, Fraction] = {}
    by_kind: dict[str, Fraction] = {}
    gross: dict[Movement, Fraction] = {}
    transferred_in = Fraction(0)
    for event in period:
        movement, sign = lot_movement(event)
        if movement is Movement.ACTIVATED:
            gross[movement] = gross.get(movement, Fraction(0)) + event.worth
            continue
        exact[movement] = exact.get(movement, Fraction(0)) + sign * event.worth
        if movement is Movement.ISSUED:
            by_kind[event.detail] = by_kind.get(event.detail, Fraction(0)) + event.worth
        if movement is Movement.TRANSFERRED:
            if sign > 0:
                transferred_in += event.worth
            else:
                gross[movement] = gross.get(movement, Fraction(0)) + event.worth
    values = {m: rounded(v) for m, v in exact.items() if v}
    if Movement.TRANSFERRED in exact:  # in and out rounded apart, so in = gross + net
        out = rounded(gross.get(Movement.TRANSFERRED, Fraction(0)))
        values[Movement.TRANSFERRED] = rounded(transferred_in) - out
        if not values[Movement.TRANSFERRED]:
            del values[Movement.TRANSFERRED]
    return replace(
        report,
        value_asset=asset,
        opening_value=rounded(opening),
        closing_value=rounded(closing),
        values=values,
        issued_value_by_kind={kind: rounded(v) for kind, v in sorted(by_kind.items())},
        gross_values={m: rounded(v) for m, v in gross.items()},
        written_off_value=rounded(written_off),
        value_balanced=opening + sum(exact.values(), Fraction(0)) == closing,
    )
