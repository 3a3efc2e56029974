"""The operation log: each loyalty call claims its idempotency key before doing any
work, and stores its result in the same transaction for replays."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from psycopg.types.json import Jsonb

from punchcard.adapters.postgres.errors import translated
from punchcard.adapters.postgres.queries import query
from punchcard.adapters.postgres.types import Connection
from punchcard.domain.errors import IdempotencyConflict, UnknownTransaction
from punchcard.domain.validation import JsonValue


@dataclass(frozen=True, slots=True)
class Claimed:
    id: int


@dataclass(frozen=True, slots=True)
class Replay:
    id: int
    result: dict[str, Any]


class OperationLog:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def claim(self, tenant: str, key: str, kind: str, fingerprint: bytes) -> Claimed | Replay:
        params = {"tenant": tenant, "key": key, "kind": kind, "request_hash": fingerprint}
        with translated():
            row = self._conn.execute(query("claim_operation"), params).fetchone()
        if row is not None:
            return Claimed(row[0])
        found = self._conn.execute(
            query("operation_by_key"), {"tenant": tenant, "key": key}
        ).fetchone()
        assert found is not None  # ON CONFLICT only skips a committed row
        op_id, stored_kind, stored_hash, result = found
        if stored_kind != kind or bytes(stored_hash) != fingerprint:
            raise key_taken(key, stored_kind, op_id)
        assert result is not None  # written in the same transaction as the claim
        return Replay(op_id, result)

    def finish(
        self,
        tenant: str,
        op_id: int,
        result: dict[str, JsonValue],
        inputs: dict[str, JsonValue] | None = None,
    ) -> None:
        self._conn.execute(
            query("finish_operation"),
            {"tenant": tenant, "id": op_id, "result": Jsonb(result),
             "inputs": None if inputs is None else Jsonb(inputs)},
        )  # fmt: skip

    def inputs(self, tenant: str, op_id: int) -> tuple[str, dict[str, Any] | None, dict[str, Any]]:
        """An operation's kind, what it was computed from, and its result."""
        row = self._conn.execute(
            query("operation_inputs"), {"tenant": tenant, "id": op_id}
        ).fetchone()
        if row is None:
            raise UnknownTransaction(f"operation {op_id} does not exist")
        kind, inputs, result = row
        return kind, inputs, result


def key_taken(key: str, stored_kind: str, op_id: int) -> IdempotencyConflict:
    """The error for a key already used by a different request."""
    return IdempotencyConflict(
        f"{_describe(key)} was already used for a different request ({stored_kind})",
        operation_id=op_id,
    )


def _describe(key: str) -> str:
    kind, _, value = key.partition(":")
    names = {"key": "idempotency key", "order": "order id", "event": "event id",
             "refund": "refund id"}  # fmt: skip
    return f"{names.get(kind, kind)} {value!r}"
