"""The adjustments routes end to end: an operator's key requests, a different
approver's key approves or rejects; roles, replays and tenants."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from punchcard.service_layer.loyalty.facade import Loyalty
from tests.conftest import setup_programme
from tests.http.answers import fresh, problem
from tests.http.conftest import Caller, KeyFactory


def customer(caller: Caller, points: int = 0) -> str:
    """A customer of the caller's tenant (an admin key), holding ``points``."""
    ref = f"shop-{uuid.uuid4().hex[:12]}"
    made = caller.post("/v1/customers", {"external_ref": ref})
    assert made.status_code == 201, made.text
    found: str = made.json()["id"]
    if points:
        event = {"type": "purchase", "customer_id": found, "order_id": f"o-{ref}",
                 "amount": points * 100, "currency": "USD"}  # fmt: skip
        assert caller.post("/v1/events", event).json()["points"] == points
    return found


def request(operator: Caller, customer_id: str, points: int = 250, **extra: Any) -> Any:
    body = {"customer_id": customer_id, "points": points, "reason": "missing points", **extra}
    return operator.post("/v1/adjustments", body, headers=fresh())


def available(loyalty: Loyalty, caller: Caller, customer_id: str) -> int:
    return loyalty.balance(caller.tenant, customer_id).available


def test_a_requested_adjustment_posts_when_another_key_approves(
    key: KeyFactory, loyalty: Loyalty
) -> None:
    admin, operator, approver, auditor = key(), key("operator"), key("approver"), key("auditor")
    alice = customer(admin)
    made = request(operator, alice, 250)
    assert made.status_code == 201, made.text
    adjustment = made.json()
    assert (adjustment["customer_id"], adjustment["points"]) == (alice, 250)
    assert (adjustment["status"], adjustment["requested_by"]) == ("pending", operator.key_id)
    assert adjustment["transaction_id"] is None
    assert available(loyalty, admin, alice) == 0
    listed = auditor.get("/v1/adjustments", params={"status": "pending"})
    assert listed.status_code == 200, listed.text
    assert [a["id"] for a in listed.json()] == [adjustment["id"]]
    approved = approver.post(f"/v1/adjustments/{adjustment['id']}/approve",
                             {"note": "checked order 1234"})  # fmt: skip
    assert approved.status_code == 200, approved.text
    decided = approved.json()
    assert (decided["status"], decided["decided_by"]) == ("approved", approver.key_id)
    assert (decided["note"], decided["requested_by"]) == ("checked order 1234", operator.key_id)
    assert isinstance(decided["transaction_id"], int)
    assert available(loyalty, admin, alice) == 250
    assert auditor.get("/v1/adjustments").json() == []


def test_a_negative_adjustment_takes_points_and_a_rejection_moves_none(
    key: KeyFactory, loyalty: Loyalty
) -> None:
    admin, operator, approver = key(), key("operator"), key("approver")
    alice = customer(admin, 1000)
    taken = request(operator, alice, -300).json()
    refused = request(operator, alice, 500).json()
    rejected = approver.post(f"/v1/adjustments/{refused['id']}/reject")
    assert rejected.status_code == 200, rejected.text
    assert (rejected.json()["status"], rejected.json()["transaction_id"]) == ("rejected", None)
    approved = approver.post(f"/v1/adjustments/{taken['id']}/approve", {})
    assert approved.status_code == 200, approved.text
    assert available(loyalty, admin, alice) == 700
    problem(approver.post(f"/v1/adjustments/{refused['id']}/approve"), 409,
            "adjustment_already_decided")  # fmt: skip
    problem(approver.post(f"/v1/adjustments/{taken['id']}/reject"), 409,
            "adjustment_already_decided")  # fmt: skip
    assert available(loyalty, admin, alice) == 700


def test_an_approved_negative_adjustment_needs_the_points(
    key: KeyFactory, loyalty: Loyalty
) -> None:
    admin, operator, approver = key(), key("operator"), key("approver")
    alice = customer(admin, 100)
    made = request(operator, alice, -101).json()
    problem(approver.post(f"/v1/adjustments/{made['id']}/approve"), 422, "insufficient_points")
    assert available(loyalty, admin, alice) == 100
    assert [a["id"] for a in admin.get("/v1/adjustments").json()] == [made["id"]]


@pytest.mark.parametrize("roles", [("operator", "approver"), ("admin",)])
@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_the_key_that_requested_cannot_decide(
    key: KeyFactory, loyalty: Loyalty, roles: tuple[str, ...], decision: str
) -> None:
    both = key(*roles)
    alice = customer(key())
    made = request(both, alice, 250).json()
    response = both.post(f"/v1/adjustments/{made['id']}/{decision}")
    problem(response, 403, "maker_checker_violation")
    assert available(loyalty, both, alice) == 0
    assert [a["status"] for a in both.get("/v1/adjustments").json()] == ["pending"]


def test_roles(key: KeyFactory, loyalty: Loyalty) -> None:
    admin, operator = key(), key("operator")
    alice = customer(admin)
    for role in ("auditor", "ingest", "approver"):
        problem(request(key(role), alice), 403, "forbidden")
    made = request(operator, alice).json()
    for role in ("operator", "auditor", "ingest"):
        for decision in ("approve", "reject"):
            response = key(role).post(f"/v1/adjustments/{made['id']}/{decision}")
            problem(response, 403, "forbidden")
    problem(key("ingest").get("/v1/adjustments"), 403, "forbidden")
    for role in ("operator", "approver", "auditor"):
        assert key(role).get("/v1/adjustments").status_code == 200
    assert [a["id"] for a in admin.get("/v1/adjustments").json()] == [made["id"]]
    assert available(loyalty, admin, alice) == 0


