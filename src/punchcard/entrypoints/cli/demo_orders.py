"""What a demo order is: its amount, when it was placed, and a basket of line items
whose categories the seed ruleset multiplies (groceries, gas, dining, travel),
earns the base on (books) or excludes (gift cards)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime

from punchcard.domain.loyalty.commands import LineItem, Purchase

CATEGORIES = {
    "groceries": 30, "dining": 20, "gas": 15, "books": 15, "gift_cards": 10, "travel": 10,
}  # fmt: skip
"""How often each category is in a basket (relative weights)."""
BASKET_SIZES = {1: 4, 2: 3, 3: 2, 4: 1}


@dataclass
class Order:
    id: str
    amount: int
    occurred_at: datetime
    items: tuple[LineItem, ...] = ()
    active_from: datetime | None = None
    """When its points became (or become) spendable."""
    refunded: int = 0

    def purchase(self, tenant: str, customer_id: str, currency: str) -> Purchase:
        return Purchase(
            tenant=tenant, customer_id=customer_id, order_id=self.id, amount=self.amount,
            currency=currency, occurred_at=self.occurred_at, items=self.items,
        )  # fmt: skip


def basket(rng: random.Random, amount: int) -> tuple[LineItem, ...]:
    """1-4 line items whose amounts add up to exactly ``amount``."""
    size = rng.choices(list(BASKET_SIZES), list(BASKET_SIZES.values()))[0]
    categories = rng.choices(list(CATEGORIES), list(CATEGORIES.values()), k=size)
    cuts = sorted(rng.sample(range(1, amount), size - 1))
    bounds = [0, *cuts, amount]
    return tuple(
        LineItem(sku=f"{category}-{rng.randint(1, 99):02d}", amount=high - low, category=category)
        for category, low, high in zip(categories, bounds[:-1], bounds[1:], strict=True)
    )
