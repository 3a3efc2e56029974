"""Invariant 9 over a whole scenario: a customer's personal data goes into the vault
through the API, the customer earns, redeems, is refunded, adjusted and erased,
and every event is delivered to a webhook receiver. Then every text, jsonb and
bytea column of the database (the outbox included), every webhook body and every
log record is searched for the plaintext: none holds it."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from punchcard.adapters.crypto.keyfile import FileKeyProvider
from punchcard.adapters.postgres.database import Database
from punchcard.entrypoints.http.app import create_app
from punchcard.service_layer import webhooks
from punchcard.service_layer.ledger import Ledger
from punchcard.service_layer.loyalty.facade import Loyalty
from punchcard.service_layer.privacy import Vault
from tests.conftest import setup_programme
from tests.http.answers import fresh, ok
from tests.integration.test_vault import scan
from tests.receiver import receiver

NAME, PHONE, BIRTH, STREET = "Dorothy Vaughan", "+1 757 555 0142", "1910-09-20", "Mulberry Ln"


def test_no_plaintext_anywhere_after_a_full_scenario(
    fresh_database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    email = f"dorothy.{uuid.uuid4().hex[:6]}@example.org"
    database = Database(fresh_database_url, pool_size=4)
    loyalty = Loyalty(Ledger(database))
    tenant = setup_programme(loyalty)
    app = create_app(loyalty, Vault(loyalty, FileKeyProvider(tmp_path / "keys.json")))
    keys = app.state.services.keys
    _, token = keys.create(tenant, name="admin", roles_=("admin",), created_by="tests")
    _, other = keys.create(tenant, name="checker", roles_=("approver",), created_by="tests")
    auth = {"Authorization": f"Bearer {token}"}
    checker = {"Authorization": f"Bearer {other}"}
    try:
        with receiver() as hook, TestClient(app) as api, caplog.at_level(logging.DEBUG):

            def post(path: str, body: object, headers: dict[str, str] = auth) -> object:
                return ok(api.post(path, json=body, headers={**headers, **fresh()}))

            post("/v1/webhooks/endpoints", {"url": hook.url})
            cid = str(post("/v1/customers", {"external_ref": "crm-8812"})["id"])  # type: ignore[index]
            pii = {"name": NAME, "email": email, "phone": PHONE, "date_of_birth": BIRTH,
                   "address": f"3 {STREET}, Hampton", "attributes": {"pet": "Rosie"}}  # fmt: skip
            ok(api.put(f"/v1/customers/{cid}/personal-data", json=pii, headers=auth))
            post("/v1/customers:lookup", {"email": email})
            post("/v1/events", {"type": "purchase", "customer_id": cid, "order_id": "o-1",
                                "amount": 1000_00, "currency": "USD"})  # fmt: skip
            post(f"/v1/customers/{cid}/redemptions", {"option": "product", "points": 500})
            post("/v1/events", {"type": "refund", "order_id": "o-1", "refund_id": "rf-1",
                                "amount": 200_00})  # fmt: skip
            asked = post("/v1/adjustments", {"customer_id": cid, "points": 25,
                                             "reason": "late delivery"})  # fmt: skip
            post(f"/v1/adjustments/{asked['id']}/approve", {}, checker)  # type: ignore[index]
            ok(api.get(f"/v1/customers/{cid}/export", headers=auth))
            ok(api.delete(f"/v1/customers/{cid}/personal-data", headers={**auth, **fresh()}))
            while webhooks.dispatch(loyalty):
                pass
            bodies = [r.body.decode() for r in hook.received]
            logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    finally:
        database.close()

    assert len(bodies) >= 7  # enrolled, earned, redeemed, refunded, adjustment x2, erased
    assert any('"customer.erased"' in body for body in bodies)
    assert any(cid in body for body in bodies)  # the pseudonym is there
    needles = [NAME, "Vaughan", email, email.partition("@")[0], PHONE, "555 0142", BIRTH, STREET,
               "Rosie"]  # fmt: skip
    assert scan(fresh_database_url, needles) == []
    for needle in needles:
        assert not [body for body in bodies if needle in body], needle
        assert needle not in logged, needle
