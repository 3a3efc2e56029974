"""Helpers the integration tests share: verification, funded customers, racing threads."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from punchcard.domain import errors
from punchcard.service_layer.loyalty.facade import Loyalty

T = TypeVar("T")


def verified(loyalty: Loyalty, tenant: str) -> None:
    """Seal, then verify the tenant: every check must pass."""
    loyalty.ledger.seal()
    report = loyalty.ledger.verify(tenant=tenant)
    assert report.ok, report.problems


def customer_with(loyalty: Loyalty, tenant: str, points: int, ref: str = "shop-a") -> str:
    """An enrolled customer holding ``points`` spendable points from one purchase."""
    customer = loyalty.enroll(tenant, ref).id
    loyalty.earn_purchase(
        tenant, customer, order_id=f"fund-{ref}", amount=points * 100, currency="USD"
    )
    return customer


def run_together(n: int, work: Callable[[int], T]) -> list[T | Exception]:
    """Run work(0..n-1) on n threads released at once; collect results or errors."""
    barrier = threading.Barrier(n)

    def go(i: int) -> T | Exception:
        barrier.wait()
        try:
            return work(i)
        except errors.PunchcardError as exc:
            return exc

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(go, range(n)))
