"""Simulation: rate events by a draft ruleset and by the active version, writing
nothing, and show the difference. This is how a campaign is checked before it
goes to approval.

Each event is rated as an earn would rate it, with the customer's stored tier,
attributes, event counts and cap counters; counters grow across the simulated
events, so caps bite as they would. Nothing is locked or written: the work runs
in a transaction that is rolled back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from punchcard.domain.errors import InvalidRequest
from punchcard.domain.loyalty.commands import Engagement, Purchase
from punchcard.domain.loyalty.earning import fixed_rate
from punchcard.domain.rules.document import Ruleset
from punchcard.domain.rules.evaluation import CompiledRuleset, Evaluation, evaluate
from punchcard.domain.rules.facts import CustomerContext, EventFacts
from punchcard.service_layer.rules.rating import customer_context

if TYPE_CHECKING:
    from punchcard.service_layer.loyalty.facade import Loyalty
    from punchcard.service_layer.loyalty.work import LoyaltyWork

MAX_EVENTS = 10_000


@dataclass(frozen=True, slots=True)
class SimulatedEvent:
    key: str
    customer_id: str
    draft: dict[str, Any]
    active: dict[str, Any]
    """The active version's breakdown; the programme's fixed rate where no version
    was active when the event occurred, as a real earn would be rated."""
    delta: int
    """Draft points less active points."""


@dataclass(frozen=True, slots=True)
class SimulationReport:
    active_version: int | None
    events: tuple[SimulatedEvent, ...]
    draft_points: int
    active_points: int
    draft_credit: int
    active_credit: int
    affected_customers: tuple[str, ...]
    """Customers whose points the draft would change."""

    @property
    def delta(self) -> int:
        return self.draft_points - self.active_points


class _Rater:
    """One ruleset's side of a simulation, with counters carried across events."""

    def __init__(
        self,
        w: LoyaltyWork,
        tenant: str,
        compiled: CompiledRuleset,
        given: Mapping[str, CustomerContext],
    ) -> None:
        self.w, self.tenant, self.compiled = w, tenant, compiled
        self.contexts: dict[str, CustomerContext] = dict(given)
        budgets = {(c.rule.id, "budget") for c in compiled.rules if c.rule.budget is not None}
        self.budgets = w.rules.usage(tenant, "*", budgets)
        """Budget counters are the campaign's, shared by every customer simulated."""

    def rate(self, event: Purchase | Engagement, facts: EventFacts) -> Evaluation:
        context = self.contexts.get(event.customer_id)
        if context is None:
            context = customer_context(self.w, self.tenant, event.customer_id, self.compiled, facts)
        context = replace(context, usage=dict(context.usage) | self.budgets)
        evaluation = evaluate(self.compiled, facts, context)
        usage = dict(context.usage)
        for key, points in evaluation.usage.items():
            usage[key] = usage.get(key, 0) + points
            if key[1] == "budget":
                self.budgets[key] = usage[key]
        self.contexts[event.customer_id] = replace(context, usage=usage)
        return evaluation


def simulate(
    loyalty: Loyalty,
    tenant: str,
    draft: Ruleset,
    events: Sequence[Purchase | Engagement],
    customers: Mapping[str, CustomerContext] | None = None,
) -> SimulationReport:
    """``customers`` gives the tier, attributes, counts and counters of customers to
    imagine (they need not be enrolled); the others are read from the database."""
    given = customers or {}
    if len(events) > MAX_EVENTS:
        raise InvalidRequest(f"simulate at most {MAX_EVENTS} events at a time")
    compiled_draft = CompiledRuleset.of(draft)
    with loyalty.work() as w:  # never committed: rolled back on exit
        programme = w.programme(tenant)
        draft_rater = _Rater(w, tenant, compiled_draft, given)
        active_raters: dict[int, _Rater] = {}
        active_version = w.rules.active_version(tenant, w.now)
        results = []
        for event in events:
            at = event.occurred_at or w.now
            facts = EventFacts.of(event, at, programme.timezone)
            ran = draft_rater.rate(event, facts)
            version = w.rules.active_version(tenant, min(at, w.now))
            if version is not None:
                rater = active_raters.get(version)
                if rater is None:
                    compiled = loyalty.compiled.get(w.rules, tenant, version)
                    rater = active_raters[version] = _Rater(w, tenant, compiled, given)
                active = rater.rate(event, facts).document()
            else:  # what a real earn does then: the programme's fixed rate
                fixed = fixed_rate(programme, event)
                active = fixed.document() | {"points": fixed.points, "credit": fixed.credit}
            key = event.order_id if isinstance(event, Purchase) else event.event_id
            points = active["points"]
            assert isinstance(points, int)
            delta = ran.points - points
            results.append(SimulatedEvent(key, event.customer_id, ran.document(), active, delta))
    draft_points = sum(e.draft["points"] for e in results)
    active_points = sum(e.active["points"] for e in results)
    return SimulationReport(
        active_version, tuple(results), draft_points, active_points,
        sum(e.draft["credit"] for e in results),
        sum(e.active["credit"] for e in results),
        tuple(sorted({e.customer_id for e in results if e.delta})),
    )  # fmt: skip
