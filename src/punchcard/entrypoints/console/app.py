"""The operator console: server-rendered pages over the same services as the API.

    app.mount("/console", create_console(app.state.services))

Jinja2 templates, one small stylesheet, a vendored chart library and no build
step. Pages call the use cases the ``/v1`` routes call (the Loyalty facade,
Keys, the Vault, the finance, risk and analytics services) and never SQL of
their own. An expected error renders as a page naming its stable code, with the
HTTP status the API would answer, never a 500.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint

from punchcard.domain.errors import PunchcardError
from punchcard.entrypoints.console import (
    approvals,
    customer_actions,
    customers,
    dashboard,
    reports,
    rules,
    signin,
    webhooks,
)
from punchcard.entrypoints.console.session import Sessions, secret_from_env
from punchcard.entrypoints.console.web import Console, NotSignedIn, render
from punchcard.entrypoints.http.deps import Services

HERE = Path(__file__).parent
SECURITY_HEADERS = {
    # Everything the console loads is its own: no inline script, no CDN.
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class SecurityHeaders(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            if name == "Cache-Control" and request.url.path.startswith(f"{_root(request)}/static"):
                continue  # the stylesheet and scripts may be cached; pages may not
            response.headers.setdefault(name, value)
        return response


def _root(request: Request) -> str:
    return str(request.scope.get("root_path", ""))


def create_console(services: Services, *, secret: bytes | None = None) -> FastAPI:
    """The console app; ``secret`` seals sessions (default: PUNCHCARD_CONSOLE_SECRET,
    else random for this process)."""
    app = FastAPI(title="punchcard console", docs_url=None, redoc_url=None, openapi_url=None)
    templates = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    templates.filters["num"] = lambda n: "" if n is None else f"{n:,}"
    templates.filters["when"] = lambda t: "" if t is None else t.strftime("%Y-%m-%d %H:%M UTC")
    app.state.console = Console(services, Sessions(secret or secret_from_env()), templates)
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    pages = (signin, dashboard, customers, customer_actions, approvals, rules, reports, webhooks)
    for module in pages:
        app.include_router(module.router)
    _install_errors(app)
    return app


def _install_errors(app: FastAPI) -> None:
    @app.exception_handler(NotSignedIn)
    async def not_signed_in(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, NotSignedIn)
        suffix = "?expired=1" if exc.reason else ""
        return RedirectResponse(f"{_root(request)}/sign-in{suffix}", status_code=303)

    @app.exception_handler(PunchcardError)
    async def domain_error(request: Request, exc: Exception) -> HTMLResponse:
        assert isinstance(exc, PunchcardError)
        return render(request, "error.html", None, status=exc.http_status,
                      code=exc.code, message=exc.message)  # fmt: skip

    @app.exception_handler(RequestValidationError)
    async def invalid_form(request: Request, exc: Exception) -> HTMLResponse:
        assert isinstance(exc, RequestValidationError)
        fields = ", ".join(
            str(error["loc"][-1]) + ": " + str(error["msg"]) for error in exc.errors()
        )
        return render(request, "error.html", None, status=400, code="invalid_request",
                      message=f"The form is not valid ({fields}).")  # fmt: skip
