"""``POST /v1/events:batch`` end to end: one result per event in the order sent, a
bad event never stops the others, re-sent batches replay, malformed batches apply
nothing, roles and tenants, and a large batch that leaves the journal clean."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from punchcard.service_layer.loyalty.facade import Loyalty
from tests.conftest import setup_programme
from tests.helpers import verified
from tests.http.answers import fresh
from tests.http.conftest import Caller, KeyFactory

BATCH = "/v1/events:batch"


def enrol(caller: Caller) -> str:
    made = caller.post("/v1/customers", {"external_ref": f"shop-{uuid.uuid4().hex[:12]}"})
    assert made.status_code == 201, made.text
    customer: str = made.json()["id"]
    return customer


def purchase(customer: str, order: str, amount: int) -> dict[str, Any]:
    return {"type": "purchase", "customer_id": customer, "order_id": order, "amount": amount,
            "currency": "USD"}  # fmt: skip


def engagement(customer: str, event: str, kind: str = "review_written") -> dict[str, Any]:
    return {"type": "engagement", "customer_id": customer, "event_id": event, "engagement": kind}


def refund(order: str, refund_id: str, amount: int) -> dict[str, Any]:
    return {"type": "refund", "order_id": order, "refund_id": refund_id, "amount": amount}


def available(reader: Caller, customer: str) -> int:
    """The customer's available points, read through the API."""
    response = reader.get(f"/v1/customers/{customer}/balance")
    assert response.status_code == 200, response.text
    points: int = response.json()["available"]
    return points


def statuses(body: dict[str, Any]) -> list[str]:
    assert [r["index"] for r in body["results"]] == list(range(len(body["results"])))
    return [r["status"] for r in body["results"]]


def mixed(alice: str, bob: str, carol: str) -> list[dict[str, Any]]:
    """Purchases of several customers, engagement, a refund of an order earlier in the
    same batch, an unknown customer, a refund beyond its order, then more after them."""
    return [
        purchase(alice, "o-a1", 12_000),      # 120
        purchase(bob, "o-b1", 5_050),         # 50
        engagement(carol, "e-c1"),            # 50
        refund("o-a1", "r-a1", 6_000),        # -60
        purchase("cus_nobody", "o-x1", 1_000),
        refund("o-b1", "r-b1", 5_051),
        purchase(alice, "o-a2", 1_000),       # 10
    ]  # fmt: skip


MIXED_STATUSES = ["ok", "ok", "ok", "ok", "error", "error", "ok"]


def test_a_mixed_batch_answers_each_event_in_order(key: KeyFactory) -> None:
    ingest, reader = key("ingest"), key("auditor")
    alice, bob, carol = enrol(key()), enrol(key()), enrol(key())
    response = ingest.post(BATCH, {"events": mixed(alice, bob, carol)})
    assert response.status_code == 200, response.text
    body = response.json()
    assert statuses(body) == MIXED_STATUSES
    assert (body["ok"], body["replayed"], body["failed"]) == (5, 0, 2)
    results = [r.get("result") for r in body["results"]]
    assert [(r["customer_id"], r["points"]) for r in (results[0], results[1], results[2])] == [
        (alice, 120), (bob, 50), (carol, 50),
    ]  # fmt: skip
    refunded = results[3]
    assert (refunded["order_id"], refunded["customer_id"], refunded["points_reversed"]) == (
        "o-a1", alice, 60,
    )  # fmt: skip
    assert (results[6]["customer_id"], results[6]["points"]) == (alice, 10)
    unknown, too_much = body["results"][4]["error"], body["results"][5]["error"]
    assert (unknown["code"], unknown["status"]) == ("unknown_customer", 404)
    assert unknown["type"] == "https://punchcard.dev/problems/unknown_customer"
    assert (too_much["code"], too_much["status"]) == ("refund_exceeds_order", 422)
    assert all(r.get("error") is None for r in body["results"] if r["status"] == "ok")
    assert [available(reader, c) for c in (alice, bob, carol)] == [70, 50, 50]


