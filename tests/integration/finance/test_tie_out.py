"""The roll-forward ties out, in points and in value, for random scenarios.

Each example runs a short random scenario on a fresh programme (one of the three
negative-balance policies, pending points or none, a point value that changes
now and then, short expiries): earns, redemptions, holds captured in part or
voided or left open, refunds, expiries, activations, conversions, transfers,
partner exchanges and adjustments, with the clock moving between them. Then, for
random periods cut at the scenario's own moments:

- opening + movements = closing, in points and in exact value, and each period's
  closing is the next one's opening;
- over the whole scenario, the closing equals the customers' balances from the
  ledger, and the closing value equals what their lots have left;
- every movement equals a figure this test computes itself from the raw entries,
  lots, draws and holds (read with its own SQL, classified by each transaction's
  operation rather than by the accounts the report uses).
"""

from __future__ import annotations

import dataclasses
import itertools
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any

from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from punchcard.domain.finance.rollforward import Movement, RollForward
from punchcard.domain.loyalty.programme import NegativeBalancePolicy
from punchcard.service_layer import finance
from punchcard.service_layer.loyalty.facade import Loyalty
from tests.conftest import FakeClock
from tests.integration.finance.random_scenario import Scenario, Step, programme, steps

# -- the figures, from raw rows ----------------------------------------------------------


def rows(loyalty: Loyalty, sql: Any, tenant: str) -> list[tuple[Any, ...]]:
    with loyalty.work() as w:
        return w.connection.execute(sql, {"tenant": tenant}).fetchall()


POSTINGS = """
SELECT c.transaction_id, t.metadata->>'operation', c.effective_at, s.address, d.address,
       c.amount
  FROM entries c
  JOIN entries x USING (tenant_id, transaction_id, posting_index)
  JOIN accounts d ON d.tenant_id = c.tenant_id AND d.id = c.account_id
  JOIN accounts s ON s.tenant_id = x.tenant_id AND s.id = x.account_id
  JOIN transactions t ON t.tenant_id = c.tenant_id AND t.id = c.transaction_id
 WHERE c.tenant_id = %(tenant)s AND c.is_credit AND NOT x.is_credit AND c.asset = 'PTS'
"""

BY_OPERATION = {
    # operation: (movement into what customers hold, movement out of it)
    "earn": (Movement.ISSUED, None),
    "refund": (Movement.REDEMPTIONS_REFUNDED, Movement.CLAWED_BACK),
    "redeem": (None, Movement.REDEEMED),
    "capture": (None, Movement.REDEEMED),
    "convert": (None, Movement.CONVERTED),
    "expire": (None, Movement.EXPIRED),
    "adjust": (Movement.ADJUSTED, Movement.ADJUSTED),
    "exchange": (Movement.EXCHANGED_IN, Movement.EXCHANGED_OUT),
}


def held(address: str) -> bool:
    parts = address.split(":")
    return len(parts) == 3 and parts[0] == "customer" and parts[2] in ("points", "pending")


@dataclass
class Figures:
    opening: int = 0
    closing: int = 0
    movements: Counter[Movement] = dataclasses.field(default_factory=Counter)
    gross: Counter[Movement] = dataclasses.field(default_factory=Counter)
    written_off: int = 0
    write_offs: list[tuple[int, int]] = dataclasses.field(default_factory=list)


def point_figures(postings: list[tuple[Any, ...]], start: datetime, end: datetime) -> Figures:
    figures = Figures()
    for txn, operation, at, source, destination, amount in postings:
        into, out = held(destination), held(source)
        if at < start:
            figures.opening += amount * (into - out)
        if at < end:
            figures.closing += amount * (into - out)
        if not start <= at < end:
            continue
        if source == "program:writeoff":
            figures.written_off += amount
            figures.write_offs.append((txn, amount))
        elif into and out:
            same = source.split(":")[1] == destination.split(":")[1]
            figures.gross[Movement.ACTIVATED if same else Movement.TRANSFERRED] += amount
        elif out and destination.endswith(":clawback"):
            figures.movements[Movement.DEBT_SETTLED] -= amount
        elif into or out:
            movement = BY_OPERATION[operation][0 if into else 1]
            assert movement is not None, (operation, source, destination)
            figures.movements[movement] += amount if into else -amount
    return figures


