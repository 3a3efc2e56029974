"""What a rule can see: the event and the customer, as exact values and as the
variables its CEL condition reads.

Condition variables:
- ``order``: amount, currency, channel, store, day_of_week (1 = Monday ... 7),
  hour, month, date ("YYYY-MM-DD"), all in the programme's time zone, plus
  item_count, categories and skus (of the eligible items);
- ``item`` (line-item rules): sku, category, amount, quantity, labels;
- ``event``: kind ("purchase" or "engagement"), type (the engagement type);
- ``customer``: tier, attributes (the merchant's pseudonymous attributes, such as
  birthday_month), counts (earlier events by kind: "purchase", "engagement:app_login").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from punchcard.domain.loyalty.commands import Engagement, Purchase
from punchcard.domain.rules.document import EventKind


@dataclass(frozen=True, slots=True)
class Item:
    sku: str
    amount: int
    category: str | None = None
    quantity: int = 1
    labels: tuple[str, ...] = ()

    def variables(self) -> dict[str, object]:
        return {"sku": self.sku, "amount": self.amount, "category": self.category or "",
                "quantity": self.quantity, "labels": list(self.labels)}  # fmt: skip


@dataclass(frozen=True, slots=True)
class EventFacts:
    kind: EventKind
    occurred_at: datetime
    local: datetime
    """``occurred_at`` in the programme's time zone."""
    amount: int = 0
    currency: str = ""
    items: tuple[Item, ...] = ()
    channel: str = ""
    store: str = ""
    type: str = ""
    """The engagement type; empty for purchases."""

    @classmethod
    def of(cls, event: Purchase | Engagement, occurred_at: datetime, zone: str) -> EventFacts:
        local = occurred_at.astimezone(ZoneInfo(zone))
        if isinstance(event, Engagement):
            return cls(EventKind.ENGAGEMENT, occurred_at, local, type=event.type)
        items = tuple(
            Item(i.sku, i.amount, i.category, i.quantity, tuple(i.labels)) for i in event.items
        )
        return cls(
            EventKind.PURCHASE, occurred_at, local, event.amount, event.currency, items,
            event.channel or "", event.store or "",
        )  # fmt: skip

    def order_variables(self, eligible: tuple[Item, ...], amount: int) -> dict[str, object]:
        return {
            "amount": amount, "total": self.amount, "currency": self.currency,
            "channel": self.channel, "store": self.store,
            "day_of_week": self.local.isoweekday(), "hour": self.local.hour,
            "month": self.local.month, "date": self.local.date().isoformat(),
            "item_count": len(eligible),
            "categories": sorted({i.category for i in eligible if i.category}),
            "skus": [i.sku for i in eligible],
        }  # fmt: skip

    def event_variables(self) -> dict[str, object]:
        return {"kind": self.kind.value, "type": self.type}


@dataclass(frozen=True, slots=True)
class CustomerContext:
    tier: str = ""
    attributes: Mapping[str, str | int | bool] = field(default_factory=dict)
    counts: Mapping[str, int] = field(default_factory=dict)
    usage: Mapping[tuple[str, str], int] = field(default_factory=dict)
    """Points each capped or budgeted rule has given so far: (rule id, period key) ->
    points. The period key is "lifetime", "budget", or the period's start date."""

    def variables(self) -> dict[str, object]:
        return {"tier": self.tier, "attributes": dict(self.attributes),
                "counts": dict(self.counts)}  # fmt: skip
