"""The points routes end to end: redeem, authorize then capture or void, convert,
transfer and exchange, with their errors, replays, roles and tenant isolation."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from punchcard.service_layer.loyalty.facade import Loyalty
from tests.conftest import setup_programme
from tests.http.answers import fresh, problem
from tests.http.conftest import Caller, KeyFactory


@dataclass
class Shop:
    """A test's tenant: an operator and an ingest key, and customers they fund."""

    loyalty: Loyalty
    operator: Caller
    ingest: Caller

    @property
    def tenant(self) -> str:
        return self.operator.tenant

    def customer(self, points: int = 0) -> str:
        ref = f"shop-{uuid.uuid4().hex[:12]}"
        made = self.operator.post("/v1/customers", {"external_ref": ref})
        assert made.status_code == 201, made.text
        customer: str = made.json()["id"]
        if points:
            event = {"type": "purchase", "customer_id": customer, "order_id": f"o-{ref}",
                     "amount": points * 100, "currency": "USD"}  # fmt: skip
            earned = self.ingest.post("/v1/events", event)
            assert earned.json()["points"] == points, earned.text
        return customer

    def spendable(self, customer: str) -> int:
        return self.loyalty.balance(self.tenant, customer).spendable

    def hold(self, customer: str, points: int = 600) -> int:
        held = self.operator.post(
            f"/v1/customers/{customer}/authorizations", {"option": "product", "points": points},
            headers=fresh(),
        )  # fmt: skip
        assert held.status_code == 201, held.text
        hold_id: int = held.json()["hold_id"]
        return hold_id


@pytest.fixture
def shop(loyalty: Loyalty, key: KeyFactory) -> Shop:
    return Shop(loyalty, key("operator"), key("ingest"))


# -- each route's happy path -----------------------------------------------------------


def test_a_redemption_spends_the_points_at_once(shop: Shop) -> None:
    alice = shop.customer(1000)
    response = shop.operator.post(
        f"/v1/customers/{alice}/redemptions",
        {"option": "product", "points": 600, "order_id": "o-77"}, headers=fresh(),
    )  # fmt: skip
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["customer_id"], body["option"], body["points"]) == (alice, "product", 600)
    assert (body["value"], body["order_id"], body["hold_id"]) == (750, "o-77", None)
    assert isinstance(body["transaction_id"], int)
    assert body["replayed"] is False
    assert shop.spendable(alice) == 400


def test_an_authorization_holds_points_and_a_capture_spends_part(shop: Shop) -> None:
    alice = shop.customer(1000)
    held = shop.operator.post(
        f"/v1/customers/{alice}/authorizations",
        {"option": "product", "points": 700, "timeout_seconds": 120, "order_id": "o-9"},
        headers=fresh(),
    )  # fmt: skip
    assert held.status_code == 201, held.text
    auth = held.json()
    assert (auth["customer_id"], auth["points"], auth["value"]) == (alice, 700, 875)
    expires = datetime.fromisoformat(auth["expires_at"])
    assert timedelta(seconds=60) < expires - datetime.now(UTC) <= timedelta(seconds=120)
    assert shop.spendable(alice) == 300
    captured = shop.operator.post(
        f"/v1/authorizations/{auth['hold_id']}/capture", {"points": 500}, headers=fresh()
    )
    assert captured.status_code == 200, captured.text
    body = captured.json()
    assert (body["points"], body["value"], body["hold_id"]) == (500, 625, auth["hold_id"])
    assert body["order_id"] == "o-9"
    assert shop.spendable(alice) == 500


def test_a_capture_without_a_body_spends_everything_held(shop: Shop) -> None:
    alice = shop.customer(1000)
    hold_id = shop.hold(alice, 600)
    captured = shop.operator.post(f"/v1/authorizations/{hold_id}/capture", headers=fresh())
    assert captured.status_code == 200, captured.text
    assert captured.json()["points"] == 600
    assert shop.spendable(alice) == 400


def test_a_void_gives_every_held_point_back(shop: Shop) -> None:
    alice = shop.customer(1000)
    hold_id = shop.hold(alice, 600)
    assert shop.spendable(alice) == 400
    voided = shop.operator.post(f"/v1/authorizations/{hold_id}/void", {}, headers=fresh())
    assert voided.status_code == 200, voided.text
    assert (voided.json()["hold_id"], voided.json()["released"]) == (hold_id, 600)
    assert shop.spendable(alice) == 1000


