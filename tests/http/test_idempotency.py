"""The Idempotency-Key header: a retry replays the stored answer (marked
``Idempotent-Replayed``), another request under the key is 422, a retry while the
first is still running is 409, a server failure frees the key, an abandoned claim is
taken over after its lease, and keys are per tenant."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import Any, cast

import pytest
from pydantic import TypeAdapter

from punchcard.adapters.postgres.api import IdempotencyStore
from punchcard.domain.access import Principal
from punchcard.domain.errors import TransientError
from punchcard.entrypoints.http import idempotency
from punchcard.entrypoints.http.routes import events
from punchcard.entrypoints.http.schemas import Event
from punchcard.service_layer.loyalty.batch import apply
from punchcard.service_layer.loyalty.facade import Loyalty
from tests.conftest import setup_programme
from tests.http.answers import fresh, problem
from tests.http.conftest import Caller, KeyFactory

REPLAYED = idempotency.REPLAYED.lower()


def enrol(caller: Caller) -> str:
    made = caller.post("/v1/customers", {"external_ref": f"shop-{uuid.uuid4().hex[:12]}"})
    assert made.status_code == 201, made.text
    customer: str = made.json()["id"]
    return customer


def purchase(customer: str, order: str = "o-1", amount: int = 10_000) -> dict[str, Any]:
    return {"type": "purchase", "customer_id": customer, "order_id": order, "amount": amount,
            "currency": "USD"}  # fmt: skip


def available(loyalty: Loyalty, caller: Caller, customer: str) -> int:
    return loyalty.balance(caller.tenant, customer).available


# -- replay and reuse ------------------------------------------------------------------


def test_a_replay_is_the_stored_answer_marked_replayed(key: KeyFactory, loyalty: Loyalty) -> None:
    admin = key()
    headers = fresh()
    first = admin.post("/v1/customers", {"external_ref": "shop-1"}, headers=headers)
    assert (first.status_code, first.headers.get(REPLAYED)) == (201, None)
    alice = first.json()["id"]
    earned = admin.post("/v1/events", purchase(alice), headers=headers)
    problem(earned, 422, "idempotency_key_reused")  # one key, one request: even another path
    again = admin.post("/v1/customers", {"external_ref": "shop-1"}, headers=headers)
    assert (again.status_code, again.headers[REPLAYED]) == (201, "true")
    assert again.headers["content-type"] == "application/json"
    assert again.json() == first.json()
    assert available(loyalty, admin, alice) == 0


def test_a_refusal_is_stored_and_replayed_too(key: KeyFactory, loyalty: Loyalty) -> None:
    admin = key()
    alice = enrol(admin)
    headers = fresh()
    redeem = {"option": "product", "points": 600}
    refused = admin.post(f"/v1/customers/{alice}/redemptions", redeem, headers=headers)
    problem(refused, 422, "insufficient_points")
    admin.post("/v1/events", purchase(alice, amount=100_000))
    again = admin.post(f"/v1/customers/{alice}/redemptions", redeem, headers=headers)
    problem(again, 422, "insufficient_points")
    assert (again.headers[REPLAYED], again.json()) == ("true", refused.json())
    assert available(loyalty, admin, alice) == 1000  # the retry spent nothing
    spent = admin.post(f"/v1/customers/{alice}/redemptions", redeem, headers=fresh())
    assert spent.status_code == 200, spent.text


@pytest.mark.parametrize(
    ("path", "body", "changed"),
    [
        ("/v1/customers", {"external_ref": "shop-1"}, {"external_ref": "shop-2"}),
        ("/v1/events", purchase("{a}"), purchase("{a}", amount=10_001)),
        ("/v1/events", purchase("{a}"), purchase("{a}", order="o-2")),
        ("/v1/events:batch", {"events": [purchase("{a}")]},
         {"events": [purchase("{a}"), purchase("{a}", order="o-2")]}),
        ("/v1/adjustments", {"customer_id": "{a}", "points": 5, "reason": "goodwill"},
         {"customer_id": "{a}", "points": 5, "reason": "goodwill!"}),
    ],
)  # fmt: skip
def test_the_same_key_for_another_body_is_422_and_does_nothing(
    key: KeyFactory, loyalty: Loyalty, path: str, body: dict[str, Any], changed: dict[str, Any]
) -> None:
    admin = key()
    alice = enrol(admin)

    def fill(document: dict[str, Any]) -> Any:
        return json.loads(json.dumps(document).replace("{a}", alice))

    headers = fresh()
    first = admin.post(path, fill(body), headers=headers)
    assert first.status_code in (200, 201), first.text
    before = available(loyalty, admin, alice), admin.get("/v1/adjustments").json()
    found = problem(admin.post(path, fill(changed), headers=headers), 422, "idempotency_key_reused")
    assert headers["Idempotency-Key"] in found["detail"]
    assert found["title"] == "This Idempotency-Key was already used for a different request."
    assert (available(loyalty, admin, alice), admin.get("/v1/adjustments").json()) == before
    assert admin.post(path, fill(body), headers=headers).headers[REPLAYED] == "true"


def test_another_key_of_the_tenant_never_gets_someone_elses_answer(
    key: KeyFactory, loyalty: Loyalty
) -> None:
    first, second = key("ingest"), key("ingest")
    alice = enrol(key())
    headers = fresh()
    assert first.post("/v1/events", purchase(alice), headers=headers).status_code == 200
    problem(second.post("/v1/events", purchase(alice), headers=headers), 422,
            "idempotency_key_reused")  # fmt: skip
    assert available(loyalty, first, alice) == 100


@pytest.mark.parametrize("bad", ["has space", "x" * 256, "tab\there", "del\x7f", ""])
def test_a_malformed_key_is_400_and_nothing_runs(
    key: KeyFactory, loyalty: Loyalty, bad: str
) -> None:
    admin = key()
    alice = enrol(admin)
    response = admin.post("/v1/events", purchase(alice), headers={"Idempotency-Key": bad})
    problem(response, 400, "invalid_idempotency_key")
    assert available(loyalty, admin, alice) == 0


# -- in flight, failures, abandoned claims ---------------------------------------------


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[threading.Event, threading.Event]]:
    """Make ``POST /v1/events`` wait inside its use case: (started, release)."""
    started, release = threading.Event(), threading.Event()
    real = apply

    def slow(loyalty: Loyalty, command: Any) -> Any:
        started.set()
        assert release.wait(timeout=30), "the test never released the first request"
        return real(loyalty, command)

    monkeypatch.setattr(events, "apply", slow)
    yield started, release
    release.set()


def test_a_retry_while_the_first_is_running_is_409(
    key: KeyFactory, loyalty: Loyalty, gate: tuple[threading.Event, threading.Event]
) -> None:
    started, release = gate
    ingest = key("ingest")
    alice = enrol(key())
    headers = fresh()
    with ThreadPoolExecutor(max_workers=1) as pool:
        first = pool.submit(ingest.post, "/v1/events", purchase(alice), headers=headers)
        assert started.wait(timeout=30)
        busy = problem(ingest.post("/v1/events", purchase(alice), headers=headers), 409,
                       "idempotency_key_in_flight")  # fmt: skip
        assert "still being processed" in busy["detail"]
        other = ingest.post("/v1/events", purchase(alice, amount=1), headers=headers)
        problem(other, 422, "idempotency_key_reused")  # another request is still 422
        release.set()
        done = first.result(timeout=30)
    assert (done.status_code, done.json()["points"]) == (200, 100), done.text
    again = ingest.post("/v1/events", purchase(alice), headers=headers)
    assert (again.headers[REPLAYED], again.json()) == ("true", done.json())
    assert available(loyalty, ingest, alice) == 100


def claim(loyalty: Loyalty, caller: Caller, path: str, body: Any, key: str) -> None:
    """Claim ``key`` as the first attempt of this request does, and never finish it."""
    request = SimpleNamespace(method="POST", url=SimpleNamespace(path=path))
    principal = Principal(caller.tenant, caller.key_id, frozenset(), 1)
    print_ = idempotency.fingerprint(cast(Any, request), principal, body)
    with loyalty.ledger.database.connection() as conn:
        assert IdempotencyStore(conn).claim(caller.tenant, key, print_, idempotency.LEASE)
        conn.commit()


def test_an_abandoned_claim_is_taken_over_after_its_lease(
    key: KeyFactory, loyalty: Loyalty
) -> None:
    ingest = key("ingest")
    alice = enrol(key())
    headers = fresh()
    event = purchase(alice)
    claim(loyalty, ingest, "/v1/events", TypeAdapter(Event).validate_python(event),
          headers["Idempotency-Key"])  # fmt: skip
    problem(ingest.post("/v1/events", event, headers=headers), 409, "idempotency_key_in_flight")
    assert available(loyalty, ingest, alice) == 0
    with loyalty.ledger.database.connection() as conn:  # the first attempt's server died
        conn.execute(
            "UPDATE punchcard.http_idempotency SET updated_at = now() - %s"
            " WHERE tenant_id = %s AND key = %s",
            (idempotency.LEASE * 2, ingest.tenant, headers["Idempotency-Key"]),
        )
        conn.commit()
    taken = ingest.post("/v1/events", event, headers=headers)
    assert (taken.status_code, taken.headers.get(REPLAYED)) == (200, None), taken.text
    assert ingest.post("/v1/events", event, headers=headers).headers[REPLAYED] == "true"
    assert available(loyalty, ingest, alice) == 100


Failure = Callable[[], Exception]


@pytest.mark.parametrize(
    ("failure", "status", "code"),
    [(lambda: RuntimeError("the disk caught fire"), 500, "internal_error"),
     (lambda: TransientError("the database went away"), 503, "transient_error")],
)  # fmt: skip
def test_a_server_failure_frees_the_key_for_a_retry(
    key: KeyFactory,
    loyalty: Loyalty,
    monkeypatch: pytest.MonkeyPatch,
    failure: Failure,
    status: int,
    code: str,
) -> None:
    ingest = key("ingest")
    alice = enrol(key())
    real, failures = apply, [failure()]

    def flaky(loyalty: Loyalty, command: Any) -> Any:
        if failures:
            raise failures.pop()
        return real(loyalty, command)

    monkeypatch.setattr(events, "apply", flaky)
    headers = fresh()
    problem(ingest.post("/v1/events", purchase(alice), headers=headers), status, code)
    retried = ingest.post("/v1/events", purchase(alice), headers=headers)
    assert (retried.status_code, retried.headers.get(REPLAYED)) == (200, None), retried.text
    assert ingest.post("/v1/events", purchase(alice), headers=headers).headers[REPLAYED] == "true"
    assert available(loyalty, ingest, alice) == 100


# -- per tenant ------------------------------------------------------------------------


def test_keys_are_per_tenant(key: KeyFactory, loyalty: Loyalty) -> None:
    ours = key()
    theirs = key(tenant=setup_programme(loyalty))
    alice, bob = enrol(ours), enrol(theirs)
    headers = {"Idempotency-Key": "order-sync-0001"}
    answers = []
    for caller, customer, amount in ((ours, alice, 10_000), (theirs, bob, 25_000)):
        first = caller.post("/v1/events", purchase(customer, amount=amount), headers=headers)
        assert (first.status_code, first.headers.get(REPLAYED)) == (200, None), first.text
        answers.append(first.json())
    assert [a["points"] for a in answers] == [100, 250]
    for caller, customer, amount, answered in zip(
        (ours, theirs), (alice, bob), (10_000, 25_000), answers, strict=True
    ):
        again = caller.post("/v1/events", purchase(customer, amount=amount), headers=headers)
        assert (again.headers[REPLAYED], again.json()) == ("true", answered)
    assert (available(loyalty, ours, alice), available(loyalty, theirs, bob)) == (100, 250)
