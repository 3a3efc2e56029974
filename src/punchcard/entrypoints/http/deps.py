"""What a route needs: the services, and the caller (authenticated, rate limited)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from punchcard.domain.access import Principal, Role, Unauthenticated
from punchcard.entrypoints.http.idempotency import Idempotency
from punchcard.entrypoints.http.ratelimit import RateLimiter
from punchcard.service_layer.access import Keys
from punchcard.service_layer.loyalty.facade import Loyalty
from punchcard.service_layer.privacy import Vault


@dataclass(frozen=True, slots=True)
class Services:
    loyalty: Loyalty
    keys: Keys
    idempotency: Idempotency
    limiter: RateLimiter
    vault: Vault


# The dependencies are ``async``: a plain ``def`` dependency is run in the thread
# pool, a hop of its own for each one in every request. Only a key not seen in
# the last few seconds needs the database, and goes to the pool for it.


async def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


async def principal(request: Request) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated()
    svc: Services = request.app.state.services
    token = token.strip()
    caller = svc.keys.cached(token)
    if caller is None:
        caller = await run_in_threadpool(svc.keys.authenticate, token)
    svc.limiter.take(caller)
    request.state.tenant = caller.tenant
    request.state.key_id = caller.key_id
    return caller


def requires(*needed: Role) -> Any:
    """A dependency: the caller, who must hold one of ``needed`` (or be admin)."""

    async def check(caller: Annotated[Principal, Depends(principal)]) -> Principal:
        caller.require(*needed)
        return caller

    return Depends(check)


Svc = Annotated[Services, Depends(services)]

READ = (Role.OPERATOR, Role.APPROVER, Role.AUDITOR)
"""Who may read: everyone but a write-only ingest key."""
FINANCE = (Role.AUDITOR, Role.APPROVER)
"""Who may read the finance reports, monitors and alerts: auditors, the approvers
(finance and risk) and admins, not customer support (operators) or ingest keys."""


SUPPORT = (Role.OPERATOR,)
"""Who may read, export and erase personal data: operators (customer support) and
admins; not auditors, approvers or ingest keys."""

Admin = Annotated[Principal, requires()]
Ingest = Annotated[Principal, requires(Role.INGEST)]
Operator = Annotated[Principal, requires(Role.OPERATOR)]
Approver = Annotated[Principal, requires(Role.APPROVER)]
Reader = Annotated[Principal, requires(*READ)]
Finance = Annotated[Principal, requires(*FINANCE)]
Enroller = Annotated[Principal, requires(Role.OPERATOR, Role.INGEST)]
