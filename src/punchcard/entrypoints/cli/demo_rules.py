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
from punchcard.entrypoints.cli import render
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
        try:
            then.approve_ruleset(tenant, draft.version, approved_by=MAKER)
        except MakerCheckerViolation as exc:
            console.print(f"refused: {exc.message}", markup=False, highlight=False)
        version = then.approve_ruleset(tenant, draft.version, approved_by=CHECKER)
    _show(console, version)
    return version


def _show(console: Console, version: RulesetVersion) -> None:
    ruleset = version.ruleset
    active = version.activate_at
    title = (
        f'ruleset v{version.version} "{ruleset.name}": created by {version.created_by}, '
        f"approved by {version.approved_by}, active from {active:%Y-%m-%d %H:%M} UTC"
        if active
        else f"ruleset v{version.version}"
    )
    table = Table(title=title, title_justify="left")
    for column in ("rule", "event", "when", "what it gives"):
        table.add_column(column)
    for rule in ruleset.rules:
        table.add_row(rule.id, rule.event.value, _when(rule), rule.description)
    console.print(table)
    excluded = ", ".join(ruleset.exclusions.categories)
    console.print(f"categories that earn nothing: {excluded}")
    if ruleset.tiers is not None:
        levels = ", ".join(
            f"{level.name} {level.threshold:,} x{level.multiplier}"
            for level in ruleset.tiers.levels
        )
        console.print(
            f"tiers on {ruleset.tiers.measure.value} over {ruleset.tiers.rolling_months} months: "
            f"{levels}"
        )


def _when(rule: Rule) -> str:
    if rule.valid_from is not None and rule.valid_until is not None:
        return f"{rule.valid_from:%Y-%m-%d} to {rule.valid_until:%Y-%m-%d}"
    return rule.when or "always"


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
    report = loyalty.simulate(tenant, weekend_draft(active.ruleset), orders)
    changed = [event for event in report.events if event.delta]
    rows = [
        ("orders rated, nothing written", f"{len(report.events):,}"),
        (f"points by the active v{report.active_version}", f"{report.active_points:,}"),
        ("points by the draft", f"{report.draft_points:,}"),
        ("delta", f"{report.delta:+,}"),
        ("orders it changes (weekend orders)", f"{len(changed):,}"),
        ("customers it changes", f"{len(report.affected_customers):,}"),
    ]
    render.key_values(console, f"simulate draft: {WEEKEND.description}", rows)


def explain(loyalty: Loyalty, console: Console, tenant: str, people: Sequence[Customer]) -> bool:
    """Explain the first earn with the most breakdown lines; True if it recomputes."""
    earns = [earn for person in people[:50] for earn in person.earns if earn.transaction_id]
    if not earns:
        return True
    earn = max(earns, key=lambda e: len(e.breakdown.get("lines", ())))
    assert earn.transaction_id is not None
    explanation = loyalty.explain(tenant, earn.transaction_id)
    stored = explanation.stored
    table = Table(
        title=f"explain transaction {earn.transaction_id}: ruleset v{explanation.version}, "
        f"tier {stored.get('tier')}",
        title_justify="left",
    )
    for column, justify in (("rule", "left"), ("item", "left"), ("kind", "left"),
                            ("points", "right")):  # fmt: skip
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for line in stored.get("lines", ()):
        table.add_row(line["rule"], line.get("item", ""), line["kind"], f"{line['points']:,}")
    table.add_row("total", "", "", f"{stored.get('points', 0):,}", style="bold")
    console.print(table)
    verdict = "matches what was stored" if explanation.matches else "DIFFERS from what was stored"
    console.print(f"recomputed from its stored inputs by v{explanation.version}: {verdict}")
    return bool(explanation.matches)


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
