"""A sample of recent events to simulate a draft ruleset against: the tenant's
latest rated earns, rebuilt from the inputs stored with each (what ``explain``
replays), oldest first so caps and counters grow as they did."""

from __future__ import annotations

from typing import TYPE_CHECKING

from punchcard.adapters.postgres.loyalty.samples import recent_earn_inputs
from punchcard.domain.errors import InvalidRequest
from punchcard.domain.loyalty.commands import Engagement, Purchase
from punchcard.service_layer.rules.explain import _event as stored_event

if TYPE_CHECKING:
    from punchcard.service_layer.loyalty.facade import Loyalty

MAX_SAMPLE = 1000


def recent_events(
    loyalty: Loyalty, tenant: str, *, limit: int = 200
) -> list[Purchase | Engagement]:
    """Up to ``limit`` of the tenant's latest earns as events, oldest first."""
    if not 1 <= limit <= MAX_SAMPLE:
        raise InvalidRequest(f"a sample is 1 to {MAX_SAMPLE} events")
    with loyalty.work() as w:  # a read: never committed
        w.programme(tenant)
        found = recent_earn_inputs(w.connection, tenant, limit)
    events = [stored_event(tenant, inputs["event_kind"], inputs["event"]) for inputs in found]
    return events[::-1]
