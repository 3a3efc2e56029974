"""Rating an earn: which ruleset version applies, what it gives, and what the earn
changes beyond the ledger (cap and budget counters, event counts, the tier).

The version is the one active when the event occurred (a late webhook is rated by
the rules of its time). Without a published ruleset the programme's fixed rate
applies. Per-customer caps are safe under the customer's lock; a campaign budget
is shared, so its counter row is locked (in rule order) before the points it
allows are decided, and two earns can never both take its last points.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING

from punchcard.domain import events
from punchcard.domain.errors import InvalidEvent
from punchcard.domain.loyalty.commands import Engagement, Purchase
from punchcard.domain.loyalty.earning import Award, Breakdown, fixed_rate
from punchcard.domain.loyalty.programme import Programme
from punchcard.domain.rules import tiers as tier_math
from punchcard.domain.rules.document import Tiers
from punchcard.domain.rules.evaluation import CompiledRuleset, Evaluation, evaluate, period_key
from punchcard.domain.rules.facts import CustomerContext, EventFacts
from punchcard.domain.rules.versions import TierChange
from punchcard.domain.validation import JsonValue

if TYPE_CHECKING:
    from punchcard.adapters.postgres.loyalty.customers import Profile
    from punchcard.service_layer.loyalty.facade import Loyalty
    from punchcard.service_layer.loyalty.work import LoyaltyWork, Scope

MAX_BUDGET_ROUNDS = 4


@dataclass(frozen=True, slots=True)
class Rating:
    breakdown: Breakdown
    counter: str
    """The event counter this earn adds one to ("purchase", "engagement:app_login")."""
    usage: dict[tuple[str, str], int] = field(default_factory=dict)
    tiers: Tiers | None = None
    tier: str = ""


def rate(
    loyalty: Loyalty, w: LoyaltyWork, scope: Scope, event: Purchase | Engagement, at: datetime
) -> Rating:
    counter = counter_of(event)
    tenant, programme = scope.tenant, scope.programme
    check_currency(programme, event)
    version = scope.ruleset_version  # locked for the event's time
    if version is None:
        return Rating(fixed_rate(programme, event), counter)
    compiled = loyalty.compiled.get(w.rules, tenant, version)
    facts = EventFacts.of(event, at, programme.timezone)
    context = customer_context(
        w, tenant, event.customer_id, compiled, facts,
        profile=scope.profiles.get(event.customer_id),
    )  # fmt: skip
    evaluation = evaluate(compiled, facts, context)
    evaluation, context = _within_budgets(
        w, tenant, compiled=compiled, facts=facts, context=context, evaluation=evaluation
    )
    w.inputs = inputs_document(version, programme.timezone, event, at, context)
    return rated(compiled, evaluation, counter)


def counter_of(event: Purchase | Engagement) -> str:
    """The event counter an earn adds one to."""
    return "purchase" if isinstance(event, Purchase) else f"engagement:{event.type}"


def check_currency(programme: Programme, event: Purchase | Engagement) -> None:
    if isinstance(event, Purchase) and event.currency != programme.currency:
        raise InvalidEvent(
            f"purchase currency {event.currency} is not the programme's currency "
            f"{programme.currency}"
        )


def rated(compiled: CompiledRuleset, evaluation: Evaluation, counter: str) -> Rating:
    return Rating(breakdown(evaluation), counter, evaluation.usage, compiled.ruleset.tiers,
                  evaluation.tier)  # fmt: skip


def cap_keys(compiled: CompiledRuleset, facts: EventFacts) -> list[tuple[str, str]]:
    """The (rule, period key) counters of the caps an evaluation of ``facts`` reads."""
    on = facts.local.date()
    return [(c.rule.id, period_key(cap.period, on)) for c in compiled.rules for cap in c.rule.caps]


def context_of(
    compiled: CompiledRuleset, profile: Profile, usage: dict[tuple[str, str], int]
) -> CustomerContext:
    tiers = compiled.ruleset.tiers
    tier = profile.tier or (tiers.levels[0].name if tiers else "")
    return CustomerContext(tier, profile.attributes, profile.counts, usage)


def customer_context(
    w: LoyaltyWork,
    tenant: str,
    customer: str,
    compiled: CompiledRuleset,
    facts: EventFacts,
    *,
    profile: Profile | None = None,
) -> CustomerContext:
    """What the customer looks like to the rules: from the lock's row when the caller
    holds it, else read (simulation)."""
    profile = profile or w.rules.profile(tenant, customer)
    usage = w.rules.usage(tenant, customer, cap_keys(compiled, facts))
    return context_of(compiled, profile, usage)


def _within_budgets(
    w: LoyaltyWork,
    tenant: str,
    *,
    compiled: CompiledRuleset,
    facts: EventFacts,
    context: CustomerContext,
    evaluation: Evaluation,
) -> tuple[Evaluation, CustomerContext]:
    """Lock the budgets the evaluation drew on and evaluate again with their real
    counters, until no new budget comes into play (a spent budget can let an
    exclusive rule fall through to another budgeted rule)."""
    budgeted = {c.rule.id for c in compiled.rules if c.rule.budget is not None}
    locked: dict[tuple[str, str], int] = {}
    for _ in range(MAX_BUDGET_ROUNDS):
        wanted = (evaluation.limited & budgeted) - {rule for rule, _ in locked}
        if not wanted:
            break
        locked |= w.rules.lock_budgets(tenant, wanted | {rule for rule, _ in locked})
        context = replace(context, usage=dict(context.usage) | locked)
        evaluation = evaluate(compiled, facts, context)
    return evaluation, context


def inputs_document(
    version: int, zone: str, event: Purchase | Engagement, at: datetime, context: CustomerContext
) -> dict[str, JsonValue]:
    """Everything the evaluation read, so it can be recomputed (see ``explain``)."""
    return {
        "version": version,
        "zone": zone,
        "event_kind": "purchase" if isinstance(event, Purchase) else "engagement",
        "event": replace(event, occurred_at=at).request(),
        "context": {
            "tier": context.tier,
            "attributes": dict(context.attributes),
            "counts": dict(context.counts),
            "usage": [
                [rule, period, used] for (rule, period), used in sorted(context.usage.items())
            ],
        },
    }


def breakdown(evaluation: Evaluation) -> Breakdown:
    awards = tuple(Award(line.kind, line.points, line.rule) for line in evaluation.lines
                   if line.points)  # fmt: skip
    return Breakdown(awards, evaluation.document(), credit=evaluation.credit)


def record(
    w: LoyaltyWork, scope: Scope, customer: str, rating: Rating, at: datetime
) -> TierChange | None:
    """Count the earn against caps and budgets, count the event, move the tier up."""
    w.rules.add_usage(scope.tenant, customer, rating.usage)
    w.rules.count_event(scope.tenant, customer, rating.counter)
    tiers = rating.tiers
    if tiers is None:
        return None
    since = tier_math.window_start(tiers, at, scope.programme.timezone)
    measure = w.rules.measure(scope.tenant, customer, tiers.measure, since)
    higher = tier_math.upgrade(tiers, rating.tier, measure)
    if higher is None:
        return None
    change = TierChange(rating.tier, higher, "qualified", measure, at)
    w.rules.change_tier(scope.tenant, customer, change=change)
    w.emit(scope.tenant, events.tier_changed(customer, change))
    return change
