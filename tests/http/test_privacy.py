"""The personal-data routes: store, read, look up by e-mail, erase (replayed by its
Idempotency-Key), export as JSON and CSV; who may call them; and errors that never
repeat the personal data they refuse."""

from __future__ import annotations

import csv
import io
import logging
import uuid

import pytest

from tests.http.answers import fresh, ok, problem
from tests.http.conftest import Caller, KeyFactory

NAME = "Katherine Johnson"


def person(email: str) -> dict[str, object]:
    return {"name": NAME, "email": email, "phone": "+1 757 555 0199",
            "date_of_birth": "1968-08-26", "address": "12 Langley Rd, Hampton VA",
            "attributes": {"preferred_store": "hampton"}}  # fmt: skip


def enrolled(admin: Caller) -> str:
    return str(ok(admin.post("/v1/customers", {"external_ref": f"r-{uuid.uuid4().hex}"}))["id"])


def email() -> str:
    return f"kj.{uuid.uuid4().hex[:8]}@Nasa.GOV"


def test_store_read_lookup_erase_export(key: KeyFactory) -> None:
    admin, support = key(), key("operator")
    cid, address = enrolled(admin), email()
    url = f"/v1/customers/{cid}/personal-data"
    assert ok(support.put(url, person(address))) == {"customer_id": cid, "stored": True}
    read = ok(support.get(url))
    assert read == {
        "customer_id": cid,
        **person(address),
        "email": address.replace("Nasa.GOV", "nasa.gov"),
    }
    found = ok(support.post("/v1/customers:lookup", {"email": address.lower()}))
    assert found["id"] == cid
    ok(admin.post("/v1/events", {"type": "purchase", "customer_id": cid, "order_id": f"o-{cid}",
                                 "amount": 100_000, "currency": "USD"}))  # fmt: skip
    exported = ok(support.get(f"/v1/customers/{cid}/export"))
    assert exported["personal_data"]["name"] == NAME
    assert exported["customer"]["id"] == cid
    assert exported["balance"]["available"] > 0 and exported["lots"] and exported["history"]
    assert {"tier", "redemptions", "erasure"} <= set(exported)

    headers = fresh()
    erased = ok(support.delete(url, headers=headers))
    assert erased["customer_id"] == cid and erased["erased_by"]
    replay = support.delete(url, headers=headers)
    assert ok(replay) == erased and replay.headers["Idempotent-Replayed"] == "true"
    assert ok(support.delete(url, headers=fresh())) == erased  # erasing again: the first one

    gone = problem(support.get(url), 410, "personal_data_erased")
    assert NAME not in gone["detail"]
    problem(support.put(url, person(address)), 410, "personal_data_erased")
    problem(support.post("/v1/customers:lookup", {"email": address}), 404, "unknown_customer")
    after = ok(support.get(f"/v1/customers/{cid}/export"))
    assert after["personal_data"] is None and after["erasure"]["customer_id"] == cid
    assert after["balance"] == exported["balance"]
    assert ok(admin.get(f"/v1/customers/{cid}"))["id"] == cid
    assert ok(admin.get("/v1/verify"))["ok"] is True


def test_history_as_csv(key: KeyFactory) -> None:
    admin = key()
    cid = enrolled(admin)
    ok(admin.post("/v1/events", {"type": "purchase", "customer_id": cid, "order_id": f"o-{cid}",
                                 "amount": 10_000, "currency": "USD"}))  # fmt: skip
    answer = admin.get(f"/v1/customers/{cid}/export", params={"format": "csv"})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert rows and rows[0]["account"] == "points" and int(rows[0]["amount"]) > 0
    assert set(rows[0]) == {"account", "asset", "transaction_id", "posting_index",
                            "effective_at", "amount"}  # fmt: skip


@pytest.mark.parametrize("role", ["auditor", "approver", "ingest"])
def test_only_support_and_admins_reach_personal_data(key: KeyFactory, role: str) -> None:
    admin, other = key(), key(role)
    cid = enrolled(admin)
    url = f"/v1/customers/{cid}/personal-data"
    ok(admin.put(url, person(email())))
    for answer in (other.get(url), other.put(url, person(email())),
                   other.delete(url, headers=fresh()), other.get(f"/v1/customers/{cid}/export"),
                   other.post("/v1/customers:lookup", {"email": "a@example.com"})):  # fmt: skip
        problem(answer, 403, "forbidden")


def test_refusals_name_the_field_never_the_value(key: KeyFactory) -> None:
    admin = key()
    cid = enrolled(admin)
    url = f"/v1/customers/{cid}/personal-data"
    secret = "kj-at-nasa-dot-gov"
    for body, field in [({"email": secret}, "email"), ({"name": "x" * 201}, "name"),
                        ({"date_of_birth": "26/08/1968"}, "date_of_birth"),
                        ({"phone": "call Katherine"}, "phone")]:  # fmt: skip
        refused = problem(admin.put(url, body), 400, "invalid_personal_data")
        assert field in refused["detail"]
        for value in body.values():
            assert value not in str(refused)
    refused = problem(admin.put(url, {"ssn": "123-45-6789"}), 400, "invalid_request")
    assert "123-45-6789" not in str(refused)
    problem(admin.put(url, {"name": 12}), 400, "invalid_request")
    problem(admin.post("/v1/customers:lookup", {"email": secret}), 400, "invalid_personal_data")
    problem(admin.get(url), 404, "no_personal_data")
    problem(admin.delete(url), 400, "invalid_request")  # an erasure needs an Idempotency-Key
    problem(admin.get("/v1/customers/cus_nobody/personal-data"), 404, "unknown_customer")
    problem(admin.get("/v1/customers/cus_nobody/export"), 404, "unknown_customer")


def test_one_email_one_customer(key: KeyFactory) -> None:
    admin = key()
    first, second, address = enrolled(admin), enrolled(admin), email()
    ok(admin.put(f"/v1/customers/{first}/personal-data", person(address)))
    refused = problem(admin.put(f"/v1/customers/{second}/personal-data", person(address)),
                      409, "email_in_use")  # fmt: skip
    assert address not in str(refused)


def test_the_request_log_carries_no_personal_data(
    key: KeyFactory, caplog: pytest.LogCaptureFixture
) -> None:
    admin = key()
    cid, address = enrolled(admin), email()
    with caplog.at_level(logging.DEBUG):
        ok(admin.put(f"/v1/customers/{cid}/personal-data", person(address)))
        ok(admin.get(f"/v1/customers/{cid}/personal-data"))
        ok(admin.post("/v1/customers:lookup", {"email": address}))
        admin.put(f"/v1/customers/{cid}/personal-data", {"email": "broken " + address})
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert caplog.records
    for text in (NAME, address, address.lower(), "Langley", "555 0199", "1968-08-26"):
        assert text not in logged