def test_a_resent_batch_replays_what_was_applied(key: KeyFactory) -> None:
    ingest, reader = key("ingest"), key("auditor")
    alice, bob, carol = enrol(key()), enrol(key()), enrol(key())
    events = mixed(alice, bob, carol)
    first = ingest.post(BATCH, {"events": events}).json()
    again = ingest.post(BATCH, {"events": events})
    assert again.status_code == 200, again.text
    assert "idempotent-replayed" not in again.headers
    body = again.json()
    assert statuses(body) == [s.replace("ok", "replayed") for s in MIXED_STATUSES]
    assert (body["ok"], body["replayed"], body["failed"]) == (0, 5, 2)
    for was, now in zip(first["results"], body["results"], strict=True):
        if was["status"] == "ok":
            assert now["result"] == {**was["result"], "replayed": True}
        else:
            assert now["error"]["code"] == was["error"]["code"]
    assert [available(reader, c) for c in (alice, bob, carol)] == [70, 50, 50]


def test_a_batch_with_an_idempotency_key_replays_the_whole_answer(key: KeyFactory) -> None:
    ingest, reader = key("ingest"), key("auditor")
    alice, bob, carol = enrol(key()), enrol(key()), enrol(key())
    events, headers = mixed(alice, bob, carol), fresh()
    first = ingest.post(BATCH, {"events": events}, headers=headers)
    assert first.status_code == 200, first.text
    again = ingest.post(BATCH, {"events": events}, headers=headers)
    assert (again.status_code, again.headers["idempotent-replayed"]) == (200, "true")
    assert again.json() == first.json()  # "ok", as first answered, not "replayed"
    other = ingest.post(BATCH, {"events": events[:1]}, headers=headers)
    assert (other.status_code, other.json()["code"]) == (422, "idempotency_key_reused")
    assert [available(reader, c) for c in (alice, bob, carol)] == [70, 50, 50]


@pytest.mark.parametrize(
    ("index", "bad", "field"),
    [
        (2, {**purchase("{a}", "o-bad", 1_000), "amount": 10.5}, "events.2.purchase.amount"),
        (1, {**purchase("{a}", "o-bad", 1_000), "coupon": "x"}, "events.1.purchase.coupon"),
        (0, {**purchase("{a}", "o-bad", 1_000), "amount": "1000"}, "events.0.purchase.amount"),
        (1, {**refund("o-1", "r-bad", 1), "amount": 0}, "events.1.refund.amount"),
        (2, {**engagement("{a}", "e-bad"), "engagement": "App Login"},
         "events.2.engagement.engagement"),
        (1, {"type": "gift", "customer_id": "{a}"}, "events.1"),
    ],
)  # fmt: skip
def test_a_malformed_event_is_a_400_naming_it_and_nothing_is_applied(
    key: KeyFactory, index: int, bad: dict[str, Any], field: str
) -> None:
    ingest, reader = key("ingest"), key("auditor")
    alice = enrol(key())
    filled = {k: alice if v == "{a}" else v for k, v in bad.items()}
    events = [purchase(alice, "o-1", 10_000), purchase(alice, "o-2", 20_000)]
    events.insert(index, filled)
    response = ingest.post(BATCH, {"events": events})
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    found = response.json()
    assert found["code"] == "invalid_request"
    assert found["detail"].startswith(f"body.{field}"), found
    assert available(reader, alice) == 0
    alone = ingest.post("/v1/events", purchase(alice, "o-1", 10_000)).json()
    assert (alone["points"], alone["replayed"]) == (100, False)  # o-1 was never applied


def test_a_batch_holds_1_to_1000_events(key: KeyFactory) -> None:
    ingest, reader = key("ingest"), key("auditor")
    alice = enrol(key())
    too_many = [purchase(alice, f"o-{n}", 100) for n in range(1001)]
    bodies: list[dict[str, Any]] = [{"events": too_many}, {"events": []}, {},
                                    {"events": too_many[0]}]  # fmt: skip
    for body in bodies:
        response = ingest.post(BATCH, body)
        assert (response.status_code, response.json()["code"]) == (400, "invalid_request")
        assert response.json()["detail"].startswith("body.events"), response.text
    assert available(reader, alice) == 0


