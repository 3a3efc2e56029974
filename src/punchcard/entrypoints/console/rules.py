"""Rules: the ruleset versions, the active one's document, and drafts an admin
edits, simulates and submits for a second person's approval.

A simulation rates a sample of the tenant's recent earns (rebuilt from the inputs
each stored) by the draft as written in the form, saved or not, and by the
version active when each occurred, writing nothing; the page shows the totals
and every event whose points would change.
"""

from __future__ import annotations

from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, Response

from punchcard.domain.rules.defaults import default_ruleset
from punchcard.domain.rules.documents import MAX_DOCUMENT_BYTES, ruleset_document
from punchcard.domain.rules.versions import RulesetStatus, RulesetVersion
from punchcard.entrypoints.console.web import Operator, Poster, Reader, State, redirect, render
from punchcard.service_layer.rules.samples import MAX_SAMPLE, recent_events

router = APIRouter(prefix="/rules")

Version = Annotated[int, Path(ge=1, le=2**31 - 1)]
Document = Annotated[str, Form(min_length=1, max_length=MAX_DOCUMENT_BYTES)]
SAMPLE = 200


def as_yaml(version: RulesetVersion) -> str:
    document = ruleset_document(version.ruleset)
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)


@router.get("", response_class=HTMLResponse)
def rulesets(request: Request, operator: Reader, state: State) -> Response:
    loyalty = state.services.loyalty
    active = loyalty.active_ruleset(operator.tenant)
    return render(
        request, "rules.html", operator, versions=loyalty.rulesets(operator.tenant, limit=200),
        active=active, active_yaml=as_yaml(active) if active else None,
    )  # fmt: skip


def _version_page(
    request: Request, operator: Operator, state: State, version: int, **extra: Any
) -> Response:
    found = state.services.loyalty.ruleset(operator.tenant, version)
    ctx: dict[str, Any] = {
        "version": found, "document": as_yaml(found), "sample": SAMPLE,
        "max_sample": MAX_SAMPLE, "draft": found.status is RulesetStatus.DRAFT,
    }  # fmt: skip
    return render(request, "ruleset.html", operator, **(ctx | extra))


@router.get("/{version}", response_class=HTMLResponse)
def ruleset(request: Request, operator: Reader, state: State, version: Version) -> Response:
    return _version_page(request, operator, state, version)


@router.post("/drafts")
def new_draft(request: Request, operator: Poster, state: State) -> Response:
    """A new draft, a copy of the active version (or of the seed programme's rules
    when none is active yet), to edit from there."""
    operator.principal.require()
    loyalty = state.services.loyalty
    active = loyalty.active_ruleset(operator.tenant)
    if active is None:
        year = loyalty.now().year
        text = yaml.safe_dump(ruleset_document(default_ruleset(year)), sort_keys=False)
    else:
        text = as_yaml(active)
    made = loyalty.create_ruleset(operator.tenant, text, created_by=operator.actor)
    return redirect(request, f"/rules/{made.version}", "draft_created")


@router.post("/{version}")
def save_draft(
    request: Request, operator: Poster, state: State, version: Version, document: Document
) -> Response:
    operator.principal.require()
    state.services.loyalty.update_ruleset(operator.tenant, version, document)
    return redirect(request, f"/rules/{version}", "draft_saved")


@router.post("/{version}/submit")
def submit(request: Request, operator: Poster, state: State, version: Version) -> Response:
    operator.principal.require()
    state.services.loyalty.submit_ruleset(operator.tenant, version, submitted_by=operator.actor)
    return redirect(request, f"/rules/{version}", "draft_submitted")


@router.post("/{version}/simulate", response_class=HTMLResponse)
def simulate(
    request: Request, operator: Poster, state: State, *, version: Version, document: Document,
    sample: Annotated[int, Form(ge=1, le=MAX_SAMPLE)] = SAMPLE,
) -> Response:  # fmt: skip
    """Admins only, as ``POST /v1/rulesets:simulate``: a draft may hold what the
    programme has not announced yet."""
    operator.principal.require()
    loyalty = state.services.loyalty
    events = recent_events(loyalty, operator.tenant, limit=sample)
    report = loyalty.simulate(operator.tenant, document, events) if events else None
    changed = [] if report is None else [e for e in report.events if e.delta]
    return _version_page(
        request, operator, state, version, document=document, sample=sample,
        report=report, changed=changed, sampled=len(events),
    )  # fmt: skip
