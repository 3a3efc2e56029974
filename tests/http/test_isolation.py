"""Tenant isolation, route by route: every ``/v1`` route is in ``PROBES``, with a body
that would succeed, and a key of another tenant holding every role, sent the ids of
this tenant's customer, hold, adjustment, ruleset version, transaction and key,
gets exactly the answer listed (a 404 naming the kind of thing, where a path names
one), never 2xx on this tenant's things, never 5xx, and changes nothing here.

A route added to the app without an entry fails ``test_every_v1_route_is_probed``:
that is what keeps "tenant isolation is tested for every route" true.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient

from punchcard.service_layer.loyalty.facade import Loyalty
from tests.conftest import setup_programme
from tests.http.answers import ok
from tests.http.conftest import ALL_ROLES, Caller, KeyFactory

DOUBLE: dict[str, Any] = {
    "name": "double points",
    "rules": [{"id": "base", "effect": {"rate": {"points": 2, "per": 100}}}],
}


@dataclass(frozen=True)
class World:
    """One tenant's things, each made through the API."""

    tenant: str
    customer: str
    other: str
    """A second customer (transfers)."""
    external_ref: str
    order_id: str
    transaction_id: int
    hold_id: int
    adjustment_id: int
    review_id: int
    """A redemption held for review (the programme's velocity rules flag it)."""
    version: int
    """A submitted ruleset version (another one is published and active)."""
    key_id: str
    programme: dict[str, Any]
    email: str
    """The customer's e-mail, in the vault."""
    endpoint_id: str = "whe_nobody"
    """A webhook endpoint."""
    event_id: str = "evt_nobody"
    """An event of the outbox."""

    def strings(self) -> list[str]:
        """The ids a stranger's answer must never contain."""
        return [self.customer, self.other, self.external_ref, self.key_id, self.email,
                self.endpoint_id, self.event_id]  # fmt: skip


PATH_PARAMETERS: dict[str, Callable[[World], object]] = {
    "customer_id": lambda w: w.customer,
    "hold_id": lambda w: w.hold_id,
    "adjustment_id": lambda w: w.adjustment_id,
    "review_id": lambda w: w.review_id,
    "version": lambda w: w.version,
    "transaction_id": lambda w: w.transaction_id,
    "key_id": lambda w: w.key_id,
    "endpoint_id": lambda w: w.endpoint_id,
    "event_id": lambda w: w.event_id,
}

Body = Callable[[World], Any]


@dataclass(frozen=True)
class Probe:
    """What a stranger sends to a route, and what it must answer: a problem's
    ``(status, code)``, or for a success of its own, the status and ``""``."""

    answer: tuple[int, str]
    body: Body | None = None
    params: Callable[[World], dict[str, str]] | None = None


PERIOD = {"start": "2000-01-01T00:00:00Z", "end": "2100-01-01T00:00:00Z"}
ANALYTICS_PERIOD = {"start": "2020-01-01T00:00:00Z", "end": "2030-01-01T00:00:00Z"}
"""Analytics list every day, so a period is at most ten years."""


def purchase(w: World) -> dict[str, Any]:
    return {"type": "purchase", "customer_id": w.customer, "order_id": "o-stranger",
            "amount": 10_000, "currency": "USD"}  # fmt: skip


