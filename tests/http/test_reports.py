"""The finance report routes end to end: the roll-forward, the liability, IFRS 15
breakage and the reconciliation of an orders file, as JSON and as CSV; roles,
errors and another tenant.

The scenario is made through the API, and every expected figure below is worked
out by hand from it (a point is worth one cent in the seed programme, and earns
one point per dollar), never by calling the report code.
"""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any

import pytest

from punchcard.service_layer.loyalty.facade import Loyalty
from tests.conftest import setup_programme
from tests.http.answers import fresh, iso, ok, problem
from tests.http.conftest import Caller, KeyFactory


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


@dataclass(frozen=True)
class Scenario:
    """alice earns 2,200 and bob 500; alice redeems 500, converts 200, sends bob 100
    and holds 500 for a checkout; bob's order is refunded for 200 of its $500."""

    admin: Caller
    alice: str
    bob: str
    started: datetime
    orders: dict[str, int]
    """Order id -> amount in cents, as the ledger saw them."""

    issued = 2_200 + 500
    redeemed = 500
    converted = 200
    clawed_back = 200  # 20,000 of 50,000 cents refunded: 2/5 of bob's 500 points
    transferred = 100
    held = 500
    closing = issued - redeemed - converted - clawed_back  # 1,800


def scenario(key: KeyFactory) -> Scenario:
    admin = key()
    started = datetime.now(UTC) - timedelta(seconds=1)
    tag = uuid.uuid4().hex[:8]
    people = [ok(admin.post("/v1/customers", {"external_ref": f"{who}-{tag}"}))["id"]
              for who in ("alice", "bob")]  # fmt: skip
    alice, bob = people
    orders = {f"a-{tag}": 220_000, f"b-{tag}": 50_000}
    for (order, amount), who in zip(orders.items(), people, strict=True):
        earned = ok(admin.post("/v1/events", {"type": "purchase", "customer_id": who,
                                              "order_id": order, "amount": amount,
                                              "currency": "USD"}))  # fmt: skip
        assert earned["points"] == amount // 100
    ok(admin.post(f"/v1/customers/{alice}/redemptions", {"option": "product", "points": 500},
                  headers=fresh()))  # fmt: skip
    ok(admin.post(f"/v1/customers/{alice}/conversions", {"points": 200}, headers=fresh()))
    ok(admin.post("/v1/transfers", {"from_customer": alice, "to_customer": bob, "points": 100},
                  headers=fresh()))  # fmt: skip
    ok(admin.post("/v1/events", {"type": "refund", "order_id": f"b-{tag}",
                                 "refund_id": f"r-{tag}", "amount": 20_000}))  # fmt: skip
    ok(admin.post(f"/v1/customers/{alice}/authorizations", {"option": "product", "points": 500},
                  headers=fresh()))  # fmt: skip
    return Scenario(admin, alice, bob, started, orders)


def period(s: Scenario, end: datetime | None = None) -> dict[str, str]:
    return {"start": iso(s.started), "end": iso(end or datetime.now(UTC) + timedelta(minutes=1))}


# -- the roll-forward ----------------------------------------------------------------------


def test_the_roll_forward_moves_from_opening_to_closing_and_ties_to_the_balances(
    key: KeyFactory, loyalty: Loyalty
) -> None:
    s = scenario(key)
    report = ok(key("auditor").get("/v1/reports/rollforward", params=period(s)))
    points = {name: figure["points"] for name, figure in report["movements"].items()}
    assert points["issued"] == s.issued
    assert points["redeemed"] == -s.redeemed
    assert points["converted"] == -s.converted
    assert points["clawed_back"] == -s.clawed_back
    assert points["transferred"] == 0  # out of alice, into bob
    assert {m: p for m, p in points.items() if p} == {
        "issued": s.issued, "redeemed": -s.redeemed, "converted": -s.converted,
        "clawed_back": -s.clawed_back,
    }  # fmt: skip
    assert report["internal"]["transferred"]["points"] == s.transferred
    assert report["issued_by_kind"]["earned"]["points"] == s.issued
    assert report["opening"] == {"points": 0, "value": 0}
    assert report["net_movements"]["points"] == s.closing - 0
    # every point is worth one cent here, so value follows points
    assert report["closing"] == {"points": s.closing, "value": s.closing}
    assert report["movements"]["issued"]["value"] == s.issued
    held_by_customers = sum(
        (b := loyalty.balance(s.admin.tenant, who)).available + b.pending + b.held
        for who in (s.alice, s.bob)
    )
    assert held_by_customers == s.closing
    check = report["check"]
    assert (check["balanced"], check["ties_to_ledger"]) == (True, True)
    assert check["ledger_closing"]["points"] == s.closing
    assert check["opening_plus_movements"] == check["closing"]
    assert "ties" in check["explanation"] and f"{s.closing:,}" in check["explanation"]
    assert (report["asset"], report["value_asset"]) == ("PTS", "USD")