def test_a_conversion_turns_whole_units_into_store_credit(shop: Shop) -> None:
    alice = shop.customer(1000)
    response = shop.operator.post(
        f"/v1/customers/{alice}/conversions", {"points": 250}, headers=fresh()
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["points"], body["credit"], body["remainder"]) == (200, 200, 50)
    assert shop.spendable(alice) == 800
    assert shop.loyalty.balance(shop.tenant, alice).credit == 200


def test_a_transfer_moves_points_between_customers(shop: Shop) -> None:
    alice, bob = shop.customer(1000), shop.customer()
    response = shop.operator.post(
        "/v1/transfers", {"from_customer": alice, "to_customer": bob, "points": 300},
        headers=fresh(),
    )  # fmt: skip
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["from_customer"], body["to_customer"], body["points"]) == (alice, bob, 300)
    assert isinstance(body["lot_id"], int)
    assert (shop.spendable(alice), shop.spendable(bob)) == (700, 300)


def test_an_exchange_goes_out_to_a_partner_and_comes_back(shop: Shop) -> None:
    alice = shop.customer(1000)
    out = shop.operator.post(
        f"/v1/customers/{alice}/exchanges",
        {"partner": "skyways", "amount": 501, "direction": "out"}, headers=fresh(),
    )  # fmt: skip
    assert out.status_code == 200, out.text
    body = out.json()
    assert (body["direction"], body["given"], body["received"], body["remainder"]) == (
        "out", 500, 250, 1,
    )  # fmt: skip
    back = shop.operator.post(
        f"/v1/customers/{alice}/exchanges",
        {"partner": "skyways", "amount": 100, "direction": "back"}, headers=fresh(),
    )  # fmt: skip
    assert back.status_code == 200, back.text
    assert (back.json()["given"], back.json()["received"]) == (100, 100)
    assert shop.spendable(alice) == 600


# -- documented errors -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"option": "product", "points": 1001}, 422, "insufficient_points"),
        ({"option": "product", "points": 100}, 422, "below_minimum"),
        ({"option": "yacht", "points": 600}, 404, "unknown_redemption_option"),
    ],
)
@pytest.mark.parametrize("route", ["redemptions", "authorizations"])
def test_a_spend_the_programme_refuses_is_a_problem_and_moves_nothing(
    shop: Shop, route: str, body: dict[str, Any], status: int, code: str
) -> None:
    alice = shop.customer(1000)
    response = shop.operator.post(f"/v1/customers/{alice}/{route}", body, headers=fresh())
    problem(response, status, code)
    assert shop.spendable(alice) == 1000


def test_an_unknown_customer_is_404_on_every_route(shop: Shop) -> None:
    alice = shop.customer(1000)
    for path, body in [
        ("/v1/customers/cus_nobody/redemptions", {"option": "product", "points": 600}),
        ("/v1/customers/cus_nobody/authorizations", {"option": "product", "points": 600}),
        ("/v1/customers/cus_nobody/conversions", {"points": 100}),
        ("/v1/customers/cus_nobody/exchanges",
         {"partner": "skyways", "amount": 2, "direction": "out"}),
        ("/v1/transfers", {"from_customer": alice, "to_customer": "cus_nobody", "points": 1}),
        ("/v1/transfers", {"from_customer": "cus_nobody", "to_customer": alice, "points": 1}),
    ]:  # fmt: skip
        problem(shop.operator.post(path, body, headers=fresh()), 404, "unknown_customer")
    assert shop.spendable(alice) == 1000


