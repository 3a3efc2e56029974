"""Loyalty commands validate on construction, know their key and fingerprint the request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from punchcard.domain import canonical, errors
from punchcard.domain.loyalty import commands as c

NOW = datetime(2026, 5, 10, 12, tzinfo=UTC)
ITEM = c.LineItem(sku="SKU-1", amount=600, category="shoes")

BASE: dict[type[c._Command], dict[str, Any]] = {
    c.Purchase: {"customer_id": "cus_1", "order_id": "o-1", "amount": 1000, "currency": "USD",
                 "occurred_at": NOW, "items": (ITEM,)},
    c.Engagement: {"customer_id": "cus_1", "event_id": "e-1", "type": "app_login",
                   "occurred_at": NOW},
    c.Redeem: {"idempotency_key": "k1", "customer_id": "cus_1", "option": "cashback",
               "points": 2500, "order_id": "o-1"},
    c.Authorize: {"idempotency_key": "k1", "customer_id": "cus_1", "option": "cashback",
                  "points": 2500, "timeout": timedelta(minutes=5)},
    c.Capture: {"idempotency_key": "k1", "hold_id": 7, "points": 100},
    c.Void: {"idempotency_key": "k1", "hold_id": 7},
    c.Convert: {"idempotency_key": "k1", "customer_id": "cus_1", "points": 300},
    c.Refund: {"order_id": "o-1", "refund_id": "r-1", "amount": 250},
    c.Transfer: {"idempotency_key": "k1", "from_customer": "cus_1", "to_customer": "cus_2",
                 "points": 40},
    c.Exchange: {"idempotency_key": "k1", "customer_id": "cus_1", "partner": "skyways",
                 "amount": 100, "direction": c.Direction.OUT},
    c.RequestAdjustment: {"idempotency_key": "k1", "customer_id": "cus_1", "points": -20,
                          "reason": "goodwill", "requested_by": "alice"},
    c.DecideAdjustment: {"adjustment_id": 3, "approve": True, "decided_by": "bob",
                         "note": "ok"},
}  # fmt: skip

# One different value for every field of each command's request.
OTHER: dict[str, object] = {
    "tenant": "globex", "customer_id": "cus_9", "order_id": "o-2", "amount": 999,
    "currency": "EUR", "occurred_at": NOW + timedelta(microseconds=1),
    "items": (c.LineItem(sku="SKU-1", amount=601, category="shoes"),), "event_id": "e-2",
    "type": "social_share", "option": "gift_card", "points": 2501,
    "timeout": timedelta(minutes=6), "hold_id": 8, "refund_id": "r-2", "from_customer": "cus_3",
    "to_customer": "cus_4", "direction": c.Direction.BACK, "reason": "error",
    "requested_by": "carol", "adjustment_id": 4, "approve": False, "decided_by": "dave",
    "note": "no", "partner": "railways",
}  # fmt: skip


def build(cls: type[c._Command], **changes: object) -> Any:
    return cls(**({"tenant": "acme"} | BASE[cls] | changes))


@pytest.mark.parametrize("cls", list(BASE))
def test_equal_requests_have_equal_fingerprints(cls: type[c._Command]) -> None:
    assert build(cls).fingerprint() == build(cls).fingerprint()
    assert len(build(cls).fingerprint()) == 32
    if issubclass(cls, c._Keyed):
        assert build(cls).fingerprint() == build(cls, idempotency_key="k2").fingerprint()


@pytest.mark.parametrize(
    ("cls", "field"),
    [(cls, f) for cls, base in BASE.items() for f in ["tenant", *base] if f != "idempotency_key"],
)
def test_any_changed_field_changes_the_fingerprint(cls: type[c._Command], field: str) -> None:
    assert build(cls).fingerprint() != build(cls, **{field: OTHER[field]}).fingerprint()


def test_the_fingerprint_binds_the_operation_and_the_instant_not_its_zone() -> None:
    auth = build(c.Authorize)
    assert auth.fingerprint() == canonical.fingerprint("Authorize", "acme", auth.request())
    assert auth.fingerprint() != canonical.fingerprint("Redeem", "acme", auth.request())
    paris_time = NOW.astimezone(timezone(timedelta(hours=2)))
    purchase = build(c.Purchase).fingerprint()
    assert build(c.Purchase, occurred_at=paris_time).fingerprint() == purchase
    assert build(c.Purchase, occurred_at=None).fingerprint() != purchase
    assert build(c.Capture, points=None).fingerprint() != build(c.Capture).fingerprint()


def test_sub_second_timeouts_change_the_fingerprint() -> None:
    one = build(c.Authorize, timeout=timedelta(seconds=1))
    other = build(c.Authorize, timeout=timedelta(seconds=1, milliseconds=500))
    assert one.fingerprint() != other.fingerprint()


@pytest.mark.parametrize(
    ("cls", "key"),
    [
        (c.Purchase, "order:o-1"),
        (c.Engagement, "event:e-1"),
        (c.Refund, "refund:r-1"),
        (c.Redeem, "key:k1"),
        (c.Authorize, "key:k1"),
        (c.Transfer, "key:k1"),
        (c.RequestAdjustment, "key:k1"),
        (c.DecideAdjustment, "adjustment:3:decision"),
    ],
)
def test_keys(cls: type[c._Command], key: str) -> None:
    assert build(cls).key == key


@pytest.mark.parametrize(
    ("cls", "changes", "error", "message"),
    [
        (c.Purchase, {"tenant": "Bad Tenant"}, errors.InvalidTenant, "tenant id"),
        (c.Purchase, {"customer_id": "alice"}, errors.UnknownCustomer, "not a customer id"),
        (c.Purchase, {"customer_id": "cus_ABC"}, errors.UnknownCustomer, "not a customer id"),
        (c.Engagement, {"customer_id": ""}, errors.UnknownCustomer, "not a customer id"),
        (c.Purchase, {"order_id": "order 1"}, errors.InvalidEvent, "order id must be 1-128"),
        (c.Purchase, {"order_id": "x" * 129}, errors.InvalidEvent, "order id must be 1-128"),
        (c.Purchase, {"amount": -1}, errors.InvalidEvent, "non-negative integer"),
        (c.Purchase, {"amount": 10.0}, errors.InvalidEvent, "non-negative integer"),
        (c.Purchase, {"amount": True}, errors.InvalidEvent, "non-negative integer"),
        (c.Purchase, {"currency": "usd"}, errors.InvalidAsset, "asset code"),
        (c.Purchase, {"occurred_at": datetime(2026, 1, 1)}, errors.InvalidEffectiveTime,  # noqa: DTZ001
         "occurred_at must carry a time zone"),
        (c.Purchase, {"items": (ITEM, ITEM)}, errors.InvalidEvent, "add up to more than"),
        (c.Purchase, {"items": [{"sku": "a", "amount": 1}]}, errors.InvalidEvent, "LineItem"),
        (c.Purchase, {"items": (ITEM,) * 501}, errors.InvalidEvent, "at most 500"),
        (c.Engagement, {"event_id": "e 1"}, errors.InvalidEvent, "event id"),
        (c.Engagement, {"type": "App-Login"}, errors.InvalidRequest, "engagement type"),
        (c.Engagement, {"occurred_at": datetime(2026, 1, 1)}, errors.InvalidEffectiveTime,  # noqa: DTZ001
         "occurred_at"),
        (c.Redeem, {"idempotency_key": "has space"}, errors.InvalidIdempotencyKey, "idempotency"),
        (c.Redeem, {"points": 0}, errors.InvalidAmount, "points must be between 1"),
        (c.Redeem, {"points": -5}, errors.InvalidAmount, "points must be between 1"),
        (c.Redeem, {"points": True}, errors.InvalidAmount, "got bool"),
        (c.Redeem, {"points": 2.0}, errors.InvalidAmount, "got float"),
        (c.Redeem, {"option": "Cash Back"}, errors.InvalidRequest, "redemption option"),
        (c.Redeem, {"order_id": "o 1"}, errors.InvalidEvent, "order id"),
        (c.Authorize, {"timeout": timedelta(milliseconds=999)}, errors.InvalidRequest,
         "from 1 second to 30 days"),
        (c.Authorize, {"timeout": timedelta(days=30, seconds=1)}, errors.InvalidRequest,
         "from 1 second to 30 days"),
        (c.Authorize, {"timeout": -timedelta(minutes=5)}, errors.InvalidRequest, "timeout"),
        (c.Capture, {"hold_id": 0}, errors.InvalidAmount, "hold_id"),
        (c.Capture, {"points": 0}, errors.InvalidAmount, "points"),
        (c.Void, {"hold_id": True}, errors.InvalidAmount, "hold_id"),
        (c.Convert, {"points": -1}, errors.InvalidAmount, "points"),
        (c.Refund, {"amount": 0}, errors.InvalidAmount, "refund amount"),
        (c.Refund, {"refund_id": ""}, errors.InvalidEvent, "refund id"),
        (c.Transfer, {"to_customer": "cus_1"}, errors.InvalidRequest, "two different customers"),
        (c.Transfer, {"from_customer": "bob"}, errors.UnknownCustomer, "'bob'"),
        (c.Exchange, {"amount": 0}, errors.InvalidAmount, "exchange amount"),
        (c.Exchange, {"partner": "Sky"}, errors.InvalidRequest, "partner"),
        (c.RequestAdjustment, {"points": 0}, errors.InvalidRequest, "non-zero integer"),
        (c.RequestAdjustment, {"points": True}, errors.InvalidRequest, "non-zero integer"),
        (c.RequestAdjustment, {"points": 1.5}, errors.InvalidRequest, "non-zero integer"),
        (c.RequestAdjustment, {"reason": ""}, errors.InvalidRequest, "reason must be 1-500"),
        (c.RequestAdjustment, {"reason": "   "}, errors.InvalidRequest, "reason must be 1-500"),
        (c.RequestAdjustment, {"reason": "x" * 501}, errors.InvalidRequest, "reason"),
        (c.RequestAdjustment, {"requested_by": "a b"}, errors.InvalidRequest, "requested_by"),
        (c.DecideAdjustment, {"adjustment_id": -3}, errors.InvalidAmount, "adjustment_id"),
        (c.DecideAdjustment, {"note": ""}, errors.InvalidRequest, "note"),
    ],
)  # fmt: skip
def test_bad_commands_cannot_be_built(
    cls: type[c._Command], changes: dict[str, object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        build(cls, **changes)


def test_valid_edges_are_accepted() -> None:
    assert build(c.Purchase, amount=0, items=()).amount == 0
    assert build(c.Purchase, items=[ITEM]).items == (ITEM,)  # normalized to a tuple
    assert build(c.RequestAdjustment, points=20).points == 20
    assert build(c.Authorize, timeout=timedelta(seconds=1)).timeout == timedelta(seconds=1)
    assert (
        build(c.Authorize, timeout=timedelta(days=30)).request()["timeout_us"] == 2_592_000_000_000
    )
    assert build(c.Exchange, direction="back").direction is c.Direction.BACK
    assert build(c.Engagement, occurred_at=None).request()["occurred_at"] is None


@pytest.mark.parametrize(
    "changes",
    [{"sku": "a b"}, {"amount": -1}, {"amount": 1.0}, {"quantity": 0}, {"quantity": True},
     {"quantity": 1_000_001}, {"category": "Shoes"}],
)  # fmt: skip
def test_bad_line_items(changes: dict[str, object]) -> None:
    with pytest.raises(errors.InvalidRequest):
        c.LineItem(**({"sku": "SKU-1", "amount": 5} | changes))  # type: ignore[arg-type]


def test_an_unknown_exchange_direction_is_a_bad_request() -> None:
    with pytest.raises(errors.InvalidRequest):
        build(c.Exchange, direction="sideways")
