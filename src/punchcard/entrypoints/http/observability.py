"""Request ids, structured JSON logs and Prometheus metrics.

Every response carries ``X-Request-Id`` (the caller's, if it sent a sane one).
Each request is logged once as a JSON line: request id, method, route, status,
duration, tenant and key id, error code. Never a body, a header value or a
customer's data. Metrics are per route template, never per raw path.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from fastapi import FastAPI, Response
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from pythonjsonlogger.json import JsonFormatter
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from punchcard.entrypoints.http.problems import problem

REQUEST_ID_RE = re.compile(r"[A-Za-z0-9._-]{1,64}")
MAX_BODY_BYTES = 1_000_000
log = logging.getLogger("punchcard.http")


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "punchcard_http_requests", "HTTP requests", ["route", "method", "status"],
            registry=self.registry,
        )  # fmt: skip
        self.latency = Histogram(
            "punchcard_http_request_seconds", "HTTP request latency", ["route", "method"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )  # fmt: skip
        self.errors = Counter(
            "punchcard_http_errors", "Error responses by code", ["code"], registry=self.registry
        )
        self.replays = Counter(
            "punchcard_idempotent_replays", "Responses replayed for an Idempotency-Key",
            registry=self.registry,
        )  # fmt: skip
        self.writes = Counter(
            "punchcard_ledger_writes", "Successful write requests", ["route"],
            registry=self.registry,
        )  # fmt: skip

    def exposition(self) -> Response:
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)


def configure_logging(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger("punchcard")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


def install(app: FastAPI, metrics: Metrics) -> None:
    app.add_middleware(Observe, metrics=metrics)


class Observe:
    """Request id, size limits, metrics and the log line, as plain ASGI middleware.

    Not ``@app.middleware("http")``: Starlette's BaseHTTPMiddleware runs the app in
    a task of its own and relays the body and the response through memory streams,
    which cost about as much CPU as a whole ``GET /healthz``.
    """

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        given = headers.get("x-request-id", "")
        request_id = given if REQUEST_ID_RE.fullmatch(given) else uuid.uuid4().hex
        state: dict[str, Any] = scope.setdefault("state", {})
        state["request_id"] = request_id
        length = headers.get("content-length")
        refusal: Response | None = None
        if length is not None and length.isdigit() and int(length) > MAX_BODY_BYTES:
            refusal = problem(
                413, "payload_too_large", "The request body is too large.",
                f"a request body is at most {MAX_BODY_BYTES:,} bytes", scope["path"],
            )  # fmt: skip
        elif length is None and "chunked" in headers.get("transfer-encoding", "").lower():
            # the size limit is checked on Content-Length, so a body must declare one
            refusal = problem(
                411, "length_required", "The request needs a Content-Length.",
                "send the body with a Content-Length header, not chunked", scope["path"],
            )  # fmt: skip
        if refusal is not None:
            refusal.headers["X-Request-Id"] = request_id
            await refusal(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        replayed = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, replayed
            if message["type"] == "http.response.start":
                status = message["status"]
                response_headers = MutableHeaders(scope=message)
                replayed = response_headers.get("idempotent-replayed") == "true"
                response_headers["X-Request-Id"] = request_id
            await send(message)

        await self.app(scope, receive, send_with_id)
        elapsed = time.perf_counter() - started
        method = scope["method"]
        route = getattr(scope.get("route"), "path", "unmatched")
        metrics = self.metrics
        metrics.requests.labels(route, method, str(status)).inc()
        metrics.latency.labels(route, method).observe(elapsed)
        code = state.get("error_code")
        if code:
            metrics.errors.labels(code).inc()
        if replayed:
            metrics.replays.inc()
        elif method in ("POST", "PUT", "PATCH", "DELETE") and status < 300:
            metrics.writes.labels(route).inc()
        log.info("request", extra={
            "request_id": request_id, "method": method, "route": route,
            "status": status, "ms": round(elapsed * 1000, 2),
            "tenant": state.get("tenant"), "key_id": state.get("key_id"), "code": code,
        })  # fmt: skip