def test_a_period_before_the_scenario_is_empty_and_has_nothing_to_tie_to(
    key: KeyFactory,
) -> None:
    s = scenario(key)
    before = {"start": iso(s.started - timedelta(days=2)), "end": iso(s.started)}
    report = ok(s.admin.get("/v1/reports/rollforward", params=before))
    assert report["closing"]["points"] == 0
    assert report["check"]["ledger_closing"] is None
    assert report["check"]["ties_to_ledger"] is None
    assert "no balances to tie to" in report["check"]["explanation"]


def test_the_roll_forward_as_csv_by_query_or_by_accept(key: KeyFactory) -> None:
    s = scenario(key)
    auditor = key("auditor")
    by_query = auditor.get("/v1/reports/rollforward", params={**period(s), "format": "csv"})
    by_accept = auditor.get("/v1/reports/rollforward", params=period(s),
                            headers={"Accept": "text/csv"})  # fmt: skip
    for answer in (by_query, by_accept):
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith("text/csv")
        assert "rollforward.csv" in answer.headers["content-disposition"]
    table = rows(by_query.text)
    assert table[0] == ["section", "line", "points", "value"]
    lines = {(section, line): (points, value) for section, line, points, value in table[1:]}
    assert lines[("movement", "issued")] == (str(s.issued), str(s.issued))
    assert lines[("closing", "")] == (str(s.closing), str(s.closing))
    assert lines[("check", "ties_to_ledger")] == ("true", "true")
    json_answer = auditor.get("/v1/reports/rollforward", params={**period(s), "format": "json"})
    assert json_answer.headers["content-type"] == "application/json"


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({"start": "2026-02-01T00:00:00Z", "end": "2026-01-01T00:00:00Z"}, "before its end"),
        ({"start": "2026-01-01T00:00:00Z", "end": "2026-01-01T00:00:00Z"}, "before its end"),
        ({"start": "2026-01-01T00:00:00", "end": "2026-02-01T00:00:00Z"}, "query.start"),
        ({"start": "0001-01-01T00:00:00+05:00", "end": "2026-02-01T00:00:00Z"}, "1900"),
        ({"start": "yesterday", "end": "2026-02-01T00:00:00Z"}, "query.start"),
        ({"end": "2026-02-01T00:00:00Z"}, "query.start"),
        ({"start": "2026-01-01T00:00:00Z", "end": "2026-02-01T00:00:00Z", "format": "xml"},
         "query.format"),
    ],
)  # fmt: skip
def test_a_bad_period_is_400_naming_it(key: KeyFactory, params: dict[str, str], says: str) -> None:
    body = problem(key("auditor").get("/v1/reports/rollforward", params=params), 400,
                   "invalid_request")  # fmt: skip
    assert says in body["detail"]


@pytest.mark.parametrize("role", ["ingest", "operator"])
def test_finance_reports_are_not_for_support_or_ingest_keys(key: KeyFactory, role: str) -> None:
    caller = key(role)
    window = {"start": "2026-01-01T00:00:00Z", "end": "2026-02-01T00:00:00Z"}
    problem(caller.get("/v1/reports/rollforward", params=window), 403, "forbidden")
    problem(caller.get("/v1/reports/liability"), 403, "forbidden")
    problem(caller.post("/v1/reports/breakage", EXAMPLE_52), 403, "forbidden")
    problem(caller.post("/v1/reconciliations", {"orders": []}, params=window), 403, "forbidden")