PROBES: dict[tuple[str, str], Probe] = {
    # customers
    ("POST", "/v1/customers"): Probe((201, ""), lambda w: {"external_ref": w.external_ref}),
    ("GET", "/v1/customers"):
        Probe((404, "unknown_customer"), params=lambda w: {"external_ref": w.external_ref}),
    ("GET", "/v1/customers/{customer_id}"): Probe((404, "unknown_customer")),
    ("PUT", "/v1/customers/{customer_id}/attributes"):
        Probe((404, "unknown_customer"), lambda w: {"attributes": {"birthday_month": 5}}),
    # events
    ("POST", "/v1/events"): Probe((404, "unknown_customer"), purchase),
    ("POST", "/v1/events:batch"): Probe(
        (200, "unknown_customer,unknown_order"),
        lambda w: {"events": [
            purchase(w),
            {"type": "engagement", "customer_id": w.other, "event_id": "e-stranger",
             "engagement": "app_login"},
            {"type": "refund", "order_id": w.order_id, "refund_id": "r-stranger", "amount": 1},
        ]},
    ),
    # points
    ("POST", "/v1/customers/{customer_id}/redemptions"):
        Probe((404, "unknown_customer"), lambda w: {"option": "product", "points": 500}),
    ("POST", "/v1/customers/{customer_id}/authorizations"):
        Probe((404, "unknown_customer"), lambda w: {"option": "product", "points": 500}),
    ("POST", "/v1/authorizations/{hold_id}/capture"):
        Probe((404, "unknown_authorization"), lambda w: {"points": 100}),
    ("POST", "/v1/authorizations/{hold_id}/void"):
        Probe((404, "unknown_authorization"), lambda w: {}),
    ("POST", "/v1/customers/{customer_id}/conversions"):
        Probe((404, "unknown_customer"), lambda w: {"points": 100}),
    ("POST", "/v1/transfers"): Probe(
        (404, "unknown_customer"),
        lambda w: {"from_customer": w.customer, "to_customer": w.other, "points": 100},
    ),
    ("POST", "/v1/customers/{customer_id}/exchanges"): Probe(
        (404, "unknown_customer"),
        lambda w: {"partner": "skyways", "amount": 100, "direction": "out"},
    ),
    # adjustments
    ("POST", "/v1/adjustments"): Probe(
        (404, "unknown_customer"),
        lambda w: {"customer_id": w.customer, "points": 250, "reason": "missing points"},
    ),
    ("GET", "/v1/adjustments"): Probe((200, "")),
    ("POST", "/v1/adjustments/{adjustment_id}/approve"):
        Probe((404, "unknown_adjustment"), lambda w: {"note": "checked"}),
    ("POST", "/v1/adjustments/{adjustment_id}/reject"):
        Probe((404, "unknown_adjustment"), lambda w: {}),
    # reads
    ("GET", "/v1/customers/{customer_id}/balance"): Probe((404, "unknown_customer")),
    ("GET", "/v1/customers/{customer_id}/lots"): Probe((404, "unknown_customer")),
    ("GET", "/v1/customers/{customer_id}/history"): Probe((404, "unknown_customer")),
    ("GET", "/v1/customers/{customer_id}/tier"): Probe((404, "unknown_customer")),
    ("GET", "/v1/transactions/{transaction_id}"): Probe((404, "unknown_transaction")),
    ("GET", "/v1/transactions/{transaction_id}/explanation"):
        Probe((404, "unknown_transaction")),
    # rulesets
    ("GET", "/v1/rulesets"): Probe((200, "")),
    ("GET", "/v1/rulesets/active"): Probe((404, "unknown_ruleset")),
    ("GET", "/v1/rulesets/{version}"): Probe((404, "unknown_ruleset")),
    ("POST", "/v1/rulesets"): Probe((201, ""), lambda w: {"document": DOUBLE}),
    ("PUT", "/v1/rulesets/{version}"):
        Probe((404, "unknown_ruleset"), lambda w: {"document": DOUBLE}),
    ("POST", "/v1/rulesets/{version}/submit"): Probe((404, "unknown_ruleset"), lambda w: {}),
    ("POST", "/v1/rulesets/{version}/approve"): Probe((404, "unknown_ruleset")),
    ("POST", "/v1/rulesets/{version}/withdraw"): Probe((404, "unknown_ruleset")),
    ("POST", "/v1/rulesets:simulate"): Probe(
        (404, "unknown_customer"),
        lambda w: {"document": DOUBLE, "events": [{**purchase(w), "order_id": w.order_id}]},
    ),
    # programme and administration
    ("GET", "/v1/programme"): Probe((200, "")),
    ("PUT", "/v1/programme"): Probe((200, ""), lambda w: {**w.programme, "name": "Theirs"}),
    ("POST", "/v1/keys"): Probe((201, ""), lambda w: {"name": "theirs", "roles": ["auditor"]}),
    ("GET", "/v1/keys"): Probe((200, "")),
    ("DELETE", "/v1/keys/{key_id}"): Probe((404, "unknown_key")),
    ("GET", "/v1/verify"): Probe((200, "")),
    # finance reports: the stranger's own figures, which hold nothing of this tenant
    ("GET", "/v1/reports/rollforward"): Probe((200, ""), params=lambda w: PERIOD),
    ("GET", "/v1/reports/liability"):
        Probe((200, ""), params=lambda w: {"expected_redemption_bp": "9000"}),
    ("POST", "/v1/reports/breakage"): Probe((200, ""), lambda w: {
        "issued": 10_000, "allocated": 9_000,
        "periods": [{"label": "year 1", "cumulative_redeemed": 4_500,
                     "expected_redemptions": 9_700}],
    }),
    ("GET", "/v1/reports/analytics"): Probe((200, ""), params=lambda w: ANALYTICS_PERIOD),
    ("POST", "/v1/reconciliations"): Probe(
        (200, ""), lambda w: {"orders": [{"order_id": w.order_id, "amount": 100_000}]},
        params=lambda w: PERIOD,
    ),
    # reviews, monitors and alerts
    ("GET", "/v1/reviews"): Probe((200, "")),
    ("GET", "/v1/reviews/{review_id}"): Probe((404, "unknown_review")),
    ("POST", "/v1/reviews/{review_id}/approve"):
        Probe((404, "unknown_review"), lambda w: {"note": "checked"}),
    ("POST", "/v1/reviews/{review_id}/reject"): Probe((404, "unknown_review"), lambda w: {}),
    ("GET", "/v1/monitors"): Probe((200, "")),
    ("POST", "/v1/monitors"): Probe((404, "unknown_customer"), lambda w: {
        "name": "big spender", "measure": "customer_balance", "threshold": 100,
        "customer_id": w.customer,
    }),
    ("GET", "/v1/alerts"): Probe((200, "")),
    # personal data
    ("PUT", "/v1/customers/{customer_id}/personal-data"):
        Probe((404, "unknown_customer"), lambda w: {"name": "Mallory", "email": w.email}),
    ("GET", "/v1/customers/{customer_id}/personal-data"): Probe((404, "unknown_customer")),
    ("DELETE", "/v1/customers/{customer_id}/personal-data"): Probe((404, "unknown_customer")),
    ("GET", "/v1/customers/{customer_id}/export"): Probe((404, "unknown_customer")),
    ("POST", "/v1/customers:lookup"):
        Probe((404, "unknown_customer"), lambda w: {"email": w.email}),
    # webhooks and the outbox
    ("POST", "/v1/webhooks/endpoints"):
        Probe((201, ""), lambda w: {"url": "http://127.0.0.1:9/theirs"}),
    ("GET", "/v1/webhooks/endpoints"): Probe((200, "")),
    ("GET", "/v1/webhooks/endpoints/{endpoint_id}"): Probe((404, "unknown_webhook_endpoint")),
    ("PATCH", "/v1/webhooks/endpoints/{endpoint_id}"):
        Probe((404, "unknown_webhook_endpoint"), lambda w: {"enabled": False}),
    ("DELETE", "/v1/webhooks/endpoints/{endpoint_id}"): Probe((404, "unknown_webhook_endpoint")),
    ("POST", "/v1/webhooks/endpoints/{endpoint_id}:rotate-secret"):
        Probe((404, "unknown_webhook_endpoint")),
    ("GET", "/v1/webhooks/endpoints/{endpoint_id}/deliveries"):
        Probe((404, "unknown_webhook_endpoint")),
    ("POST", "/v1/webhooks/events/{event_id}:replay"): Probe((404, "unknown_event"), lambda w: {}),
    ("GET", "/v1/outbox"): Probe((200, "")),
}  # fmt: skip


