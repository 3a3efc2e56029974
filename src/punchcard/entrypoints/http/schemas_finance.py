"""Bodies and answers of the finance reports: the roll-forward, the liability, IFRS 15
breakage and the reconciliation of an orders file, each as JSON or as CSV.

The answers are built from the domain's reports and carry what a reader needs to
check them: the roll-forward its tie-out, the liability how the redemption rate
was chosen, breakage each period's arithmetic. The CLI prints the same documents
(``--json``) and writes the same CSV (``--csv FILE``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any, Self

from pydantic import AfterValidator, AwareDatetime, Field, model_validator

from punchcard.domain.errors import InvalidRequest
from punchcard.domain.finance.breakage import Period, Recognition
from punchcard.domain.finance.liability import Liability
from punchcard.domain.finance.reconciliation import Line, Outcome, Reconciliation
from punchcard.domain.finance.rollforward import Movement, RollForward
from punchcard.entrypoints.http.schemas import Body, Id, Minor
from punchcard.entrypoints.http.schemas_admin import View

MAX = 2**62
Count = Annotated[int, Field(ge=0, le=MAX)]
INTERNAL = (Movement.ACTIVATED, Movement.TRANSFERRED)
"""Movements within what customers hold: they net to zero points in the total."""
MOVEMENTS: tuple[Movement, ...] = tuple(m for m in Movement if m is not Movement.ACTIVATED)
"""Every movement in or out of what customers hold, in the order a report lists them."""


def _reportable(value: datetime) -> datetime:
    # an instant PostgreSQL and Python can both hold in UTC whatever its offset
    if not 1900 <= value.year <= 9000:
        raise ValueError("must be a time from the year 1900 to 9000")
    return value


ReportTime = Annotated[AwareDatetime, AfterValidator(_reportable)]
"""A report's start or end: with a UTC offset (write ``Z``: a ``+`` in a query string
is a space)."""


def checked_period(start: datetime, end: datetime) -> None:
    """A reconciliation's period, refused as the roll-forward refuses one."""
    if start.utcoffset() is None or end.utcoffset() is None:
        raise InvalidRequest("a period's start and end need a UTC offset")
    if start >= end:
        raise InvalidRequest("a period's start must be before its end")


def table(rows: Iterable[Iterable[object]]) -> str:
    """CSV text, one header row first; None is an empty cell, booleans are words."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in rows:
        writer.writerow(["" if v is None else str(v).lower() if isinstance(v, bool) else v
                         for v in row])  # fmt: skip
    return out.getvalue()


# -- the roll-forward ----------------------------------------------------------------------


class Figure(View):
    points: int
    value: int
    """At the issuance value of the lots, in ``value_asset``'s minor unit."""


class RollForwardCheck(View):
    opening_plus_movements: Figure
    closing: Figure
    """What customers held at the end, from the journal."""
    balanced: bool
    """Points: opening + movements = closing."""
    value_balanced: bool
    """Value: the exact (unrounded) opening + movements = the exact closing."""
    value_rounding: int
    """Closing - opening - movements in value: what rounding each figure once left."""
    ledger_closing: Figure | None
    """The same totals read from the balances the ledger keeps and the lots' remains;
    only when the period ends now or later (a past close has nothing to compare with)."""
    ties_to_ledger: bool | None
    value_ties_to_ledger: bool | None
    explanation: str


