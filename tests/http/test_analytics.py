"""GET /v1/reports/analytics end to end: a scenario made through the API, figures
worked out by hand from it; the finance roles, and bad periods as problems."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.http.answers import iso, ok, problem
from tests.http.conftest import KeyFactory

PATH = "/v1/reports/analytics"
RULESET: dict[str, Any] = {
    "name": "gas and a welcome",
    "rules": [
        {"id": "base", "effect": {"rate": {"points": 1, "per": 100}}},
        {"id": "gas_extra", "scope": "line_item", "when": "item.category == 'gas'",
         "effect": {"base_multiple": "2"}},
        {"id": "welcome", "effect": {"flat": 50}, "kind": "bonus"},
    ],
}  # fmt: skip


def test_analytics_of_a_small_programme(key: KeyFactory) -> None:
    admin, approver = key("admin"), key("approver")
    started = datetime.now(UTC) - timedelta(seconds=1)
    version = ok(admin.post("/v1/rulesets", {"document": RULESET}))["version"]
    ok(admin.post(f"/v1/rulesets/{version}/submit"))
    ok(approver.post(f"/v1/rulesets/{version}/approve"))
    tag = uuid.uuid4().hex[:8]
    alice, bob, _ = (ok(admin.post("/v1/customers", {"external_ref": f"{who}-{tag}"}))["id"]
                     for who in ("alice", "bob", "carol"))  # fmt: skip
    basket = [{"sku": "fuel", "amount": 40_000, "category": "gas"},
              {"sku": "bread", "amount": 10_000, "category": "groceries"}]  # fmt: skip
    for who, order, amount, items in ((alice, "a", 60_000, basket), (bob, "b", 20_000, [])):
        ok(admin.post("/v1/events", {"type": "purchase", "customer_id": who, "amount": amount,
                                     "order_id": f"{order}-{tag}", "currency": "USD",
                                     "items": items}))  # fmt: skip
    ok(admin.post(f"/v1/customers/{alice}/redemptions", {"option": "product", "points": 500},
                  headers={"Idempotency-Key": f"r-{tag}"}))  # fmt: skip
    window = {"start": iso(started), "end": iso(datetime.now(UTC) + timedelta(minutes=1))}

    report = ok(key("auditor").get(PATH, params=window))
    # alice: base 600 + gas 400 x 2 + welcome 50; bob: base 200 + welcome 50
    assert (report["issued"], report["redeemed"]) == (1450 + 250, 500)
    assert report["redemption_rate_bp"] == 2941  # 500 / 1,700 = 29.41%
    assert sum(day["issued"] for day in report["days"]) == 1700
    assert (report["members"], report["active_members"], report["active_bp"]) == (3, 2, 6667)
    assert report["tiers"] == {"": 3}
    assert report["categories"] == [
        {"category": "gas", "orders": 1, "spend": 40_000, "points": 800},
        {"category": "groceries", "orders": 1, "spend": 10_000, "points": 0},
    ]
    assert (report["orders"], report["spend"], report["unitemised_orders"]) == (2, 80_000, 1)
    assert (report["purchase_points"], report["order_level_points"]) == (1700, 900)
    campaigns = {(c["rule"], c["ruleset_version"]): (c["earns"], c["points"], c["value"])
                 for c in report["campaigns"]}  # fmt: skip
    assert campaigns == {("base", version): (2, 800, 800), ("gas_extra", version): (1, 800, 800),
                         ("welcome", version): (2, 100, 100)}  # fmt: skip
    assert (report["asset"], report["value_asset"], report["currency"]) == ("PTS", "USD", "USD")
    for role in ("approver", "admin"):
        assert ok(key(role).get(PATH, params=window)) == report

    as_csv = key("auditor").get(PATH, params={**window, "format": "csv"})
    assert as_csv.status_code == 200 and as_csv.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(as_csv.text)))
    assert table[0] == ["section", "key", "figure", "value"]
    cells = {(row[0], row[1]): row[2:] for row in table[1:]}
    assert cells[("summary", "issued")] == ["1700", ""]
    assert cells[("category_points", "gas")] == ["800", ""]
    assert cells[("campaign", f"gas_extra v{version}")] == ["800", "800"]
    assert cells[("tier", "")] == ["3", ""]
    by_accept = key("auditor").get(PATH, params=window, headers={"Accept": "text/csv"})
    assert by_accept.text == as_csv.text


@pytest.mark.parametrize("role", ["ingest", "operator"])
def test_analytics_are_not_for_support_or_ingest_keys(key: KeyFactory, role: str) -> None:
    window = {"start": "2026-01-01T00:00:00Z", "end": "2026-02-01T00:00:00Z"}
    problem(key(role).get(PATH, params=window), 403, "forbidden")


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({"start": "2026-02-01T00:00:00Z", "end": "2026-01-01T00:00:00Z"}, "before its end"),
        ({"start": "2000-01-01T00:00:00Z", "end": "2026-01-01T00:00:00Z"}, "at most"),
        ({"start": "2026-01-01T00:00:00", "end": "2026-02-01T00:00:00Z"}, "query.start"),
        ({"start": "2026-01-01T00:00:00Z"}, "query.end"),
    ],
)
def test_a_bad_period_is_400_naming_it(key: KeyFactory, params: dict[str, str], says: str) -> None:
    body = problem(key("auditor").get(PATH, params=params), 400, "invalid_request")
    assert says in body["detail"]
