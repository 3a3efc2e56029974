"""What runs in the background, and how often.

Each job is one of the same use cases the ``punchcard`` commands run, safe beside
other runs of itself (each works one customer, hold or batch of events per
transaction, under the rows' locks). Event delivery runs every few seconds; the
lifecycle jobs every minute; the heavier scans hourly.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from punchcard.entrypoints.http.deps import Services
from punchcard.service_layer import risk
from punchcard.service_layer.loyalty import sweeps
from punchcard.service_layer.loyalty.facade import Loyalty

DELIVERY_EVERY = 5


@dataclass(frozen=True, slots=True)
class Job:
    name: str
    every: int
    """Seconds between runs: 5, a divisor of 60, or a whole number of minutes or hours."""
    run: Callable[[], int]
    """Does the work; returns how many things it did (for the logs and metrics)."""
    first_run_due: bool = True
    """False: a process that starts waits a whole period first (a restart stays cheap)."""

    @property
    def cron(self) -> str:
        """The period as a procrastinate cron (six fields: the last is seconds)."""
        if self.every < 60:
            return f"* * * * * */{self.every}"
        if self.every < 3600:
            return f"*/{self.every // 60} * * * *"
        return f"0 */{self.every // 3600} * * *"


def jobs(loyalty: Loyalty, services: Services) -> list[Job]:
    ledger = loyalty.ledger
    settings = ledger.settings
    found = [
        # redemption authorizations before other holds: the loyalty sweep also gives
        # their points back to the lots they were drawn from
        Job("activate_pending", 60, lambda: loyalty.activate_pending().points),
        Job("expire_authorizations", 60, loyalty.expire_authorizations),
        Job("expire_holds", 60, ledger.expire_holds),
        Job("seal", 60, lambda: ledger.seal().sealed),
        Job("check_monitors", 60, lambda: risk.check_all_monitors(loyalty)),
        Job("scan_earnings", 300, lambda: risk.scan_all_earnings(loyalty)),
        Job("expire_points", 3600, lambda: sweeps.expire_all(loyalty)),
        Job(
            "warn_expiring", 3600, lambda: sweeps.warn_all(loyalty, within=settings.expiry_warning)
        ),
        Job("forget_idempotency_keys", 3600, services.idempotency.forget_old),
        Job("verify_and_alert", 3600, lambda: len(risk.verify_and_alert(loyalty)), False),
    ]
    webhooks = _optional("punchcard.service_layer.webhooks", "dispatch")
    if webhooks is not None:
        found.insert(0, Job("deliver_webhooks", DELIVERY_EVERY, lambda: webhooks(loyalty)))
    bus = _optional("punchcard.service_layer.bus", "publish_pending")
    if bus is not None and settings.nats_url:
        found.insert(0, Job("publish_events", DELIVERY_EVERY, lambda: bus(loyalty)))
    return found


def _optional(module: str, name: str) -> Callable[[Loyalty], int] | None:
    """A delivery function, when its module is installed with this build."""
    try:
        found: Callable[[Loyalty], int] = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return None
    return found