LOTS = """
SELECT l.id, l.kind, l.amount, l.value_points, l.value_minor, l.transaction_id, l.activated_by,
       t.effective_at, t.metadata->>'operation', l.remaining
  FROM lots l JOIN transactions t ON t.tenant_id = l.tenant_id AND t.id = l.transaction_id
 WHERE l.tenant_id = %(tenant)s
"""
DRAWS = """
SELECT lot_id, transaction_id, amount, reason FROM lot_draws WHERE tenant_id = %(tenant)s
"""
TIMES = """
SELECT t.id, t.effective_at, h.resolved_by, t.metadata->>'order_id'
  FROM transactions t
  LEFT JOIN holds h ON h.tenant_id = t.tenant_id AND h.transaction_id = t.id
 WHERE t.tenant_id = %(tenant)s
"""
ORDERS = "SELECT order_id, transaction_id FROM orders WHERE tenant_id = %(tenant)s"

LOT_KINDS = {"earned": Movement.ISSUED, "bonus": Movement.ISSUED,
             "engagement": Movement.ISSUED, "adjusted": Movement.ADJUSTED,
             "refunded_redemption": Movement.REDEMPTIONS_REFUNDED}  # fmt: skip
REASONS = {"redeem": Movement.REDEEMED, "hold": Movement.REDEEMED, "release": Movement.REDEEMED,
           "convert": Movement.CONVERTED, "transfer": Movement.TRANSFERRED,
           "exchange": Movement.EXCHANGED_OUT, "expire": Movement.EXPIRED,
           "refund": Movement.CLAWED_BACK, "cancel": Movement.CLAWED_BACK,
           "repay": Movement.CLAWED_BACK, "adjust": Movement.ADJUSTED,
           "settle": Movement.DEBT_SETTLED}  # fmt: skip


def to_minor(value: Fraction) -> int:
    """Half away from zero, written again here so the test does not trust the code's."""
    whole, rest = divmod(abs(value), 1)
    magnitude = int(whole) + (rest >= Fraction(1, 2))
    return magnitude if value >= 0 else -magnitude


@dataclass
class Values:
    opening: Fraction = Fraction(0)
    closing: Fraction = Fraction(0)
    movements: dict[Movement, Fraction] = dataclasses.field(default_factory=dict)
    points: Counter[Movement] = dataclasses.field(default_factory=Counter)
    """The same movements' points, counted on the lots."""
    transferred_in: Fraction = Fraction(0)
    transferred_out: Fraction = Fraction(0)
    activated: Fraction = Fraction(0)
    now: Fraction = Fraction(0)
    """What open lots have left plus what open holds drew."""
    lot_value: dict[int, Fraction] = dataclasses.field(default_factory=dict)
    lots_of_transaction: dict[int, list[int]] = dataclasses.field(default_factory=dict)


LotEvent = tuple[Movement, int, int, Fraction, datetime]
"""(movement, sign for what customers hold, points, their value, effective time)."""


def lot_events(
    lots: list[tuple[Any, ...]], draws: list[tuple[Any, ...]], times: dict[int, Any]
) -> Iterator[LotEvent]:
    """Each lot's creation, and each draw (a hold's when it was resolved)."""
    per_point = {lot[0]: Fraction(lot[4], lot[3]) for lot in lots}
    for lot_id, kind, amount, _, _, _, _, at, operation, _ in lots:
        if kind == "transferred":
            movement = Movement.TRANSFERRED if operation == "transfer" else Movement.EXCHANGED_IN
        else:
            movement = LOT_KINDS[kind]
        yield movement, 1, amount, amount * per_point[lot_id], at
    for lot_id, txn, amount, reason in draws:
        at, resolved = times[txn]
        if reason == "hold":
            if resolved is None:
                continue  # still held
            at = times[resolved][0]
        sign = 1 if reason == "release" else -1
        yield REASONS[reason], sign, amount, amount * per_point[lot_id], at