@pytest.mark.parametrize("role", ["auditor", "approver", "admin"])
def test_auditors_approvers_and_admins_read_the_reports(key: KeyFactory, role: str) -> None:
    caller = key(role)
    window = {"start": "2026-01-01T00:00:00Z", "end": "2026-02-01T00:00:00Z"}
    ok(caller.get("/v1/reports/rollforward", params=window))
    ok(caller.get("/v1/reports/liability"))
    ok(caller.post("/v1/reports/breakage", EXAMPLE_52))
    ok(caller.post("/v1/reconciliations", {"orders": []}, params=window))


# -- the liability -------------------------------------------------------------------------


def bucket_of(expires_at: str | None, now: datetime) -> str:
    if expires_at is None:
        return "never"
    left = datetime.fromisoformat(expires_at) - now
    for name, days in (("within_30_days", 30), ("within_90_days", 90), ("within_365_days", 365)):
        if left <= timedelta(days=days):
            return name
    return "later"


def test_the_liability_by_expiry_bucket_at_a_given_redemption_rate(key: KeyFactory) -> None:
    s = scenario(key)
    now = datetime.now(UTC)
    expected: dict[str, int] = {}
    for who in (s.alice, s.bob):
        for lot in ok(s.admin.get(f"/v1/customers/{who}/lots")):
            name = bucket_of(lot["expires_at"], now)
            expected[name] = expected.get(name, 0) + lot["remaining"]
    report = ok(key("approver").get("/v1/reports/liability",
                                    params={"expected_redemption_bp": 9_000}))  # fmt: skip
    found = {b["name"]: b["points"] for b in report["buckets"] if b["points"]}
    assert found == expected
    assert set(found) == {"later", "within_365_days"}  # earned: 24 months; transferred: 6
    assert report["held"] == {"points": s.held, "value": s.held}
    assert report["points"] == s.closing and report["value"] == s.closing
    assert report["expected_redemption_bp"] == 9_000 and report["method"] == "given"
    assert report["breakage_adjusted_value"] == s.closing * 9 // 10  # 1,620
    assert report["expected_breakage_value"] == s.closing - s.closing * 9 // 10


def test_the_liability_estimates_the_rate_from_history_and_says_how(key: KeyFactory) -> None:
    s = scenario(key)
    report = ok(key("auditor").get("/v1/reports/liability"))
    # redeemed 500 and held 500 for a checkout, nothing expired: all expected to redeem
    assert report["expected_redemption_bp"] == 10_000
    assert report["method"] == "history: 1,000 points redeemed / (1,000 redeemed + 0 expired)"
    assert report["breakage_adjusted_value"] == s.closing
    as_csv = key("auditor").get("/v1/reports/liability", headers={"Accept": "text/csv"})
    table = {row[0]: row[1:] for row in rows(as_csv.text)}
    assert table["total"] == [str(s.closing), str(s.closing)]
    assert table["held"] == [str(s.held), str(s.held)]


@pytest.mark.parametrize("rate", ["-1", "10001", "0.5", "x"])
def test_an_expected_rate_outside_0_to_10000_basis_points_is_400(
    key: KeyFactory, rate: str
) -> None:
    answer = key("auditor").get("/v1/reports/liability", params={"expected_redemption_bp": rate})
    problem(answer, 400, "invalid_request")


# -- breakage ------------------------------------------------------------------------------

EXAMPLE_52: dict[str, Any] = {
    "issued": 10_000,
    "allocated": 9_000,
    "periods": [
        {"label": "year 1", "cumulative_redeemed": 4_500, "expected_redemptions": 9_700},
        {"label": "year 2", "cumulative_redeemed": 8_500, "expected_redemptions": 9_900},
    ],
}


def test_breakage_reproduces_ifrs_15_example_52(key: KeyFactory) -> None:
    report = ok(key("auditor").post("/v1/reports/breakage", EXAMPLE_52))
    year_1, year_2 = report["periods"]
    # IFRS 15 IE 267-270: 9,000 x 4,500 / 9,700 = 4,175; 9,000 x 8,500 / 9,900 = 7,727
    assert round(Fraction(9_000 * 4_500, 9_700)) == 4_175
    assert (year_1["revenue"], year_1["cumulative_revenue"]) == (4_175, 4_175)
    assert (year_2["revenue"], year_2["cumulative_revenue"]) == (3_552, 7_727)
    assert (year_1["expected_rate_bp"], year_2["expected_rate_bp"]) == (9_700, 9_900)
    assert (year_1["deferred"], year_2["deferred"]) == (9_000 - 4_175, 9_000 - 7_727)
    assert (report["recognised"], report["deferred"]) == (7_727, 1_273)


