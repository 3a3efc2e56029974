"""Errors as RFC 9457 problem details (``application/problem+json``).

Every ``PunchcardError`` carries its HTTP status and a stable code; the code
becomes the problem ``type`` (``https://punchcard.dev/problems/<code>``) and is
repeated as ``code`` for clients that switch on it. Request validation failures
are ``invalid_request`` (400) with every field problem listed.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from punchcard.domain.access import RateLimited
from punchcard.domain.errors import PunchcardError

PROBLEM = "application/problem+json"
TYPE_BASE = "https://punchcard.dev/problems/"
log = logging.getLogger("punchcard.http")


def problem(
    status: int, code: str, title: str, detail: str, instance: str, **extra: Any
) -> JSONResponse:
    body = {"type": TYPE_BASE + code, "title": title, "status": status, "detail": detail,
            "instance": instance, "code": code, **extra}  # fmt: skip
    headers = {}
    if "retry_after" in extra:
        headers["Retry-After"] = str(extra["retry_after"])
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def _title(exc: PunchcardError) -> str:
    return (type(exc).__doc__ or exc.code).strip().splitlines()[0]


async def on_punchcard_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, PunchcardError)
    request.state.error_code = exc.code
    details = {k: v for k, v in exc.details.items() if isinstance(v, str | int | bool)}
    if isinstance(exc, RateLimited):
        details.setdefault("retry_after", 1)
    if exc.http_status >= 500:
        log.error("request failed", extra={"code": exc.code})
    return problem(exc.http_status, exc.code, _title(exc), exc.message, request.url.path,
                   **details)  # fmt: skip


async def on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    request.state.error_code = "invalid_request"
    errors = [
        {"field": ".".join(str(part) for part in error["loc"]), "message": error["msg"]}
        for error in exc.errors()
    ]
    first = errors[0] if errors else {"field": "body", "message": "invalid"}
    detail = f"{first['field']}: {first['message']}"
    if len(errors) > 1:
        detail += f" (and {len(errors) - 1} more)"
    return problem(400, "invalid_request", "The request is not valid.", detail,
                   request.url.path, errors=errors)  # fmt: skip


async def on_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}.get(
        exc.status_code, "http_error"
    )
    request.state.error_code = code
    return problem(exc.status_code, code, str(exc.detail), str(exc.detail), request.url.path)


async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    request.state.error_code = "internal_error"
    log.exception("unexpected error", exc_info=exc)
    detail = "the server failed; the request id in the logs finds it"
    return problem(500, "internal_error", "Internal error.", detail, request.url.path)


def install(app: FastAPI) -> None:
    app.add_exception_handler(PunchcardError, on_punchcard_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(Exception, on_unexpected)
