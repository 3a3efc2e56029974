"""Monitors and alerts end to end, and the server's scheduled risk jobs: a monitor
alerts once when its measure goes above its threshold; roles, validation, replays."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from punchcard.entrypoints.http import serve
from punchcard.entrypoints.http.app import create_app
from punchcard.service_layer import risk
from punchcard.service_layer.loyalty.facade import Loyalty
from tests.http.answers import fresh, ok, problem
from tests.http.conftest import KeyFactory
from tests.http.test_reviews import customer, with_risk


def liability(threshold: int = 1_000) -> dict[str, Any]:
    return {"name": "liability", "measure": "programme_liability", "threshold": threshold}


def test_a_monitor_alerts_once_when_its_measure_goes_above_its_threshold(
    key: KeyFactory, loyalty: Loyalty
) -> None:
    admin, auditor = key("admin"), key("auditor")
    alice = customer(admin, 300)
    made = admin.post("/v1/monitors", liability(), headers=fresh())
    assert made.status_code == 201, made.text
    watch = made.json()
    assert (watch["measure"], watch["threshold"], watch["tripped"]) == (
        "programme_liability", 1_000, False,
    )  # fmt: skip
    rich = ok(admin.post("/v1/monitors", {"name": "alice rich", "measure": "customer_balance",
                                          "threshold": 500, "customer_id": alice}))  # fmt: skip
    assert rich["customer_id"] == alice
    assert risk.check_monitors(loyalty, admin.tenant) == []
    assert ok(auditor.get("/v1/alerts")) == {"data": []}
    customer(admin, 900)  # the programme now owes 1,200
    assert len(risk.check_monitors(loyalty, admin.tenant)) == 1
    assert risk.check_monitors(loyalty, admin.tenant) == []  # still above: no second alert
    (alert,) = ok(auditor.get("/v1/alerts"))["data"]
    assert (alert["kind"], alert["subject"]) == ("monitor", "liability: 1,200 is above 1,000")
    assert alert["detail"]["value"] == 1_200 and alert["detail"]["monitor_id"] == watch["id"]
    listed = ok(auditor.get("/v1/monitors"))["data"]
    assert [(m["name"], m["tripped"]) for m in listed] == [("liability", True),
                                                           ("alice rich", False)]  # fmt: skip


def test_adding_a_monitor_is_replayed_by_its_idempotency_key(key: KeyFactory) -> None:
    admin, header = key(), fresh()
    first = admin.post("/v1/monitors", liability(), headers=header)
    again = admin.post("/v1/monitors", liability(), headers=header)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    problem(admin.post("/v1/monitors", liability(5), headers=header), 422,
            "idempotency_key_reused")  # fmt: skip
    assert len(ok(admin.get("/v1/monitors"))["data"]) == 1


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"name": "x", "measure": "customer_balance", "threshold": 1}, 400, "invalid_request"),
        ({**liability(), "customer_id": "cus_abc"}, 400, "invalid_request"),
        ({"name": "x", "measure": "customer_balance", "threshold": 1,
          "customer_id": "cus_nobody"}, 404, "unknown_customer"),
        ({**liability(), "measure": "velocity"}, 400, "invalid_request"),
        ({**liability(), "threshold": -1}, 400, "invalid_request"),
        ({**liability(), "threshold": 1.5}, 400, "invalid_request"),
        ({**liability(), "name": ""}, 400, "invalid_request"),
        ({**liability(), "name": "x" * 101}, 400, "invalid_request"),
        ({**liability(), "colour": "red"}, 400, "invalid_request"),
    ],
)  # fmt: skip
def test_a_bad_monitor_is_refused_and_nothing_is_added(
    key: KeyFactory, body: dict[str, Any], status: int, code: str
) -> None:
    admin = key()
    problem(admin.post("/v1/monitors", body, headers=fresh()), status, code)
    assert ok(admin.get("/v1/monitors")) == {"data": []}


def test_admins_add_monitors_and_finance_reads_them(key: KeyFactory) -> None:
    for role in ("ingest", "operator", "approver", "auditor"):
        problem(key(role).post("/v1/monitors", liability(), headers=fresh()), 403, "forbidden")
    for role in ("ingest", "operator"):
        problem(key(role).get("/v1/monitors"), 403, "forbidden")
        problem(key(role).get("/v1/alerts"), 403, "forbidden")
    for role in ("approver", "auditor", "admin"):
        assert ok(key(role).get("/v1/monitors")) == {"data": []}
        assert ok(key(role).get("/v1/alerts", params={"limit": 5})) == {"data": []}
    problem(key().get("/v1/alerts", params={"limit": 0}), 400, "invalid_request")


# -- the scheduled jobs --------------------------------------------------------------------


def test_the_server_sweeps_scan_earnings_check_monitors_and_verify(
    key: KeyFactory, loyalty: Loyalty
) -> None:
    admin = key()
    with_risk(admin, max_earned_points_per_hour=1_000)
    fast = customer(admin, 2_000)
    ok(admin.post("/v1/monitors", liability(1_500), headers=fresh()))
    sweeper = serve.Sweeper.for_app(loyalty, create_app(loyalty))
    assert {"scan_earnings", "check_monitors", "verify_and_alert"} <= set(sweeper.jobs)
    assert sweeper.jobs["scan_earnings"]() >= 1  # due at once; other tenants may add theirs
    assert sweeper.jobs["check_monitors"]() >= 1
    assert sweeper.jobs["verify_and_alert"]() == 0  # not due until an hour has passed
    (review,) = ok(admin.get("/v1/reviews"))["data"]
    assert (review["kind"], review["customer_id"]) == ("earning", fast)
    (alert,) = ok(admin.get("/v1/alerts"))["data"]
    assert alert["subject"] == "liability: 2,000 is above 1,500"
    assert sweeper.jobs["scan_earnings"]() == 0  # not due again for five minutes


def test_a_periodic_job_runs_once_per_period_however_often_it_is_called() -> None:
    now = itertools.count(0.0, 10.0)  # each call of the clock is ten seconds later
    job = serve.every(30, lambda: 7, clock=lambda: next(now))
    assert [job() for _ in range(7)] == [7, 0, 0, 7, 0, 0, 7]
    later = serve.every(30, lambda: 1, first_run_due=False, clock=lambda: next(now))
    assert [later() for _ in range(4)] == [0, 0, 1, 0]
