"""Reads: a customer's balance, lots, history and tier; ledger transactions and why
an earn gave what it gave. Every read is of the caller's tenant only."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from punchcard.domain.errors import UnknownAccount
from punchcard.domain.loyalty import accounts
from punchcard.domain.loyalty.lots import LotStatus
from punchcard.domain.loyalty.results import LotView
from punchcard.domain.model import Page
from punchcard.entrypoints.http.deps import Reader, Svc
from punchcard.entrypoints.http.schemas import Id
from punchcard.entrypoints.http.schemas_admin import (
    BalanceView,
    ExpiringSoon,
    HistoryPage,
    TransactionView,
)
from punchcard.service_layer.ledger import MAX_PAGE
from punchcard.service_layer.rules.explain import Explanation
from punchcard.service_layer.rules.tiers import CustomerTier

router = APIRouter(prefix="/v1", tags=["reads"])

ADDRESSES = {"points": accounts.points, "pending": accounts.pending, "credit": accounts.credit}
TransactionId = Annotated[int, Path(ge=1, le=2**63 - 1)]
Cursor = Annotated[str, Query(min_length=1, max_length=200)]


@router.get("/customers/{customer_id}/balance", response_model=BalanceView)
def balance(
    customer_id: Id,
    svc: Svc,
    caller: Reader,
    days: Annotated[int, Query(ge=1, le=3660)] = 30,
) -> BalanceView:
    """The customer's balances, the open lots behind them, the active points that
    expire within ``days`` (30 unless given) and the customer's tier."""
    found = svc.loyalty.balance(caller.tenant, customer_id)
    lots = svc.loyalty.lots(caller.tenant, customer_id)
    tier = svc.loyalty.tier(caller.tenant, customer_id).tier or None
    soon = expiring_soon(lots, svc.loyalty.now() + timedelta(days=days), days)
    return BalanceView.of(found, lots, tier, soon)


def expiring_soon(lots: list[LotView], horizon: datetime, days: int) -> ExpiringSoon:
    """Of the lots, the active points whose expiry falls before ``horizon``."""
    due = [
        (lot.remaining, lot.expires_at)
        for lot in lots
        if lot.status is LotStatus.ACTIVE and lot.expires_at and lot.expires_at <= horizon
    ]
    return ExpiringSoon(
        within_days=days,
        points=sum(points for points, _ in due),
        first_expiry=min((at for _, at in due), default=None),
    )


@router.get("/customers/{customer_id}/lots", response_model=list[LotView])
def lots(customer_id: Id, svc: Svc, caller: Reader, include_closed: bool = False) -> list[LotView]:
    """The customer's lots, oldest first: the open ones, or all with ``include_closed``."""
    return svc.loyalty.lots(caller.tenant, customer_id, include_closed=include_closed)


@router.get("/customers/{customer_id}/history", response_model=HistoryPage)
def history(
    customer_id: Id,
    svc: Svc,
    caller: Reader,
    *,
    account: Literal["points", "pending", "credit"] = "points",
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    starting_after: Cursor | None = None,
) -> HistoryPage:
    """The entries of one of the customer's accounts, newest first, a page at a time:
    pass ``next_cursor`` as ``starting_after`` while ``has_more`` is true."""
    svc.loyalty.customer(caller.tenant, customer_id)
    programme = svc.loyalty.programme(caller.tenant)
    asset = programme.credit_asset if account == "credit" else programme.points_asset
    address = ADDRESSES[account](customer_id)
    try:
        page = svc.loyalty.ledger.history(
            caller.tenant, address, asset, limit=limit, starting_after=starting_after
        )
    except UnknownAccount:  # an enrolled customer's account opens with its first entry
        page = Page((), has_more=False, next_cursor=None)
    return HistoryPage.of(page)


@router.get("/customers/{customer_id}/tier", response_model=CustomerTier)
def tier(customer_id: Id, svc: Svc, caller: Reader) -> CustomerTier:
    """The customer's tier, since when, the qualifying measure over the current window
    and every change so far."""
    svc.loyalty.customer(caller.tenant, customer_id)
    return svc.loyalty.tier(caller.tenant, customer_id)


@router.get("/transactions/{transaction_id}", response_model=TransactionView)
def transaction(transaction_id: TransactionId, svc: Svc, caller: Reader) -> TransactionView:
    """One ledger transaction with its postings and metadata."""
    return TransactionView.of(svc.loyalty.ledger.transaction(caller.tenant, transaction_id))


@router.get("/transactions/{transaction_id}/explanation", response_model=Explanation)
def explanation(transaction_id: TransactionId, svc: Svc, caller: Reader) -> Explanation:
    """Why an earn gave what it gave: the breakdown stored with it, and the same
    evaluation run again from its stored inputs; ``matches`` says if they agree."""
    return svc.loyalty.explain(caller.tenant, transaction_id)