ROUTES = [pytest.param(method, path, id=f"{method} {path}") for method, path in sorted(PROBES)]


def v1_routes(client: TestClient) -> set[tuple[str, str]]:
    """Every (method, path) the app serves under /v1 (included routers flattened)."""
    found: set[tuple[str, str]] = set()
    for route in iter_route_contexts(client.app.routes):  # type: ignore[attr-defined]
        path = route.path or ""
        if isinstance(route.original_route, APIRoute) and path.startswith("/v1"):
            found |= {(method, path) for method in route.methods or ()}
    return found


def path_parameters(path: str) -> list[str]:
    return re.findall(r"\{([a-z_]+)\}", path)


def send(
    caller: Caller | TestClient, method: str, path: str, probe: Probe, w: World,
    *, idempotency_key: bool = True, **headers: str,
) -> Any:  # fmt: skip
    """``probe`` sent to ``path`` with ``w``'s ids in it (and an Idempotency-Key on writes)."""
    url = path.format(**{name: PATH_PARAMETERS[name](w) for name in path_parameters(path)})
    extra: dict[str, Any] = {}
    if probe.body is not None:
        extra["json"] = probe.body(w)
    if probe.params is not None:
        extra["params"] = probe.params(w)
    if method != "GET" and idempotency_key:
        headers = {"Idempotency-Key": f"k-{uuid.uuid4().hex}", **headers}
    if isinstance(caller, Caller):
        headers = caller.headers(headers)
        caller = caller.client
    return caller.request(method, url, headers=headers, **extra)


