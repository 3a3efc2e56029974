"""Random loyalty operations against an in-memory model of every lot and balance.

Two or three customers of one fresh programme per example earn, redeem, hold and
capture or void, convert, get refunded, transfer, exchange with a partner and get
adjusted, while the clock moves and the sweeps expire and activate lots. The model
predicts each lot (kind, amount, what is left, status, expiry), each balance, and
which operations must be refused with which error (a refused one changes nothing).
After every step the API must agree with the model and with itself (open lots less
the deficit are the available balance); at the end `verify` recomputes everything
from the journal and the seal chain.
"""

from __future__ import annotations

import dataclasses
import os
from datetime import timedelta
from functools import partial

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from punchcard.domain import errors
from punchcard.domain.loyalty import accounts
from punchcard.domain.loyalty.commands import Direction
from punchcard.domain.loyalty.lots import LotStatus
from punchcard.domain.loyalty.programme import (
    LotKind,
    NegativeBalancePolicy,
    Programme,
    default_programme,
)
from punchcard.domain.loyalty.results import AdjustmentStatus, EarnResult
from punchcard.service_layer.loyalty.facade import Loyalty
from tests.conftest import FakeClock, setup_programme
from tests.integration.loyalty.model import (
    CHECKER,
    MAKER,
    OPTION,
    PARTNER,
    PURCHASES,
    Hold,
    Holder,
    Model,
    Order,
    attempt,
    hundreds,
    row,
)

pytestmark = pytest.mark.slow


