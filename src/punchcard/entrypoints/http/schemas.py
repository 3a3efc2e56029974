"""Request bodies: strict, closed models. Unknown fields, floats or strings where
integers belong, negative amounts and over-long strings are refused with the
field named (400 invalid_request), before any use case runs."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field

from punchcard.domain.loyalty.commands import Engagement, LineItem, Purchase, Refund

Id = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$")]
Label = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[a-z][a-z0-9_]*$")]
Points = Annotated[int, Field(gt=0, le=2**63 - 1)]
Minor = Annotated[int, Field(ge=0, le=2**62)]
Text = Annotated[str, Field(min_length=1, max_length=500)]


def _rfc3339(value: object) -> object:
    if not isinstance(value, str):
        raise ValueError("must be an RFC 3339 time with an offset, e.g. 2026-11-10T15:00:00Z")
    return value


Moment = Annotated[AwareDatetime, BeforeValidator(_rfc3339), Field(strict=False)]
"""A time with a UTC offset. JSON has no time type, and a strict model would refuse
every string, so the field is lax but takes an RFC 3339 string only (never a number)."""


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class NewCustomer(Body):
    external_ref: Id


class Attributes(Body):
    attributes: dict[Label, str | int | bool] = Field(max_length=20)


class Item(Body):
    sku: Id
    amount: Minor
    category: Label | None = None
    quantity: Annotated[int, Field(gt=0, le=1_000_000)] = 1
    labels: list[Label] = Field(default_factory=list, max_length=20)


class PurchaseEvent(Body):
    type: Literal["purchase"]
    customer_id: Id
    order_id: Id
    amount: Minor
    currency: Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]{0,15}$")]
    occurred_at: Moment | None = None
    items: list[Item] = Field(default_factory=list, max_length=500)
    channel: Label | None = None
    store: Id | None = None


class EngagementEvent(Body):
    type: Literal["engagement"]
    customer_id: Id
    event_id: Id
    engagement: Label
    occurred_at: Moment | None = None


class RefundEvent(Body):
    type: Literal["refund"]
    order_id: Id
    refund_id: Id
    amount: Annotated[int, Field(gt=0, le=2**62)]


Event = Annotated[PurchaseEvent | EngagementEvent | RefundEvent, Field(discriminator="type")]


class EventBatch(Body):
    events: list[Event] = Field(min_length=1, max_length=1000)


def to_command(tenant: str, event: Event) -> Purchase | Engagement | Refund:
    """The use case's command for an API event (raises if the command refuses it)."""
    if isinstance(event, PurchaseEvent):
        items = tuple(
            LineItem(sku=i.sku, amount=i.amount, category=i.category, quantity=i.quantity,
                     labels=tuple(i.labels))
            for i in event.items
        )  # fmt: skip
        return Purchase(
            tenant=tenant, customer_id=event.customer_id, order_id=event.order_id,
            amount=event.amount, currency=event.currency, occurred_at=event.occurred_at,
            items=items, channel=event.channel, store=event.store,
        )  # fmt: skip
    if isinstance(event, EngagementEvent):
        return Engagement(
            tenant=tenant, customer_id=event.customer_id, event_id=event.event_id,
            type=event.engagement, occurred_at=event.occurred_at,
        )  # fmt: skip
    return Refund(tenant=tenant, order_id=event.order_id, refund_id=event.refund_id,
                  amount=event.amount)  # fmt: skip
