"""Administration through HTTP: API keys (issued once, listed without secrets,
revoked), verification of the tenant's journal, and the programme's settings."""

from __future__ import annotations

from typing import Any

import pytest

from punchcard.service_layer.loyalty.facade import Loyalty
from tests.conftest import setup_programme
from tests.http.conftest import Caller, KeyFactory


def as_key(admin: Caller, created: dict[str, Any]) -> Caller:
    return Caller(admin.client, admin.tenant, created["token"], created["key"]["id"])


def test_a_key_is_issued_once_and_works(key: KeyFactory) -> None:
    admin = key("admin")
    response = admin.post("/v1/keys", {"name": "till 4", "roles": ["operator", "auditor"],
                                       "rate_limit": 50})  # fmt: skip
    assert response.status_code == 201, response.text
    created = response.json()
    issued = created["key"]
    assert issued["id"] in created["token"]
    assert (issued["name"], issued["roles"], issued["rate_limit"]) == (
        "till 4", ["auditor", "operator"], 50,
    )  # fmt: skip
    assert (issued["created_by"], issued["revoked_at"]) == (admin.key_id, None)

    till = as_key(admin, created)
    assert till.get("/v1/verify").status_code == 200
    assert till.get("/v1/keys").status_code == 403

    listed = admin.get("/v1/keys")
    assert listed.status_code == 200
    assert {k["id"] for k in listed.json()["data"]} == {admin.key_id, issued["id"]}
    assert created["token"] not in listed.text
    assert all(set(k) == set(issued) for k in listed.json()["data"])  # no secret, no hash
    default = admin.post("/v1/keys", {"name": "web", "roles": ["ingest"]}).json()
    assert default["key"]["rate_limit"] == 100


def test_bad_key_requests_are_400_naming_the_field(key: KeyFactory) -> None:
    admin = key("admin")
    for body, field in [
        ({"name": "x", "roles": ["root"]}, "roles"),
        ({"name": "x", "roles": []}, "roles"),
        ({"name": "x", "roles": ["admin"], "rate_limit": 0}, "rate_limit"),
        ({"name": "x", "roles": ["admin"], "rate_limit": "10"}, "rate_limit"),
        ({"name": "", "roles": ["admin"]}, "name"),
        ({"roles": ["admin"]}, "name"),
        ({"name": "x", "roles": ["admin"], "tenant": "other"}, "tenant"),
    ]:
        response = admin.post("/v1/keys", body)
        assert response.status_code == 400, response.text
        assert field in response.json()["detail"], response.text
    assert len(admin.get("/v1/keys").json()["data"]) == 1


def test_a_revoked_key_is_refused(key: KeyFactory) -> None:
    admin = key("admin")
    doomed = as_key(admin, admin.post("/v1/keys", {"name": "old", "roles": ["auditor"]}).json())
    assert doomed.get("/v1/verify").status_code == 200

    revoked = admin.delete(f"/v1/keys/{doomed.key_id}")
    assert revoked.status_code == 200, revoked.text
    assert (revoked.json()["id"], revoked.json()["revoked_at"] is not None) == (doomed.key_id, True)
    refused = doomed.get("/v1/verify")
    assert (refused.status_code, refused.json()["code"]) == (401, "unauthenticated")
    again = admin.delete(f"/v1/keys/{doomed.key_id}")
    assert again.json()["revoked_at"] == revoked.json()["revoked_at"]
    listed = {k["id"]: k for k in admin.get("/v1/keys").json()["data"]}
    assert listed[doomed.key_id]["revoked_at"] == revoked.json()["revoked_at"]

    unknown = admin.delete("/v1/keys/key_000000000000")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "unknown_key")


def test_verify_reports_only_the_callers_tenant(key: KeyFactory) -> None:
    admin = key("admin")
    customer = admin.post("/v1/customers", {"external_ref": "shop-1"}).json()["id"]
    admin.post("/v1/events", {"type": "purchase", "customer_id": customer, "order_id": "o-1",
                              "amount": 5_000, "currency": "USD"})  # fmt: skip
    response = admin.get("/v1/verify")
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["ok"], report["problems"]) == (True, [])
    [tenant] = report["tenants"]
    assert (tenant["tenant"], tenant["ok"], tenant["head_seq"]) == (admin.tenant, True, 1)
    assert all(check["ok"] for check in tenant["checks"])


