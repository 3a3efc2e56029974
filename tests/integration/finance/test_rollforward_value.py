"""The roll-forward in value: each lot's issuance value, figures worked out by hand.

The programme's point value changes between earns (3 points for 2 cents, then a
cent a point), so a debit that draws several lots is worth a sum of different
values, and every figure below is computed from the lots the test made.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from fractions import Fraction

from punchcard.domain.finance.rollforward import Movement, rounded
from punchcard.domain.loyalty.programme import NegativeBalancePolicy, Rate, default_programme
from punchcard.service_layer import finance
from punchcard.service_layer.loyalty.facade import Loyalty
from tests.conftest import FakeClock, setup_programme

CHEAP = dataclasses.replace(
    default_programme(), pending_days=0, point_value=Rate(3, 2),
    negative_balance=NegativeBalancePolicy.WRITE_OFF,
)  # fmt: skip
"""3 points are worth 2 cents."""
PAR = dataclasses.replace(CHEAP, point_value=Rate(1, 1))
TWO_THIRDS = Fraction(2, 3)


def test_a_debit_over_two_lots_is_worth_each_lots_value(
    clocked_loyalty: Loyalty, clock: FakeClock
) -> None:
    loyalty = clocked_loyalty
    tenant = setup_programme(loyalty, CHEAP)
    alice = loyalty.enroll(tenant, "alice").id
    start = clock.now
    loyalty.earn_purchase(tenant, alice, order_id="o1", amount=1000_00, currency="USD")
    loyalty.create_programme(tenant, PAR)
    clock.advance(timedelta(minutes=1))
    loyalty.earn_purchase(tenant, alice, order_id="o2", amount=500_00, currency="USD")
    clock.advance(timedelta(minutes=1))
    loyalty.redeem(tenant, alice, option="product", points=1200, idempotency_key="r1")
    clock.advance(timedelta(seconds=1))
    report = finance.rollforward(loyalty, tenant, start - timedelta(hours=1), clock.now)

    issued = 1000 * TWO_THIRDS + 500  # 1,166.67
    redeemed = 1000 * TWO_THIRDS + 200  # the older lot first, then 200 of the newer
    assert report.values == {Movement.ISSUED: 1167, Movement.REDEEMED: -867}
    assert report.issued_value_by_kind == {"earned": 1167}
    assert (report.opening_value, report.closing_value) == (0, rounded(issued - redeemed))
    assert report.closing_value == 300 and report.value_rounding == 0
    assert report.value_balanced and report.value_ties_to_ledger
    assert report.ledger_closing_value == 300
    assert report.value_asset == "USD"
    assert report.movements == {Movement.ISSUED: 1500, Movement.REDEEMED: -1200}


def test_rounding_each_figure_once_is_shown_not_hidden(
    clocked_loyalty: Loyalty, clock: FakeClock
) -> None:
    """Two lots of 1 point at 2/3 cent: each issue rounds to 1, the closing of 4/3 to 1."""
    loyalty = clocked_loyalty
    tenant = setup_programme(loyalty, CHEAP)
    alice = loyalty.enroll(tenant, "alice").id
    start = clock.now
    loyalty.earn_purchase(tenant, alice, order_id="o1", amount=1_00, currency="USD")
    clock.advance(timedelta(hours=1))
    middle = clock.now
    loyalty.earn_purchase(tenant, alice, order_id="o2", amount=1_00, currency="USD")
    clock.advance(timedelta(seconds=1))
    first = finance.rollforward(loyalty, tenant, start, middle)
    second = finance.rollforward(loyalty, tenant, middle, clock.now)
    whole = finance.rollforward(loyalty, tenant, start, clock.now)
    assert (first.values, first.closing_value) == ({Movement.ISSUED: 1}, 1)
    assert (second.opening_value, second.values, second.closing_value) == (
        1, {Movement.ISSUED: 1}, 1,
    )  # fmt: skip
    assert second.value_rounding == -1 and second.value_balanced
    assert (whole.values, whole.closing_value) == ({Movement.ISSUED: 1}, 1)
    assert whole.value_ties_to_ledger


def test_transfers_holds_conversions_and_write_offs_in_value(
    clocked_loyalty: Loyalty, clock: FakeClock
) -> None:
    loyalty = clocked_loyalty
    tenant = setup_programme(loyalty, CHEAP)
    alice, bob = (loyalty.enroll(tenant, name).id for name in ("alice", "bob"))
    start = clock.now
    loyalty.earn_purchase(tenant, alice, order_id="o1", amount=3000_00, currency="USD")
    loyalty.earn_purchase(tenant, bob, order_id="o2", amount=900_00, currency="USD")
    loyalty.create_programme(tenant, PAR)  # from here, new lots are worth a cent a point
    clock.advance(timedelta(minutes=1))
    loyalty.transfer(tenant, from_customer=alice, to_customer=bob, points=300,
                     idempotency_key="t1")  # fmt: skip
    hold = loyalty.authorize(tenant, alice, option="product", points=600, idempotency_key="h1")
    loyalty.capture(tenant, hold.hold_id, points=450, idempotency_key="c1")
    voided = loyalty.authorize(tenant, alice, option="product", points=500, idempotency_key="h2")
    loyalty.void(tenant, voided.hold_id, idempotency_key="v2")
    open_hold = loyalty.authorize(tenant, alice, option="product", points=700, idempotency_key="h3")
    loyalty.convert(tenant, bob, points=1100, idempotency_key="k1")
    loyalty.refund(tenant, order_id="o2", refund_id="f1", amount=900_00)  # bob spent most
    clock.advance(timedelta(seconds=1))
    report = finance.rollforward(loyalty, tenant, start - timedelta(hours=1), clock.now)

    assert report.gross_values[Movement.TRANSFERRED] == rounded(300 * TWO_THIRDS) == 200
    assert report.values[Movement.TRANSFERRED] == 300 - 200  # bob's new lot is worth a cent
    assert report.values[Movement.REDEEMED] == rounded(-450 * TWO_THIRDS) == -300
    # the transferred lot expires first, so the conversion spends it before bob's own
    assert report.values[Movement.CONVERTED] == rounded(-(300 + 800 * TWO_THIRDS)) == -833
    # the refund takes back the 100 points bob had left of the order's lot and
    # writes off the 800 he had spent, at that lot's value
    assert report.values[Movement.CLAWED_BACK] == rounded(-100 * TWO_THIRDS) == -67
    assert report.written_off == 800
    assert report.written_off_value == rounded(800 * TWO_THIRDS) == 533
    alice_left = 3000 - 300 - 450 - 700  # the open hold's points are still hers
    assert report.closing_value == rounded((alice_left + 700) * TWO_THIRDS)
    assert report.value_balanced and report.value_ties_to_ledger
    assert report.balanced and report.ties_to_ledger
    assert open_hold.points == 700


def test_pending_points_activate_at_their_value_and_deficits_repay_in_value(
    clocked_loyalty: Loyalty, clock: FakeClock
) -> None:
    loyalty = clocked_loyalty
    programme = dataclasses.replace(
        CHEAP, pending_days=3, negative_balance=NegativeBalancePolicy.ALLOW_NEGATIVE
    )
    tenant = setup_programme(loyalty, programme)
    alice = loyalty.enroll(tenant, "alice").id
    start = clock.now
    loyalty.earn_purchase(tenant, alice, order_id="o1", amount=900_00, currency="USD")
    loyalty.refund(tenant, order_id="o1", refund_id="f0", amount=300_00)  # cancels 300 pending
    clock.advance(timedelta(days=4))
    loyalty.activate_pending()
    loyalty.redeem(tenant, alice, option="product", points=600, idempotency_key="r1")
    loyalty.refund(tenant, order_id="o1", refund_id="f1", amount=600_00)  # 600 short: -600
    loyalty.create_programme(tenant, dataclasses.replace(programme, point_value=Rate(1, 1)))
    clock.advance(timedelta(minutes=1))
    middle = clock.now
    loyalty.earn_engagement(tenant, alice, event_id="e1", type="referral_completed")  # 1000
    clock.advance(timedelta(seconds=1))
    first = finance.rollforward(loyalty, tenant, start - timedelta(hours=1), middle)
    second = finance.rollforward(loyalty, tenant, middle, clock.now)

    assert first.gross[Movement.ACTIVATED] == 600
    assert first.gross_values[Movement.ACTIVATED] == 400
    assert first.movements[Movement.CLAWED_BACK] == -900
    assert first.values[Movement.CLAWED_BACK] == -200  # the 300 pending; the rest owed no lot
    assert (first.closing, first.closing_value) == (-600, 0)
    # the referral repays the deficit first: clawed back in value now, not in points
    assert second.movements == {Movement.ISSUED: 1000}
    assert second.values == {Movement.ISSUED: 1000, Movement.CLAWED_BACK: -600}
    assert (second.closing, second.closing_value) == (400, 400)
    assert second.value_ties_to_ledger and second.ties_to_ledger