def test_other_refusals_of_moves(shop: Shop) -> None:
    alice, bob = shop.customer(1000), shop.customer()
    post = shop.operator.post
    problem(post(f"/v1/customers/{alice}/conversions", {"points": 99}, headers=fresh()),
            422, "below_minimum")  # fmt: skip
    problem(post(f"/v1/customers/{alice}/conversions", {"points": 1100}, headers=fresh()),
            422, "insufficient_points")  # fmt: skip
    problem(post("/v1/transfers", {"from_customer": alice, "to_customer": bob, "points": 1001},
                 headers=fresh()), 422, "insufficient_points")  # fmt: skip
    problem(post("/v1/transfers", {"from_customer": alice, "to_customer": alice, "points": 1},
                 headers=fresh()), 400, "invalid_request")  # fmt: skip
    exchanges = f"/v1/customers/{alice}/exchanges"
    problem(post(exchanges, {"partner": "railways", "amount": 2, "direction": "out"},
                 headers=fresh()), 404, "unknown_partner")  # fmt: skip
    problem(post(exchanges, {"partner": "skyways", "amount": 1, "direction": "out"},
                 headers=fresh()), 422, "below_minimum")  # fmt: skip
    problem(post(exchanges, {"partner": "skyways", "amount": 5, "direction": "back"},
                 headers=fresh()), 422, "insufficient_funds")  # fmt: skip
    assert (shop.spendable(alice), shop.spendable(bob)) == (1000, 0)


def test_a_hold_resolves_once(shop: Shop) -> None:
    alice = shop.customer(1200)
    captured, voided = shop.hold(alice, 600), shop.hold(alice, 500)
    assert shop.operator.post(f"/v1/authorizations/{captured}/capture",
                              headers=fresh()).status_code == 200  # fmt: skip
    assert shop.operator.post(f"/v1/authorizations/{voided}/void",
                              headers=fresh()).status_code == 200  # fmt: skip
    for hold_id in (captured, voided):
        for action in ("capture", "void"):
            response = shop.operator.post(f"/v1/authorizations/{hold_id}/{action}",
                                          headers=fresh())  # fmt: skip
            problem(response, 409, "hold_already_resolved")
    assert shop.spendable(alice) == 600


def test_a_capture_beyond_the_hold_or_of_no_hold_is_refused(shop: Shop) -> None:
    alice = shop.customer(1000)
    hold_id = shop.hold(alice, 600)
    problem(shop.operator.post(f"/v1/authorizations/{hold_id}/capture", {"points": 601},
                               headers=fresh()), 422, "capture_exceeds_hold")  # fmt: skip
    problem(shop.operator.post("/v1/authorizations/999999999999/capture", headers=fresh()),
            404, "unknown_authorization")  # fmt: skip
    problem(shop.operator.post("/v1/authorizations/999999999999/void", headers=fresh()),
            404, "unknown_authorization")  # fmt: skip
    assert shop.spendable(alice) == 400


# -- the Idempotency-Key and validation ------------------------------------------------

Route = tuple[str, dict[str, Any]]


def routes(shop: Shop, alice: str, bob: str, hold_id: int) -> list[Route]:
    """Every points write, with a body that would succeed."""
    return [
        (f"/v1/customers/{alice}/redemptions", {"option": "product", "points": 500}),
        (f"/v1/customers/{alice}/authorizations", {"option": "product", "points": 500}),
        (f"/v1/authorizations/{hold_id}/capture", {"points": 100}),
        (f"/v1/authorizations/{hold_id}/void", {}),
        (f"/v1/customers/{alice}/conversions", {"points": 100}),
        ("/v1/transfers", {"from_customer": alice, "to_customer": bob, "points": 100}),
        (f"/v1/customers/{alice}/exchanges",
         {"partner": "skyways", "amount": 100, "direction": "out"}),
    ]  # fmt: skip


