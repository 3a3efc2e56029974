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
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from pythonjsonlogger.json import JsonFormatter

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
    @app.middleware("http")
    async def observe(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        given = request.headers.get("x-request-id", "")
        request_id = given if REQUEST_ID_RE.fullmatch(given) else uuid.uuid4().hex
        request.state.request_id = request_id
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > MAX_BODY_BYTES:
            response: Response = problem(
                413, "payload_too_large", "The request body is too large.",
                f"a request body is at most {MAX_BODY_BYTES:,} bytes", request.url.path,
            )  # fmt: skip
        elif length is None and "chunked" in request.headers.get("transfer-encoding", "").lower():
            # the size limit is checked on Content-Length, so a body must declare one
            response = problem(
                411, "length_required", "The request needs a Content-Length.",
                "send the body with a Content-Length header, not chunked", request.url.path,
            )  # fmt: skip
        else:
            started = time.perf_counter()
            response = await call_next(request)
            elapsed = time.perf_counter() - started
            route = getattr(request.scope.get("route"), "path", "unmatched")
            metrics.requests.labels(route, request.method, str(response.status_code)).inc()
            metrics.latency.labels(route, request.method).observe(elapsed)
            code = getattr(request.state, "error_code", None)
            if code:
                metrics.errors.labels(code).inc()
            if response.headers.get("idempotent-replayed") == "true":
                metrics.replays.inc()
            elif (
                request.method in ("POST", "PUT", "PATCH", "DELETE") and response.status_code < 300
            ):
                metrics.writes.labels(route).inc()
            log.info("request", extra={
                "request_id": request_id, "method": request.method, "route": route,
                "status": response.status_code, "ms": round(elapsed * 1000, 2),
                "tenant": getattr(request.state, "tenant", None),
                "key_id": getattr(request.state, "key_id", None), "code": code,
            })  # fmt: skip
        response.headers["X-Request-Id"] = request_id
        return response
