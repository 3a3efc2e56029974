"""Evaluating a ruleset: (event, customer, ruleset) -> breakdown. Pure: no I/O.

Rules apply top to bottom (see ``document.py`` for effects and stacking). The
points of the rate rules are the *base*: an order's base is the sum of its rate
lines, an item's base is its own amount at the rates that applied, each rounded
once; base and tier multiples multiply those rounded base points, which is the
seed programme's arithmetic (base + category extra + tier extra + campaign bonus).
Caps and budgets clamp a rule's points as it applies, so a multiplier below a
capped rule sees the capped points.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction

from punchcard.domain.loyalty.programme import LotKind
from punchcard.domain.rules.conditions import Condition, compile_condition
from punchcard.domain.rules.document import (
    Cap,
    EventKind,
    Period,
    Rule,
    Ruleset,
    Scope,
    Stacking,
    decimal,
)
from punchcard.domain.rules.facts import CustomerContext, EventFacts
from punchcard.domain.validation import JsonValue


@dataclass(frozen=True, slots=True)
class Line:
    rule: str
    kind: LotKind
    points: int
    credit: int = 0
    """Cashback, in the credit asset's minor unit."""
    item: str | None = None
    """The line item's sku, for line-item rules."""
    capped: int = 0
    """Points the rule's caps or budget took off this line."""

    def document(self) -> dict[str, JsonValue]:
        out: dict[str, JsonValue] = {"rule": self.rule, "kind": self.kind.value,
                                     "points": self.points}  # fmt: skip
        for name in ("credit", "item", "capped"):
            if getattr(self, name):
                out[name] = getattr(self, name)
        return out


@dataclass(frozen=True, slots=True)
class Evaluation:
    lines: tuple[Line, ...]
    version: int | None
    tier: str
    skipped: dict[str, str] = field(default_factory=dict)
    """Rules whose condition failed to evaluate, and why."""
    usage: dict[tuple[str, str], int] = field(default_factory=dict)
    """Points to add to each (rule, period key) counter of the caps and budgets."""
    limited: frozenset[str] = frozenset()
    """Rules that applied and have caps or a budget (their counters were consulted)."""

    @property
    def points(self) -> int:
        return sum(line.points for line in self.lines)

    @property
    def credit(self) -> int:
        return sum(line.credit for line in self.lines)

    def by_kind(self) -> dict[LotKind, int]:
        totals: dict[LotKind, int] = {}
        for line in self.lines:
            if line.points:
                totals[line.kind] = totals.get(line.kind, 0) + line.points
        return totals

    def document(self) -> dict[str, JsonValue]:
        out: dict[str, JsonValue] = {
            "ruleset_version": self.version, "tier": self.tier,
            "lines": [line.document() for line in self.lines],
            "points": self.points, "credit": self.credit,
        }  # fmt: skip
        if self.skipped:
            out["skipped"] = dict(self.skipped)
        return out


@dataclass(frozen=True, slots=True)
class CompiledRule:
    rule: Rule
    condition: Condition | None
    factor: tuple[int, int]
    """base_multiple, multiplier or cashback_percent as an exact ratio (else 1/1)."""
    rate: tuple[int, int] | None
    """A rate effect's points per minor units."""


