"""The Idempotency-Key header on every write (IETF httpapi idempotency-key draft).

The first request with a key claims it (a committed row) before it runs; its
response is stored when it finishes. A retry with the same key and the same
request gets the stored response back, marked ``Idempotent-Replayed: true``;
the same key with a different request is 422; a retry while the first is still
running is 409. A failure of the server (5xx) releases the key, so the retry
runs afresh; a claim abandoned by a crash is taken over after ``LEASE``. Keys
are per tenant and kept for ``RETENTION`` (at least 24 hours).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from punchcard.adapters.postgres.api import IdempotencyStore
from punchcard.adapters.postgres.database import Database
from punchcard.domain import validation
from punchcard.domain.access import Principal
from punchcard.domain.errors import Conflict, PunchcardError
from punchcard.entrypoints.http.problems import PROBLEM, TYPE_BASE
from punchcard.service_layer.ledger import utc_now

LEASE = timedelta(seconds=60)
RETENTION = timedelta(hours=48)
REPLAYED = "Idempotent-Replayed"


class IdempotencyKeyReused(Conflict):
    """This Idempotency-Key was already used for a different request."""

    code = "idempotency_key_reused"
    http_status = 422


class IdempotencyKeyInFlight(Conflict):
    """A request with this Idempotency-Key is still being processed; retry shortly."""

    code = "idempotency_key_in_flight"
    http_status = 409


def fingerprint(request: Request, caller: Principal, body: Any) -> bytes:
    """What a key is bound to: the caller's API key, the method, the path, the body.
    Another key reusing an Idempotency-Key is a different request (422), never a
    replay of someone else's answer."""
    encoded = (
        body.model_dump(mode="json", by_alias=True)  # what jsonable_encoder gives, 30x sooner
        if isinstance(body, BaseModel)
        else jsonable_encoder(body)
    )
    document = {"key": caller.key_id, "method": request.method, "path": request.url.path,
                "body": encoded}  # fmt: skip
    encoded = json.dumps(document, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(encoded).digest()


class Idempotency:
    def __init__(self, database: Database) -> None:
        self._database = database

    def respond(
        self,
        request: Request,
        caller: Principal,
        body: Any,
        handler: Callable[[], Any],
        *,
        status: int = 200,
        encoded: bool = False,
    ) -> JSONResponse:
        """Run ``handler`` (a use case) once per Idempotency-Key and answer with its
        result as JSON, or with the stored answer of the first run. ``encoded``: the
        handler returns JSON values already (no second walk through them)."""

        def run() -> Any:
            return handler() if encoded else jsonable_encoder(handler())

        key = request.headers.get("idempotency-key")
        if key is None:
            return JSONResponse(run(), status_code=status)
        validation.idempotency_key(key)
        tenant, print_ = caller.tenant, fingerprint(request, caller, body)
        with self._database.connection() as conn:
            store = IdempotencyStore(conn)
            claimed = store.claim(tenant, key, print_, LEASE)
            record = None if claimed else store.record(tenant, key)
            conn.commit()
        if not claimed:
            return self._replay(key, print_, record)
        try:
            payload, code = run(), status
        except PunchcardError as exc:
            if exc.http_status >= 500:
                self._release(tenant, key)
                raise
            payload, code = _problem(exc, request.url.path), exc.http_status
        except BaseException:
            self._release(tenant, key)
            raise
        with self._database.connection() as conn:
            IdempotencyStore(conn).finish(tenant, key, code, payload)
            conn.commit()
        media = PROBLEM if code >= 400 else "application/json"
        return JSONResponse(payload, status_code=code, media_type=media)

    def _replay(
        self, key: str, print_: bytes, record: tuple[bytes, str, int | None, Any] | None
    ) -> JSONResponse:
        if record is None:  # released between our claim and our read: ask for a retry
            raise IdempotencyKeyInFlight(f"Idempotency-Key {key!r} is being processed")
        stored, state, code, payload = record
        if stored != print_:
            raise IdempotencyKeyReused(
                f"Idempotency-Key {key!r} was already used for a different request"
            )
        if state != "done" or code is None:
            raise IdempotencyKeyInFlight(
                f"a request with Idempotency-Key {key!r} is still being processed"
            )
        media = PROBLEM if code >= 400 else "application/json"
        return JSONResponse(payload, status_code=code, media_type=media,
                            headers={REPLAYED: "true"})  # fmt: skip

    def _release(self, tenant: str, key: str) -> None:
        with self._database.connection() as conn:
            IdempotencyStore(conn).release(tenant, key)
            conn.commit()

    def forget_old(self) -> int:
        with self._database.connection() as conn:
            removed = IdempotencyStore(conn).forget(utc_now() - RETENTION)
            conn.commit()
        return removed


def _problem(exc: PunchcardError, instance: str) -> dict[str, Any]:
    title = (type(exc).__doc__ or exc.code).strip().splitlines()[0]
    return {"type": TYPE_BASE + exc.code, "title": title, "status": exc.http_status,
            "detail": exc.message, "instance": instance, "code": exc.code}  # fmt: skip
