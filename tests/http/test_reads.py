"""Reads through HTTP: balance with lots, expiring points and tier; lots; history
pages; transactions and their explanation; roles and tenant isolation."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from punchcard.service_layer.loyalty.facade import Loyalty
from tests.conftest import setup_programme
from tests.http.conftest import Caller, KeyFactory

TIERED = json.dumps({
    "name": "tiered",
    "rules": [{"id": "base", "effect": {"rate": {"points": 1, "per": 100}}}],
    "tiers": {"levels": [{"name": "bronze", "threshold": 0},
                         {"name": "silver", "threshold": 100}]},
})  # fmt: skip


def enrol(caller: Caller, ref: str = "shop-1") -> str:
    response = caller.post("/v1/customers", {"external_ref": ref})
    assert response.status_code == 201, response.text
    customer: str = response.json()["id"]
    return customer


def earn(caller: Caller, customer: str, order: str, amount: int = 10_000) -> dict[str, object]:
    event = {"type": "purchase", "customer_id": customer, "order_id": order,
             "amount": amount, "currency": "USD"}  # fmt: skip
    response = caller.post("/v1/events", event)
    assert response.status_code == 200, response.text
    result: dict[str, object] = response.json()
    return result


def publish(loyalty: Loyalty, tenant: str, document: str) -> int:
    draft = loyalty.create_ruleset(tenant, document, created_by="maker")
    loyalty.submit_ruleset(tenant, draft.version, submitted_by="maker")
    return loyalty.approve_ruleset(tenant, draft.version, approved_by="checker").version


def test_balance_shows_open_lots_points_expiring_soon_and_the_tier(
    key: KeyFactory, loyalty: Loyalty, api_tenant: str
) -> None:
    admin = key()
    publish(loyalty, api_tenant, TIERED)
    customer = enrol(admin)
    earn(admin, customer, "o-1", 12_000)

    response = admin.get(f"/v1/customers/{customer}/balance")
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["available"], body["spendable"], body["pending"]) == (120, 120, 0)
    assert body["tier"] == "silver"
    [lot] = body["lots"]
    assert (lot["remaining"], lot["status"], lot["order_id"]) == (120, "active", "o-1")
    assert body["expiring_soon"] == {"within_days": 30, "points": 0, "first_expiry": None}

    # earned points expire after 24 months: a window of 800 days takes them in
    later = admin.get(f"/v1/customers/{customer}/balance", params={"days": 800}).json()
    soon = later["expiring_soon"]
    assert (soon["within_days"], soon["points"]) == (800, 120)
    assert datetime.fromisoformat(soon["first_expiry"]) == datetime.fromisoformat(lot["expires_at"])


def test_balance_errors(key: KeyFactory) -> None:
    admin = key()
    unknown = admin.get("/v1/customers/cus_nobody/balance")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "unknown_customer")
    customer = enrol(admin)
    for days in (0, -1, "soon"):
        bad = admin.get(f"/v1/customers/{customer}/balance", params={"days": days})
        assert bad.status_code == 400, bad.text
        assert "days" in bad.json()["detail"]


def test_lots_hide_closed_ones_unless_asked(
    key: KeyFactory, loyalty: Loyalty, api_tenant: str
) -> None:
    admin = key()
    customer = enrol(admin)
    earn(admin, customer, "o-1", 60_000)
    earn(admin, customer, "o-2", 10_000)
    [first, _] = loyalty.lots(api_tenant, customer)
    loyalty.redeem(api_tenant, customer, option="product", points=600, idempotency_key="r-1")

    open_ = admin.get(f"/v1/customers/{customer}/lots")
    assert open_.status_code == 200, open_.text
    assert [(lot["order_id"], lot["remaining"]) for lot in open_.json()] == [("o-2", 100)]
    every = admin.get(f"/v1/customers/{customer}/lots", params={"include_closed": "true"}).json()
    assert [(lot["id"], lot["status"]) for lot in every] == [
        (first.id, "closed"), (every[1]["id"], "active"),
    ]  # fmt: skip

    assert admin.get("/v1/customers/cus_nobody/lots").json()["code"] == "unknown_customer"
    bad = admin.get(f"/v1/customers/{customer}/lots", params={"include_closed": "maybe"})
    assert bad.status_code == 400
    assert "include_closed" in bad.json()["detail"]


def test_history_walks_every_page_once(key: KeyFactory) -> None:
    admin = key()
    customer = enrol(admin)
    earned = [earn(admin, customer, f"o-{n}", 1_000 * (n + 1))["transaction_id"] for n in range(7)]

    seen: list[tuple[int, int]] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, object] = {"limit": 3}
        if cursor is not None:
            params["starting_after"] = cursor
        response = admin.get(f"/v1/customers/{customer}/history", params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        pages += 1
        assert len(page["data"]) <= 3
        seen += [(entry["transaction_id"], entry["posting_index"]) for entry in page["data"]]
        if not page["has_more"]:
            assert page["next_cursor"] is None
            break
        cursor = page["next_cursor"]
    assert pages == 3
    assert len(seen) == len(set(seen)) == 7
    assert [txn for txn, _ in seen] == list(reversed(earned))  # newest first

    first = admin.get(f"/v1/customers/{customer}/history").json()["data"][0]
    assert (first["asset"], first["amount"], first["is_credit"]) == ("PTS", 70, True)
    for account in ("pending", "credit"):
        empty = admin.get(f"/v1/customers/{customer}/history", params={"account": account})
        assert empty.json() == {"data": [], "has_more": False, "next_cursor": None}


def test_history_errors(key: KeyFactory) -> None:
    admin = key()
    customer = enrol(admin)
    path = f"/v1/customers/{customer}/history"
    for params, field in [({"account": "savings"}, "account"), ({"limit": 0}, "limit"),
                          ({"limit": 501}, "limit"), ({"limit": "ten"}, "limit")]:  # fmt: skip
        bad = admin.get(path, params=params)
        assert bad.status_code == 400, bad.text
        assert field in bad.json()["detail"]
    earn(admin, customer, "o-1")
    cursor = admin.get(path, params={"starting_after": "not-a-cursor"})
    assert (cursor.status_code, cursor.json()["code"]) == (400, "invalid_cursor")
    unknown = admin.get("/v1/customers/cus_nobody/history")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "unknown_customer")


def test_tier_shows_the_measure_and_changes(
    key: KeyFactory, loyalty: Loyalty, api_tenant: str
) -> None:
    admin = key()
    customer = enrol(admin)
    untiered = admin.get(f"/v1/customers/{customer}/tier").json()
    assert (untiered["tier"], untiered["measure"]) == ("", None)
    publish(loyalty, api_tenant, TIERED)
    earn(admin, customer, "o-1", 15_000)
    tier = admin.get(f"/v1/customers/{customer}/tier").json()
    assert (tier["tier"], tier["measure"]) == ("silver", 150)
    assert [change["to_tier"] for change in tier["history"]] == ["silver"]
    unknown = admin.get("/v1/customers/cus_nobody/tier")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "unknown_customer")


def test_a_transaction_and_its_explanation(
    key: KeyFactory, loyalty: Loyalty, api_tenant: str
) -> None:
    admin = key()
    version = publish(loyalty, api_tenant, TIERED)
    customer = enrol(admin)
    txn = earn(admin, customer, "o-1", 50_000)["transaction_id"]

    found = admin.get(f"/v1/transactions/{txn}")
    assert found.status_code == 200, found.text
    body = found.json()
    assert (body["id"], body["kind"], body["metadata"]["operation"]) == (txn, "post", "earn")
    assert body["postings"] == [{"source": "program:issuance", "asset": "PTS", "amount": 500,
                                 "destination": f"customer:{customer}:points"}]  # fmt: skip
    explained = admin.get(f"/v1/transactions/{txn}/explanation")
    assert explained.status_code == 200, explained.text
    why = explained.json()
    assert (why["transaction_id"], why["version"], why["matches"]) == (txn, version, True)
    assert why["stored"]["points"] == 500

    redeemed = loyalty.redeem(api_tenant, customer, option="product", points=500,
                              idempotency_key="r-1")  # fmt: skip
    not_earn = admin.get(f"/v1/transactions/{redeemed.transaction_id}/explanation")
    assert (not_earn.status_code, not_earn.json()["code"]) == (400, "invalid_request")
    for path in ("/v1/transactions/999999999", "/v1/transactions/999999999/explanation"):
        missing = admin.get(path)
        assert (missing.status_code, missing.json()["code"]) == (404, "unknown_transaction")
    bad = admin.get("/v1/transactions/txn_1")
    assert bad.status_code == 400
    assert "transaction_id" in bad.json()["detail"]


@pytest.mark.parametrize("role", ["operator", "approver", "auditor", "admin"])
def test_every_role_but_ingest_reads(key: KeyFactory, role: str) -> None:
    admin = key()
    customer = enrol(admin)
    txn = earn(admin, customer, "o-1")["transaction_id"]
    reader, ingest = key(role), key("ingest")
    for path in read_paths(customer, txn):
        assert reader.get(path).status_code == 200, path
        refused = ingest.get(path)
        assert (refused.status_code, refused.json()["code"]) == (403, "forbidden"), path


def test_another_tenant_sees_none_of_it(key: KeyFactory, loyalty: Loyalty) -> None:
    admin = key()
    customer = enrol(admin)
    txn = earn(admin, customer, "o-1")["transaction_id"]
    stranger = key("admin", tenant=setup_programme(loyalty))
    expected = ["unknown_customer"] * 4 + ["unknown_transaction"] * 2
    for path, code in zip(read_paths(customer, txn), expected, strict=True):
        response = stranger.get(path)
        assert (response.status_code, response.json()["code"]) == (404, code), path


def read_paths(customer: str, txn: object) -> list[str]:
    return [
        f"/v1/customers/{customer}/balance",
        f"/v1/customers/{customer}/lots",
        f"/v1/customers/{customer}/history",
        f"/v1/customers/{customer}/tier",
        f"/v1/transactions/{txn}",
        f"/v1/transactions/{txn}/explanation",
    ]
