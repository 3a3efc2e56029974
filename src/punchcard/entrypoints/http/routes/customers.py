"""Customers: enrol by the merchant's reference, look up, set attributes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from punchcard.domain.errors import UnknownCustomer
from punchcard.domain.loyalty.results import Customer
from punchcard.entrypoints.http.deps import Enroller, Operator, Reader, Svc
from punchcard.entrypoints.http.schemas import Attributes, Id, NewCustomer

router = APIRouter(prefix="/v1/customers", tags=["customers"])


@router.post("", response_model=Customer, status_code=201)
def enroll(body: NewCustomer, request: Request, svc: Svc, caller: Enroller) -> JSONResponse:
    """Enrol a customer by your own reference; enrolling again returns the same one."""
    return svc.idempotency.respond(
        request, caller, body,
        lambda: svc.loyalty.enroll(caller.tenant, body.external_ref), status=201,
    )  # fmt: skip


@router.get("", response_model=Customer)
def find(external_ref: Annotated[Id, Query()], svc: Svc, caller: Reader) -> Customer:
    """Find a customer by your reference."""
    found = svc.loyalty.find_customer(caller.tenant, external_ref)
    if found is None:
        raise UnknownCustomer("no customer has this external reference")
    return found


@router.get("/{customer_id}", response_model=Customer)
def get(customer_id: Id, svc: Svc, caller: Reader) -> Customer:
    return svc.loyalty.customer(caller.tenant, customer_id)


@router.put("/{customer_id}/attributes", status_code=204)
def set_attributes(customer_id: Id, body: Attributes, svc: Svc, caller: Operator) -> None:
    """Replace the pseudonymous attributes rules can read (e.g. birthday_month).
    Never put personal data here."""
    svc.loyalty.set_attributes(caller.tenant, customer_id, dict(body.attributes))