def test_requesting_needs_an_idempotency_key_and_replays_by_it(
    key: KeyFactory, loyalty: Loyalty
) -> None:
    admin, operator = key(), key("operator")
    alice = customer(admin)
    body = {"customer_id": alice, "points": 250, "reason": "missing points"}
    missing = problem(operator.post("/v1/adjustments", body), 400, "invalid_request")
    assert missing["detail"] == "Idempotency-Key header is required"
    headers = fresh()
    first = operator.post("/v1/adjustments", body, headers=headers)
    again = operator.post("/v1/adjustments", body, headers=headers)
    assert first.status_code == again.status_code == 201, first.text
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    other = operator.post("/v1/adjustments", {**body, "points": 251}, headers=headers)
    problem(other, 422, "idempotency_key_reused")
    assert len(admin.get("/v1/adjustments").json()) == 1


def test_a_decision_replays_by_its_idempotency_key(key: KeyFactory, loyalty: Loyalty) -> None:
    admin, operator, approver = key(), key("operator"), key("approver")
    alice = customer(admin)
    made = request(operator, alice, 250).json()
    headers = fresh()
    path = f"/v1/adjustments/{made['id']}/approve"
    first = approver.post(path, {"note": "ok"}, headers=headers)
    again = approver.post(path, {"note": "ok"}, headers=headers)
    assert first.status_code == again.status_code == 200, first.text
    assert (again.json(), again.headers["idempotent-replayed"]) == (first.json(), "true")
    problem(approver.post(path, {"note": "changed"}, headers=headers), 422,
            "idempotency_key_reused")  # fmt: skip
    assert available(loyalty, admin, alice) == 250


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"points": 0}, "points"),
        ({"points": 2.5}, "points"),
        ({"points": "250"}, "points"),
        ({"points": 2**63}, "points"),
        ({"reason": ""}, "reason"),
        ({"reason": "x" * 501}, "reason"),
        ({"reason": 5}, "reason"),
        ({"customer_id": ""}, "customer_id"),
        ({"approved_by": "me"}, "approved_by"),
    ],
)
def test_a_request_is_validated_field_by_field(
    key: KeyFactory, body: dict[str, Any], field: str
) -> None:
    admin = key()
    alice = customer(admin)
    full = {"customer_id": alice, "points": 250, "reason": "missing points", **body}
    response = admin.post("/v1/adjustments", full, headers=fresh())
    found = problem(response, 400, "invalid_request")
    assert field in found["detail"], found
    assert admin.get("/v1/adjustments").json() == []


def test_decisions_and_the_list_are_validated(key: KeyFactory) -> None:
    admin = key()
    made = request(admin, customer(admin)).json()
    for path, body, field in [
        (f"/v1/adjustments/{made['id']}/approve", {"note": ""}, "note"),
        (f"/v1/adjustments/{made['id']}/reject", {"note": "x" * 501}, "note"),
        (f"/v1/adjustments/{made['id']}/approve", {"approve": True}, "approve"),
        ("/v1/adjustments/0/approve", {}, "adjustment_id"),
        ("/v1/adjustments/abc/reject", {}, "adjustment_id"),
    ]:
        found = problem(key("approver").post(path, body), 400, "invalid_request")
        assert field in found["detail"], found
    for params, field in [({"status": "approved"}, "status"), ({"limit": 0}, "limit"),
                          ({"limit": 1001}, "limit"), ({"limit": "x"}, "limit")]:  # fmt: skip
        found = problem(admin.get("/v1/adjustments", params=params), 400, "invalid_request")
        assert field in found["detail"], found
    assert [a["status"] for a in admin.get("/v1/adjustments").json()] == ["pending"]


def test_the_list_is_oldest_first_and_limited(key: KeyFactory) -> None:
    admin, operator = key(), key("operator")
    alice = customer(admin)
    made = [request(operator, alice, points).json()["id"] for points in (1, -2, 3)]
    assert [a["id"] for a in admin.get("/v1/adjustments").json()] == made
    limited = admin.get("/v1/adjustments", params={"limit": 2})
    assert [a["id"] for a in limited.json()] == made[:2]


def test_unknown_customers_and_adjustments_are_404(key: KeyFactory) -> None:
    admin = key()
    problem(request(admin, "cus_nobody"), 404, "unknown_customer")
    for decision in ("approve", "reject"):
        response = admin.post(f"/v1/adjustments/999999999999/{decision}")
        problem(response, 404, "unknown_adjustment")


def test_another_tenant_cannot_reach_these_adjustments(key: KeyFactory, loyalty: Loyalty) -> None:
    admin, operator = key(), key("operator")
    alice = customer(admin)
    made = request(operator, alice).json()
    stranger = key(tenant=setup_programme(loyalty))
    problem(request(stranger, alice), 404, "unknown_customer")
    for decision in ("approve", "reject"):
        response = stranger.post(f"/v1/adjustments/{made['id']}/{decision}")
        problem(response, 404, "unknown_adjustment")
    assert stranger.get("/v1/adjustments").json() == []
    assert [a["status"] for a in admin.get("/v1/adjustments").json()] == ["pending"]
    assert available(loyalty, admin, alice) == 0


def test_the_adjustment_routes_are_documented(client: Any) -> None:
    spec = client.get("/openapi.json").json()
    for path, method in [("/v1/adjustments", "post"), ("/v1/adjustments", "get"),
                         ("/v1/adjustments/{adjustment_id}/approve", "post"),
                         ("/v1/adjustments/{adjustment_id}/reject", "post")]:  # fmt: skip
        assert spec["paths"][path][method]["description"], (path, method)
