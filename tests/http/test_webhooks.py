"""Webhooks through the HTTP API: admins manage endpoints, readers see deliveries,
secrets show only on creation and rotation, replays make new deliveries."""

from __future__ import annotations

from punchcard.service_layer import webhooks
from punchcard.service_layer.loyalty.facade import Loyalty
from tests.http.answers import ok
from tests.http.conftest import KeyFactory
from tests.receiver import receiver


def test_an_admin_manages_endpoints_and_a_reader_sees_deliveries(
    key: KeyFactory, loyalty: Loyalty
) -> None:
    admin, reader = key(), key("auditor")
    customer = ok(admin.post("/v1/customers", {"external_ref": "shop-hook"}))["id"]
    with receiver() as hook:
        made = admin.post("/v1/webhooks/endpoints",
                          {"url": hook.url, "event_types": ["points.earned"]})  # fmt: skip
        assert made.status_code == 201, made.text
        endpoint = made.json()
        assert endpoint["id"].startswith("whe_") and endpoint["secret"].startswith("whsec_")
        listed = ok(admin.get("/v1/webhooks/endpoints"))["data"]
        assert [e["id"] for e in listed] == [endpoint["id"]] and "secret" not in listed[0]
        assert reader.get("/v1/webhooks/endpoints").status_code == 403
        ok(admin.post("/v1/events", {"type": "purchase", "customer_id": customer,
                                     "order_id": "o-hook", "amount": 10_00,
                                     "currency": "USD"}))  # fmt: skip
        event = ok(reader.get("/v1/outbox", params={"type": "points.earned"}))["data"][0]
        replayed = admin.post(f"/v1/webhooks/events/{event['id']}:replay",
                              json={"endpoint_id": endpoint["id"]})  # fmt: skip
        assert replayed.status_code == 202, replayed.text
        (delivery_id,) = replayed.json()["deliveries"]
        webhooks.deliver_due(loyalty)
        found = ok(reader.get(f"/v1/webhooks/endpoints/{endpoint['id']}/deliveries"))["data"]
        mine = next(d for d in found if d["id"] == delivery_id)
        assert mine["event_id"] == event["id"] and mine["replay"] is True
        assert any(r.headers["webhook-id"] == event["id"] for r in hook.received)
    rotated = ok(admin.post(f"/v1/webhooks/endpoints/{endpoint['id']}:rotate-secret"))
    assert rotated["secret"] != endpoint["secret"] and rotated["rotating_until"] is not None
    changed = ok(admin.client.patch(
        f"/v1/webhooks/endpoints/{endpoint['id']}", headers=admin.headers(),
        json={"enabled": False, "disabled_reason": "maintenance"},
    ))  # fmt: skip
    assert (changed["enabled"], changed["disabled_reason"]) == (False, "maintenance")
    assert admin.delete(f"/v1/webhooks/endpoints/{endpoint['id']}").status_code == 204
    gone = admin.get(f"/v1/webhooks/endpoints/{endpoint['id']}")
    assert (gone.status_code, gone.json()["code"]) == (404, "unknown_webhook_endpoint")


def test_a_bad_url_or_event_type_is_refused(key: KeyFactory) -> None:
    admin = key()
    unknown_type = {"url": "http://127.0.0.1/h", "event_types": ["points.made_up"]}
    for body in ({"url": "ftp://127.0.0.1/hook"}, unknown_type):
        refused = admin.post("/v1/webhooks/endpoints", body)
        assert refused.status_code == 400, refused.text
        assert refused.json()["code"] == "invalid_webhook_endpoint"
