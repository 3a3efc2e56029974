"""POST /v1/events: a purchase or an engagement dated by ``occurred_at``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.http.conftest import KeyFactory


def test_occurred_at_is_an_rfc3339_string_with_an_offset(key: KeyFactory) -> None:
    admin = key()
    customer = admin.post("/v1/customers", {"external_ref": "shop-1"}).json()["id"]
    when = (datetime.now(UTC) - timedelta(days=3)).replace(microsecond=0)
    event = {"type": "purchase", "customer_id": customer, "order_id": "o-1", "amount": 1_000,
             "currency": "USD", "occurred_at": when.isoformat().replace("+00:00", "Z")}  # fmt: skip
    earned = admin.post("/v1/events", event)
    assert earned.status_code == 200, earned.text
    transaction = admin.get(f"/v1/transactions/{earned.json()['transaction_id']}").json()
    assert datetime.fromisoformat(transaction["effective_at"]) == when
    login = {"type": "engagement", "customer_id": customer, "event_id": "e-1",
             "engagement": "app_login", "occurred_at": when.isoformat()}  # fmt: skip
    assert admin.post("/v1/events", login).status_code == 200


def test_a_time_without_an_offset_or_as_a_number_is_refused(key: KeyFactory) -> None:
    admin = key()
    customer = admin.post("/v1/customers", {"external_ref": "shop-1"}).json()["id"]
    event = {"type": "purchase", "customer_id": customer, "order_id": "o-1", "amount": 1_000,
             "currency": "USD"}  # fmt: skip
    for bad in ("2026-11-10T15:00:00", 1_700_000_000, "yesterday", "2026-11-10"):
        refused = admin.post("/v1/events", {**event, "occurred_at": bad})
        assert refused.status_code == 400, (bad, refused.text)
        assert refused.json()["errors"][0]["field"] == "body.purchase.occurred_at"
    assert admin.get(f"/v1/customers/{customer}/balance").json()["pending"] == 0
