"""The API against its own OpenAPI document: schemathesis generates requests for
every operation from /openapi.json and checks that none is answered with a 5xx
and that every answer matches the schema the document gives for it.

Bounded: a few examples per operation, derandomized (the same requests every
run) and no shrinking, so the whole run stays short (no timed assertion: the bound is the
number of examples). Operations
with ids in their path mostly get 404s from made-up ids; a 404 is a fine answer.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import APIOperation
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.http.conftest import KeyFactory

EXAMPLES = 15
CHECKS = [not_a_server_error, response_schema_conformance]


def exercise(operation: APIOperation[Any, Any, Any, Any], headers: dict[str, str]) -> set[int]:
    """Send EXAMPLES generated requests to one operation; the statuses it answered."""
    statuses: set[int] = set()
    strategy = operation.as_strategy(generation_mode=GenerationMode.POSITIVE)

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(case=strategy)
    def one(case: Any) -> None:
        response = case.call(headers=headers)
        statuses.add(response.status_code)
        case.validate_response(response, checks=CHECKS, headers=headers)

    one()
    return statuses


def test_every_operation_answers_by_its_schema_and_never_with_a_5xx(
    client: TestClient, key: KeyFactory
) -> None:
    admin = key(rate_limit=100_000)  # every role, in a fresh tenant with the seed programme
    headers = {"Authorization": f"Bearer {admin.token}"}
    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
    results = list(schema.get_all_operations())
    operations = [result.ok() for result in results if isinstance(result, Ok)]
    assert len(operations) == len(results), "every operation in the document can be generated"

    assert len(operations) >= 10, [op.label for op in operations]
    failures: list[str] = []
    statuses: dict[str, set[int]] = {}
    for operation in operations:
        try:
            statuses[operation.label] = exercise(operation, headers)
        except Exception as exc:  # the report names the request and the check that failed
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)
    answered = {label for label, codes in statuses.items() if any(c < 300 for c in codes)}
    # the generated requests reach real work, not only refusals
    assert {"GET /v1/programme", "POST /v1/customers", "GET /v1/keys"} <= answered, statuses
