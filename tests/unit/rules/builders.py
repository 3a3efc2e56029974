"""Small builders for rules-engine tests: events, rules and one-call evaluation."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from punchcard.domain.loyalty.commands import Engagement, LineItem, Purchase
from punchcard.domain.rules.document import Effect, RateEffect, Rule, Ruleset
from punchcard.domain.rules.evaluation import CompiledRuleset, Evaluation, evaluate
from punchcard.domain.rules.facts import CustomerContext, EventFacts

AT = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
"""A plain Tuesday in March: no campaign is on."""

BASE = Rule("base", Effect(rate=RateEffect(points=1, per=100)))
"""1 point per dollar, the base most tests build on."""


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def item(sku: str, amount: int, category: str | None = None, **more: Any) -> LineItem:
    return LineItem(sku=sku, amount=amount, category=category, **more)


def purchase(*items: LineItem, amount: int | None = None, **more: Any) -> Purchase:
    """An order of ``items``; its amount is theirs unless given (the rest is unitemised)."""
    total = sum(i.amount for i in items) if amount is None else amount
    return Purchase(tenant="acme", customer_id="cus_1", order_id="o-1", amount=total,
                    currency="USD", items=items, **more)  # fmt: skip


def engagement(type: str) -> Engagement:
    return Engagement(tenant="acme", customer_id="cus_1", event_id="e-1", type=type)


def run(
    rules: Ruleset | CompiledRuleset | tuple[Rule, ...],
    event: Purchase | Engagement,
    customer: CustomerContext | None = None,
    *,
    at: datetime = AT,
    zone: str = "UTC",
) -> Evaluation:
    """Evaluate ``event`` at ``at`` (in ``zone``) for ``customer``."""
    if isinstance(rules, tuple):
        rules = Ruleset(rules)
    compiled = rules if isinstance(rules, CompiledRuleset) else CompiledRuleset.of(rules)
    return evaluate(compiled, EventFacts.of(event, at, zone), customer or CustomerContext())


def points_by_rule(evaluation: Evaluation) -> list[tuple[str, str | None, int]]:
    return [(line.rule, line.item, line.points) for line in evaluation.lines]