class RollForwardView(View):
    start: datetime
    end: datetime
    """Exclusive; movements are by effective time."""
    asset: str
    value_asset: str
    opening: Figure
    movements: dict[Movement, Figure]
    """Into (+) and out of (-) what customers hold, by cause; transfers between
    customers net to zero points (their value can differ: see the docs)."""
    issued_by_kind: dict[str, Figure]
    """``issued`` split by the kind of lot it created (earned, bonus, engagement)."""
    internal: dict[Movement, Figure]
    """Gross movements inside what customers hold: pending points activated, and
    points transferred out by one customer and in by another."""
    net_movements: Figure
    closing: Figure
    written_off: Figure
    """Refund shortfalls the programme absorbed (write-off policy): shown beside the
    movements, as no customer's holding moved."""
    check: RollForwardCheck

    @classmethod
    def of(cls, report: RollForward, start: datetime, end: datetime, asset: str) -> Self:
        def fig(points: int, value: int) -> Figure:
            return Figure(points=points, value=value)

        movements = {m: fig(report.movements.get(m, 0), report.values.get(m, 0))
                     for m in MOVEMENTS}  # fmt: skip
        kinds = sorted(set(report.issued_by_kind) | set(report.issued_value_by_kind))
        opening = fig(report.opening, report.opening_value)
        net = fig(report.net_movements, report.net_values)
        closing = fig(report.closing, report.closing_value)
        ledger = None
        if report.ledger_closing is not None:
            ledger = fig(report.ledger_closing, report.ledger_closing_value or 0)
        check = RollForwardCheck(
            opening_plus_movements=fig(opening.points + net.points, opening.value + net.value),
            closing=closing, balanced=report.balanced, value_balanced=report.value_balanced,
            value_rounding=report.value_rounding, ledger_closing=ledger,
            ties_to_ledger=report.ties_to_ledger,
            value_ties_to_ledger=report.value_ties_to_ledger,
            explanation=_explain(report),
        )  # fmt: skip
        return cls(
            start=start, end=end, asset=asset, value_asset=report.value_asset, opening=opening,
            movements=movements,
            issued_by_kind={k: fig(report.issued_by_kind.get(k, 0),
                                   report.issued_value_by_kind.get(k, 0)) for k in kinds},
            internal={m: fig(report.gross.get(m, 0), report.gross_values.get(m, 0))
                      for m in INTERNAL},
            net_movements=net, closing=closing,
            written_off=fig(report.written_off, report.written_off_value), check=check,
        )  # fmt: skip

    def to_csv(self) -> str:
        rows: list[tuple[object, ...]] = [("section", "line", "points", "value")]
        rows.append(("opening", "", self.opening.points, self.opening.value))
        rows += [("movement", m.value, f.points, f.value) for m, f in self.movements.items()]
        rows += [("issued_by_kind", k, f.points, f.value) for k, f in self.issued_by_kind.items()]
        rows += [("internal", m.value, f.points, f.value) for m, f in self.internal.items()]
        rows.append(("net_movements", "", self.net_movements.points, self.net_movements.value))
        rows.append(("closing", "", self.closing.points, self.closing.value))
        rows.append(("written_off", "", self.written_off.points, self.written_off.value))
        check, ledger = self.check, self.check.ledger_closing
        rows.append(("check", "balanced", check.balanced, check.value_balanced))
        rows.append(("check", "value_rounding", "", check.value_rounding))
        rows.append(("check", "ledger_closing", ledger and ledger.points, ledger and ledger.value))
        rows.append(("check", "ties_to_ledger", check.ties_to_ledger, check.value_ties_to_ledger))
        return table(rows)


def _explain(report: RollForward) -> str:
    opening, net, closing = report.opening, report.net_movements, report.closing
    said = f"opening {opening:,} + movements {net:+,} = {opening + net:,} points"
    if report.balanced:
        said += f" = the closing {closing:,} from the journal"
    else:
        said += f", but the journal closes at {closing:,}: {closing - opening - net:+,} unexplained"
    if report.ledger_closing is None:
        return said + "; the period ended before now, so there are no balances to tie to"
    verdict = "ties" if report.ties_to_ledger else "does NOT tie"
    return said + f"; the ledger's balances hold {report.ledger_closing:,}: it {verdict}"


# -- the liability -------------------------------------------------------------------------


class BucketView(View):
    name: str
    """``within_30_days``, ``within_90_days``, ``within_365_days`` (from now, of expiry),
    ``later``, ``never`` (lots without an expiry)."""
    points: int
    value: int


class LiabilityView(View):
    as_of: datetime
    asset: str
    value_asset: str
    buckets: list[BucketView]
    held: Figure
    """Points reserved by open redemption holds: drawn from lots, still owed."""
    points: int
    value: int
    """At the issuance value of each lot, in ``value_asset``'s minor unit."""
    expected_redemption_bp: int
    """Of the points outstanding, the share expected to be redeemed (basis points)."""
    method: str
    """How the rate was chosen: given, or estimated from redeemed vs expired points."""
    breakage_adjusted_value: int
    """value x expected redemption rate, rounded half up: what the programme expects to pay."""
    expected_breakage_value: int
    """value - breakage_adjusted_value."""

    @classmethod
    def of(cls, report: Liability, method: str, asset: str, value_asset: str) -> Self:
        adjusted = report.breakage_adjusted_value
        return cls(
            as_of=report.as_of, asset=asset, value_asset=value_asset,
            buckets=[BucketView(name=b.name, points=b.points, value=b.value)
                     for b in report.buckets],
            held=Figure(points=report.held_points, value=report.held_value),
            points=report.points, value=report.value,
            expected_redemption_bp=report.expected_redemption_bp, method=method,
            breakage_adjusted_value=adjusted, expected_breakage_value=report.value - adjusted,
        )  # fmt: skip

    def to_csv(self) -> str:
        rows: list[tuple[object, ...]] = [("bucket", "points", "value")]
        rows += [(b.name, b.points, b.value) for b in self.buckets]
        rows.append(("held", self.held.points, self.held.value))
        rows.append(("total", self.points, self.value))
        rows.append(("expected_redemption_bp", self.expected_redemption_bp, ""))
        rows.append(("breakage_adjusted", "", self.breakage_adjusted_value))
        return table(rows)