def test_every_points_write_needs_an_idempotency_key(shop: Shop) -> None:
    alice, bob = shop.customer(2000), shop.customer()
    hold_id = shop.hold(alice, 600)
    for path, body in routes(shop, alice, bob, hold_id):
        response = shop.operator.post(path, body)
        found = problem(response, 400, "invalid_request")
        assert found["detail"] == "Idempotency-Key header is required", path
    assert (shop.spendable(alice), shop.spendable(bob)) == (1400, 0)


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/customers/{a}/redemptions", {"option": "product", "points": 600.0}, "points"),
        ("/v1/customers/{a}/redemptions", {"option": "product", "points": -600}, "points"),
        ("/v1/customers/{a}/redemptions", {"option": "product", "points": 0}, "points"),
        ("/v1/customers/{a}/redemptions", {"option": "product", "points": "600"}, "points"),
        ("/v1/customers/{a}/redemptions", {"option": "product", "points": True}, "points"),
        ("/v1/customers/{a}/redemptions",
         {"option": "product", "points": 600, "coupon": "x"}, "coupon"),
        ("/v1/customers/{a}/redemptions", {"option": "Product!", "points": 600}, "option"),
        ("/v1/customers/{a}/redemptions",
         {"option": "product", "points": 600, "order_id": "o" * 129}, "order_id"),
        ("/v1/customers/{a}/redemptions", {"points": 600}, "option"),
        ("/v1/customers/{a}/authorizations",
         {"option": "product", "points": 600, "timeout_seconds": 0}, "timeout_seconds"),
        ("/v1/customers/{a}/authorizations",
         {"option": "product", "points": 600, "timeout_seconds": 2_592_001}, "timeout_seconds"),
        ("/v1/customers/{a}/authorizations",
         {"option": "product", "points": 600.5}, "points"),
        ("/v1/authorizations/{h}/capture", {"points": 1.5}, "points"),
        ("/v1/authorizations/{h}/capture", {"points": -1}, "points"),
        ("/v1/authorizations/{h}/void", {"points": 1}, "points"),
        ("/v1/authorizations/0/capture", {}, "hold_id"),
        ("/v1/authorizations/abc/void", {}, "hold_id"),
        ("/v1/customers/{a}/conversions", {"points": 100.0}, "points"),
        ("/v1/customers/{a}/conversions", {"points": -100}, "points"),
        ("/v1/transfers", {"from_customer": "{a}", "to_customer": "{b}", "points": 1.5},
         "points"),
        ("/v1/transfers", {"from_customer": "{a}", "to_customer": "{b}", "points": -1},
         "points"),
        ("/v1/transfers",
         {"from_customer": "{a}", "to_customer": "{b}", "points": 1, "note": "x"}, "note"),
        ("/v1/customers/{a}/exchanges",
         {"partner": "skyways", "amount": 2, "direction": "sideways"}, "direction"),
        ("/v1/customers/{a}/exchanges", {"partner": "skyways", "amount": 2}, "direction"),
        ("/v1/customers/{a}/exchanges",
         {"partner": "skyways", "amount": -2, "direction": "out"}, "amount"),
    ],
)  # fmt: skip
def test_validation_names_the_field_and_moves_nothing(
    shop: Shop, path: str, body: dict[str, Any], field: str
) -> None:
    alice, bob = shop.customer(1000), shop.customer()
    hold_id = shop.hold(alice, 600)

    def fill(value: Any) -> Any:
        if isinstance(value, str):
            return value.replace("{a}", alice).replace("{b}", bob).replace("{h}", str(hold_id))
        return value

    filled = {name: fill(value) for name, value in body.items()}
    response = shop.operator.post(fill(path), filled, headers=fresh())
    found = problem(response, 400, "invalid_request")
    assert field in found["detail"], found
    assert (shop.spendable(alice), shop.spendable(bob)) == (400, 0)
    assert shop.loyalty.balance(shop.tenant, alice).held == 600


Setup = Callable[[Shop, str, str], Route]
CHANGES: dict[str, tuple[Setup, str]] = {
    "redeem": (lambda s, a, b: (f"/v1/customers/{a}/redemptions",
                                {"option": "product", "points": 500}), "points"),
    "authorize": (lambda s, a, b: (f"/v1/customers/{a}/authorizations",
                                   {"option": "product", "points": 500}), "points"),
    "capture": (lambda s, a, b: (f"/v1/authorizations/{s.hold(a, 500)}/capture",
                                 {"points": 500}), "points"),
    "convert": (lambda s, a, b: (f"/v1/customers/{a}/conversions", {"points": 500}), "points"),
    "transfer": (lambda s, a, b: ("/v1/transfers",
                                  {"from_customer": a, "to_customer": b, "points": 500}),
                 "points"),
    "exchange": (lambda s, a, b: (f"/v1/customers/{a}/exchanges",
                                  {"partner": "skyways", "amount": 500, "direction": "out"}),
                 "amount"),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(CHANGES))