@dataclass(frozen=True, slots=True)
class CompiledRuleset:
    ruleset: Ruleset
    version: int | None
    rules: tuple[CompiledRule, ...]
    tier_extra: dict[str, tuple[int, int]]
    """Per tier name, its multiplier minus one, as an exact ratio."""
    by_event: dict[EventKind, tuple[CompiledRule, ...]] = field(default_factory=dict)
    """The rules for each kind of event, in order."""

    @classmethod
    def of(cls, ruleset: Ruleset, version: int | None = None) -> CompiledRuleset:
        compiled = []
        for rule in ruleset.rules:
            condition = None
            if rule.when is not None:
                condition = compile_condition(
                    rule.id, rule.when, line_item=rule.scope is Scope.LINE_ITEM
                )
            effect = rule.effect
            raw = effect.base_multiple or effect.multiplier or effect.cashback_percent
            factor = decimal(raw, f"rule {rule.id}") if raw is not None else Fraction(1)
            rate = (effect.rate.points, effect.rate.per) if effect.rate is not None else None
            compiled.append(
                CompiledRule(rule, condition, (factor.numerator, factor.denominator), rate)
            )
        extra = {}
        if ruleset.tiers is not None:
            for level in ruleset.tiers.levels:
                m = decimal(level.multiplier, f"tier {level.name}") - 1
                extra[level.name] = (m.numerator, m.denominator)
        by_event = {kind: tuple(c for c in compiled if c.rule.event is kind) for kind in EventKind}
        return cls(ruleset, version, tuple(compiled), extra, by_event)


Ratio = tuple[int, int]
"""An exact non-negative ratio (numerator, denominator > 0), cheaper than Fraction."""


def _plus(a: Ratio, b: Ratio) -> Ratio:
    if a[1] == b[1]:
        return a[0] + b[0], a[1]
    return a[0] * b[1] + b[0] * a[1], a[1] * b[1]


def period_key(period: Period, on: date) -> str:
    """The counter a cap counts in: the start of its period (weeks start on Monday)."""
    if period is Period.LIFETIME:
        return "lifetime"
    if period is Period.DAY:
        start = on
    elif period is Period.WEEK:
        start = on - timedelta(days=on.weekday())
    elif period is Period.MONTH:
        start = on.replace(day=1)
    else:
        start = on.replace(month=1, day=1)
    return f"{period.value}:{start.isoformat()}"


def limit_keys(rule: Rule, on: date) -> Iterator[tuple[tuple[str, str], int]]:
    """Each (rule, period key) counter the rule's caps and budget use, with its limit."""
    for cap in rule.caps:
        yield (rule.id, period_key(cap.period, on)), cap.points
    if rule.budget is not None:
        yield (rule.id, "budget"), rule.budget


class _Facts(Mapping[str, Mapping[str, object]]):
    """The variables a condition may read, each built only when it reads it."""

    __slots__ = ("_index", "_item", "_run")

    def __init__(self, run: _Run, index: int | None) -> None:
        self._run, self._index = run, index
        self._item: dict[str, object] | None = None

    def __getitem__(self, name: str) -> Mapping[str, object]:
        if name == "item":
            if self._index is None:
                raise KeyError(name)
            if self._item is None:
                self._item = self._run.eligible[self._index].variables()
            return self._item
        return self._run.variable(name)

    def __iter__(self) -> Iterator[str]:
        names = ("order", "event", "customer")
        return iter(names if self._index is None else (*names, "item"))

    def __len__(self) -> int:
        return 3 if self._index is None else 4


