"""Personal data: store, read, erase (GDPR Art. 17), export (Art. 15 and 20), and
find a customer by e-mail.

Only operators (customer support) and admins reach these. The e-mail lookup is a
POST so the address travels in the body, never in a URL that access logs,
proxies and browser histories keep. A stored record is never echoed in an error.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from punchcard.domain.access import Principal
from punchcard.domain.errors import UnknownCustomer
from punchcard.domain.loyalty import commands
from punchcard.domain.loyalty.results import Customer
from punchcard.entrypoints.http.deps import SUPPORT, Svc, requires
from punchcard.entrypoints.http.routes.reports import CSV_ANSWER, csv_answer, wants_csv
from punchcard.entrypoints.http.schemas import Id
from punchcard.entrypoints.http.schemas_points import CallerKey
from punchcard.entrypoints.http.schemas_privacy import (
    EmailLookup,
    ErasureView,
    PersonalDataBody,
    PersonalDataView,
    StoredView,
)

router = APIRouter(prefix="/v1", tags=["privacy"])

Support = Annotated[Principal, requires(*SUPPORT)]
Format = Annotated[
    Literal["json", "csv"] | None,
    Query(description="csv for the ledger history as CSV (as with Accept: text/csv)."),
]


@router.put("/customers/{customer_id}/personal-data", response_model=StoredView)
def store(customer_id: Id, body: PersonalDataBody, svc: Svc, caller: Support) -> StoredView:
    """Replace the customer's personal data: name, email, phone, date_of_birth
    (YYYY-MM-DD), address and free attributes, each optional. It is stored encrypted
    under the customer's own data key; the e-mail also as a keyed hash for lookups.
    Replacing is idempotent by nature, so no Idempotency-Key is needed (nor kept:
    the idempotency store would otherwise hold a digest of the body)."""
    stored = svc.vault.store(caller.tenant, customer_id, body.record())
    return StoredView(customer_id=stored.customer_id, stored=stored.stored)


@router.get("/customers/{customer_id}/personal-data", response_model=PersonalDataView)
def read(customer_id: Id, svc: Svc, caller: Support) -> PersonalDataView:
    """The customer's personal data, decrypted; 410 once erased."""
    return PersonalDataView.of(customer_id, svc.vault.read(caller.tenant, customer_id))


@router.delete("/customers/{customer_id}/personal-data", response_model=ErasureView)
def erase(
    customer_id: Id, request: Request, svc: Svc, *, caller: Support, key: CallerKey
) -> JSONResponse:
    """Erase the customer's personal data for good: their data key and e-mail hash are
    destroyed, so the ciphertext left behind cannot be decrypted by anyone. Balances,
    lots and history stay, under the pseudonymous id. Needs an Idempotency-Key;
    erasing again answers the first erasure."""

    def run() -> ErasureView:
        done = svc.vault.erase(caller.tenant, customer_id, by=caller.actor)
        return ErasureView(customer_id=done.customer_id, erased_at=done.erased_at,
                           erased_by=done.erased_by)  # fmt: skip

    return svc.idempotency.respond(request, caller, None, run)


@router.get("/customers/{customer_id}/export", responses=CSV_ANSWER)
def export(customer_id: Id, request: Request, svc: Svc, caller: Support,
           format: Format = None) -> Any:  # fmt: skip
    """Everything punchcard holds of the customer, as one JSON document: personal
    data (null once erased), balance, every lot, the history of the points, pending
    and credit accounts, tier and tier changes, redemptions. ``?format=csv``: the
    ledger history as CSV."""
    commands.customer_id(customer_id)
    if wants_csv(request, format):
        return csv_answer(svc.vault.history_csv(caller.tenant, customer_id), customer_id)
    return JSONResponse(jsonable_encoder(svc.vault.export(caller.tenant, customer_id)))


@router.post("/customers:lookup", response_model=Customer)
def lookup(body: EmailLookup, svc: Svc, caller: Support) -> Customer:
    """Find a customer by e-mail, through its keyed hash (an erased customer is not
    found). The address is in the body, not the URL, so it is in no access log."""
    found = svc.vault.find_by_email(caller.tenant, body.email)
    if found is None:
        raise UnknownCustomer("no customer has this e-mail address")
    return found
