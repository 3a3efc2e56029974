"""A ruleset: the versioned document that decides what every event earns.

Rules apply top to bottom. Each rule has an optional condition (a CEL
expression, never ``eval``), an effect, a scope (the whole order, or each line
item) and a stacking policy:

- ``add``: its points add to the total;
- ``multiply``: it multiplies the points the rules above it gave (shown as an
  extra line of ``total x (factor - 1)``, so the lines still sum to the total);
- ``exclusive``: when it applies, no rule below it does.

Every number is exact: integers, or decimal strings such as ``"1.5"`` read as
fractions. Each line is rounded once, by the ruleset's rounding rule (floor by
default), so a breakdown's lines always sum to its total.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from fractions import Fraction
from typing import ClassVar

from punchcard.domain.errors import InvalidRuleset
from punchcard.domain.loyalty.programme import LotKind

STRICT: dict[str, object] = {"extra": "forbid", "strict": True}
RULE_ID_RE = re.compile(r"[a-z][a-z0-9_]{0,63}")
DECIMAL_RE = re.compile(r"\d{1,9}(\.\d{1,6})?")
MAX_RULES = 200
MAX_POINTS = 10**12


def decimal(value: str, what: str) -> Fraction:
    """An exact non-negative decimal such as ``"1.5"``; floats never get this far."""
    if not isinstance(value, str) or not DECIMAL_RE.fullmatch(value):
        raise InvalidRuleset(f'{what} must be a decimal string such as "1.5", got {value!r}')
    return Fraction(value)


def _count(value: int, what: str, *, least: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not least <= value <= MAX_POINTS:
        raise InvalidRuleset(f"{what} must be an integer from {least} to 10^12")
    return value


class Rounding(StrEnum):
    FLOOR = "floor"
    HALF_UP = "half_up"
    CEILING = "ceiling"

    def apply(self, value: Fraction) -> int:
        return self.divide(value.numerator, value.denominator)

    def divide(self, numerator: int, denominator: int) -> int:
        """numerator / denominator (denominator > 0), rounded by this rule."""
        if self is Rounding.FLOOR:
            return numerator // denominator
        if self is Rounding.CEILING:
            return -(-numerator // denominator)
        return (2 * numerator + denominator) // (2 * denominator)


class Scope(StrEnum):
    ORDER = "order"
    LINE_ITEM = "line_item"


class Stacking(StrEnum):
    ADD = "add"
    MULTIPLY = "multiply"
    EXCLUSIVE = "exclusive"


class EventKind(StrEnum):
    PURCHASE = "purchase"
    ENGAGEMENT = "engagement"


class Period(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"
    LIFETIME = "lifetime"


@dataclass(frozen=True, slots=True)
class Effect:
    """Exactly one of these is set.

    - ``rate``: ``points`` per ``per`` minor units of the eligible amount (the
      base rate: ``{"points": 1, "per": 100}`` is 1 point per dollar);
    - ``base_multiple``: the base points of the same order or item times this
      (a category "x2" is ``"1"``: one more base on top of the base);
    - ``tier_multiple``: the base points times (the customer's tier multiplier - 1);
    - ``flat``: a fixed number of points (per unit of quantity for line items);
    - ``multiplier``: multiplies everything above it (stacking ``multiply``);
    - ``cashback_percent``: this percentage of the eligible amount as store credit.
    """

    __pydantic_config__: ClassVar[dict[str, object]] = STRICT

    rate: RateEffect | None = None
    base_multiple: str | None = None
    tier_multiple: bool = False
    flat: int | None = None
    multiplier: str | None = None
    cashback_percent: str | None = None

    def __post_init__(self) -> None:
        chosen = [
            name
            for name in ("rate", "base_multiple", "flat", "multiplier", "cashback_percent")
            if getattr(self, name) is not None
        ] + (["tier_multiple"] if self.tier_multiple else [])
        if len(chosen) != 1:
            raise InvalidRuleset(
                "an effect sets exactly one of rate, base_multiple, tier_multiple, flat, "
                f"multiplier, cashback_percent (got {', '.join(chosen) or 'none'})"
            )
        for name in ("base_multiple", "multiplier", "cashback_percent"):
            value = getattr(self, name)
            if value is not None:
                decimal(value, name)
        if self.multiplier is not None and decimal(self.multiplier, "multiplier") < 1:
            raise InvalidRuleset(
                "a multiplier is at least 1: rules add points, they never take them away"
            )
        if self.flat is not None:
            _count(self.flat, "flat", least=1)

    @property
    def name(self) -> str:
        if self.rate is not None:
            return "rate"
        for name in ("base_multiple", "flat", "multiplier", "cashback_percent"):
            if getattr(self, name) is not None:
                return name
        return "tier_multiple"


@dataclass(frozen=True, slots=True)
class RateEffect:
    __pydantic_config__: ClassVar[dict[str, object]] = STRICT

    points: int
    per: int

    def __post_init__(self) -> None:
        _count(self.points, "rate points", least=1)
        _count(self.per, "rate per", least=1)


@dataclass(frozen=True, slots=True)
class Cap:
    """At most ``points`` from this rule per customer per ``period`` (in the
    programme's time zone; weeks start on Monday)."""

    __pydantic_config__: ClassVar[dict[str, object]] = STRICT

    period: Period
    points: int

    def __post_init__(self) -> None:
        _count(self.points, "cap points", least=1)


@dataclass(frozen=True, slots=True)
class Exclusions:
    """Line items that earn nothing (gift cards, shipping, tax ...)."""

    __pydantic_config__: ClassVar[dict[str, object]] = STRICT

    categories: tuple[str, ...] = ()
    skus: tuple[str, ...] = ()

    def excludes(self, sku: str, category: str | None) -> bool:
        return sku in self.skus or (category is not None and category in self.categories)


@dataclass(frozen=True, slots=True)
class Rule:
    __pydantic_config__: ClassVar[dict[str, object]] = STRICT

    id: str
    effect: Effect
    description: str = ""
    event: EventKind = EventKind.PURCHASE
    when: str | None = None
    """A CEL condition over ``order``, ``item`` (line-item scope), ``event`` and ``customer``."""
    scope: Scope = Scope.ORDER
    stacking: Stacking = Stacking.ADD
    kind: LotKind = LotKind.EARNED
    """The lot its points land in (expiry follows the kind: bonus points expire sooner)."""
    min_order: int = 0
    """Minimum order amount (minor units) for the rule to apply."""
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    """The rule applies to events at or after ``valid_from`` and before ``valid_until``."""
    exclusions: Exclusions = field(default_factory=Exclusions)
    caps: tuple[Cap, ...] = ()
    budget: int | None = None
    """Total points this rule may ever give, across customers (a campaign budget)."""

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not RULE_ID_RE.fullmatch(self.id):
            raise InvalidRuleset(
                f"rule id {self.id!r} must be 1-64 characters of a-z, 0-9 or '_', "
                "starting with a letter"
            )
        if len(self.description) > 500:
            raise InvalidRuleset(f"rule {self.id}: description is longer than 500 characters")
        if self.when is not None and not (0 < len(self.when) <= 2000):
            raise InvalidRuleset(f"rule {self.id}: a condition is 1-2,000 characters")
        _count(self.min_order, f"rule {self.id}: min_order")
        if self.budget is not None:
            _count(self.budget, f"rule {self.id}: budget", least=1)
        for moment in (self.valid_from, self.valid_until):
            if moment is not None and moment.utcoffset() is None:
                raise InvalidRuleset(f"rule {self.id}: validity times need a UTC offset")
        if self.valid_from and self.valid_until and self.valid_from >= self.valid_until:
            raise InvalidRuleset(f"rule {self.id}: valid_from must be before valid_until")
        periods = [cap.period for cap in self.caps]
        if len(periods) != len(set(periods)):
            raise InvalidRuleset(f"rule {self.id}: one cap per period")
        effect = self.effect.name
        if (self.stacking is Stacking.MULTIPLY) != (effect == "multiplier"):
            raise InvalidRuleset(
                f"rule {self.id}: a multiplier effect goes with stacking 'multiply', and only it"
            )
        if effect == "multiplier" and self.scope is Scope.LINE_ITEM:
            raise InvalidRuleset(f"rule {self.id}: a multiplier applies to the whole order")
        if self.event is EventKind.ENGAGEMENT and effect not in ("flat", "multiplier"):
            raise InvalidRuleset(f"rule {self.id}: engagement events earn flat points")
        if effect == "cashback_percent" and (self.caps or self.budget):
            raise InvalidRuleset(f"rule {self.id}: caps and budgets count points, not cashback")

    def active_at(self, moment: datetime) -> bool:
        if self.valid_from is not None and moment < self.valid_from:
            return False
        return self.valid_until is None or moment < self.valid_until


@dataclass(frozen=True, slots=True)
class TierLevel:
    __pydantic_config__: ClassVar[dict[str, object]] = STRICT

    name: str
    threshold: int
    multiplier: str = "1"

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not RULE_ID_RE.fullmatch(self.name):
            raise InvalidRuleset(f"tier name {self.name!r} must be like 'gold'")
        _count(self.threshold, f"tier {self.name}: threshold")
        if decimal(self.multiplier, f"tier {self.name}: multiplier") < 1:
            raise InvalidRuleset(f"tier {self.name}: a multiplier is at least 1")


class Measure(StrEnum):
    POINTS_EARNED = "points_earned"
    SPEND = "spend"


class Downgrade(StrEnum):
    NEVER = "never"
    END_OF_PERIOD = "end_of_period"
    ONE_PER_PERIOD = "one_per_period"


@dataclass(frozen=True, slots=True)
class Tiers:
    """Tiers qualify on ``measure`` over the last ``rolling_months`` months, or over
    the calendar year when ``rolling_months`` is 0."""

    __pydantic_config__: ClassVar[dict[str, object]] = STRICT

    levels: tuple[TierLevel, ...]
    measure: Measure = Measure.POINTS_EARNED
    rolling_months: int = 12
    downgrade: Downgrade = Downgrade.END_OF_PERIOD
    grace_days: int = 0

    def __post_init__(self) -> None:
        if not self.levels:
            raise InvalidRuleset("tiers need at least one level")
        if self.levels[0].threshold != 0:
            raise InvalidRuleset("the first tier's threshold must be 0 (everyone has a tier)")
        thresholds = [level.threshold for level in self.levels]
        if thresholds != sorted(set(thresholds)):
            raise InvalidRuleset("tier thresholds must rise strictly, lowest first")
        names = [level.name for level in self.levels]
        if len(names) != len(set(names)):
            raise InvalidRuleset("tier names must be unique")
        if isinstance(self.rolling_months, bool) or not 0 <= self.rolling_months <= 120:
            raise InvalidRuleset("rolling_months must be from 0 (calendar year) to 120")
        if isinstance(self.grace_days, bool) or not 0 <= self.grace_days <= 365:
            raise InvalidRuleset("grace_days must be from 0 to 365")

    def level(self, name: str) -> TierLevel:
        for level in self.levels:
            if level.name == name:
                return level
        return self.levels[0]


@dataclass(frozen=True, slots=True)
class Ruleset:
    __pydantic_config__: ClassVar[dict[str, object]] = STRICT

    rules: tuple[Rule, ...]
    name: str = "rules"
    rounding: Rounding = Rounding.FLOOR
    exclusions: Exclusions = field(default_factory=Exclusions)
    """Items no rule earns on, whatever the rule says."""
    tiers: Tiers | None = None

    def __post_init__(self) -> None:
        if not 0 < len(self.rules) <= MAX_RULES:
            raise InvalidRuleset(f"a ruleset has 1 to {MAX_RULES} rules")
        ids = [rule.id for rule in self.rules]
        duplicate = sorted({i for i in ids if ids.count(i) > 1})
        if duplicate:
            raise InvalidRuleset(f"rule ids must be unique: {', '.join(duplicate)}")
        if not 0 < len(self.name) <= 200:
            raise InvalidRuleset("a ruleset's name is 1-200 characters")
        if self.tiers is None and any(rule.effect.tier_multiple for rule in self.rules):
            raise InvalidRuleset("a tier_multiple rule needs the ruleset to define tiers")
