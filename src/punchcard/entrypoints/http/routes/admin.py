"""Administration: the tenant's API keys, and verifying its journal."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse

from punchcard.domain.access import Principal, Role
from punchcard.entrypoints.http.deps import Admin, Svc, requires
from punchcard.entrypoints.http.schemas_admin import (
    KeyList,
    KeyView,
    NewKey,
    NewKeyView,
    VerificationView,
)

router = APIRouter(prefix="/v1", tags=["admin"])

Auditor = Annotated[Principal, requires(Role.AUDITOR)]
KeyId = Annotated[str, Path(min_length=1, max_length=64)]


@router.post("/keys", response_model=NewKeyView, status_code=201)
def create_key(body: NewKey, svc: Svc, caller: Admin) -> NewKeyView:
    """Issue a key of this tenant with the roles given. Its token is in this answer
    only: keep it, as it cannot be shown again.

    An Idempotency-Key is not honoured here: a replay would have to store the token."""
    key, token = svc.keys.create(
        caller.tenant, name=body.name, roles_=body.roles, created_by=caller.actor,
        rate_limit=body.rate_limit,
    )  # fmt: skip
    return NewKeyView(key=KeyView.of(key), token=token)


@router.get("/keys", response_model=KeyList)
def list_keys(svc: Svc, caller: Admin) -> KeyList:
    """The tenant's keys, revoked ones included; never their tokens."""
    return KeyList(data=[KeyView.of(key) for key in svc.keys.list(caller.tenant)])


@router.delete("/keys/{key_id}", response_model=KeyView)
def revoke_key(key_id: KeyId, request: Request, svc: Svc, caller: Admin) -> JSONResponse:
    """Revoke a key: from now on it is refused with 401 (in other server processes
    within a few seconds). Revoking it again changes nothing."""
    return svc.idempotency.respond(
        request, caller, None, lambda: KeyView.of(svc.keys.revoke(caller.tenant, key_id))
    )


@router.get("/verify", response_model=VerificationView)
def verify(svc: Svc, caller: Auditor) -> VerificationView:
    """Verify the tenant's journal: the hash chain (sealed first, so every committed
    transaction is covered), that each transaction and asset sums to zero, and that
    stored balances match the entries."""
    ledger = svc.loyalty.ledger
    ledger.seal()
    return VerificationView.of(ledger.verify(tenant=caller.tenant))
