"""Loyalty commands: what a caller asks the programme to do, validated on construction.

Each command knows its idempotency key and the fingerprint that key is bound to.
Purchases are keyed by their order id and engagement events by their event id,
so a replayed webhook never earns twice; refunds by their refund id; every
other command by the caller's ``idempotency_key``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from punchcard.domain import canonical, validation
from punchcard.domain.errors import InvalidEvent, InvalidRequest, UnknownCustomer
from punchcard.domain.validation import JsonValue

REFERENCE_RE: Final = re.compile(r"[\x21-\x7e]{1,128}")
CUSTOMER_ID_RE: Final = re.compile(r"cus_[0-9a-z]{1,60}")
LABEL_RE: Final = re.compile(r"[a-z][a-z0-9_]{0,39}")
MAX_LINE_ITEMS = 500
MAX_LABELS = 20
MAX_TEXT = 500


def reference(value: str, what: str) -> str:
    """Order ids, event ids, refund ids and external customer references."""
    if not isinstance(value, str) or not REFERENCE_RE.fullmatch(value):
        raise InvalidEvent(f"{what} must be 1-128 printable ASCII characters without spaces")
    return value


def customer_id(value: str) -> str:
    if not isinstance(value, str) or not CUSTOMER_ID_RE.fullmatch(value):
        raise UnknownCustomer(f"{value!r} is not a customer id (they look like cus_…)")
    return value


def points(value: int, what: str = "points") -> int:
    return validation.amount(value, what=what)


def label(value: str, what: str) -> str:
    if not isinstance(value, str) or not LABEL_RE.fullmatch(value):
        raise InvalidRequest(
            f"{what} {value!r} must be 1-40 characters of a-z, 0-9 or '_', starting with a letter"
        )
    return value


def text(value: str, what: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_TEXT:
        raise InvalidRequest(f"{what} must be 1-{MAX_TEXT} characters")
    return value


def actor(value: str, what: str) -> str:
    if not isinstance(value, str) or not REFERENCE_RE.fullmatch(value):
        raise InvalidRequest(f"{what} must be an id of 1-128 printable ASCII characters")
    return value


def _occurred_at(value: datetime | None) -> None:
    if value is not None:
        validation.aware_time(value, what="occurred_at")


def _micros(value: datetime | None) -> int | None:
    return None if value is None else canonical.micros(value)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Command:
    tenant: str

    def __post_init__(self) -> None:
        validation.tenant_id(self.tenant)

    @property
    def key(self) -> str:
        raise NotImplementedError

    def request(self) -> dict[str, JsonValue]:
        raise NotImplementedError

    def fingerprint(self) -> bytes:
        return canonical.fingerprint(type(self).__name__, self.tenant, self.request())


@dataclass(frozen=True, slots=True, kw_only=True)
class _Keyed(_Command):
    idempotency_key: str

    def __post_init__(self) -> None:
        _Command.__post_init__(self)
        validation.idempotency_key(self.idempotency_key)

    @property
    def key(self) -> str:
        return f"key:{self.idempotency_key}"


# -- earning ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class LineItem:
    sku: str
    amount: int
    """Line total in the purchase currency's minor unit."""
    category: str | None = None
    quantity: int = 1
    labels: tuple[str, ...] = ()
    """Free tags rules can test, such as "organic" or "clearance"."""

    def __post_init__(self) -> None:
        reference(self.sku, "line item sku")
        if self.category is not None:
            label(self.category, "line item category")
        object.__setattr__(self, "labels", tuple(self.labels))
        if len(self.labels) > MAX_LABELS:
            raise InvalidEvent(f"a line item has at most {MAX_LABELS} labels")
        for tag in self.labels:
            label(tag, "line item label")
        if isinstance(self.amount, bool) or not isinstance(self.amount, int) or self.amount < 0:
            raise InvalidEvent("a line item's amount must be a non-negative integer (minor units)")
        if isinstance(self.quantity, bool) or not isinstance(self.quantity, int):
            raise InvalidEvent("a line item's quantity must be a positive integer")
        if not 0 < self.quantity <= 1_000_000:
            raise InvalidEvent("a line item's quantity must be a positive integer")

    def document(self) -> dict[str, JsonValue]:
        return {"sku": self.sku, "amount": self.amount, "category": self.category,
                "quantity": self.quantity, "labels": list(self.labels)}  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class Purchase(_Command):
    customer_id: str
    order_id: str
    amount: int
    """Order total in ``currency``'s minor unit."""
    currency: str
    occurred_at: datetime | None = None
    """When the order was placed; defaults to when it is recorded (and then a retry
    without it still matches the first call)."""
    items: tuple[LineItem, ...] = ()
    channel: str | None = None
    """Where the order was placed ("web", "app", "store" ...), for rules to test."""
    store: str | None = None

    def __post_init__(self) -> None:
        _Command.__post_init__(self)
        customer_id(self.customer_id)
        reference(self.order_id, "order id")
        if self.channel is not None:
            label(self.channel, "channel")
        if self.store is not None:
            reference(self.store, "store")
        if isinstance(self.amount, bool) or not isinstance(self.amount, int) or self.amount < 0:
            raise InvalidEvent("a purchase amount must be a non-negative integer (minor units)")
        validation.amount(self.amount + 1, what="purchase amount")
        validation.asset_code(self.currency)
        _occurred_at(self.occurred_at)
        object.__setattr__(self, "items", tuple(self.items))
        if len(self.items) > MAX_LINE_ITEMS:
            raise InvalidEvent(f"a purchase may list at most {MAX_LINE_ITEMS} line items")
        for item in self.items:
            if not isinstance(item, LineItem):
                raise InvalidEvent("line items must be LineItem values")
        if sum(item.amount for item in self.items) > self.amount:
            raise InvalidEvent("line items add up to more than the order amount")

    @property
    def key(self) -> str:
        return f"order:{self.order_id}"

    def request(self) -> dict[str, JsonValue]:
        return {
            "customer_id": self.customer_id, "order_id": self.order_id, "amount": self.amount,
            "currency": self.currency, "occurred_at": _micros(self.occurred_at),
            "items": [item.document() for item in self.items],
            "channel": self.channel, "store": self.store,
        }  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class Engagement(_Command):
    customer_id: str
    event_id: str
    type: str
    occurred_at: datetime | None = None

    def __post_init__(self) -> None:
        _Command.__post_init__(self)
        customer_id(self.customer_id)
        reference(self.event_id, "event id")
        label(self.type, "engagement type")
        _occurred_at(self.occurred_at)

    @property
    def key(self) -> str:
        return f"event:{self.event_id}"

    def request(self) -> dict[str, JsonValue]:
        return {"customer_id": self.customer_id, "event_id": self.event_id, "type": self.type,
                "occurred_at": _micros(self.occurred_at)}  # fmt: skip


