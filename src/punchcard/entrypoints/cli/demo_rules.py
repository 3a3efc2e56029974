"""The demo's rules: the seed ruleset published under maker-checker, a campaign
simulated before anyone approves it, one earn explained, and what the rules gave.

An event is rated by the ruleset version active when it occurred, and a version
becomes active only once approved, never in the past. The demo's purchases are
spread over the last 25 days, so its governance runs on a clock set back to just
before that history: the seed ruleset is approved as of then, as if the
programme had run on it all along.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Sequence
from datetime import timedelta

from rich.console import Console
from rich.table import Table

from punchcard.domain.errors import MakerCheckerViolation
from punchcard.domain.rules.defaults import default_ruleset
from punchcard.domain.rules.document import Effect, Rule, Ruleset, Stacking
from punchcard.domain.rules.versions import RulesetVersion
from punchcard.entrypoints.cli import render, render_rules
from punchcard.entrypoints.cli.demo_customer import HISTORY, Customer
from punchcard.service_layer.ledger import Ledger
from punchcard.service_layer.loyalty.facade import Loyalty

MAKER, CHECKER = "marketing-mia", "finance-fred"
PUBLISHED_BEFORE = HISTORY + timedelta(days=1)
WEEKEND = Rule(
    "double_points_weekend",
    Effect(multiplier="2"),
    stacking=Stacking.MULTIPLY,
    when="order.day_of_week >= 6",
    description="double points on Saturdays and Sundays",
)
SAMPLE = 400
"""Orders the campaign is simulated on."""


def publish(loyalty: Loyalty, console: Console, tenant: str) -> RulesetVersion:
    """Publish the seed ruleset (or keep the version an earlier run published)."""
    version = loyalty.active_ruleset(tenant)
    if version is None:
        clock = Ledger(loyalty.ledger.database, clock=lambda: loyalty.now() - PUBLISHED_BEFORE)
        then = Loyalty(clock)  # shares the pool; closing it would close the database
        draft = then.create_ruleset(tenant, default_ruleset(), created_by=MAKER)
        then.submit_ruleset(tenant, draft.version, submitted_by=MAKER)
        _say(console, f'ruleset v{draft.version} "{draft.ruleset.name}": made and submitted '
                      f"by {MAKER}")  # fmt: skip
        try:
            then.approve_ruleset(tenant, draft.version, approved_by=MAKER)
        except MakerCheckerViolation as exc:
            _say(console, f"refused: {exc.code}: {exc.message}")
        version = then.approve_ruleset(tenant, draft.version, approved_by=CHECKER)
    at = f"{version.activate_at:%Y-%m-%d %H:%M} UTC" if version.activate_at else "never"
    _say(console, f"ruleset v{version.version} approved by {version.approved_by}: published, "
                  f"active from {at}")  # fmt: skip
    _show(console, version.ruleset)
    return version


def _say(console: Console, text: str) -> None:
    console.print(text, markup=False, highlight=False)


def _show(console: Console, ruleset: Ruleset) -> None:
    table = Table()
    table.add_column("rule", no_wrap=True)
    table.add_column("applies")
    table.add_column("gives")
    for rule in ruleset.rules:
        table.add_row(rule.id, _when(rule), _gives(rule))
    console.print(table)
    excluded = ", ".join(ruleset.exclusions.categories)
    console.print(f"categories that earn nothing: {excluded}")
    if ruleset.tiers is not None:
        tiers = ruleset.tiers
        levels = ", ".join(f"{level.name} {level.threshold:,} x{level.multiplier}"
                           for level in tiers.levels)  # fmt: skip
        measure = tiers.measure.value.replace("_", " ")
        console.print(f"tiers ({measure}, {tiers.rolling_months} months): {levels}")


def _when(rule: Rule) -> str:
    """The rule's condition (or event) and the days it applies on."""
    parts = [rule.when or f"every {rule.event.value}"]
    start, end = rule.valid_from, rule.valid_until
    last = None if end is None else end - timedelta(microseconds=1)  # it applies before end
    if start is not None and last is not None and start.date() == last.date():
        parts.append(f"on {start:%Y-%m-%d}")
    else:
        if start is not None:
            parts.append(f"from {start:%Y-%m-%d}")
        if last is not None:
            same_year = start is not None and start.year == last.year
            parts.append(f"to {last:%m-%d}" if same_year else f"to {last:%Y-%m-%d}")
    return " ".join(parts)


