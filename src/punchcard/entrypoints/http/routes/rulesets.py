"""Rulesets: drafts an admin writes, submits and withdraws; a second person approves,
which publishes the version for good; simulation tries a draft on events first.

A ruleset is sent as ``{"document": {...}}`` (JSON) or as the bare document in
YAML (``Content-Type: application/yaml``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from punchcard.domain.errors import InvalidRuleset, UnknownRuleset
from punchcard.domain.loyalty.commands import Engagement, Purchase, Refund
from punchcard.domain.rules.document import Ruleset
from punchcard.domain.rules.documents import (
    MAX_DOCUMENT_BYTES,
    ruleset_from_document,
    ruleset_from_text,
)
from punchcard.entrypoints.http.deps import Admin, Approver, Reader, Svc
from punchcard.entrypoints.http.schemas import to_command
from punchcard.entrypoints.http.schemas_admin import (
    RulesetDocument,
    RulesetList,
    RulesetView,
    Simulation,
    SimulationEvent,
    SimulationView,
    SubmitRuleset,
)

router = APIRouter(prefix="/v1", tags=["rulesets"])

Version = Annotated[int, Path(ge=1, le=2**31 - 1)]
YAML = frozenset({"application/yaml", "application/x-yaml", "text/yaml"})
RULESET_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": RulesetDocument.model_json_schema()},
            "application/yaml": {"schema": {"type": "string"}},
        },
    }
}


async def ruleset_body(request: Request) -> dict[str, Any] | str:
    """The document of a JSON body, or the text of a YAML one (read by the use case)."""
    raw = await request.body()
    if len(raw) > MAX_DOCUMENT_BYTES:
        raise InvalidRuleset(f"a ruleset document is at most {MAX_DOCUMENT_BYTES} bytes")
    media = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media in YAML:
        try:
            return raw.decode()
        except UnicodeDecodeError:
            raise InvalidRuleset("a YAML ruleset must be UTF-8 text") from None
    try:
        return RulesetDocument.model_validate_json(raw).document
    except ValidationError as exc:
        raise RequestValidationError(
            [{**error, "loc": ("body", *error["loc"])} for error in exc.errors()]
        ) from None


DocumentBody = Annotated[dict[str, Any] | str, Depends(ruleset_body)]
"""Declared after the caller in a route's signature: FastAPI runs dependencies in
that order, and an anonymous request must be a 401 before its body is read."""


def parsed(document: dict[str, Any] | str) -> Ruleset:
    if isinstance(document, str):
        return ruleset_from_text(document)
    return ruleset_from_document(document)


@router.get("/rulesets", response_model=RulesetList)
def list_rulesets(
    svc: Svc, caller: Reader, limit: Annotated[int, Query(ge=1, le=200)] = 50
) -> RulesetList:
    """The tenant's ruleset versions, newest first, in every status."""
    found = svc.loyalty.rulesets(caller.tenant, limit=limit)
    return RulesetList(data=[RulesetView.of(version) for version in found])


@router.get("/rulesets/active", response_model=RulesetView)
def active_ruleset(svc: Svc, caller: Reader) -> RulesetView:
    """The published version in force now (404 unknown_ruleset before the first is)."""
    found = svc.loyalty.active_ruleset(caller.tenant)
    if found is None:
        raise UnknownRuleset("no ruleset version is active yet; earning uses the fixed rate")
    return RulesetView.of(found)


@router.get("/rulesets/{version}", response_model=RulesetView)
def get_ruleset(version: Version, svc: Svc, caller: Reader) -> RulesetView:
    """One ruleset version, with its document and who made and approved it."""
    return RulesetView.of(svc.loyalty.ruleset(caller.tenant, version))


@router.post("/rulesets", response_model=RulesetView, status_code=201, openapi_extra=RULESET_BODY)
def create_ruleset(
    caller: Admin, document: DocumentBody, request: Request, svc: Svc
) -> JSONResponse:
    """Create a draft version. Each of its conditions must compile; the caller's key
    is recorded as its author."""
    return svc.idempotency.respond(
        request, caller, document,
        lambda: RulesetView.of(
            svc.loyalty.create_ruleset(caller.tenant, parsed(document), created_by=caller.actor)
        ),
        status=201,
    )  # fmt: skip


@router.put("/rulesets/{version}", response_model=RulesetView, openapi_extra=RULESET_BODY)
def update_ruleset(
    caller: Admin, version: Version, document: DocumentBody, request: Request, svc: Svc
) -> JSONResponse:
    """Replace a draft's document; a submitted or published version is 409 ruleset_not_draft."""
    return svc.idempotency.respond(
        request, caller, document,
        lambda: RulesetView.of(
            svc.loyalty.update_ruleset(caller.tenant, version, parsed(document))
        ),
    )  # fmt: skip


@router.post("/rulesets/{version}/submit", response_model=RulesetView)
def submit_ruleset(
    version: Version,
    request: Request,
    svc: Svc,
    caller: Admin,
    body: SubmitRuleset | None = None,
) -> JSONResponse:
    """Freeze a draft for approval, optionally to take effect at ``activate_at``. The
    caller's key is recorded as submitter and may not approve it."""
    chosen = body or SubmitRuleset()
    return svc.idempotency.respond(
        request, caller, chosen,
        lambda: RulesetView.of(svc.loyalty.submit_ruleset(
            caller.tenant, version, submitted_by=caller.actor, activate_at=chosen.activate_at,
        )),
    )  # fmt: skip


@router.post("/rulesets/{version}/approve", response_model=RulesetView)
def approve_ruleset(version: Version, request: Request, svc: Svc, caller: Approver) -> JSONResponse:
    """Publish a submitted version. The key that submitted it gets 403
    maker_checker_violation: a second person must approve."""
    return svc.idempotency.respond(
        request, caller, None,
        lambda: RulesetView.of(
            svc.loyalty.approve_ruleset(caller.tenant, version, approved_by=caller.actor)
        ),
    )  # fmt: skip


@router.post("/rulesets/{version}/withdraw", response_model=RulesetView)
def withdraw_ruleset(
    version: Version, request: Request, svc: Svc, caller: Approver
) -> JSONResponse:
    """Send a submitted version back to draft (the author's second thoughts or the
    reviewer's "not like this")."""
    return svc.idempotency.respond(
        request, caller, None,
        lambda: RulesetView.of(svc.loyalty.withdraw_ruleset(caller.tenant, version)),
    )  # fmt: skip


@router.post("/rulesets:simulate", response_model=SimulationView)
def simulate(body: Simulation, svc: Svc, caller: Admin) -> SimulationView:
    """Rate the events by the draft and by the version active when each occurred,
    writing nothing, and show the difference per event and in total."""
    events = [command(caller.tenant, event) for event in body.events]
    draft = ruleset_from_document(body.document)
    return SimulationView.of(svc.loyalty.simulate(caller.tenant, draft, events))


def command(tenant: str, event: SimulationEvent) -> Purchase | Engagement:
    found = to_command(tenant, event)
    assert not isinstance(found, Refund)  # the simulation's body admits no refunds
    return found