# -- breakage under IFRS 15 ----------------------------------------------------------------


class BreakagePeriod(Body):
    label: Annotated[str, Field(min_length=1, max_length=100)]
    cumulative_redeemed: Count
    """Points redeemed since issue, up to the end of this period."""
    expected_redemptions: Annotated[int, Field(gt=0, le=MAX)] | None = None
    """Points expected to be redeemed in all, estimated at the end of this period."""
    expected_rate_bp: Annotated[int, Field(gt=0, le=10_000)] | None = None
    """Or the same as a rate of the points issued, in basis points. Give neither and
    the rate is estimated from the tenant's history (``method`` says how)."""

    @model_validator(mode="after")
    def _one_expectation(self) -> Self:
        if self.expected_redemptions is not None and self.expected_rate_bp is not None:
            raise ValueError("give at most one of expected_redemptions and expected_rate_bp")
        return self

    @property
    def estimated(self) -> bool:
        return self.expected_redemptions is None and self.expected_rate_bp is None

    def period(self, issued: int, history_bp: int | None = None) -> Period:
        expected = self.expected_redemptions
        if expected is None:
            rate = self.expected_rate_bp if self.expected_rate_bp is not None else history_bp
            assert rate is not None
            expected = max(1, (2 * issued * rate + 10_000) // 20_000)
        return Period(self.label, self.cumulative_redeemed, expected)


class Breakage(Body):
    issued: Annotated[int, Field(gt=0, le=MAX)]
    """Points issued (the performance obligation)."""
    allocated: Minor
    """Revenue allocated to those points, in minor units."""
    periods: list[BreakagePeriod] = Field(min_length=1, max_length=240)

    @property
    def needs_history(self) -> bool:
        return any(p.estimated for p in self.periods)

    def domain(self, history_bp: int | None = None) -> list[Period]:
        return [p.period(self.issued, history_bp) for p in self.periods]


class RecognitionView(View):
    label: str
    cumulative_redeemed: int
    expected_redemptions: int
    expected_rate_bp: int
    cumulative_revenue: int
    """allocated x cumulative_redeemed / expected_redemptions, rounded half up, at most
    allocated."""
    revenue: int
    """Recognised in this period: cumulative revenue less what earlier periods recognised."""
    deferred: int
    """Allocated revenue still deferred (the contract liability) at the period's end."""


class BreakageView(View):
    issued: int
    allocated: int
    periods: list[RecognitionView]
    recognised: int
    """In all the periods."""
    deferred: int
    method: str = "given"
    """How the expected redemptions were chosen: given, or estimated from history."""

    @classmethod
    def of(cls, body: Breakage, recognised: list[Recognition], method: str = "given") -> Self:
        periods = [RecognitionView(
            label=r.label, cumulative_redeemed=r.cumulative_redeemed,
            expected_redemptions=r.expected_redemptions, expected_rate_bp=r.expected_rate_bp,
            cumulative_revenue=r.cumulative_revenue, revenue=r.revenue, deferred=r.deferred,
        ) for r in recognised]  # fmt: skip
        total = periods[-1].cumulative_revenue if periods else 0
        return cls(issued=body.issued, allocated=body.allocated, periods=periods,
                   recognised=total, deferred=body.allocated - total, method=method)  # fmt: skip

    def to_csv(self) -> str:
        names = ("label", "cumulative_redeemed", "expected_redemptions", "expected_rate_bp",
                 "cumulative_revenue", "revenue", "deferred")  # fmt: skip
        return table([names, *([getattr(p, n) for n in names] for p in self.periods)])


# -- reconciliation ------------------------------------------------------------------------


class Order(Body):
    order_id: Id
    amount: Minor


class OrdersDocument(Body):
    """The orders file as JSON, for clients that would rather not send CSV."""

    orders: list[Order] = Field(max_length=100_000)

    def to_csv(self) -> str:
        return table([("order_id", "amount"), *((o.order_id, o.amount) for o in self.orders)])


class LineView(View):
    order_id: str
    outcome: Outcome
    file_amount: int | None
    ledger_amount: int | None
    points: int | None
    """What the ledger's order earned."""
    file_line: int | None
    """The line of the file (the header is line 1)."""


class ReconciliationView(View):
    start: datetime
    end: datetime
    clean: bool
    """Every order matched."""
    counts: dict[Outcome, int]
    lines: list[LineView]
    """The file's orders in its order, then the ledger's orders the file does not list."""

    @classmethod
    def of(cls, report: Reconciliation, start: datetime, end: datetime) -> Self:
        return cls(start=start, end=end, clean=report.clean,
                   counts={o: report.count(o) for o in Outcome},
                   lines=[_line(line) for line in report.lines])  # fmt: skip


def _line(line: Line) -> LineView:
    fields: dict[str, Any] = {name: getattr(line, name) for name in LineView.model_fields}
    return LineView(**fields)