def value_figures(loyalty: Loyalty, tenant: str, start: datetime, end: datetime) -> Values:
    times = {txn: (at, resolved) for txn, at, resolved, _ in rows(loyalty, TIMES, tenant)}
    lots, draws = rows(loyalty, LOTS, tenant), rows(loyalty, DRAWS, tenant)
    figures = Values()
    for movement, sign, points, worth, at in lot_events(lots, draws, times):
        figures.opening += sign * worth if at < start else 0
        figures.closing += sign * worth if at < end else 0
        if not start <= at < end:
            continue
        figures.movements[movement] = figures.movements.get(movement, Fraction(0)) + sign * worth
        figures.points[movement] += sign * points
        if movement is Movement.TRANSFERRED and sign > 0:
            figures.transferred_in += worth
        elif movement is Movement.TRANSFERRED:
            figures.transferred_out += worth
    per_point = {lot[0]: Fraction(lot[4], lot[3]) for lot in lots}
    cancelled: Counter[int] = Counter()  # only a cancellation draws a pending lot
    for lot_id, txn, amount, reason in draws:
        cancelled[lot_id] += amount if reason == "cancel" else 0
        if reason == "hold" and times[txn][1] is None:  # an open hold's points are owed
            figures.now += amount * per_point[lot_id]
    for lot_id, _, amount, _, _, txn, activated, _, _, remaining in lots:
        figures.now += remaining * per_point[lot_id]
        if activated not in (None, txn) and start <= times[activated][0] < end:
            figures.activated += (amount - cancelled[lot_id]) * per_point[lot_id]
    return figures


def written_off_value(
    loyalty: Loyalty, tenant: str, write_offs: list[tuple[int, int]], fallback: Fraction
) -> Fraction:
    order_of = {txn: order for txn, _, _, order in rows(loyalty, TIMES, tenant)}
    earn_of = dict(rows(loyalty, ORDERS, tenant))
    lots = rows(loyalty, LOTS, tenant)
    total = Fraction(0)
    for txn, points in write_offs:
        earn = earn_of.get(order_of[txn])
        own = [(lot[2], Fraction(lot[4], lot[3])) for lot in lots if lot[5] == earn]
        count = sum(n for n, _ in own)
        total += points * (sum(n * v for n, v in own) / count if count else fallback)
    return total


# -- the checks --------------------------------------------------------------------------