@pytest.mark.parametrize("role", ["ingest", "operator", "approver", "auditor"])
def test_only_admin_manages_keys_and_only_auditors_verify(key: KeyFactory, role: str) -> None:
    admin, caller = key("admin"), key(role)
    attempts = [
        caller.post("/v1/keys", {"name": "x", "roles": ["admin"]}),
        caller.get("/v1/keys"),
        caller.delete(f"/v1/keys/{admin.key_id}"),
    ]
    for response in attempts:
        assert (response.status_code, response.json()["code"]) == (403, "forbidden")
    assert caller.get("/v1/verify").status_code == (200 if role == "auditor" else 403)
    assert admin.get("/v1/verify").status_code == 200


def test_another_tenant_cannot_see_or_revoke_a_key(key: KeyFactory, loyalty: Loyalty) -> None:
    admin = key("admin")
    stranger = key("admin", tenant=setup_programme(loyalty))
    refused = stranger.delete(f"/v1/keys/{admin.key_id}")
    assert (refused.status_code, refused.json()["code"]) == (404, "unknown_key")
    assert admin.get("/v1/keys").status_code == 200  # still valid
    assert [k["id"] for k in stranger.get("/v1/keys").json()["data"]] == [stranger.key_id]
    assert [t["tenant"] for t in stranger.get("/v1/verify").json()["tenants"]] == [stranger.tenant]


# -- the programme


def test_the_programme_is_read_and_replaced(key: KeyFactory) -> None:
    admin, operator = key("admin"), key("operator")
    current = operator.get("/v1/programme")
    assert current.status_code == 200, current.text
    document = current.json()
    assert (document["points_asset"], document["pending_days"]) == ("PTS", 0)

    changed = admin.put("/v1/programme", {**document, "name": "Acme Rewards", "pending_days": 7})
    assert changed.status_code == 200, changed.text
    assert changed.json() == {**document, "name": "Acme Rewards", "pending_days": 7}
    assert operator.get("/v1/programme").json()["name"] == "Acme Rewards"


def test_bad_programmes_are_refused(key: KeyFactory) -> None:
    admin = key("admin")
    document = admin.get("/v1/programme").json()
    fractional = {"points": 1.5, "value": 100}
    for bad, field in [({**document, "colour": "red"}, "colour"),
                       ({**document, "pending_days": "7"}, "pending_days"),
                       ({**document, "earn_rate": fractional}, "earn_rate")]:  # fmt: skip
        response = admin.put("/v1/programme", bad)
        assert (response.status_code, response.json()["code"]) == (400, "invalid_programme")
        assert field in response.json()["detail"], response.text
    not_object = admin.put("/v1/programme", ["name"])
    assert (not_object.status_code, not_object.json()["code"]) == (400, "invalid_request")

    customer = admin.post("/v1/customers", {"external_ref": "shop-1"}).json()["id"]
    admin.post("/v1/events", {"type": "purchase", "customer_id": customer, "order_id": "o-1",
                              "amount": 5_000, "currency": "USD"})  # fmt: skip
    refused = admin.put("/v1/programme", {**document, "points_asset": "PNT"})
    assert (refused.status_code, refused.json()["code"]) == (409, "programme_change_refused")
    assert admin.get("/v1/programme").json() == document


def test_programme_roles_and_isolation(key: KeyFactory, loyalty: Loyalty) -> None:
    admin = key("admin")
    document = admin.get("/v1/programme").json()
    assert key("ingest").get("/v1/programme").status_code == 403
    for role in ("operator", "approver", "auditor", "ingest"):
        response = key(role).put("/v1/programme", document)
        assert (response.status_code, response.json()["code"]) == (403, "forbidden"), role
    stranger = key("admin", tenant=setup_programme(loyalty))
    assert stranger.put("/v1/programme", {**document, "name": "Theirs"}).status_code == 200
    assert admin.get("/v1/programme").json()["name"] == document["name"]
