"""What every console page shares: the signed-in operator (its key authenticated
again on each request, its roles checked as the API checks them), CSRF-checked
forms, and rendering a template with the navigation and the operator's rights.

The role sets are the API's own (``entrypoints.http.deps``), so a page never
shows or does what the same key could not do through ``/v1``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment

from punchcard.domain.access import Principal, Role, Unauthenticated
from punchcard.entrypoints.console.session import Session, Sessions, check_csrf
from punchcard.entrypoints.http.deps import FINANCE, READ, SUPPORT, Services

DONE = {
    "adjustment_requested": "Adjustment requested: it waits for another person's approval.",
    "adjustment_approved": "Adjustment approved and posted.",
    "adjustment_rejected": "Adjustment rejected; nothing moved.",
    "review_approved": "Review approved.",
    "review_rejected": "Review rejected.",
    "ruleset_approved": "Ruleset approved and published.",
    "ruleset_withdrawn": "Ruleset sent back to draft.",
    "draft_created": "Draft created.",
    "draft_saved": "Draft saved.",
    "draft_submitted": "Draft submitted for approval by another person.",
    "hold_voided": "Hold voided: its points are back.",
    "erased": "Personal data erased for good.",
    "verified": "Verification finished.",
    "replayed": "Replay queued: the worker sends it within seconds.",
}
"""Messages a redirect after a form may show: fixed texts, so a link cannot make
the console say anything else."""


class NotSignedIn(Exception):
    """No session, or its key no longer authenticates: back to the sign-in page."""

    def __init__(self, reason: str | None = None) -> None:
        super().__init__(reason or "")
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Console:
    """The console's state, kept on its app."""

    services: Services
    sessions: Sessions
    templates: Environment
    verified: dict[str, Any] = field(default_factory=dict)
    """The latest verification the console ran, per tenant."""


def console(request: Request) -> Console:
    found: Console = request.app.state.console
    return found


@dataclass(frozen=True, slots=True)
class Operator:
    """The signed-in key of one request."""

    principal: Principal
    session: Session

    @property
    def tenant(self) -> str:
        return self.principal.tenant

    @property
    def actor(self) -> str:
        return self.principal.actor

    def rights(self) -> dict[str, bool]:
        """What the templates may offer, by the API's role sets."""
        allows = self.principal.allows
        return {
            "read": allows(*READ), "finance": allows(*FINANCE), "support": allows(*SUPPORT),
            "operate": allows(Role.OPERATOR), "approve": allows(Role.APPROVER),
            "audit": allows(Role.AUDITOR), "admin": allows(),
        }  # fmt: skip


def signed_in(request: Request) -> Operator:
    state = console(request)
    session = state.sessions.read(request)
    if session is None or session.token is None:
        raise NotSignedIn()
    try:
        principal = state.services.keys.authenticate(session.token)
    except Unauthenticated as exc:  # revoked since sign-in: the session ends here
        raise NotSignedIn(exc.message) from None
    state.services.limiter.take(principal)
    principal.require(*READ)
    request.state.tenant = principal.tenant
    request.state.key_id = principal.key_id
    return Operator(principal, session)


def posted(request: Request, csrf: Annotated[str | None, Form()] = None) -> Operator:
    """The operator of a form, whose CSRF token must be the session's."""
    state = console(request)
    check_csrf(state.sessions.read(request), csrf)
    return signed_in(request)


Reader = Annotated[Operator, Depends(signed_in)]
Poster = Annotated[Operator, Depends(posted)]
State = Annotated[Console, Depends(console)]


def render(
    request: Request, name: str, operator: Operator | None, *, status: int = 200, **ctx: Any
) -> HTMLResponse:
    state = console(request)
    done = request.query_params.get("done")
    context: dict[str, Any] = {
        "request": request, "base": str(request.scope.get("root_path", "")),
        "operator": operator, "can": operator.rights() if operator else {},
        "csrf": operator.session.csrf if operator else "", "done": DONE.get(done or ""),
    }  # fmt: skip
    html = state.templates.get_template(name).render(context | ctx)
    return HTMLResponse(html, status_code=status)


def redirect(request: Request, path: str, done: str | None = None) -> RedirectResponse:
    """303 to a console page after a form (Post/Redirect/Get)."""
    base = str(request.scope.get("root_path", ""))
    target = f"{base}{path}" + (("&" if "?" in path else "?") + f"done={done}" if done else "")
    return RedirectResponse(target, status_code=303)
