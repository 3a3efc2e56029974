"""What the HTTP tests expect of an answer: a success's body, a problem document,
a fresh Idempotency-Key, a time as the API writes it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any


def fresh() -> dict[str, str]:
    """A new Idempotency-Key header."""
    return {"Idempotency-Key": f"k-{uuid.uuid4().hex}"}


def ok(response: Any) -> Any:
    """The body of a 200, 201 or 204 (None for an empty one)."""
    assert response.status_code in (200, 201, 204), response.text
    return response.json() if response.content else None


def problem(response: Any, status: int, code: str) -> dict[str, Any]:
    """The RFC 9457 problem document of a refusal with this status and code."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert (body["code"], body["status"]) == (code, status), body
    assert body["type"] == f"https://punchcard.dev/problems/{code}"
    return body


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