def check(
    loyalty: Loyalty, scenario: Scenario, report: RollForward, start: datetime, end: datetime
) -> None:
    tenant = scenario.tenant
    assert report.balanced and report.value_balanced
    assert Movement.OTHER not in report.movements and Movement.OTHER not in report.values

    points = point_figures(rows(loyalty, POSTINGS, tenant), start, end)
    assert (report.opening, report.closing) == (points.opening, points.closing)
    assert report.movements == {m: n for m, n in points.movements.items() if n}
    assert report.gross == {m: n for m, n in points.gross.items() if n}
    assert report.written_off == points.written_off

    values = value_figures(loyalty, tenant, start, end)
    assert report.opening_value == to_minor(values.opening)
    assert report.closing_value == to_minor(values.closing)
    expected = {m: to_minor(v) for m, v in values.movements.items() if v}
    if Movement.TRANSFERRED in values.movements:
        net = to_minor(values.transferred_in) - to_minor(values.transferred_out)
        expected.pop(Movement.TRANSFERRED, None)
        if net:
            expected[Movement.TRANSFERRED] = net
    assert report.values == expected
    assert report.gross_values.get(Movement.TRANSFERRED, 0) == to_minor(values.transferred_out)
    assert report.gross_values.get(Movement.ACTIVATED, 0) == to_minor(values.activated)
    fallback = Fraction(scenario.programme.point_value.value, scenario.programme.point_value.points)
    assert report.written_off_value == to_minor(
        written_off_value(loyalty, tenant, points.write_offs, fallback)
    )
    # The lots and the postings agree on every movement's points, but for the
    # points a refund took from a balance below zero, which no lot held.
    lot_points = {m: n for m, n in values.points.items() if n and m is not Movement.TRANSFERRED}
    posted = dict(report.movements)
    if scenario.programme.negative_balance is NegativeBalancePolicy.ALLOW_NEGATIVE:
        lot_points.pop(Movement.CLAWED_BACK, None)
        posted.pop(Movement.CLAWED_BACK, None)
    assert lot_points == posted


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@example(  # one scenario that reaches every movement, whatever the draw
    policy=NegativeBalancePolicy.CLAWBACK_FROM_FUTURE,
    pending_days=2,
    plan=[
        ("engage", 0, 1, 49), ("activate", 0, 1, 1),
        ("redeem", 0, 1, 1),  # on c0's first order
        ("redeem", 0, 2, 1),
        ("refund", 0, 3, 1),  # all of c0's first order: a redemption back, a debt left
        ("earn", 0, 999, 1), ("transfer", 1, 5, 1),  # c1 -> c0, settling some of the debt
        ("hold", 1, 3, 1), ("convert", 2, 200, 1), ("exchange", 2, 11, 1),
        ("adjust", 1, 100, 1), ("revalue", 0, 1, 1), ("earn", 2, 500, 50),
        ("activate", 0, 1, 1), ("expire", 0, 10, 1),
    ],
    cuts=[3, 9],
)  # fmt: skip
@given(
    policy=st.sampled_from(NegativeBalancePolicy),
    pending_days=st.sampled_from([0, 2]),
    plan=st.lists(steps, min_size=6, max_size=16),
    cuts=st.lists(st.integers(0, 10**6), min_size=1, max_size=3),
)
def test_the_roll_forward_ties_out_for_random_scenarios(
    clocked_loyalty: Loyalty,
    clock: FakeClock,
    policy: NegativeBalancePolicy,
    pending_days: int,
    plan: list[Step],
    cuts: list[int],
) -> None:
    loyalty = clocked_loyalty
    scenario = Scenario.start(loyalty, clock, programme(policy, pending_days))
    scenario.play(plan)
    tenant = scenario.tenant

    first, last = scenario.moments[0] - timedelta(hours=1), clock.now
    whole = finance.rollforward(loyalty, tenant, first, last)
    check(loyalty, scenario, whole, first, last)
    assert whole.ties_to_ledger and whole.value_ties_to_ledger
    balances = [loyalty.balance(tenant, c) for c in scenario.customers]
    assert whole.closing == sum(b.available + b.held + b.pending for b in balances)
    assert whole.closing_value == to_minor(value_figures(loyalty, tenant, first, last).now)
    for movement in sorted({*whole.movements, *whole.gross, *whole.values}):
        event(f"moved: {movement}")  # what the examples reached (--hypothesis-show-statistics)
    if whole.written_off:
        event("moved: written off")

    bounds = sorted({first, last, *(scenario.moments[c % len(scenario.moments)] for c in cuts)})
    previous: RollForward | None = None
    for start, end in itertools.pairwise(bounds):
        report = finance.rollforward(loyalty, tenant, start, end)
        check(loyalty, scenario, report, start, end)
        if previous is not None:
            assert (previous.closing, previous.closing_value) == (
                report.opening, report.opening_value,
            )  # fmt: skip
        previous = report
