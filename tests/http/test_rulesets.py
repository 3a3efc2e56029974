"""Rulesets through HTTP: drafts in JSON and YAML, submission, a second key's
approval (never the submitter's), withdrawal, simulation, roles and isolation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from punchcard.service_layer.loyalty.facade import Loyalty
from tests.conftest import setup_programme
from tests.http.conftest import Caller, KeyFactory

DOUBLE: dict[str, Any] = {
    "name": "double points",
    "rules": [{"id": "base", "effect": {"rate": {"points": 2, "per": 100}}}],
}
YAML_TRIPLE = """
name: triple points
rules:
  - id: base
    effect:
      rate: {points: 3, per: 100}
"""


def draft(admin: Caller, document: dict[str, Any] = DOUBLE) -> dict[str, Any]:
    response = admin.post("/v1/rulesets", {"document": document})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def published(admin: Caller, approver: Caller, document: dict[str, Any] = DOUBLE) -> int:
    version: int = draft(admin, document)["version"]
    assert admin.post(f"/v1/rulesets/{version}/submit").status_code == 200
    assert approver.post(f"/v1/rulesets/{version}/approve").status_code == 200
    return version


def test_a_draft_is_written_submitted_approved_and_earns(key: KeyFactory) -> None:
    admin, approver = key("admin"), key("approver")
    created = draft(admin)
    version = created["version"]
    assert (created["status"], created["created_by"]) == ("draft", admin.key_id)
    assert created["document"]["rules"][0]["effect"]["rate"] == {"points": 2, "per": 100}

    changed = admin.put(f"/v1/rulesets/{version}", {"document": {**DOUBLE, "name": "twice"}})
    assert changed.status_code == 200, changed.text
    assert changed.json()["document"]["name"] == "twice"

    submitted = admin.post(f"/v1/rulesets/{version}/submit")
    assert submitted.status_code == 200, submitted.text
    assert (submitted.json()["status"], submitted.json()["submitted_by"]) == (
        "submitted", admin.key_id,
    )  # fmt: skip
    approved = approver.post(f"/v1/rulesets/{version}/approve")
    assert approved.status_code == 200, approved.text
    body = approved.json()
    assert (body["status"], body["approved_by"]) == ("published", approver.key_id)

    active = admin.get("/v1/rulesets/active").json()
    assert (active["version"], active["document"]["name"]) == (version, "twice")
    assert admin.get(f"/v1/rulesets/{version}").json() == active
    assert [v["version"] for v in admin.get("/v1/rulesets").json()["data"]] == [version]

    customer = admin.post("/v1/customers", {"external_ref": "shop-1"}).json()["id"]
    event = {"type": "purchase", "customer_id": customer, "order_id": "o-1", "amount": 1_000,
             "currency": "USD"}  # fmt: skip
    assert admin.post("/v1/events", event).json()["points"] == 20


def test_a_draft_may_be_yaml(key: KeyFactory) -> None:
    admin = key()
    created = admin.post("/v1/rulesets", content=YAML_TRIPLE,
                         headers={"Content-Type": "application/yaml"})  # fmt: skip
    assert created.status_code == 201, created.text
    assert created.json()["document"]["name"] == "triple points"
    version = created.json()["version"]
    changed = admin.put(f"/v1/rulesets/{version}", content=YAML_TRIPLE.replace("triple", "x3"),
                        headers={"Content-Type": "application/yaml; charset=utf-8"})  # fmt: skip
    assert changed.json()["document"]["name"] == "x3 points"
    broken = admin.post("/v1/rulesets", content="rules: [unclosed",
                        headers={"Content-Type": "application/yaml"})  # fmt: skip
    assert (broken.status_code, broken.json()["code"]) == (400, "invalid_ruleset")


def test_a_replayed_create_makes_one_version(key: KeyFactory) -> None:
    admin = key()
    headers = {"Idempotency-Key": "ruleset-1"}
    first = admin.post("/v1/rulesets", {"document": DOUBLE}, headers=headers)
    again = admin.post("/v1/rulesets", {"document": DOUBLE}, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert len(admin.get("/v1/rulesets").json()["data"]) == 1


def test_bad_documents_are_400_naming_the_field(key: KeyFactory) -> None:
    admin = key()
    for body, code, field in [
        ({}, "invalid_request", "document"),
        ({"document": DOUBLE, "bogus": 1}, "invalid_request", "bogus"),
        ({"document": "rules: []"}, "invalid_request", "document"),
        ({"document": {"rules": [{"id": "base", "effect": {"rate": {"points": "2", "per": 100}}}]}},
         "invalid_ruleset", "points"),
        ({"document": {**DOUBLE, "colour": "red"}}, "invalid_ruleset", "colour"),
        ({"document": {"rules": [{"id": "base", "when": "order.amount >",
                                  "effect": {"flat": 5}}]}}, "invalid_ruleset", "base"),
    ]:  # fmt: skip
        response = admin.post("/v1/rulesets", body)
        assert response.status_code == 400, response.text
        assert response.json()["code"] == code, response.text
        assert field in response.json()["detail"], response.text
    not_json = admin.post(
        "/v1/rulesets", content=b"{", headers={"Content-Type": "application/json"}
    )
    assert (not_json.status_code, not_json.json()["code"]) == (400, "invalid_request")
    assert admin.get("/v1/rulesets").json()["data"] == []


def test_only_drafts_change_and_only_submitted_versions_are_decided(key: KeyFactory) -> None:
    admin, approver = key("admin"), key("approver")
    version = draft(admin)["version"]
    for action in ("approve", "withdraw"):
        early = approver.post(f"/v1/rulesets/{version}/{action}")
        assert (early.status_code, early.json()["code"]) == (409, "ruleset_not_draft"), action
    admin.post(f"/v1/rulesets/{version}/submit")
    frozen = admin.put(f"/v1/rulesets/{version}", {"document": DOUBLE})
    assert (frozen.status_code, frozen.json()["code"]) == (409, "ruleset_not_draft")
    again = admin.post(f"/v1/rulesets/{version}/submit")
    assert (again.status_code, again.json()["code"]) == (409, "ruleset_not_draft")

    for method, path in [("get", "/v1/rulesets/999999"), ("put", "/v1/rulesets/999999"),
                         ("post", "/v1/rulesets/999999/submit"),
                         ("post", "/v1/rulesets/999999/approve"),
                         ("post", "/v1/rulesets/999999/withdraw")]:  # fmt: skip
        args = ({"document": DOUBLE},) if method == "put" else ()
        missing = getattr(approver if "approve" in path else admin, method)(path, *args)
        assert (missing.status_code, missing.json()["code"]) == (404, "unknown_ruleset"), path
    bad = admin.get("/v1/rulesets/latest")
    assert bad.status_code == 400
    assert "version" in bad.json()["detail"]
    none_active = admin.get("/v1/rulesets/active")
    assert (none_active.status_code, none_active.json()["code"]) == (404, "unknown_ruleset")


def test_the_submitter_cannot_approve(key: KeyFactory) -> None:
    admin = key("admin")  # admin holds every role, approver's too
    version = draft(admin)["version"]
    admin.post(f"/v1/rulesets/{version}/submit")
    refused = admin.post(f"/v1/rulesets/{version}/approve")
    assert (refused.status_code, refused.json()["code"]) == (403, "maker_checker_violation")
    assert admin.get(f"/v1/rulesets/{version}").json()["status"] == "submitted"
    other_admin = key("admin")
    assert other_admin.post(f"/v1/rulesets/{version}/approve").status_code == 200


def test_withdraw_returns_a_version_to_draft(key: KeyFactory) -> None:
    admin, approver = key("admin"), key("approver")
    for withdrawer in (admin, approver):
        version = draft(admin)["version"]
        admin.post(f"/v1/rulesets/{version}/submit")
        back = withdrawer.post(f"/v1/rulesets/{version}/withdraw")
        assert back.status_code == 200, back.text
        assert (back.json()["status"], back.json()["submitted_by"]) == ("draft", None)


def test_activate_at_schedules_the_version(key: KeyFactory) -> None:
    admin, approver = key("admin"), key("approver")
    version = draft(admin)["version"]
    naive = admin.post(f"/v1/rulesets/{version}/submit", {"activate_at": "2030-01-01T00:00:00"})
    assert naive.status_code == 400, naive.text
    assert "activate_at" in naive.json()["detail"]
    extra = admin.post(f"/v1/rulesets/{version}/submit", {"activate_on": "2030-01-01"})
    assert extra.status_code == 400
    assert "activate_on" in extra.json()["detail"]
    when = datetime.now(UTC) + timedelta(days=7)
    submitted = admin.post(f"/v1/rulesets/{version}/submit", {"activate_at": when.isoformat()})
    assert submitted.status_code == 200, submitted.text
    approver.post(f"/v1/rulesets/{version}/approve")
    scheduled = admin.get(f"/v1/rulesets/{version}").json()
    assert datetime.fromisoformat(scheduled["activate_at"]) == when
    assert admin.get("/v1/rulesets/active").status_code == 404


def test_simulation_compares_a_draft_with_the_active_version(key: KeyFactory) -> None:
    admin, approver = key("admin"), key("approver")
    published(admin, approver)
    customer = admin.post("/v1/customers", {"external_ref": "shop-1"}).json()["id"]
    triple = {**DOUBLE, "rules": [{"id": "base", "effect": {"rate": {"points": 3, "per": 100}}},
                                  {"id": "login", "event": "engagement",
                                   "when": "event.type == 'app_login'", "effect": {"flat": 7},
                                   "kind": "engagement"}]}  # fmt: skip
    events = [
        {"type": "purchase", "customer_id": customer, "order_id": "o-1", "amount": 1_000,
         "currency": "USD", "occurred_at": datetime.now(UTC).isoformat(),
         "items": [{"sku": "a", "amount": 1_000, "category": "groceries"}]},
        {"type": "engagement", "customer_id": customer, "event_id": "e-1",
         "engagement": "app_login"},
    ]  # fmt: skip
    response = admin.post("/v1/rulesets:simulate", {"document": triple, "events": events})
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["draft_points"], report["active_points"], report["delta"]) == (37, 20, 17)
    assert [e["delta"] for e in report["events"]] == [10, 7]
    assert report["affected_customers"] == [customer]
    balance = admin.get(f"/v1/customers/{customer}/balance").json()
    assert balance["available"] == 0  # nothing was written


def test_simulation_validates_its_body(key: KeyFactory) -> None:
    admin = key()
    purchase = {"type": "purchase", "customer_id": "cus_x", "order_id": "o", "amount": 1,
                "currency": "USD"}  # fmt: skip
    refund = {"type": "refund", "order_id": "o", "refund_id": "r", "amount": 1}
    for body, field in [
        ({"document": DOUBLE, "events": []}, "events"),
        ({"document": DOUBLE, "events": [refund]}, "events"),
        ({"document": DOUBLE, "events": [{**purchase, "amount": 1.5}]}, "amount"),
        ({"events": [purchase]}, "document"),
        ({"document": {"rules": []}, "events": [purchase]}, "rules"),
    ]:
        response = admin.post("/v1/rulesets:simulate", body)
        assert response.status_code == 400, response.text
        assert field in response.json()["detail"], response.text


@pytest.mark.parametrize(
    ("role", "may_write", "may_decide"),
    [("admin", True, True), ("approver", False, True), ("operator", False, False),
     ("auditor", False, False), ("ingest", False, False)],
)  # fmt: skip
def test_roles(key: KeyFactory, role: str, may_write: bool, may_decide: bool) -> None:
    admin, caller = key("admin"), key(role)
    version = draft(admin)["version"]
    for path in ("/v1/rulesets", f"/v1/rulesets/{version}", "/v1/rulesets/active"):
        assert (caller.get(path).status_code == 403) == (role == "ingest"), path

    engagement = {"type": "engagement", "customer_id": "cus_x", "event_id": "e",
                  "engagement": "app_login"}  # fmt: skip
    writes = [
        caller.post("/v1/rulesets", {"document": DOUBLE}),
        caller.put(f"/v1/rulesets/{version}", {"document": DOUBLE}),
        caller.post(f"/v1/rulesets/{version}/submit"),
        caller.post("/v1/rulesets:simulate", {"document": DOUBLE, "events": [engagement]}),
    ]
    for response in writes:
        assert (response.status_code == 403) != may_write, response.text

    decided = draft(admin)["version"]
    for action in ("withdraw", "approve"):
        admin.post(f"/v1/rulesets/{decided}/submit")
        response = caller.post(f"/v1/rulesets/{decided}/{action}")
        assert (response.status_code == 403) != may_decide, response.text
        if may_decide:
            assert response.status_code == 200, response.text


def test_another_tenant_cannot_see_or_touch_a_version(key: KeyFactory, loyalty: Loyalty) -> None:
    admin = key()
    version = draft(admin)["version"]
    admin.post(f"/v1/rulesets/{version}/submit")
    stranger = key("admin", tenant=setup_programme(loyalty))
    assert stranger.get("/v1/rulesets").json()["data"] == []
    for method, path in [("get", ""), ("put", ""), ("post", "/submit"), ("post", "/approve"),
                         ("post", "/withdraw")]:  # fmt: skip
        args = ({"document": DOUBLE},) if method == "put" else ()
        response = getattr(stranger, method)(f"/v1/rulesets/{version}{path}", *args)
        assert (response.status_code, response.json()["code"]) == (404, "unknown_ruleset"), path
    assert admin.get(f"/v1/rulesets/{version}").json()["status"] == "submitted"