def _gives(rule: Rule) -> str:
    effect = rule.effect
    if effect.rate is not None:
        gives = f"{effect.rate.points} pt per {effect.rate.per} spent"
    elif effect.base_multiple is not None:
        gives = f"+ base x {effect.base_multiple}"
    elif effect.tier_multiple:
        gives = "+ base x (tier x - 1)"
    elif effect.flat is not None:
        gives = f"+ {effect.flat:,}"
    elif effect.multiplier is not None:
        gives = f"everything above x {effect.multiplier}"
    else:
        gives = f"{effect.cashback_percent}% back as credit"
    return gives if rule.kind.value == "earned" else f"{gives} ({rule.kind.value})"


def weekend_draft(ruleset: Ruleset) -> Ruleset:
    """The seed rules with a double-points weekend on top of everything they give."""
    return dataclasses.replace(ruleset, name="double points weekend",
                               rules=(*ruleset.rules, WEEKEND))  # fmt: skip


def simulate(
    loyalty: Loyalty,
    console: Console,
    tenant: str,
    active: RulesetVersion,
    people: Sequence[Customer],
) -> None:
    currency = loyalty.programme(tenant).currency
    orders = [
        order.purchase(tenant, person.id, currency) for person in people for order in person.orders
    ][:SAMPLE]
    draft = weekend_draft(active.ruleset)
    report = loyalty.simulate(tenant, draft, orders)
    changed = [event for event in report.events if event.delta]
    rows = [
        ("orders rated, nothing written", f"{len(report.events):,}"),
        (f"points by the active v{report.active_version}", f"{report.active_points:,}"),
        ("points by the draft", f"{report.draft_points:,}"),
        ("delta", f"{report.delta:+,}"),
        ("orders it changes (weekend orders)", f"{len(changed):,}"),
        ("customers it changes", f"{len(report.affected_customers):,}"),
    ]
    render.key_values(console, f'simulate draft "{draft.name}"', rows)


def explain(loyalty: Loyalty, console: Console, tenant: str, people: Sequence[Customer]) -> bool:
    """Explain the first earn with the most breakdown lines; True if it recomputes."""
    earns = [earn for person in people[:50] for earn in person.earns if earn.transaction_id]
    if not earns:
        return True
    earn = max(earns, key=lambda e: len(e.breakdown.get("lines", ())))
    assert earn.transaction_id is not None
    explanation = loyalty.explain(tenant, earn.transaction_id)
    render_rules.explanation(console, explanation)
    return explanation.matches is not False


def points_by_rule(console: Console, ruleset: Ruleset, people: Sequence[Customer]) -> None:
    totals = Counter[str]()
    for person in people:
        totals.update(person.by_rule)
    order = [rule.id for rule in ruleset.rules]
    names = [name for name in order if totals[name]] + sorted(set(totals) - set(order))
    rows = [(name, f"{totals[name]:,}") for name in names]
    rows.append(("total", f"{sum(totals.values()):,}"))
    render.key_values(console, "points earned by rule (before refunds)", rows)


def tiers(console: Console, ruleset: Ruleset, held: Sequence[str], facts: Counter[str]) -> None:
    """Where the customers' tiers ended, and the upgrades their earns made on the way."""
    counts = Counter(held)
    names = [level.name for level in ruleset.tiers.levels] if ruleset.tiers else sorted(counts)
    rows = [(f"customers in {name}", f"{counts[name]:,}") for name in names]
    rows += [(f"earns that moved a customer up to {name}", f"{facts[f'moved up to {name}']:,}")
             for name in names[1:]]  # fmt: skip
    render.key_values(console, "tiers", rows)
