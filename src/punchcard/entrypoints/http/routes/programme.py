"""The programme's settings: assets, earn rate, expiry, pending days, redemption
options, partners. Read by everyone, changed by an admin."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request
from fastapi.responses import JSONResponse

from punchcard.domain.loyalty.documents import programme_from_json, to_document
from punchcard.domain.loyalty.programme import Programme
from punchcard.entrypoints.http.deps import Admin, Reader, Svc

router = APIRouter(prefix="/v1", tags=["programme"])


@router.get("/programme", response_model=Programme)
def get_programme(svc: Svc, caller: Reader) -> Programme:
    """The programme's settings document."""
    return svc.loyalty.programme(caller.tenant)


@router.put("/programme", response_model=Programme)
def put_programme(
    document: Annotated[dict[str, Any], Body()], request: Request, svc: Svc, caller: Admin
) -> JSONResponse:
    """Replace the programme's settings with a whole document (GET it, change it, PUT
    it back). Unknown fields are refused, naming them; once customers hold accounts,
    the assets and a switch to or from allow_negative are 409 programme_change_refused."""
    return svc.idempotency.respond(
        request, caller, document,
        lambda: to_document(
            svc.loyalty.create_programme(caller.tenant, programme_from_json(document))
        ),
    )  # fmt: skip