class _Run:
    """One evaluation's running state. Rates are kept as exact ratios and every line
    is one integer division, rounded by the ruleset's rule."""

    def __init__(self, ruleset: CompiledRuleset, facts: EventFacts, customer: CustomerContext):
        self.compiled = ruleset
        self.ruleset = ruleset.ruleset
        self.facts = facts
        self.customer = customer
        self.divide = ruleset.ruleset.rounding.divide
        exclusions = self.ruleset.exclusions
        self.eligible = facts.items
        self.amount = facts.amount
        if exclusions.categories or exclusions.skus:
            self.eligible = tuple(
                i for i in facts.items if not exclusions.excludes(i.sku, i.category)
            )
            excluded = sum(i.amount for i in facts.items) - sum(i.amount for i in self.eligible)
            self.amount = max(facts.amount - excluded, 0)
        self.order_rate: Ratio = (0, 1)
        self.item_rates: dict[int, Ratio] = {}
        self.item_bases: dict[int, int] = {}
        self.base = 0
        """The order's base points: the sum of its rate lines."""
        self.lines: list[Line] = []
        self.skipped: dict[str, str] = {}
        self.used: dict[tuple[str, str], int] = customer.usage  # type: ignore[assignment]
        """Counters so far; copied before the first change (most rules have no limits)."""
        self.usage: dict[tuple[str, str], int] = {}
        self.limited: set[str] = set()
        self.tier = customer.tier
        if ruleset.tier_extra and customer.tier not in ruleset.tier_extra:
            self.tier = next(iter(ruleset.tier_extra))  # the lowest tier
        self.shared: dict[str, dict[str, object]] = {}
        self.item_facts: dict[int | None, _Facts] = {}

    def facts_for(self, index: int | None) -> _Facts:
        found = self.item_facts.get(index)
        if found is None:
            found = self.item_facts[index] = _Facts(self, index)
        return found

    def item_variables(self, index: int) -> Mapping[str, object]:
        return self.facts_for(index)["item"]

    def variable(self, name: str) -> dict[str, object]:
        """One of order, event, customer, computed once per evaluation and only if read."""
        found = self.shared.get(name)
        if found is None:
            if name == "order":
                found = self.facts.order_variables(self.eligible, self.amount)
            elif name == "event":
                found = self.facts.event_variables()
            else:
                found = self.customer.variables() | {"tier": self.tier}
            self.shared[name] = found
        return found

    def holds(self, compiled: CompiledRule, index: int | None = None) -> bool:
        if compiled.condition is None:
            return True
        verdict = compiled.condition.holds(self.facts_for(index))
        if isinstance(verdict, str):
            self.skipped[compiled.rule.id] = verdict
            return False
        return verdict

    def times(self, amount: int, ratio: tuple[int, int]) -> int:
        return self.divide(amount * ratio[0], ratio[1])

    def tier_extra(self) -> tuple[int, int]:
        return self.compiled.tier_extra.get(self.tier, (0, 1))

    def item_base(self, index: int) -> int:
        base = self.item_bases.get(index)
        if base is None:
            num, den = _plus(self.order_rate, self.item_rates.get(index, (0, 1)))
            base = self.item_bases[index] = self.divide(num * self.eligible[index].amount, den)
        return base

    def add_rate(self, index: int | None, points: int, per: int) -> None:
        if index is None:
            self.order_rate = _plus(self.order_rate, (points, per))
        else:
            self.item_rates[index] = _plus(self.item_rates.get(index, (0, 1)), (points, per))
        self.item_bases.clear()


def evaluate(ruleset: CompiledRuleset, facts: EventFacts, customer: CustomerContext) -> Evaluation:
    run = _Run(ruleset, facts, customer)
    for compiled in ruleset.by_event[facts.kind]:
        rule = compiled.rule
        if (rule.valid_from or rule.valid_until) and not rule.active_at(facts.occurred_at):
            continue
        if rule.min_order and facts.kind is EventKind.PURCHASE and facts.amount < rule.min_order:
            continue
        lines = _apply(run, compiled)
        if rule.caps or rule.budget is not None:
            lines = _limit(run, rule, lines)
        if compiled.rate is not None:
            run.base += sum(line.points for line in lines)
        run.lines.extend(lines)
        if rule.stacking is Stacking.EXCLUSIVE and any(
            line.points or line.credit for line in lines
        ):
            break
    return Evaluation(
        tuple(run.lines), ruleset.version, run.tier, run.skipped, run.usage,
        frozenset(run.limited),
    )  # fmt: skip