def test_a_retry_with_the_same_key_moves_points_once(shop: Shop, name: str) -> None:
    alice, bob = shop.customer(2000), shop.customer()
    setup, amount_field = CHANGES[name]
    path, body = setup(shop, alice, bob)
    headers = fresh()
    first = shop.operator.post(path, body, headers=headers)
    assert first.status_code in {200, 201}, first.text
    assert "idempotent-replayed" not in first.headers
    again = shop.operator.post(path, body, headers=headers)
    assert (again.status_code, again.json()) == (first.status_code, first.json())
    assert again.headers["idempotent-replayed"] == "true"
    assert shop.spendable(alice) == 1500
    other = shop.operator.post(path, {**body, amount_field: 600}, headers=headers)
    problem(other, 422, "idempotency_key_reused")
    assert shop.spendable(alice) == 1500


def test_a_retried_void_releases_once(shop: Shop) -> None:
    alice = shop.customer(1000)
    hold_id = shop.hold(alice, 600)
    headers = fresh()
    first = shop.operator.post(f"/v1/authorizations/{hold_id}/void", headers=headers)
    again = shop.operator.post(f"/v1/authorizations/{hold_id}/void", {}, headers=headers)
    assert first.status_code == 200, first.text
    assert (again.status_code, again.json()) == (200, first.json())
    assert again.headers["idempotent-replayed"] == "true"
    assert shop.spendable(alice) == 1000


# -- roles and tenants -----------------------------------------------------------------


@pytest.mark.parametrize("role", ["auditor", "ingest", "approver"])
def test_only_an_operator_may_move_points(shop: Shop, key: KeyFactory, role: str) -> None:
    alice, bob = shop.customer(2000), shop.customer()
    hold_id = shop.hold(alice, 600)
    caller = key(role)
    for path, body in routes(shop, alice, bob, hold_id):
        problem(caller.post(path, body, headers=fresh()), 403, "forbidden")
    assert (shop.spendable(alice), shop.spendable(bob)) == (1400, 0)
    assert shop.loyalty.balance(shop.tenant, alice).held == 600


def test_another_tenant_cannot_reach_these_customers_or_holds(
    shop: Shop, key: KeyFactory, loyalty: Loyalty
) -> None:
    alice, bob = shop.customer(2000), shop.customer()
    hold_id = shop.hold(alice, 600)
    stranger = key("operator", tenant=setup_programme(loyalty))
    theirs = Shop(loyalty, stranger, key("ingest", tenant=stranger.tenant)).customer(1000)
    expected = ["unknown_customer", "unknown_customer", "unknown_authorization",
                "unknown_authorization", "unknown_customer", "unknown_customer",
                "unknown_customer"]  # fmt: skip
    for (path, body), code in zip(routes(shop, alice, bob, hold_id), expected, strict=True):
        problem(stranger.post(path, body, headers=fresh()), 404, code)
    for body in ({"from_customer": theirs, "to_customer": alice, "points": 1},
                 {"from_customer": alice, "to_customer": theirs, "points": 1}):  # fmt: skip
        problem(stranger.post("/v1/transfers", body, headers=fresh()), 404, "unknown_customer")
    assert (shop.spendable(alice), shop.spendable(bob)) == (1400, 0)
    assert shop.loyalty.balance(shop.tenant, alice).held == 600
    assert shop.loyalty.balance(stranger.tenant, theirs).spendable == 1000
    captured = shop.operator.post(f"/v1/authorizations/{hold_id}/capture", headers=fresh())
    assert captured.status_code == 200, captured.text


def test_the_points_routes_are_documented(shop: Shop) -> None:
    spec = shop.operator.client.get("/openapi.json").json()
    for path in ("/v1/customers/{customer_id}/redemptions",
                 "/v1/customers/{customer_id}/authorizations",
                 "/v1/authorizations/{hold_id}/capture", "/v1/authorizations/{hold_id}/void",
                 "/v1/customers/{customer_id}/conversions", "/v1/transfers",
                 "/v1/customers/{customer_id}/exchanges"):  # fmt: skip
        operation = spec["paths"][path]["post"]
        assert operation["description"], path
        headers = [p["name"] for p in operation["parameters"] if p["in"] == "header"]
        assert headers == ["idempotency-key"], path