def test_a_body_over_a_megabyte_is_413_and_applies_nothing(key: KeyFactory) -> None:
    ingest, reader = key("ingest"), key("auditor")
    alice = enrol(key())
    items = [{"sku": f"sku-{n:04d}-" + "x" * 200, "amount": 1} for n in range(500)]
    events = [{**purchase(alice, f"o-{n}", 500), "items": items} for n in range(10)]
    response = ingest.post(BATCH, {"events": events})
    assert (response.status_code, response.json()["code"]) == (413, "payload_too_large")
    assert available(reader, alice) == 0


@pytest.mark.parametrize("role", ["operator", "auditor", "approver"])
def test_only_ingest_or_admin_keys_post_a_batch(key: KeyFactory, role: str) -> None:
    reader = key("auditor")
    alice = enrol(key())
    refused = key(role).post(BATCH, {"events": [purchase(alice, "o-1", 1_000)]})
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    assert available(reader, alice) == 0
    for allowed, order in ((key("ingest"), "o-1"), (key("admin"), "o-2")):
        response = allowed.post(BATCH, {"events": [purchase(alice, order, 1_000)]})
        assert (response.status_code, response.json()["ok"]) == (200, 1), response.text
    assert available(reader, alice) == 20


def test_another_tenants_key_reaches_none_of_these_customers(
    key: KeyFactory, loyalty: Loyalty, api_tenant: str
) -> None:
    ingest, reader = key("ingest"), key("auditor")
    alice, bob = enrol(key()), enrol(key())
    ingest.post(BATCH, {"events": [purchase(alice, "o-a1", 10_000), purchase(bob, "o-b1", 500)]})
    loyalty.ledger.seal()
    before = loyalty.ledger.verify(tenant=api_tenant)
    stranger = key("ingest", tenant=setup_programme(loyalty))
    events = [purchase(alice, "o-a9", 50_000), engagement(bob, "e-b9"),
              purchase(alice, "o-a1", 10_000), refund("o-a1", "r-a9", 10_000)]  # fmt: skip
    response = stranger.post(BATCH, {"events": events})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["ok"], body["replayed"], body["failed"]) == (0, 0, 4)
    codes = [r["error"]["code"] for r in body["results"]]
    assert codes == ["unknown_customer", "unknown_customer", "unknown_customer", "unknown_order"]
    assert [available(reader, c) for c in (alice, bob)] == [100, 5]
    again = ingest.post(BATCH, {"events": [purchase(alice, "o-a1", 10_000)]}).json()
    assert statuses(again) == ["replayed"]  # the stranger's o-a1 did not take the order id
    loyalty.ledger.seal()
    after = loyalty.ledger.verify(tenant=api_tenant)
    assert after.ok, after.problems
    assert [t.head_seq for t in after.tenants] == [t.head_seq for t in before.tenants] == [2]


def test_a_large_batch_leaves_each_balance_the_sum_of_its_earns(
    key: KeyFactory, loyalty: Loyalty, api_tenant: str
) -> None:
    ingest, reader = key("ingest"), key("auditor")
    customers = [enrol(key("operator")) for _ in range(30)]
    events = [purchase(customers[n % 30], f"o-{n}", 1_000 + 37 * n) for n in range(300)]
    response = ingest.post(BATCH, {"events": events})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["ok"], body["replayed"], body["failed"]) == (300, 0, 0)
    earned: dict[str, int] = dict.fromkeys(customers, 0)
    for event, result in zip(events, body["results"], strict=True):
        assert result["result"]["customer_id"] == event["customer_id"]
        assert result["result"]["points"] == event["amount"] // 100
        earned[event["customer_id"]] += result["result"]["points"]
    transactions = {r["result"]["transaction_id"] for r in body["results"]}
    assert len(transactions) == 300
    assert {c: available(reader, c) for c in customers} == earned
    verified(loyalty, api_tenant)
