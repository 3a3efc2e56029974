"""The console without a browser: sessions, cookie flags, CSRF, the roles of each
page, another tenant's customers, and errors as pages that name their code."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from punchcard.service_layer.loyalty.facade import Loyalty
from tests.browser.conftest import Shop, csrf_of, make_shop, sign_in, token

READERS = ("operator", "approver", "auditor", "admin")


def signed(client: TestClient, app: FastAPI, tenant: str, *roles: str) -> str:
    """Sign in with a new key of those roles; the page's CSRF token."""
    answer = sign_in(client, token(app, tenant, *roles))
    assert answer.status_code == 200, answer.text
    return csrf_of(answer.text)


def test_not_signed_in_goes_to_the_sign_in_page(client: TestClient) -> None:
    answer = client.get("/console/customers", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/sign-in"
    page = client.get("/console/sign-in")
    assert '<label for="api_key">API key</label>' in page.text


def test_the_session_cookie_is_httponly_strict_and_scoped(app: FastAPI, shop: Shop) -> None:
    with TestClient(app, base_url="https://testserver") as client:
        form = client.get("/console/sign-in")
        form_data = {"api_key": token(app, shop.tenant, "operator"), "csrf": csrf_of(form.text)}
        answer = client.post("/console/sign-in", follow_redirects=False, data=form_data)
    assert answer.status_code == 303
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("punchcard_console=")
    flags = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "samesite=strict", "path=/console", "secure"} <= flags
    assert "pc_key_" not in cookie  # the key travels sealed, never readable


def test_pages_carry_a_strict_content_security_policy(client: TestClient) -> None:
    answer = client.get("/console/sign-in")
    assert "script-src 'self'" in answer.headers["content-security-policy"]
    assert answer.headers["cache-control"] == "no-store"


def test_a_form_without_its_csrf_token_is_refused(
    client: TestClient, app: FastAPI, loyalty: Loyalty, shop: Shop
) -> None:
    signed(client, app, shop.tenant, "operator")
    path = f"/console/customers/{shop.customer_id}/adjustments"
    form = {"points": "10", "reason": "goodwill", "idempotency_key": "k-1"}
    for sent in ({}, {"csrf": "not-the-token"}):
        answer = client.post(path, data=form | sent)
        assert answer.status_code == 403
        assert "csrf_rejected" in answer.text
    assert loyalty.pending_adjustments(shop.tenant) == []


def test_signing_in_needs_the_forms_csrf_token(
    client: TestClient, app: FastAPI, shop: Shop
) -> None:
    client.get("/console/sign-in")
    answer = client.post("/console/sign-in", data={"api_key": token(app, shop.tenant, "admin")})
    assert answer.status_code == 403
    assert "csrf_rejected" in answer.text


def test_a_tampered_cookie_is_no_session(client: TestClient, app: FastAPI, shop: Shop) -> None:
    signed(client, app, shop.tenant, "admin")
    sealed = client.cookies["punchcard_console"]
    client.cookies.clear()
    client.cookies.set("punchcard_console", sealed[:-4] + "AAAA")
    answer = client.get("/console/", follow_redirects=False)
    assert answer.status_code == 303


