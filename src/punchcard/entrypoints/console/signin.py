"""Signing in and out with an API key.

The key is checked by ``Keys.authenticate``, as a bearer token is, and must hold
a reading role (operator, approver, auditor or admin): an ingest-only key has
nothing to look at here. The sign-in form has its CSRF token too, from a session
cookie that holds no key yet, so another site cannot sign a browser in as itself.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from punchcard.domain.access import Unauthenticated
from punchcard.entrypoints.console.session import check_csrf
from punchcard.entrypoints.console.web import Poster, State, redirect, render
from punchcard.entrypoints.http.deps import READ

router = APIRouter()


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_form(request: Request, state: State) -> Response:
    session = state.sessions.read(request)
    if session is None or session.token is not None:
        session = state.sessions.new()
    expired = request.query_params.get("expired") == "1"
    notice = "Your session ended or its key no longer works: sign in again." if expired else None
    response = render(request, "signin.html", None, csrf=session.csrf, notice=notice)
    state.sessions.write(request, response, session)
    return response


@router.post("/sign-in", response_class=HTMLResponse)
def sign_in(
    request: Request,
    state: State,
    api_key: Annotated[str, Form(max_length=200)],
    csrf: Annotated[str | None, Form()] = None,
) -> Response:
    before = state.sessions.read(request)
    check_csrf(before, csrf)
    assert before is not None
    try:
        principal = state.services.keys.authenticate(api_key.strip())
    except Unauthenticated as exc:
        return render(request, "signin.html", None, status=401, csrf=before.csrf,
                      error=exc.message, code=exc.code)  # fmt: skip
    if not principal.allows(*READ):
        return render(request, "signin.html", None, status=403, csrf=before.csrf,
                      error="This key can only send events; the console needs an operator, "
                      "approver, auditor or admin key.", code="forbidden")  # fmt: skip
    state.services.limiter.take(principal)
    response: Response = redirect(request, "/")
    # A fresh CSRF token with the key: the pre-sign-in one was served to anyone.
    state.sessions.write(request, response, state.sessions.new(api_key.strip()))
    return response


@router.post("/sign-out")
def sign_out(request: Request, state: State, operator: Poster) -> RedirectResponse:
    response = RedirectResponse(f"{request.scope.get('root_path', '')}/sign-in", status_code=303)
    state.sessions.clear(request, response)
    return response
