"""A short random scenario on a fresh programme, driven through the Loyalty API.

Each step is (operation, customer, a number the operation scales, hours until
the next step); an operation the programme refuses (not enough points, below a
minimum, more refunded than bought) changes nothing and the scenario goes on.
"""

from __future__ import annotations

import contextlib
import dataclasses
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from hypothesis import strategies as st

from punchcard.domain import errors
from punchcard.domain.loyalty.commands import Direction
from punchcard.domain.loyalty.expiry import ExpiryRule
from punchcard.domain.loyalty.programme import (
    LotKind,
    NegativeBalancePolicy,
    Programme,
    Rate,
    default_programme,
)
from punchcard.service_layer.loyalty.facade import Loyalty
from tests.conftest import FakeClock, setup_programme

VALUES = (Rate(3, 2), Rate(1, 1), Rate(7, 5))
"""Point values the programme moves between, so lots carry different values."""
OPERATIONS = ("earn", "earn", "engage", "redeem", "redeem", "hold", "refund", "refund",
              "convert", "transfer", "exchange", "adjust", "expire", "activate",
              "revalue")  # fmt: skip
REFUSED = (errors.InsufficientPoints, errors.InsufficientFunds, errors.BelowMinimum,
           errors.RefundExceedsOrder)  # fmt: skip
EXPIRY_DAYS = {LotKind.EARNED: 20, LotKind.BONUS: 8, LotKind.ENGAGEMENT: 8,
               LotKind.TRANSFERRED: 5, LotKind.ADJUSTED: 12,
               LotKind.REFUNDED_REDEMPTION: 6}  # fmt: skip

Step = tuple[str, int, int, int]
steps = st.tuples(st.sampled_from(OPERATIONS), st.integers(0, 2), st.integers(1, 10**6),
                  st.integers(0, 48))  # fmt: skip


def programme(policy: NegativeBalancePolicy, pending_days: int) -> Programme:
    """The seed programme with short expiries, at 3 points for 2 cents to start."""
    expiry = {kind: ExpiryRule.after(days=days) for kind, days in EXPIRY_DAYS.items()}
    return dataclasses.replace(
        default_programme(), pending_days=pending_days, negative_balance=policy, expiry=expiry,
        point_value=VALUES[0],
    )  # fmt: skip


@dataclass
class Scenario:
    loyalty: Loyalty
    clock: FakeClock
    tenant: str
    programme: Programme
    customers: list[str]
    orders: list[tuple[str, int, int]] = field(default_factory=list)
    """(order id, amount, customer index)."""
    moments: list[datetime] = field(default_factory=list)
    """The clock after each step (and before the first): where periods are cut."""
    made: int = 0

    @classmethod
    def start(cls, loyalty: Loyalty, clock: FakeClock, chosen: Programme) -> Scenario:
        """Three customers, each with a purchase of 1,500 points to start from."""
        tenant = setup_programme(loyalty, chosen, prefix="scn")
        customers = [loyalty.enroll(tenant, f"c{n}").id for n in range(3)]
        scenario = cls(loyalty, clock, tenant, chosen, customers, moments=[clock.now])
        for who in range(len(customers)):
            scenario.earn(who, 1499)
        return scenario

    def play(self, plan: list[Step]) -> None:
        for op, who, n, hours in plan:
            self.made += 1
            with contextlib.suppress(*REFUSED):
                getattr(self, op)(who, n)
            self.clock.advance(timedelta(hours=hours, seconds=1))
            self.moments.append(self.clock.now)
        self.clock.advance(timedelta(seconds=1))

    def key(self, op: str) -> str:
        self.made += 1
        return f"{op}-{self.made}"

    def earn(self, who: int, n: int) -> None:
        key, amount = self.key("earn"), (n % 1500 + 1) * 100
        self.loyalty.earn_purchase(self.tenant, self.customers[who], order_id=key,
                                   amount=amount, currency="USD")  # fmt: skip
        self.orders.append((key, amount, who))

    def engage(self, who: int, n: int) -> None:
        self.loyalty.earn_engagement(self.tenant, self.customers[who], event_id=self.key("e"),
                                     type="review_written")  # fmt: skip

    def redeem(self, who: int, n: int) -> None:
        """Now and then on one of the customer's orders, which a refund gives back."""
        mine = [order for order, _, owner in self.orders if owner == who]
        self.loyalty.redeem(
            self.tenant, self.customers[who], option="product", points=500 + n % 700,
            idempotency_key=self.key("r"), order_id=mine[n % len(mine)] if mine and n % 2 else None,
        )  # fmt: skip

    def hold(self, who: int, n: int) -> None:
        """Captured in part, voided, or left open."""
        hold = self.loyalty.authorize(
            self.tenant, self.customers[who], option="product", points=500 + n % 500,
            idempotency_key=self.key("h"),
        )  # fmt: skip
        if n % 3 == 0:
            self.loyalty.capture(self.tenant, hold.hold_id, points=hold.points - n % 300,
                                 idempotency_key=self.key("capture"))  # fmt: skip
        elif n % 3 == 1:
            self.loyalty.void(self.tenant, hold.hold_id, idempotency_key=self.key("void"))

    def refund(self, who: int, n: int) -> None:
        """All of an order every third time, else part of it."""
        if not self.orders:
            return
        order, amount, _ = self.orders[n % len(self.orders)]
        part = amount if n % 3 == 0 else 1 + n % amount
        self.loyalty.refund(self.tenant, order_id=order, refund_id=self.key("f"), amount=part)

    def convert(self, who: int, n: int) -> None:
        self.loyalty.convert(self.tenant, self.customers[who], points=100 + n % 500,
                             idempotency_key=self.key("k"))  # fmt: skip

    def transfer(self, who: int, n: int) -> None:
        other = self.customers[(who + 1 + n % 2) % len(self.customers)]
        self.loyalty.transfer(self.tenant, from_customer=self.customers[who], to_customer=other,
                              points=1 + n % 400, idempotency_key=self.key("t"))  # fmt: skip

    def exchange(self, who: int, n: int) -> None:
        """Points out to the partner, and maybe some of the miles back."""
        cid = self.customers[who]
        out = self.loyalty.exchange(self.tenant, cid, partner="skyways", amount=2 + n % 400,
                                    idempotency_key=self.key("x"))  # fmt: skip
        if n % 2:
            self.loyalty.exchange(
                self.tenant, cid, partner="skyways", amount=1 + n % out.received,
                direction=Direction.BACK, idempotency_key=self.key("back"),
            )  # fmt: skip

    def adjust(self, who: int, n: int) -> None:
        asked = self.loyalty.request_adjustment(
            self.tenant, self.customers[who], points=n % 600 - 200 or 1, reason="test",
            requested_by="maker", idempotency_key=self.key("a"),
        )  # fmt: skip
        self.loyalty.approve_adjustment(self.tenant, asked.id, approved_by="checker")

    def expire(self, who: int, n: int) -> None:
        """Some days on first, so that lots do expire."""
        self.clock.advance(timedelta(days=4 + n % 12))
        self.loyalty.expire(self.tenant)

    def activate(self, who: int, n: int) -> None:
        self.loyalty.activate_pending()

    def revalue(self, who: int, n: int) -> None:
        self.programme = dataclasses.replace(self.programme, point_value=VALUES[n % 3])
        self.loyalty.create_programme(self.tenant, self.programme)