def test_a_revoked_key_loses_the_console(client: TestClient, app: FastAPI, shop: Shop) -> None:
    api_key = token(app, shop.tenant, "operator")
    assert sign_in(client, api_key).status_code == 200
    key_id = re.match(r"pc_(key_[0-9a-z]{12})_", api_key)
    assert key_id is not None
    app.state.services.keys.revoke(shop.tenant, key_id[1])
    answer = client.get("/console/customers", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/sign-in?expired=1"


def test_bad_and_ingest_keys_cannot_sign_in(client: TestClient, app: FastAPI, shop: Shop) -> None:
    refused = sign_in(client, "pc_key_000000000000_" + "x" * 43)
    assert refused.status_code == 401
    assert "unauthenticated" in refused.text
    ingest = sign_in(client, token(app, shop.tenant, "ingest"))
    assert ingest.status_code == 403
    assert "forbidden" in ingest.text


@pytest.mark.parametrize(
    ("roles", "path", "status"),
    [
        (("operator",), "/console/reports", 403),
        (("auditor",), "/console/reports", 200),
        (("approver",), "/console/reports/liability.csv", 200),
        (("operator",), "/console/reports/liability.csv", 403),
        (("auditor",), "/console/customers/{cid}/export.json", 403),
        (("approver",), "/console/customers/{cid}/erase", 403),
        (("operator",), "/console/customers/{cid}/export.json", 200),
        (("auditor",), "/console/customers/{cid}", 200),
        (("approver",), "/console/approvals", 200),
        (("auditor",), "/console/rules", 200),
        (("operator",), "/console/", 200),
        (("admin",), "/console/reports", 200),
    ],
)
def test_each_page_checks_the_apis_roles(
    client: TestClient, app: FastAPI, shop: Shop, roles: tuple[str, ...], path: str, status: int
) -> None:
    signed(client, app, shop.tenant, *roles)
    answer = client.get(path.format(cid=shop.customer_id))
    assert answer.status_code == status, answer.text
    if status == 403:
        assert "forbidden" in answer.text


@pytest.mark.parametrize(
    ("roles", "path", "form"),
    [
        (("auditor",), "/console/customers/{cid}/adjustments",
         {"points": "5", "reason": "x", "idempotency_key": "k"}),
        (("operator",), "/console/approvals/adjustments/1", {"decision": "approve"}),
        (("approver",), "/console/rules/drafts", {}),
        (("operator",), "/console/verify", {}),
        (("auditor",), "/console/customers/{cid}/erase", {"confirm": "erase"}),
    ],
)  # fmt: skip
def test_each_action_checks_the_apis_roles(
    client: TestClient, app: FastAPI, shop: Shop, roles: tuple[str, ...], path: str,
    form: dict[str, str],
) -> None:  # fmt: skip
    csrf = signed(client, app, shop.tenant, *roles)
    answer = client.post(path.format(cid=shop.customer_id), data=form | {"csrf": csrf})
    assert answer.status_code == 403, answer.text
    assert "forbidden" in answer.text


def test_another_tenants_customer_is_not_found(
    client: TestClient, app: FastAPI, loyalty: Loyalty, shop: Shop
) -> None:
    other = make_shop(loyalty)
    signed(client, app, other.tenant, "admin")
    answer = client.get(f"/console/customers/{shop.customer_id}")
    assert answer.status_code == 404
    assert "unknown_customer" in answer.text
    assert shop.external_ref not in answer.text
    by_ref = client.get("/console/customers", params={"ref": shop.external_ref})
    assert by_ref.status_code == 404


def test_approving_ones_own_adjustment_is_a_page_naming_the_rule(
    client: TestClient, app: FastAPI, loyalty: Loyalty, shop: Shop
) -> None:
    csrf = signed(client, app, shop.tenant, "admin")
    form = {"points": "40", "reason": "goodwill", "idempotency_key": "k-own", "csrf": csrf}
    made = client.post(f"/console/customers/{shop.customer_id}/adjustments", data=form)
    assert "Adjustment requested" in made.text
    (pending,) = loyalty.pending_adjustments(shop.tenant)
    answer = client.post(f"/console/approvals/adjustments/{pending.id}",
                         data={"decision": "approve", "csrf": csrf})  # fmt: skip
    assert answer.status_code == 403
    assert "maker_checker_violation" in answer.text
    unknown = client.post("/console/approvals/adjustments/999999999",
                          data={"decision": "approve", "csrf": csrf})  # fmt: skip
    assert unknown.status_code == 404


def test_an_operator_voids_a_hold_and_exports_the_customer(
    client: TestClient, app: FastAPI, loyalty: Loyalty, shop: Shop
) -> None:
    loyalty.earn_purchase(shop.tenant, shop.customer_id, order_id="o-big", amount=60_000,
                          currency="USD")  # fmt: skip
    hold = loyalty.authorize(shop.tenant, shop.customer_id, option="product", points=500,
                             idempotency_key="hold-1")  # fmt: skip
    assert loyalty.balance(shop.tenant, shop.customer_id).held == 500
    csrf = signed(client, app, shop.tenant, "operator")
    form = {"hold_id": str(hold.hold_id), "idempotency_key": "void-1", "csrf": csrf}
    answer = client.post(f"/console/customers/{shop.customer_id}/void", data=form)
    assert "Hold voided" in answer.text
    assert loyalty.balance(shop.tenant, shop.customer_id).held == 0
    again = client.post(f"/console/customers/{shop.customer_id}/void", data=form)
    assert again.status_code == 200  # the same form twice replays, never a second void
    export = client.get(f"/console/customers/{shop.customer_id}/export.json")
    assert export.headers["content-disposition"].startswith("attachment")
    assert export.json()["customer"]["external_ref"] == shop.external_ref
