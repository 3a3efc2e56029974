"""One demo customer's life in the programme, told through the Loyalty API.

Three acts, each played by every customer before the next begins: earning
(enrolment, purchases of line-item baskets over the last 25 days, webhook
replays, engagement), spending (redemptions, authorizations, conversion, partner
exchange, refunds, adjustments, refused attempts) and gifting (even-numbered
customers transfer points to odd-numbered ones). Within an act a customer's balance changes only by
its own hand, so every decision read from it, and so every count, depends on
the seed alone, whatever the thread interleaving.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta

from punchcard.domain.errors import (
    BelowMinimum,
    InsufficientPoints,
    MakerCheckerViolation,
    RefundExceedsOrder,
)
from punchcard.domain.loyalty.commands import Direction
from punchcard.domain.loyalty.programme import Programme
from punchcard.domain.loyalty.results import EarnResult
from punchcard.entrypoints.cli.demo_orders import Order, basket
from punchcard.service_layer.loyalty.facade import Loyalty

HISTORY = timedelta(days=25)
"""Purchases are spread over this past; the ledger accepts up to 30 days back."""
CLOSING = timedelta(seconds=2)
"""Some return windows close this long after the purchase is recorded, so the
activation sweep that follows the first act has points to activate (a purchase
whose window closed before it was recorded is credited spendable at once)."""
ABANDONED = timedelta(seconds=1)
"""The timeout of checkouts nobody captures or voids: the hold sweep ends them."""
ENGAGEMENT = {"app_login": 60, "social_share": 20, "review_written": 15, "referral_completed": 5}
"""How often customers do each kind of engagement (relative weights)."""
MAKER, CHECKER = "operator-ann", "operator-bob"
PARTNER = "skyways"


class Customer:
    """Customer ``n``: its calls are counted in ``calls``, what they did in ``facts``."""

    def __init__(
        self,
        loyalty: Loyalty,
        tenant: str,
        programme: Programme,
        *,
        run: str,
        n: int,
        seed: int,
        again: bool = False,
    ) -> None:
        self.loyalty, self.tenant, self.programme, self.run, self.n = (
            loyalty, tenant, programme, run, n,
        )  # fmt: skip
        self.rng = random.Random(seed * 1_000_003 + n)
        self.id = ""
        self.orders: list[Order] = []
        self.paid_with_points: Order | None = None
        self.calls: Counter[str] = Counter()
        self.facts: Counter[str] = Counter()
        self.closing: datetime | None = None
        """When the last return window that closes during the run closes."""
        self.abandoned_until: datetime | None = None
        self.again = again
        """Enrolled by an earlier run: what it had then is not known here."""
        self.known: int | None = None
        """Spendable points, when known without asking (a credit may settle a debt)."""
        self.giftable = 0
        """Points to give away in act three, at most: those left after act two."""
        self.by_rule: Counter[str] = Counter()
        """Points the rules gave this customer's earns, by rule (before refunds)."""
        self.earns: list[EarnResult] = []
        """The earns' first results (not replays), in the order they were made."""

    def key(self, what: str) -> str:
        return f"{self.run}-{what}-{self.n}"

    def available(self) -> int:
        """Spendable points: read once, then kept up to date by the simple debits."""
        if self.known is None:
            self.calls["balance read"] += 1
            self.known = self.loyalty.balance(self.tenant, self.id).available
        return self.known

    def spent(self, points: int) -> None:
        self.known = self.available() - points

    # -- act one: earning

    def earn(self) -> None:
        self.id = self.loyalty.enroll(self.tenant, f"shop-{self.n}").id
        self.calls["enroll"] += 1
        now = self.loyalty.now()
        window = timedelta(days=self.programme.pending_days)
        spendable = 0
        for i in range(self.rng.randint(1, 3)):
            closing = i == 0 and self.rng.random() < 0.1
            occurred = now - window + CLOSING if closing else now - HISTORY * self.rng.random()
            amount = self.rng.randint(2_000, 150_000)
            order = Order(self.key(f"order{i}"), amount, occurred, basket(self.rng, amount))
            earned = self.purchase(order)
            self.earned(earned)
            order.active_from = occurred + window
            if earned.lots and (not earned.lots[0].pending or closing):
                spendable += earned.points  # spendable at once, or after the sweep
            self.orders.append(order)
            self.calls["purchase"] += 1
            self.facts["purchases still in their return window"] += order.active_from > now
            if closing:
                self.closing = order.active_from
            if self.rng.random() < 0.15:  # the shop's webhook fires twice
                self.calls["purchase webhook replayed"] += self.purchase(order).replayed
        names, weights = list(ENGAGEMENT), list(ENGAGEMENT.values())
        for j in range(self.rng.choice([0, 0, 1, 1, 2])):
            kind = self.rng.choices(names, weights)[0]
            earned = self.loyalty.earn_engagement(
                self.tenant, self.id, event_id=self.key(f"event{j}"), type=kind,
                occurred_at=now - HISTORY * self.rng.random(),
            )  # fmt: skip
            self.earned(earned)
            spendable += earned.points
            self.calls[f"engagement {kind}"] += 1
        self.known = None if self.again else spendable

    def purchase(self, order: Order) -> EarnResult:
        return self.loyalty.earn_purchase(
            self.tenant, self.id, order_id=order.id, amount=order.amount,
            currency=self.programme.currency, occurred_at=order.occurred_at, items=order.items,
        )  # fmt: skip

    def earned(self, result: EarnResult) -> None:
        for award in result.breakdown.get("awards", ()):
            self.by_rule[award["rule"]] += award["points"]
        if result.tier is not None:
            self.facts[f"moved up to {result.tier}"] += 1
        self.earns.append(result)

    # -- act two: spending

    def spend(self) -> None:
        steps = [
            (self.redeem, 0.5), (self.authorize, 0.4), (self.convert, 0.25),
            (self.exchange, 0.15), (self.refund, 0.4), (self.adjust, 0.12), (self.overreach, 0.1),
        ]  # fmt: skip
        for step, chance in steps:
            if self.rng.random() < chance:
                step()
        if self.n % 2 == 0 and self.rng.random() < 0.3:  # will give points in act three
            self.giftable = self.available()

    def affordable(self, available: int) -> tuple[str, int] | None:
        options = self.programme.redemption_options
        names = sorted(name for name, option in options.items() if option.minimum <= available)
        if not names:
            return None
        name = self.rng.choice(names)
        minimum = options[name].minimum
        return name, self.rng.randint(minimum, min(available, 2 * minimum))

    def redeem(self) -> None:
        choice = self.affordable(self.available())
        if choice is None:
            return
        option, points = choice
        order = None
        if self.rng.random() < 0.4:  # the points pay part of an order
            self.paid_with_points = self.rng.choice(self.orders)
            order = self.paid_with_points.id
            self.facts["redemptions paying part of an order"] += 1
        key = self.key("redeem")
        self.loyalty.redeem(
            self.tenant, self.id, option=option, points=points, idempotency_key=key, order_id=order
        )
        self.calls[f"redeem {option}"] += 1
        self.spent(points)
        if self.rng.random() < 0.1:  # the client retries with the same key
            again = self.loyalty.redeem(
                self.tenant, self.id, option=option, points=points, idempotency_key=key,
                order_id=order,
            )  # fmt: skip
            self.calls["redeem replayed"] += again.replayed

    def authorize(self) -> None:
        choice = self.affordable(self.available())
        if choice is None:
            return
        option, points = choice
        roll = self.rng.random()
        auth = self.loyalty.authorize(
            self.tenant, self.id, option=option, points=points,
            idempotency_key=self.key("authorize"),
            timeout=ABANDONED if roll < 0.1 else timedelta(minutes=15),
        )  # fmt: skip
        self.calls["authorize"] += 1
        self.spent(points)
        if roll < 0.1:  # the checkout is abandoned; its hold runs out
            self.abandoned_until = auth.expires_at
        elif roll < 0.75:
            part = None if roll < 0.45 else self.rng.randint(1, points - 1)
            self.loyalty.capture(
                self.tenant, auth.hold_id, points=part, idempotency_key=self.key("capture")
            )
            self.calls["capture in full" if part is None else "capture in part"] += 1
            self.spent(-(points - (part or points)))
        else:
            self.loyalty.void(self.tenant, auth.hold_id, idempotency_key=self.key("void"))
            self.calls["void"] += 1
            self.spent(-points)

    def convert(self) -> None:
        available, unit = self.available(), self.programme.conversion.points
        if available >= unit:
            offered = self.rng.randint(unit, available)
            converted = self.loyalty.convert(
                self.tenant, self.id, points=offered, idempotency_key=self.key("convert")
            )
            self.calls["convert to store credit"] += 1
            self.spent(converted.points)

    def exchange(self) -> None:
        available, unit = self.available(), self.programme.partners[PARTNER].out.points
        if available < unit:
            return
        out = self.loyalty.exchange(
            self.tenant, self.id, partner=PARTNER, idempotency_key=self.key("exchange-out"),
            amount=self.rng.randint(unit, min(available, 3_000)),
        )  # fmt: skip
        self.calls["exchange out to skyways"] += 1
        self.spent(out.given)
        if self.rng.random() < 0.6:
            self.loyalty.exchange(
                self.tenant, self.id, partner=PARTNER, direction=Direction.BACK,
                amount=self.rng.randint(1, out.received), idempotency_key=self.key("exchange-back"),
            )  # fmt: skip
            self.calls["exchange back from skyways"] += 1
            self.known = None

    def refund(self) -> None:
        now = self.loyalty.now()
        active = [o for o in self.orders if o.active_from is not None and o.active_from <= now]
        if active and self.rng.random() < 0.3:
            # a big spender returns an order whose points are already gone
            choice = self.affordable(self.available())
            if choice is not None:
                self.redeem_all(choice[0])
            order, amount = max(active, key=lambda order: order.amount), 0
        elif self.paid_with_points is not None and self.rng.random() < 0.5:
            order, amount = self.paid_with_points, 0
        else:
            order = self.rng.choice(self.orders)
            amount = 0 if self.rng.random() < 0.4 else self.rng.randint(1, order.amount - 1)
        amount = amount or order.amount
        result = self.loyalty.refund(
            self.tenant, order_id=order.id, refund_id=self.key("refund"), amount=amount
        )
        order.refunded += amount
        self.known = None
        self.calls["refund in full" if amount == order.amount else "refund in part"] += 1
        self.facts["pending points cancelled"] += result.points_cancelled
        self.facts["points taken back"] += result.points_clawed_back
        self.facts["points already spent, now owed"] += result.shortfall
        self.facts["redeemed points given back"] += result.points_recredited
        if self.rng.random() < 0.15:  # the shop refunds more than is left of the order
            try:
                self.loyalty.refund(
                    self.tenant, order_id=order.id, refund_id=self.key("refund-again"),
                    amount=order.amount - order.refunded + 1,
                )  # fmt: skip
            except RefundExceedsOrder:
                self.calls["refused: refund exceeds order"] += 1

    def redeem_all(self, option: str) -> None:
        points = self.available()
        self.loyalty.redeem(
            self.tenant, self.id, option=option, points=points, idempotency_key=self.key("all")
        )
        self.calls[f"redeem {option}"] += 1
        self.known = 0

    def adjust(self) -> None:
        points = self.rng.choice([50, 100, 250, 500])
        if self.rng.random() < 0.3 and self.available() >= points:
            points, reason = -points, "correction: a purchase was earned twice"
        else:
            reason = "goodwill: late delivery"
        adjustment = self.loyalty.request_adjustment(
            self.tenant, self.id, points=points, reason=reason, requested_by=MAKER,
            idempotency_key=self.key("adjust"),
        )  # fmt: skip
        self.calls["adjustment requested"] += 1
        if self.rng.random() < 0.1:
            try:
                self.loyalty.approve_adjustment(self.tenant, adjustment.id, approved_by=MAKER)
            except MakerCheckerViolation:
                self.calls["refused: approving one's own request"] += 1
        if self.rng.random() < 0.7:
            self.loyalty.approve_adjustment(
                self.tenant, adjustment.id, approved_by=CHECKER, note="order history checked"
            )
            self.calls["adjustment approved"] += 1
            self.known = None
        else:
            self.loyalty.reject_adjustment(
                self.tenant, adjustment.id, rejected_by=CHECKER, note="no evidence attached"
            )
            self.calls["adjustment rejected"] += 1

    def overreach(self) -> None:
        options = self.programme.redemption_options
        try:
            if self.rng.random() < 0.5:
                points = max(self.available() + 1, options["product"].minimum)
                self.loyalty.redeem(
                    self.tenant, self.id, option="product", points=points,
                    idempotency_key=self.key("overreach"),
                )  # fmt: skip
            else:
                self.loyalty.redeem(
                    self.tenant, self.id, option="cashback",
                    points=self.rng.randint(1, options["cashback"].minimum - 1),
                    idempotency_key=self.key("too-little"),
                )  # fmt: skip
        except InsufficientPoints:
            self.calls["refused: insufficient points"] += 1
        except BelowMinimum:
            self.calls["refused: below the option's minimum"] += 1

    # -- act three: gifting

    def gift(self, receivers: Sequence[str]) -> None:
        if not receivers or self.giftable < 1:
            return
        self.loyalty.transfer(
            self.tenant, from_customer=self.id, to_customer=self.rng.choice(receivers),
            points=self.rng.randint(1, max(1, self.giftable // 2)),
            idempotency_key=self.key("gift"),
        )  # fmt: skip
        self.calls["transfer to another customer"] += 1
