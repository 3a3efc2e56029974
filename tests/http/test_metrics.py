"""GET /metrics: Prometheus text with requests and latency per route template,
ledger writes, Idempotency-Key replays and errors by code."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.http.conftest import KeyFactory


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one series, 0 if it is not there yet."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        match = re.fullmatch(rf"{name}(?:\{{(.*)\}})? (\S+)", line)
        if match and ",".join(sorted((match.group(1) or "").split(","))) == wanted:
            return float(match.group(2))
    return 0.0


def test_metrics_count_requests_writes_replays_and_errors(
    client: TestClient, key: KeyFactory
) -> None:
    admin = key()
    before = client.get("/metrics").text
    customer = admin.post("/v1/customers", {"external_ref": "m-1"}).json()["id"]
    event = {"type": "purchase", "customer_id": customer, "order_id": "o-1", "amount": 1_000,
             "currency": "USD"}  # fmt: skip
    assert admin.post("/v1/events", event, headers={"Idempotency-Key": "m-k"}).status_code == 200
    replayed = admin.post("/v1/events", event, headers={"Idempotency-Key": "m-k"})
    assert replayed.headers["idempotent-replayed"] == "true"
    assert admin.get("/v1/customers/cus_nobody").status_code == 404
    assert admin.get(f"/v1/customers/{customer}").status_code == 200
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    after = response.text

    def grew(name: str, **labels: str) -> float:
        return sample(after, name, **labels) - sample(before, name, **labels)

    route = "/v1/customers/{customer_id}"
    assert grew("punchcard_http_requests_total", route=route, method="GET", status="200") >= 1
    assert grew("punchcard_http_requests_total", route=route, method="GET", status="404") >= 1
    assert grew("punchcard_http_request_seconds_count", route="/v1/events", method="POST") >= 2
    assert grew("punchcard_ledger_writes_total", route="/v1/events") >= 1
    assert grew("punchcard_http_errors_total", code="unknown_customer") >= 1
    assert sample(
        after,
        "punchcard_idempotent_replays_total",
    ) >= 1 or ("punchcard_idempotent_replays_total " in after)
    assert "cus_nobody" not in after and customer not in after  # route templates, not paths
