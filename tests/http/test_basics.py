"""The API's contract: keys, problem details, idempotency, validation, health."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi.testclient import TestClient

from tests.http.conftest import KeyFactory


def test_health_and_openapi_need_no_key(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready"}
    spec = client.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.1")
    assert "/v1/events" in spec["paths"]


def test_a_request_without_a_valid_key_is_a_401_problem(client: TestClient) -> None:
    for headers in ({}, {"Authorization": "Bearer nope"},
                    {"Authorization": "Bearer pc_key_000000000000_" + "x" * 43}):  # fmt: skip
        response = client.get("/v1/customers/cus_1", headers=headers)
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert (body["code"], body["status"]) == ("unauthenticated", 401)
        assert body["type"] == "https://punchcard.dev/problems/unauthenticated"


def test_enrol_earn_and_replay_with_an_idempotency_key(key: KeyFactory) -> None:
    admin = key()
    created = admin.post("/v1/customers", {"external_ref": "shop-1"})
    assert created.status_code == 201, created.text
    customer = created.json()["id"]
    event = {"type": "purchase", "customer_id": customer, "order_id": "o-1",
             "amount": 12_599, "currency": "USD"}  # fmt: skip
    first = admin.post("/v1/events", event, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == 200, first.text
    assert first.json()["points"] == 125
    again = admin.post("/v1/events", event, headers={"Idempotency-Key": "k-1"})
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    other = admin.post("/v1/events", {**event, "amount": 1}, headers={"Idempotency-Key": "k-1"})
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"


def test_validation_names_the_field_and_changes_nothing(key: KeyFactory) -> None:
    admin = key()
    for bad, field in [
        ({"type": "purchase", "customer_id": "cus_x", "order_id": "o", "amount": 1.5,
          "currency": "USD"}, "amount"),
        ({"type": "purchase", "customer_id": "cus_x", "order_id": "o", "amount": -1,
          "currency": "USD"}, "amount"),
        ({"type": "purchase", "customer_id": "cus_x", "order_id": "o", "amount": 1,
          "currency": "USD", "bogus": 1}, "bogus"),
        ({"type": "purchase", "customer_id": "cus_x", "order_id": "o" * 200, "amount": 1,
          "currency": "USD"}, "order_id"),
    ]:  # fmt: skip
        response = admin.post("/v1/events", bad)
        assert response.status_code == 400, response.text
        assert response.json()["code"] == "invalid_request"
        assert field in response.json()["detail"]


def test_business_outcomes_are_4xx_problems(key: KeyFactory) -> None:
    admin = key()
    response = admin.get("/v1/customers/cus_doesnotexist")
    assert response.status_code == 404
    assert response.json()["code"] == "unknown_customer"


def test_roles_are_enforced(key: KeyFactory) -> None:
    auditor = key("auditor")
    response = auditor.post("/v1/customers", {"external_ref": "x"})
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


def test_a_key_is_rate_limited_with_retry_after(key: KeyFactory) -> None:
    slow = key("auditor", rate_limit=1)
    statuses = [slow.get("/v1/customers/cus_x").status_code for _ in range(4)]
    assert 429 in statuses
    limited = slow.get("/v1/customers/cus_x")
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1


def test_an_oversized_or_unsized_body_is_refused_before_it_is_read(key: KeyFactory) -> None:
    admin = key()
    big = admin.post("/v1/customers", content=b"{" + b" " * 1_000_001 + b"}",
                     headers={"Content-Type": "application/json"})  # fmt: skip
    assert (big.status_code, big.json()["code"]) == (413, "payload_too_large")

    def chunks() -> Iterator[bytes]:
        yield b'{"external_ref": '
        yield b'"chunked"}'

    unsized = admin.post("/v1/customers", content=chunks(),
                         headers={"Content-Type": "application/json"})  # fmt: skip
    assert (unsized.status_code, unsized.json()["code"]) == (411, "length_required")
    assert admin.get("/v1/customers", params={"external_ref": "chunked"}).status_code == 404