# -- spending --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Redeem(_Keyed):
    customer_id: str
    option: str
    points: int
    order_id: str | None = None
    """The order the points paid for, if any: refunding it gives the points back."""
    requested_by: str | None = None
    """Who asked (an API key's id): recorded on a hold for review, so that the same
    key cannot approve it. Not part of the request a key is bound to."""

    def __post_init__(self) -> None:
        _Keyed.__post_init__(self)
        customer_id(self.customer_id)
        label(self.option, "redemption option")
        points(self.points)
        if self.order_id is not None:
            reference(self.order_id, "order id")
        if self.requested_by is not None:
            actor(self.requested_by, "requested_by")

    def request(self) -> dict[str, JsonValue]:
        return {"customer_id": self.customer_id, "option": self.option, "points": self.points,
                "order_id": self.order_id}  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class Authorize(Redeem):
    """A redemption in two steps: the points are held now, captured or voided later."""

    timeout: timedelta = timedelta(minutes=15)

    def __post_init__(self) -> None:
        Redeem.__post_init__(self)
        if not timedelta(seconds=1) <= self.timeout <= timedelta(days=30):
            raise InvalidRequest("an authorization's timeout must be from 1 second to 30 days")

    def request(self) -> dict[str, JsonValue]:
        return Redeem.request(self) | {"timeout_us": self.timeout // timedelta(microseconds=1)}


@dataclass(frozen=True, slots=True, kw_only=True)
class Capture(_Keyed):
    hold_id: int
    points: int | None = None
    """How many of the held points to spend; the rest go back. Default: all."""

    def __post_init__(self) -> None:
        _Keyed.__post_init__(self)
        points(self.hold_id, "hold_id")
        if self.points is not None:
            points(self.points)

    def request(self) -> dict[str, JsonValue]:
        return {"hold_id": self.hold_id, "points": self.points}


@dataclass(frozen=True, slots=True, kw_only=True)
class Void(_Keyed):
    hold_id: int

    def __post_init__(self) -> None:
        _Keyed.__post_init__(self)
        points(self.hold_id, "hold_id")

    def request(self) -> dict[str, JsonValue]:
        return {"hold_id": self.hold_id}


@dataclass(frozen=True, slots=True, kw_only=True)
class Convert(_Keyed):
    customer_id: str
    points: int
    """Points offered; whole conversion units of them are converted, the rest stay."""

    def __post_init__(self) -> None:
        _Keyed.__post_init__(self)
        customer_id(self.customer_id)
        points(self.points)

    def request(self) -> dict[str, JsonValue]:
        return {"customer_id": self.customer_id, "points": self.points}


# -- reversing -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Refund(_Command):
    order_id: str
    refund_id: str
    amount: int
    """Refunded amount in the order currency's minor unit."""

    def __post_init__(self) -> None:
        _Command.__post_init__(self)
        reference(self.order_id, "order id")
        reference(self.refund_id, "refund id")
        validation.amount(self.amount, what="refund amount")

    @property
    def key(self) -> str:
        return f"refund:{self.refund_id}"

    def request(self) -> dict[str, JsonValue]:
        return {"order_id": self.order_id, "refund_id": self.refund_id, "amount": self.amount}


# -- moving ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Transfer(_Keyed):
    from_customer: str
    to_customer: str
    points: int

    def __post_init__(self) -> None:
        _Keyed.__post_init__(self)
        customer_id(self.from_customer)
        customer_id(self.to_customer)
        points(self.points)
        if self.from_customer == self.to_customer:
            raise InvalidRequest("a transfer needs two different customers")

    def request(self) -> dict[str, JsonValue]:
        return {"from": self.from_customer, "to": self.to_customer, "points": self.points}


class Direction(StrEnum):
    OUT = "out"
    """Programme points to the partner's asset."""
    BACK = "back"
    """The partner's asset back to programme points."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Exchange(_Keyed):
    customer_id: str
    partner: str
    amount: int
    """What the customer gives: programme points going out, partner units coming back."""
    direction: Direction = Direction.OUT

    def __post_init__(self) -> None:
        _Keyed.__post_init__(self)
        customer_id(self.customer_id)
        label(self.partner, "partner")
        points(self.amount, "exchange amount")
        try:
            object.__setattr__(self, "direction", Direction(self.direction))
        except ValueError:
            raise InvalidRequest(
                f"direction {self.direction!r} must be 'out' (points to the partner) or 'back'"
            ) from None

    def request(self) -> dict[str, JsonValue]:
        return {"customer_id": self.customer_id, "partner": self.partner, "amount": self.amount,
                "direction": self.direction.value}  # fmt: skip


# -- correcting ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestAdjustment(_Keyed):
    customer_id: str
    points: int
    """Signed: positive credits an ``adjusted`` lot, negative takes points away."""
    reason: str
    requested_by: str

    def __post_init__(self) -> None:
        _Keyed.__post_init__(self)
        customer_id(self.customer_id)
        if isinstance(self.points, bool) or not isinstance(self.points, int) or self.points == 0:
            raise InvalidRequest("an adjustment is a non-zero integer number of points")
        points(abs(self.points), "adjustment points")
        text(self.reason, "an adjustment's reason")
        actor(self.requested_by, "requested_by")

    def request(self) -> dict[str, JsonValue]:
        return {"customer_id": self.customer_id, "points": self.points, "reason": self.reason,
                "requested_by": self.requested_by}  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class DecideAdjustment(_Command):
    adjustment_id: int
    approve: bool
    decided_by: str
    note: str | None = None

    def __post_init__(self) -> None:
        _Command.__post_init__(self)
        points(self.adjustment_id, "adjustment_id")
        actor(self.decided_by, "decided_by")
        if self.note is not None:
            text(self.note, "a decision's note")

    @property
    def key(self) -> str:
        return f"adjustment:{self.adjustment_id}:decision"

    def request(self) -> dict[str, JsonValue]:
        return {"adjustment_id": self.adjustment_id, "approve": self.approve,
                "decided_by": self.decided_by, "note": self.note}  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class DecideReview(_Command):
    review_id: int
    approve: bool
    decided_by: str
    note: str | None = None

    def __post_init__(self) -> None:
        _Command.__post_init__(self)
        points(self.review_id, "review_id")
        actor(self.decided_by, "decided_by")
        if self.note is not None:
            text(self.note, "a decision's note")

    @property
    def key(self) -> str:
        return f"review:{self.review_id}:decision"

    def request(self) -> dict[str, JsonValue]:
        return {"review_id": self.review_id, "approve": self.approve,
                "decided_by": self.decided_by, "note": self.note}  # fmt: skip
