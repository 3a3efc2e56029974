"""API keys and the Idempotency-Key store, in PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from psycopg.types.json import Jsonb

from punchcard.adapters.postgres.errors import translated
from punchcard.adapters.postgres.queries import query
from punchcard.adapters.postgres.types import Connection
from punchcard.domain.access import ApiKey, roles


def _key(row: Sequence[Any]) -> tuple[ApiKey, bytes]:
    id, tenant, name, secret_hash, role_names, rate_limit, created_at, by, revoked_at = row
    key = ApiKey(id, tenant, name, roles(role_names), rate_limit, created_at, by, revoked_at)
    return key, bytes(secret_hash)


class ApiKeyStore:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, key: ApiKey, secret_hash: bytes) -> None:
        with translated():
            self._conn.execute(
                query("insert_api_key"),
                {"id": key.id, "tenant": key.tenant, "name": key.name,
                 "secret_hash": secret_hash, "roles": sorted(r.value for r in key.roles),
                 "rate_limit": key.rate_limit, "by": key.created_by},
            )  # fmt: skip

    def get(self, key_id: str) -> tuple[ApiKey, bytes] | None:
        row = self._conn.execute(query("api_key"), {"id": key_id}).fetchone()
        return None if row is None else _key(row)

    def all(self, tenant: str) -> list[ApiKey]:
        return [_key(row)[0] for row in self._conn.execute(query("api_keys"), {"tenant": tenant})]

    def revoke(self, tenant: str, key_id: str, at: datetime) -> bool:
        cursor = self._conn.execute(
            query("revoke_api_key"), {"tenant": tenant, "id": key_id, "at": at}
        )
        return cursor.rowcount == 1


class IdempotencyStore:
    """Each call is its own committed statement: a claim must be visible to a retry
    running beside the first attempt."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def claim(self, tenant: str, key: str, fingerprint: bytes, lease: timedelta) -> bool:
        row = self._conn.execute(
            query("claim_idempotency_key"),
            {"tenant": tenant, "key": key, "fingerprint": fingerprint,
             "lease": f"{int(lease.total_seconds())} seconds"},
        ).fetchone()  # fmt: skip
        return row is not None

    def record(self, tenant: str, key: str) -> tuple[bytes, str, int | None, Any] | None:
        row = self._conn.execute(
            query("idempotency_record"), {"tenant": tenant, "key": key}
        ).fetchone()
        if row is None:
            return None
        fingerprint, state, status, body = row
        return bytes(fingerprint), state, status, body

    def finish(self, tenant: str, key: str, status: int, body: Any) -> None:
        self._conn.execute(
            query("finish_idempotency_key"),
            {"tenant": tenant, "key": key, "status": status, "body": Jsonb(body)},
        )

    def release(self, tenant: str, key: str) -> None:
        self._conn.execute(query("release_idempotency_key"), {"tenant": tenant, "key": key})

    def forget(self, before: datetime) -> int:
        return self._conn.execute(query("forget_idempotency_keys"), {"before": before}).rowcount