def test_breakage_takes_the_expectation_as_a_rate_and_answers_csv(key: KeyFactory) -> None:
    by_rate = {**EXAMPLE_52, "periods": [
        {"label": "year 1", "cumulative_redeemed": 4_500, "expected_rate_bp": 9_700},
        {"label": "year 2", "cumulative_redeemed": 8_500, "expected_rate_bp": 9_900},
    ]}  # fmt: skip
    auditor = key("auditor")
    assert ok(auditor.post("/v1/reports/breakage", by_rate)) == ok(
        auditor.post("/v1/reports/breakage", EXAMPLE_52)
    )
    as_csv = auditor.post("/v1/reports/breakage", EXAMPLE_52, params={"format": "csv"})
    table = rows(as_csv.text)
    assert table[0][:2] == ["label", "cumulative_redeemed"]
    assert [row[5] for row in table[1:]] == ["4175", "3552"]


def test_breakage_without_an_expectation_estimates_it_from_history(key: KeyFactory) -> None:
    auditor = key("auditor")
    estimated = {**EXAMPLE_52, "periods": [
        {"label": "year 1", "cumulative_redeemed": 4_500, "expected_rate_bp": 9_700},
        {"label": "year 2", "cumulative_redeemed": 8_500},
    ]}  # fmt: skip
    report = ok(auditor.post("/v1/reports/breakage", estimated))
    # a new tenant has redeemed and expired nothing: every point is expected to be redeemed
    assert report["method"] == "no points redeemed or expired yet: 100% assumed"
    year_1, year_2 = report["periods"]
    assert (year_1["expected_rate_bp"], year_2["expected_rate_bp"]) == (9_700, 10_000)
    assert year_2["cumulative_revenue"] == 9_000 * 8_500 // 10_000  # 7,650
    assert ok(auditor.post("/v1/reports/breakage", EXAMPLE_52))["method"] == "given"


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"issued": 0}, "body.issued"),
        ({"allocated": -1}, "body.allocated"),
        ({"allocated": 9_000.0}, "body.allocated"),
        ({"periods": []}, "body.periods"),
        ({"periods": [{"label": "y1", "cumulative_redeemed": 1, "expected_redemptions": 9,
                       "expected_rate_bp": 9}]}, "at most one"),
        ({"periods": [{"label": "y1", "cumulative_redeemed": 1,
                       "expected_redemptions": 20_000}]}, "expected redemptions"),
        ({"periods": [{"label": "y1", "cumulative_redeemed": 5_000, "expected_redemptions": 9_000},
                      {"label": "y2", "cumulative_redeemed": 4_000,
                       "expected_redemptions": 9_000}]}, "must grow"),
        ({"surprise": 1}, "body.surprise"),
    ],
)  # fmt: skip
def test_a_bad_breakage_request_is_400_naming_the_problem(
    key: KeyFactory, change: dict[str, Any], says: str
) -> None:
    answer = key("auditor").post("/v1/reports/breakage", {**EXAMPLE_52, **change})
    assert says in problem(answer, 400, "invalid_request")["detail"]


# -- reconciliation ------------------------------------------------------------------------