def leaked(response: Any, w: World) -> list[str]:
    """The ids of ``w`` in the answer that the request did not carry itself (a problem
    may echo the path it was asked about; it must not tell anything more)."""
    sent = str(response.request.url) + response.request.content.decode()
    return [text for text in w.strings() if text in response.text and text not in sent]


def answer(response: Any) -> tuple[int, str]:
    """A problem's status and code; a batch's status and its events' codes; else ``""``."""
    body = response.json() if response.content else None
    if isinstance(body, dict) and "code" in body:
        return response.status_code, str(body["code"])
    if isinstance(body, dict) and "results" in body:
        codes = {r["error"]["code"] if r["status"] == "error" else r["status"]
                 for r in body["results"]}  # fmt: skip
        return response.status_code, ",".join(sorted(codes))
    return response.status_code, ""


def world(key: KeyFactory, tenant: str) -> World:
    admin, approver = key(tenant=tenant), key("approver", tenant=tenant)
    ref = f"shop-{uuid.uuid4().hex[:12]}"
    customer = ok(admin.post("/v1/customers", {"external_ref": ref}))["id"]
    other = ok(admin.post("/v1/customers", {"external_ref": f"{ref}-2"}))["id"]
    order = f"o-{ref}"
    earned = ok(admin.post("/v1/events", {"type": "purchase", "customer_id": customer,
                                          "order_id": order, "amount": 100_000,
                                          "currency": "USD"}))  # fmt: skip
    held = ok(admin.post(f"/v1/customers/{customer}/authorizations",
                         {"option": "product", "points": 600},
                         headers={"Idempotency-Key": f"hold-{ref}"}))  # fmt: skip
    adjustment = ok(admin.post("/v1/adjustments",
                               {"customer_id": customer, "points": 5, "reason": "goodwill"},
                               headers={"Idempotency-Key": f"adj-{ref}"}))  # fmt: skip
    ok(admin.post("/v1/events", {"type": "purchase", "customer_id": customer,
                                 "order_id": f"{order}-2", "amount": 100_000,
                                 "currency": "USD"}))  # fmt: skip
    settings = ok(admin.get("/v1/programme"))
    risky = {**settings, "risk": {**settings["risk"], "review_redemptions_from": 500}}
    ok(admin.put("/v1/programme", risky))
    flagged = ok(admin.post(f"/v1/customers/{customer}/redemptions",
                            {"option": "product", "points": 500},
                            headers={"Idempotency-Key": f"review-{ref}"}))  # fmt: skip
    active = ok(admin.post("/v1/rulesets", {"document": DOUBLE}))["version"]
    ok(admin.post(f"/v1/rulesets/{active}/submit"))
    ok(approver.post(f"/v1/rulesets/{active}/approve"))
    submitted = ok(admin.post("/v1/rulesets", {"document": {**DOUBLE, "name": "next"}}))
    ok(admin.post(f"/v1/rulesets/{submitted['version']}/submit"))
    ok(admin.put(f"/v1/customers/{customer}/attributes", {"attributes": {"birthday_month": 3}}))
    email = f"{ref}@example.com"
    ok(admin.put(f"/v1/customers/{customer}/personal-data", {"name": "Ada", "email": email}))
    endpoint = ok(admin.post("/v1/webhooks/endpoints", {"url": "http://127.0.0.1:9/hook"}))
    event = ok(admin.get("/v1/outbox", params={"type": "points.earned"}))["data"][0]
    return World(
        tenant=tenant, customer=customer, other=other, external_ref=ref, order_id=order,
        transaction_id=earned["transaction_id"], hold_id=held["hold_id"],
        adjustment_id=adjustment["id"], review_id=flagged["review_id"],
        version=submitted["version"], key_id=approver.key_id,
        programme=ok(admin.get("/v1/programme")), email=email, endpoint_id=endpoint["id"],
        event_id=event["id"],
    )  # fmt: skip


