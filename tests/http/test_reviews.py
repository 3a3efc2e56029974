"""The review queue end to end: a redemption the velocity rules flag is held; another
key than the one that asked approves it (captured) or rejects it (voided); roles,
replays, decisions taken once, and the earnings scan's flags."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from punchcard.service_layer import risk
from punchcard.service_layer.loyalty.facade import Loyalty
from tests.http.answers import fresh, ok, problem
from tests.http.conftest import Caller, KeyFactory


def with_risk(admin: Caller, **rules: int) -> None:
    settings = ok(admin.get("/v1/programme"))
    ok(admin.put("/v1/programme", {**settings, "risk": {**settings["risk"], **rules}}))


def customer(admin: Caller, points: int) -> str:
    ref = f"shop-{uuid.uuid4().hex[:12]}"
    found: str = ok(admin.post("/v1/customers", {"external_ref": ref}))["id"]
    event = {"type": "purchase", "customer_id": found, "order_id": f"o-{ref}",
             "amount": points * 100, "currency": "USD"}  # fmt: skip
    assert ok(admin.post("/v1/events", event))["points"] == points
    return found


def flagged(maker: Caller, who: str, points: int = 1_500) -> dict[str, Any]:
    """A redemption the programme holds for review (reviewed from 1,000 points)."""
    held: dict[str, Any] = ok(maker.post(f"/v1/customers/{who}/redemptions", {"option": "product",
                                                              "points": points},
                         headers=fresh()))  # fmt: skip
    assert held["status"] == "pending_review", held
    return held


@pytest.fixture
def queue(key: KeyFactory) -> tuple[Caller, str]:
    """An admin of a tenant that reviews redemptions of 1,000 points or more, and a
    customer holding 5,000."""
    admin = key()
    with_risk(admin, review_redemptions_from=1_000)
    return admin, customer(admin, 5_000)


def test_a_flagged_redemption_waits_then_an_approval_by_another_key_captures_it(
    key: KeyFactory, loyalty: Loyalty, queue: tuple[Caller, str]
) -> None:
    admin, alice = queue
    maker, checker = key("operator", "approver"), key("approver")
    held = flagged(maker, alice)
    balance = loyalty.balance(admin.tenant, alice)
    assert (balance.available, balance.held) == (3_500, 1_500)
    (listed,) = ok(key("auditor").get("/v1/reviews"))["data"]
    assert listed["id"] == held["review_id"] and listed["hold_id"] == held["hold_id"]
    assert (listed["kind"], listed["status"], listed["points"]) == ("redemption", "pending", 1_500)
    assert listed["requested_by"] == maker.key_id
    assert listed["reasons"] == ["high value: 1,500 points (review from 1,000)"]
    # the maker holds the approver role too, and still may not decide its own request
    mine = maker.post(f"/v1/reviews/{held['review_id']}/approve", {}, headers=fresh())
    problem(mine, 403, "maker_checker_violation")
    problem(admin.post(f"/v1/authorizations/{held['hold_id']}/capture", {}, headers=fresh()),
            409, "under_review")  # fmt: skip
    decided = ok(checker.post(f"/v1/reviews/{held['review_id']}/approve",
                              {"note": "called the customer"}, headers=fresh()))  # fmt: skip
    assert (decided["status"], decided["decided_by"]) == ("approved", checker.key_id)
    assert decided["note"] == "called the customer" and decided["decided_at"] is not None
    balance = loyalty.balance(admin.tenant, alice)
    assert (balance.available, balance.held) == (3_500, 0)
    assert ok(admin.get("/v1/reviews"))["data"] == []
    assert ok(admin.get(f"/v1/reviews/{held['review_id']}")) == decided


def test_a_rejection_voids_the_hold_and_the_points_come_back(
    key: KeyFactory, loyalty: Loyalty, queue: tuple[Caller, str]
) -> None:
    admin, alice = queue
    held = flagged(key("operator"), alice, 2_000)
    decided = ok(key("approver").post(f"/v1/reviews/{held['review_id']}/reject"))
    assert decided["status"] == "rejected" and decided["note"] is None
    balance = loyalty.balance(admin.tenant, alice)
    assert (balance.available, balance.held) == (5_000, 0)
    problem(admin.post(f"/v1/authorizations/{held['hold_id']}/capture", {}, headers=fresh()),
            409, "hold_already_resolved")  # fmt: skip


def test_a_decision_is_replayed_by_its_key_and_taken_once(
    key: KeyFactory, loyalty: Loyalty, queue: tuple[Caller, str]
) -> None:
    admin, alice = queue
    held = flagged(key("operator"), alice)
    checker, url = key("approver"), f"/v1/reviews/{held['review_id']}/approve"
    header = fresh()
    first = checker.post(url, {"note": "ok"}, headers=header)
    again = checker.post(url, {"note": "ok"}, headers=header)
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    problem(checker.post(url, {"note": "other"}, headers=header), 422, "idempotency_key_reused")
    # the very same decision again, under a new key, is the recorded one, unchanged
    assert ok(checker.post(url, {"note": "ok"}, headers=fresh())) == first.json()
    problem(checker.post(url, {"note": "second thoughts"}, headers=fresh()), 409,
            "review_already_decided")  # fmt: skip
    problem(key("approver").post(url, {"note": "ok"}, headers=fresh()), 409,
            "review_already_decided")  # fmt: skip
    rejected = checker.post(f"/v1/reviews/{held['review_id']}/reject", headers=fresh())
    assert "already approved" in problem(rejected, 409, "review_already_decided")["detail"]
    assert loyalty.balance(admin.tenant, alice).available == 3_500  # captured once


@pytest.mark.parametrize("role", ["ingest", "operator", "auditor"])
def test_only_approvers_and_admins_decide(
    key: KeyFactory, queue: tuple[Caller, str], role: str
) -> None:
    admin, alice = queue
    held = flagged(key("operator"), alice)
    for decision in ("approve", "reject"):
        answer = key(role).post(f"/v1/reviews/{held['review_id']}/{decision}", headers=fresh())
        problem(answer, 403, "forbidden")
    assert ok(admin.get(f"/v1/reviews/{held['review_id']}"))["status"] == "pending"


def test_everyone_but_an_ingest_key_reads_the_queue(key: KeyFactory) -> None:
    for role in ("operator", "approver", "auditor", "admin"):
        assert ok(key(role).get("/v1/reviews")) == {"data": []}
    problem(key("ingest").get("/v1/reviews"), 403, "forbidden")


def test_an_unknown_or_malformed_review_is_refused(key: KeyFactory) -> None:
    approver = key("approver")
    problem(approver.get("/v1/reviews/999999999"), 404, "unknown_review")
    problem(approver.post("/v1/reviews/999999999/approve", headers=fresh()), 404, "unknown_review")
    problem(approver.post("/v1/reviews/0/reject"), 400, "invalid_request")
    problem(approver.get("/v1/reviews", params={"status": "approved"}), 400, "invalid_request")
    problem(approver.get("/v1/reviews", params={"limit": 0}), 400, "invalid_request")


def test_a_blank_or_long_note_is_400(key: KeyFactory, queue: tuple[Caller, str]) -> None:
    _, alice = queue
    held = flagged(key("operator"), alice)
    url = f"/v1/reviews/{held['review_id']}/approve"
    problem(key("approver").post(url, {"note": "   "}), 400, "invalid_request")
    problem(key("approver").post(url, {"note": "x" * 501}), 400, "invalid_request")
    problem(key("approver").post(url, {"note": "ok", "extra": 1}), 400, "invalid_request")


def test_the_earnings_scan_flags_a_fast_earner_for_any_approver_to_decide(
    key: KeyFactory, loyalty: Loyalty
) -> None:
    admin = key()
    with_risk(admin, max_earned_points_per_hour=1_000)
    fast = customer(admin, 1_500)
    customer(admin, 900)
    assert risk.scan_earnings(loyalty, admin.tenant) != []
    (listed,) = ok(admin.get("/v1/reviews"))["data"]
    assert (listed["kind"], listed["customer_id"], listed["points"]) == ("earning", fast, 1_500)
    assert (listed["hold_id"], listed["requested_by"]) == (None, None)
    assert listed["reasons"] == ["1,500 points earned in 1 h (at most 1,000)"]
    decided = ok(admin.post(f"/v1/reviews/{listed['id']}/approve", headers=fresh()))
    assert decided["status"] == "approved"
    assert loyalty.balance(admin.tenant, fast).available == 1_500  # a flag holds nothing