def test_a_file_with_seeded_discrepancies_finds_each_one(key: KeyFactory) -> None:
    s = scenario(key)
    (alice_order, alice_amount), (bob_order, bob_amount) = s.orders.items()
    extra = f"c-{uuid.uuid4().hex[:6]}"
    carol = ok(s.admin.post("/v1/customers", {"external_ref": extra}))["id"]
    ok(s.admin.post("/v1/events", {"type": "purchase", "customer_id": carol, "order_id": extra,
                                   "amount": 10_000, "currency": "USD"}))  # fmt: skip
    text = (f"order_id,amount,note\n{alice_order},{alice_amount},ok\n"
            f"{bob_order},{bob_amount - 1},short a cent\nnever-seen,100,\n"
            f"{alice_order},{alice_amount},again\n")  # fmt: skip
    answer = key("auditor").client.post(
        "/v1/reconciliations", params=period(s), content=text.encode(),
        headers=key("auditor").headers({"Content-Type": "text/csv"}),
    )  # fmt: skip
    report = ok(answer)
    outcomes = {(line["order_id"], line["outcome"]) for line in report["lines"]}
    assert outcomes == {
        (alice_order, "matched"), (bob_order, "amount_mismatch"),
        ("never-seen", "missing_in_ledger"), (alice_order, "duplicate_in_file"),
        (extra, "missing_in_file"),
    }  # fmt: skip
    assert report["clean"] is False
    assert report["counts"] == {"matched": 1, "amount_mismatch": 1, "missing_in_ledger": 1,
                                "missing_in_file": 1, "duplicate_in_file": 1}  # fmt: skip
    mismatch = next(line for line in report["lines"] if line["outcome"] == "amount_mismatch")
    assert (mismatch["file_amount"], mismatch["ledger_amount"]) == (bob_amount - 1, bob_amount)
    assert (mismatch["points"], mismatch["file_line"]) == (500, 3)


def test_a_json_file_that_matches_is_clean_and_the_csv_answer_lists_it(key: KeyFactory) -> None:
    s = scenario(key)
    orders = {"orders": [{"order_id": o, "amount": a} for o, a in s.orders.items()]}
    auditor = key("auditor")
    report = ok(auditor.post("/v1/reconciliations", orders, params=period(s)))
    assert report["clean"] is True and report["counts"]["matched"] == 2
    as_csv = auditor.post("/v1/reconciliations", orders, params={**period(s), "format": "csv"})
    table = rows(as_csv.text)
    assert table[0][:2] == ["order_id", "outcome"]
    assert sorted(row[:2] for row in table[1:]) == sorted([o, "matched"] for o in s.orders)


def test_another_tenant_reconciling_these_orders_finds_none_of_them(
    key: KeyFactory, loyalty: Loyalty
) -> None:
    s = scenario(key)
    stranger = key("auditor", tenant=setup_programme(loyalty))
    orders = {"orders": [{"order_id": o, "amount": a} for o, a in s.orders.items()]}
    report = ok(stranger.post("/v1/reconciliations", orders, params=period(s)))
    assert {line["outcome"] for line in report["lines"]} == {"missing_in_ledger"}
    assert all(line["ledger_amount"] is None for line in report["lines"])
    rolled = ok(stranger.get("/v1/reports/rollforward", params=period(s)))
    assert rolled["closing"]["points"] == 0 and rolled["movements"]["issued"]["points"] == 0
    assert ok(stranger.get("/v1/reports/liability"))["points"] == 0


@pytest.mark.parametrize(
    ("content", "media", "status", "says"),
    [
        (b"order,amount\no-1,5\n", "text/csv", 400, "columns order_id"),
        (b"order_id,amount\no-1,5.00\n", "text/csv", 400, "line 2: amount '5.00'"),
        (b"order_id,amount\n,5\n", "text/csv", 400, "line 2: order_id is empty"),
        (b"order_id,amount\no-1,\xff\n", "text/csv", 400, "UTF-8"),
        (b'{"orders": [{"order_id": "o-1", "amount": -5}]}', "application/json", 400,
         "body.orders.0.amount"),
        (b"<orders/>", "application/xml", 415, "text/csv or application/json"),
    ],
)  # fmt: skip
def test_a_bad_orders_file_is_refused_naming_the_problem(
    key: KeyFactory, content: bytes, media: str, status: int, says: str
) -> None:
    auditor = key("auditor")
    answer = auditor.client.post(
        "/v1/reconciliations", content=content, headers=auditor.headers({"Content-Type": media}),
        params={"start": "2026-01-01T00:00:00Z", "end": "2026-02-01T00:00:00Z"},
    )  # fmt: skip
    code = "unsupported_media_type" if status == 415 else "invalid_request"
    assert says in problem(answer, status, code)["detail"]


def test_a_reconciliation_needs_a_period_that_runs_forward(key: KeyFactory) -> None:
    backwards = {"start": "2026-02-01T00:00:00Z", "end": "2026-01-01T00:00:00Z"}
    answer = key("auditor").post("/v1/reconciliations", {"orders": []}, params=backwards)
    assert "before its end" in problem(answer, 400, "invalid_request")["detail"]