def snapshot(loyalty: Loyalty, owner: Caller, w: World) -> dict[str, Any]:
    """Everything of ``w`` a stranger's write could have changed."""
    with loyalty.ledger.database.connection() as conn:
        row = conn.execute(
            "SELECT attributes FROM punchcard.customers WHERE tenant_id = %s AND id = %s",
            (w.tenant, w.customer),
        ).fetchone()
    reads = {path: owner.get(path).json() for path in (
        f"/v1/customers/{w.customer}/balance", f"/v1/customers/{w.other}/balance",
        f"/v1/customers/{w.customer}/history", "/v1/adjustments", "/v1/rulesets",
        "/v1/rulesets/active", "/v1/programme", "/v1/keys", "/v1/reviews",
        f"/v1/reviews/{w.review_id}", "/v1/monitors", "/v1/alerts",
        f"/v1/customers/{w.customer}/personal-data", "/v1/webhooks/endpoints",
        f"/v1/webhooks/endpoints/{w.endpoint_id}",
        f"/v1/webhooks/endpoints/{w.endpoint_id}/deliveries",
    )}  # fmt: skip
    found = owner.post("/v1/customers:lookup", {"email": w.email}).json()
    return {"attributes": row[0] if row else None, "lookup": found, **reads}


@pytest.fixture
def here(key: KeyFactory, api_tenant: str) -> World:
    return world(key, api_tenant)


def test_every_v1_route_is_probed(client: TestClient) -> None:
    assert v1_routes(client) == set(PROBES)
    for (_, path), probe in PROBES.items():
        assert set(path_parameters(path)) <= set(PATH_PARAMETERS), path
        if path_parameters(path):
            assert probe.answer[0] == 404, path  # a path naming another's thing is not found


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_another_tenant_reaches_nothing_of_this_one(
    key: KeyFactory, loyalty: Loyalty, here: World, method: str, path: str
) -> None:
    probe = PROBES[(method, path)]
    owner = key(tenant=here.tenant)
    before = snapshot(loyalty, owner, here)
    stranger_tenant = setup_programme(loyalty)
    every_role = key(tenant=stranger_tenant)
    response = send(every_role, method, path, probe, here)
    assert answer(response) == probe.answer, response.text
    assert leaked(response, here) == [], response.text
    for role in ALL_ROLES:
        single = send(key(role, tenant=stranger_tenant), method, path, probe, here)
        assert answer(single) in {probe.answer, (403, "forbidden")}, (role, single.text)
        assert leaked(single, here) == [], (role, single.text)
    assert snapshot(loyalty, owner, here) == before


NOBODY = World(
    tenant="nobody", customer="cus_nobody", other="cus_nobody_2", external_ref="shop-nobody",
    order_id="o-nobody", transaction_id=1, hold_id=1, adjustment_id=1, review_id=1, version=1,
    key_id="key_000000000000", programme={"name": "nobody"}, email="nobody@example.com",
)  # fmt: skip


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_no_v1_route_answers_without_a_key(client: TestClient, method: str, path: str) -> None:
    probe = PROBES[(method, path)]
    bare = Probe(probe.answer)  # no body, no query: still 401, not a validation error
    forged = {"Authorization": "Bearer pc_key_000000000000_" + "x" * 43}
    for sent, headers, idempotency_key in [(probe, {}, True), (probe, forged, True),
                                           (bare, {}, True), (bare, forged, False)]:  # fmt: skip
        response = send(client, method, path, sent, NOBODY, idempotency_key=idempotency_key,
                        **headers)  # fmt: skip
        assert answer(response) == (401, "unauthenticated"), response.text
