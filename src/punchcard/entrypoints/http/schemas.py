"""Request bodies: strict, closed models. Unknown fields, floats or strings where
integers belong, negative amounts and over-long strings are refused with the
field named (400 invalid_request), before any use case runs."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

Id = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$")]
Label = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[a-z][a-z0-9_]*$")]
Points = Annotated[int, Field(gt=0, le=2**63 - 1)]
Minor = Annotated[int, Field(ge=0, le=2**62)]
Text = Annotated[str, Field(min_length=1, max_length=500)]


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
    occurred_at: datetime | None = None
    items: list[Item] = Field(default_factory=list, max_length=500)
    channel: Label | None = None
    store: Id | None = None


class EngagementEvent(Body):
    type: Literal["engagement"]
    customer_id: Id
    event_id: Id
    engagement: Label
    occurred_at: datetime | None = None


class RefundEvent(Body):
    type: Literal["refund"]
    order_id: Id
    refund_id: Id
    amount: Annotated[int, Field(gt=0, le=2**62)]


Event = Annotated[PurchaseEvent | EngagementEvent | RefundEvent, Field(discriminator="type")]


class EventBatch(Body):
    events: list[Event] = Field(min_length=1, max_length=1000)