def _apply(run: _Run, compiled: CompiledRule) -> list[Line]:
    if compiled.rule.scope is Scope.ORDER:
        if not run.holds(compiled):
            return []
        points, credit = _order_effect(run, compiled)
        return [Line(compiled.rule.id, compiled.rule.kind, points, credit=credit)]
    lines = []
    rule, condition = compiled.rule, compiled.condition
    own = rule.exclusions
    excludes = own.excludes if (own.categories or own.skus) else None
    for index, item in enumerate(run.eligible):
        if excludes is not None and excludes(item.sku, item.category):
            continue
        if condition is not None:
            if condition.item_field is not None:
                verdict = condition.holds_item(run.item_variables(index))
            else:
                verdict = condition.holds(run.facts_for(index))
            if verdict is not True:
                if verdict is not False:
                    run.skipped[rule.id] = verdict
                continue
        points, credit = _item_effect(run, compiled, index)
        lines.append(Line(rule.id, rule.kind, points, credit=credit, item=item.sku))
    return lines


def _order_effect(run: _Run, compiled: CompiledRule) -> tuple[int, int]:
    """(points, credit) of an order-scope rule that applies."""
    rule, effect = compiled.rule, compiled.rule.effect
    num, den = compiled.factor
    amount = run.amount
    excluded: list[int] = []
    if rule.exclusions.categories or rule.exclusions.skus:
        excluded = [
            index for index, item in enumerate(run.eligible)
            if rule.exclusions.excludes(item.sku, item.category)
        ]  # fmt: skip
        amount -= sum(run.eligible[index].amount for index in excluded)
    if compiled.rate is not None:
        points, per = compiled.rate
        if excluded:  # the rate reaches the items it does not exclude, one by one
            for index in range(len(run.eligible)):
                if index not in excluded:
                    run.add_rate(index, points, per)
        else:
            run.add_rate(None, points, per)
        return run.divide(points * amount, per), 0
    base = run.base
    if excluded:  # the base of the items the rule does not exclude
        base = max(base - sum(run.item_base(index) for index in excluded), 0)
    if effect.base_multiple is not None:
        return run.times(base, compiled.factor), 0
    if effect.tier_multiple:
        return run.times(base, run.tier_extra()), 0
    if effect.flat is not None:
        return effect.flat, 0
    if effect.multiplier is not None:
        so_far = sum(line.points for line in run.lines)
        return run.divide(so_far * (num - den), den), 0
    return 0, run.divide(amount * num, den * 100)


def _item_effect(run: _Run, compiled: CompiledRule, index: int) -> tuple[int, int]:
    """(points, credit) of a line-item rule on one eligible item."""
    effect, item = compiled.rule.effect, run.eligible[index]
    if compiled.rate is not None:
        points, per = compiled.rate
        run.add_rate(index, points, per)
        return run.divide(points * item.amount, per), 0
    if effect.base_multiple is not None:
        return run.times(run.item_base(index), compiled.factor), 0
    if effect.tier_multiple:
        return run.times(run.item_base(index), run.tier_extra()), 0
    if effect.flat is not None:
        return effect.flat * item.quantity, 0
    num, den = compiled.factor
    return 0, run.divide(item.amount * num, den * 100)


def _limit(run: _Run, rule: Rule, lines: list[Line]) -> list[Line]:
    """Clamp the rule's points to what its caps and budget have left, last line first."""
    keys = list(limit_keys(rule, run.facts.local.date()))
    if not keys or not lines:
        return lines
    run.limited.add(rule.id)
    wanted = sum(line.points for line in lines)
    allowed = min(max(limit - run.used.get(key, 0), 0) for key, limit in keys)
    if wanted > allowed:
        excess = wanted - allowed
        clamped = []
        for line in reversed(lines):
            cut = min(line.points, excess)
            excess -= cut
            clamped.append(Line(line.rule, line.kind, line.points - cut, line.credit, line.item,
                                line.capped + cut))  # fmt: skip
        lines = list(reversed(clamped))
    given = sum(line.points for line in lines)
    if given:
        if run.used is run.customer.usage:  # the caller's mapping: never change it
            run.used = dict(run.used)
        for key, _ in keys:
            run.used[key] = run.used.get(key, 0) + given
            run.usage[key] = run.usage.get(key, 0) + given
    return lines


__all__ = ["Cap", "CompiledRuleset", "Evaluation", "Line", "evaluate", "limit_keys"]