class LoyaltyMachine(RuleBasedStateMachine):
    loyalty: Loyalty
    clock: FakeClock
    programme: Programme

    def __init__(self) -> None:
        super().__init__()
        self.n = 0
        self.purchases: dict[str, tuple[int, int, EarnResult]] = {}

    def key(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}-{self.n}"

    def pick(self, who: int) -> tuple[int, str]:
        c = who % len(self.ids)
        return c, self.ids[c]

    def order_of(self, c: int, data: st.DataObject) -> str | None:
        """Maybe one of the customer's orders, for a redemption to pay for."""
        mine = sorted(o for o, order in self.model.orders.items() if order.customer == c)
        return data.draw(st.sampled_from([None, *mine]))

    @initialize(customers=st.integers(2, 3), pending_days=st.sampled_from([0, 14]),
                funds=st.lists(PURCHASES, min_size=3, max_size=3))  # fmt: skip
    def programme_with_customers(self, customers: int, pending_days: int, funds: list[int]) -> None:
        """Purchase points pending for 14 days or none. Each customer starts with a
        referral (1000 points, never pending) and a purchase."""
        self.programme = dataclasses.replace(self.programme, pending_days=pending_days)
        self.tenant = setup_programme(self.loyalty, self.programme, prefix="sm")
        self.ids = [self.loyalty.enroll(self.tenant, f"shop-{i}").id for i in range(customers)]
        self.model = Model(self.programme, self.clock, [Holder() for _ in range(customers)])
        for c in range(customers):
            self.earn_engagement(c, "referral_completed")
            self.earn_purchase(c, funds[c], replay=False)

    # -- earning

    @rule(who=st.integers(0, 2), amount=PURCHASES, replay=st.sampled_from([False] * 3 + [True]))
    def earn_purchase(self, who: int, amount: int, replay: bool) -> None:
        """A new order; or, now and then, an earlier one sent again, which returns the
        first result and changes nothing (and is refused with a different amount)."""
        if replay and self.purchases:
            order_id = sorted(self.purchases)[who % len(self.purchases)]
            c, amount, first = self.purchases[order_id]
            earn = partial(self.loyalty.earn_purchase, self.tenant, self.ids[c],
                           order_id=order_id, currency="USD")  # fmt: skip
            assert earn(amount=amount) == dataclasses.replace(first, replayed=True)
            with pytest.raises(errors.IdempotencyConflict):
                earn(amount=amount + 100)
            return
        c, cid = self.pick(who)
        order_id = self.key("o")
        result = self.loyalty.earn_purchase(
            self.tenant, cid, order_id=order_id, amount=amount, currency="USD"
        )
        pending_until = self.clock.now + timedelta(days=self.programme.pending_days)
        lot = self.model.credit(
            c, amount // 100, LotKind.EARNED, pending_until=pending_until, order_id=order_id
        )
        expected = [] if lot is None else [(lot.amount, lot.pending)]
        assert [(credited.points, credited.pending) for credited in result.lots] == expected
        assert (result.points, result.replayed) == (amount // 100, False)
        self.model.orders[order_id] = Order(c, amount, amount // 100)
        self.purchases[order_id] = (c, amount, result)

    @rule(
        who=st.integers(0, 2), kind=st.sampled_from(sorted(default_programme().engagement_points))
    )
    def earn_engagement(self, who: int, kind: str) -> None:
        c, cid = self.pick(who)
        result = self.loyalty.earn_engagement(self.tenant, cid, event_id=self.key("e"), type=kind)
        assert result.points == self.programme.engagement_points[kind]
        self.model.credit(c, result.points, LotKind.ENGAGEMENT)

    # -- spending

    @rule(who=st.integers(0, 2), points=st.none() | st.integers(500, 2500), data=st.data())
    def redeem(self, who: int, points: int | None, data: st.DataObject) -> None:
        """``points=None`` redeems the whole available balance (at least the minimum)."""
        c, cid = self.pick(who)
        points = max(points or self.model.holders[c].available, 500)
        order_id = self.order_of(c, data)
        result = attempt(self.model.refusal(c, points), partial(
            self.loyalty.redeem, self.tenant, cid, option=OPTION, points=points,
            idempotency_key=self.key("r"), order_id=order_id,
        ))  # fmt: skip
        if result is not None:
            assert (result.points, result.value) == (points, points * 100 // 80)
            self.model.debit(c, points)
            if order_id is not None:
                self.model.orders[order_id].redeemed += points

    @rule(who=st.integers(0, 2), points=st.none() | st.integers(500, 2000),
          timeout=st.sampled_from([timedelta(minutes=15), timedelta(days=30)]),
          data=st.data())  # fmt: skip
    def authorize(
        self, who: int, points: int | None, timeout: timedelta, data: st.DataObject
    ) -> None:
        """``points=None`` holds everything spendable (at least the minimum)."""
        c, cid = self.pick(who)
        points = max(points or self.model.spendable(c), 500)
        order_id = self.order_of(c, data)
        result = attempt(self.model.refusal(c, points), partial(
            self.loyalty.authorize, self.tenant, cid, option=OPTION, points=points,
            idempotency_key=self.key("a"), timeout=timeout, order_id=order_id,
        ))  # fmt: skip
        if result is not None:
            draws, _ = self.model.draw(c, points)
            self.model.holders[c].held += points
            self.model.holds[result.hold_id] = Hold(c, points, draws, result.expires_at, order_id)

    @precondition(lambda self: self.model.holds)
    @rule(data=st.data(), part=st.none() | st.integers(1, 100))
    def capture(self, data: st.DataObject, part: int | None) -> None:
        hold_id = data.draw(st.sampled_from(sorted(self.model.holds)))
        held = self.model.holds[hold_id].points
        points = None if part is None else max(1, held * part // 100)
        result = self.loyalty.capture(
            self.tenant, hold_id, points=points, idempotency_key=self.key("c")
        )
        assert result.points == (points or held)
        self.model.resolve(hold_id, points or held)

    @precondition(lambda self: self.model.holds)
    @rule(data=st.data())
    def void(self, data: st.DataObject) -> None:
        hold_id = data.draw(st.sampled_from(sorted(self.model.holds)))
        result = self.loyalty.void(self.tenant, hold_id, idempotency_key=self.key("v"))
        assert result.released == self.model.holds[hold_id].points
        self.model.resolve(hold_id, 0)

    @rule(who=st.integers(0, 2), points=st.integers(1, 15).map(hundreds) | st.integers(1, 1500))
    def convert(self, who: int, points: int) -> None:
        """Whole units of 100 points become $1 each; the remainder stays."""
        c, cid = self.pick(who)
        converted = points // 100 * 100
        refusal = self.model.refusal(c, converted) if converted else errors.BelowMinimum
        result = attempt(refusal, partial(
            self.loyalty.convert, self.tenant, cid, points=points, idempotency_key=self.key("cv")
        ))  # fmt: skip
        if result is not None:
            assert (result.points, result.credit, result.remainder) == (
                converted, converted, points - converted
            )  # fmt: skip
            self.model.debit(c, converted)
            self.model.holders[c].credit += converted

    # -- refunds

    @precondition(lambda self: self.model.orders)
    @rule(data=st.data(), how=st.sampled_from(["part", "part", "rest", "over"]),
          share=st.integers(1, 99))  # fmt: skip
    def refund(self, data: st.DataObject, how: str, share: int) -> None:
        """Part or the rest of an order, or more than is left (refused). Mostly an order
        whose points were partly spent or are held, so a large share leaves a shortfall."""
        model = self.model
        spent = [o for o, order in model.orders.items()
                 if model.spendable(order.customer) < order.earned - order.reversed]  # fmt: skip
        held = [o for o in spent if model.holding(model.orders[o].customer)]
        orders = data.draw(st.sampled_from([held, spent, list(model.orders)]))
        order_id = data.draw(st.sampled_from(sorted(orders or model.orders)))
        order = model.orders[order_id]
        left = order.amount - order.refunded
        amount = {"part": max(1, left * share // 100), "rest": max(1, left),
                  "over": left + share}[how]  # fmt: skip
        refund = partial(
            self.loyalty.refund, self.tenant, order_id=order_id, refund_id=self.key("rf"),
            amount=amount,
        )  # fmt: skip
        if amount > left:
            attempt(errors.RefundExceedsOrder, refund)
            return
        result = refund()
        plan = model.refund(order_id, amount)
        assert (result.points_reversed, result.points_cancelled, result.shortfall,
                result.points_recredited) == dataclasses.astuple(plan)  # fmt: skip

    # -- moving points

    @rule(who=st.integers(0, 2), other=st.integers(0, 1), points=st.none() | st.integers(1, 1500))
    def transfer(self, who: int, other: int, points: int | None) -> None:
        """``points=None`` transfers the whole available balance."""
        c, sender = self.pick(who)
        d, receiver = self.pick(c + 1 + other % (len(self.ids) - 1))
        points = max(points or self.model.holders[c].available, 1)
        result = attempt(self.model.refusal(c, points), partial(
            self.loyalty.transfer, self.tenant, from_customer=sender, to_customer=receiver,
            points=points, idempotency_key=self.key("t"),
        ))  # fmt: skip
        if result is not None:
            self.model.debit(c, points)
            self.model.credit(d, points, LotKind.TRANSFERRED)

    @rule(who=st.integers(0, 2), points=st.integers(1, 1200))
    def exchange_out(self, who: int, points: int) -> None:
        c, cid = self.pick(who)
        miles = points // 2
        refusal = self.model.refusal(c, miles * 2) if miles else errors.BelowMinimum
        result = attempt(refusal, partial(
            self.loyalty.exchange, self.tenant, cid, partner=PARTNER, amount=points,
            idempotency_key=self.key("x"),
        ))  # fmt: skip
        if result is not None:
            assert (result.given, result.received, result.remainder) == (
                miles * 2, miles, points % 2
            )  # fmt: skip
            self.model.debit(c, miles * 2)
            self.model.holders[c].miles += miles

    @rule(who=st.integers(0, 2), miles=st.none() | st.integers(1, 700))
    def exchange_back(self, who: int, miles: int | None) -> None:
        """``miles=None`` brings back every mile held (or tries one when there are none)."""
        c, cid = self.pick(who)
        holder = self.model.holders[c]
        miles = miles or max(holder.miles, 1)
        refusal = errors.InsufficientFunds if miles > holder.miles else None
        result = attempt(refusal, partial(
            self.loyalty.exchange, self.tenant, cid, partner=PARTNER, amount=miles,
            idempotency_key=self.key("xb"), direction=Direction.BACK,
        ))  # fmt: skip
        if result is not None:
            assert (result.given, result.received) == (miles, miles)
            holder.miles -= miles
            self.model.credit(c, miles, LotKind.TRANSFERRED)

    # -- corrections

    @rule(who=st.integers(0, 2), points=st.integers(-800, 800).filter(bool),
          approve=st.booleans())  # fmt: skip
    def adjust(self, who: int, points: int, approve: bool) -> None:
        """Requested by one person; the same person cannot approve it, another does (or
        rejects it, which changes nothing)."""
        c, cid = self.pick(who)
        adjustment = self.loyalty.request_adjustment(
            self.tenant, cid, points=points, reason="goodwill", requested_by=MAKER,
            idempotency_key=self.key("adj"),
        )  # fmt: skip
        assert adjustment.status is AdjustmentStatus.PENDING
        with pytest.raises(errors.MakerCheckerViolation):
            self.loyalty.approve_adjustment(self.tenant, adjustment.id, approved_by=MAKER)
        if approve and points < 0 and self.model.refusal(c, -points):
            with pytest.raises(errors.InsufficientPoints):
                self.loyalty.approve_adjustment(self.tenant, adjustment.id, approved_by=CHECKER)
            approve = False
        if not approve:
            decided = self.loyalty.reject_adjustment(
                self.tenant, adjustment.id, rejected_by=CHECKER
            )
            assert decided.status is AdjustmentStatus.REJECTED
            return
        decided = self.loyalty.approve_adjustment(self.tenant, adjustment.id, approved_by=CHECKER)
        assert (decided.status, decided.decided_by) == (AdjustmentStatus.APPROVED, CHECKER)
        if points > 0:
            self.model.credit(c, points, LotKind.ADJUSTED)
        else:
            self.model.debit(c, -points)

    # -- time and the sweeps

    @rule(delta=st.sampled_from([timedelta(hours=1)] + [timedelta(days=d) for d in
                                                        (1, 6, 13, 15, 40, 190, 370)]),
          expire=st.booleans(), activate=st.booleans())  # fmt: skip
    def time_passes(self, delta: timedelta, expire: bool, activate: bool) -> None:
        """Authorizations time out and give their points back; then, maybe, the expiry
        and activation sweeps run (else lots wait, expiring or pending, for a later sweep)."""
        self.clock.advance(delta)
        self.loyalty.expire_authorizations(limit=10_000)
        self.model.time_out_holds()
        self.sweep(expire, activate)

    @rule(expire=st.booleans(), activate=st.booleans())
    def sweep(self, expire: bool, activate: bool) -> None:
        if expire:
            self.loyalty.expire(self.tenant)
            self.model.expire()
        if activate:
            self.loyalty.activate_pending()
            self.model.activate()

    # -- invariants

    @invariant()
    def the_api_agrees_with_the_model_and_with_itself(self) -> None:
        if not hasattr(self, "model"):
            return
        for c, cid in enumerate(self.ids):
            balance = self.loyalty.balance(self.tenant, cid)
            lots = self.loyalty.lots(self.tenant, cid, include_closed=True)
            with self.loyalty.work() as w:
                state = w.customers.state(self.tenant, cid)
            assert all(0 <= lot.remaining <= lot.amount for lot in lots), lots
            by_status = dict.fromkeys(LotStatus, 0)
            for lot in lots:
                by_status[lot.status] += lot.remaining
            opened = by_status[LotStatus.ACTIVE] + by_status[LotStatus.EXPIRING]
            assert opened - state.deficit == balance.available, (balance, state)
            assert by_status[LotStatus.PENDING] == balance.pending, balance
            assert by_status[LotStatus.ACTIVE] == balance.spendable, balance
            if state.deficit or state.debt:  # what is owed is repaid before anything is spent
                assert balance.spendable == 0, (state, lots)
            holder = self.model.holders[c]
            assert (balance.available, balance.spendable, balance.pending, balance.held,
                    balance.credit, balance.debt, state.deficit, balance.expiring) == (
                holder.available, self.model.spendable(c), holder.pending, holder.held,
                holder.credit, holder.debt, holder.deficit, self.model.expiring(c),
            ), cid  # fmt: skip
            now = self.clock.now
            assert [row(lot) for lot in lots] == [lot.row(now) for lot in self.model.lots_of(c)]
            if holder.miles:
                holding = accounts.partner_holding(cid, PARTNER)
                miles = self.loyalty.ledger.balance(self.tenant, holding, "MILES").posted
                assert miles == holder.miles, cid

    def teardown(self) -> None:
        if hasattr(self, "tenant"):
            self.loyalty.ledger.seal()
            report = self.loyalty.ledger.verify(tenant=self.tenant)
            assert report.ok, report.problems


def _programme(policy: NegativeBalancePolicy) -> Programme:
    return dataclasses.replace(default_programme(), pending_days=0, negative_balance=policy)


@pytest.mark.parametrize("policy", list(NegativeBalancePolicy))
def test_the_loyalty_api_behaves_like_its_model(
    clocked_loyalty: Loyalty, clock: FakeClock, policy: NegativeBalancePolicy
) -> None:
    class Machine(LoyaltyMachine):
        pass

    Machine.loyalty = clocked_loyalty
    Machine.clock = clock
    Machine.programme = _programme(policy)
    run_state_machine_as_test(
        Machine,
        settings=settings(
            max_examples=int(os.environ.get("PUNCHCARD_LOYALTY_MODEL_EXAMPLES", "15")),
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
