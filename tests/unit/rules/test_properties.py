"""Properties of evaluation over random rulesets, events and customers: whole,
non-negative lines that add up, determinism whatever the memo holds, and limits kept."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from punchcard.domain.loyalty.commands import LineItem
from punchcard.domain.rules.defaults import CATEGORY_EXTRA, default_ruleset
from punchcard.domain.rules.document import Ruleset
from punchcard.domain.rules.evaluation import CompiledRuleset, Evaluation, evaluate, limit_keys
from punchcard.domain.rules.facts import CustomerContext, EventFacts
from tests.unit.rules.builders import AT, purchase
from tests.unit.rules.strategies import LINE_ITEMS, Scenario, rulesets, scenarios

RANDOM = settings(deadline=None)  # building a ruleset draws a lot; timing varies with load


@st.composite
def cases(draw: st.DrawFn) -> tuple[Ruleset, Scenario, Scenario]:
    ruleset = draw(rulesets())
    return ruleset, draw(scenarios(ruleset)), draw(scenarios(ruleset))


def run(compiled: CompiledRuleset, scenario: Scenario) -> Evaluation:
    return evaluate(compiled, scenario.facts, scenario.customer)


@RANDOM
@given(cases())
def test_lines_are_whole_non_negative_and_add_up(case: tuple[Ruleset, Scenario, Scenario]) -> None:
    ruleset, scenario, _ = case
    evaluation = run(CompiledRuleset.of(ruleset), scenario)
    for line in evaluation.lines:
        assert type(line.points) is int and line.points >= 0, line
        assert type(line.credit) is int and line.credit >= 0, line
        assert type(line.capped) is int and line.capped >= 0, line
    assert evaluation.points == sum(line.points for line in evaluation.lines) >= 0
    assert evaluation.credit == sum(line.credit for line in evaluation.lines) >= 0
    assert sum(evaluation.by_kind().values()) == evaluation.points
    assert all(points > 0 for points in evaluation.by_kind().values())
    ids = {rule.id for rule in ruleset.rules}
    conditional = {rule.id for rule in ruleset.rules if rule.when is not None}
    assert {line.rule for line in evaluation.lines} <= ids
    assert set(evaluation.skipped) <= conditional


@RANDOM
@given(cases())
def test_evaluation_is_deterministic_whatever_the_memo_holds(
    case: tuple[Ruleset, Scenario, Scenario],
) -> None:
    ruleset, scenario, other = case
    compiled = CompiledRuleset.of(ruleset)
    first = run(compiled, scenario)
    assert run(compiled, scenario) == first
    run(compiled, other)  # fills the memo with another event's verdicts
    assert run(compiled, scenario) == first
    assert run(CompiledRuleset.of(ruleset), scenario) == first
    assert run(CompiledRuleset.of(ruleset, version=7), scenario) == Evaluation(
        first.lines, 7, first.tier, first.skipped, first.usage, first.limited
    )


@RANDOM
@given(cases())
def test_a_limited_rule_never_gives_more_than_its_limits_have_left(
    case: tuple[Ruleset, Scenario, Scenario],
) -> None:
    ruleset, scenario, _ = case
    evaluation = run(CompiledRuleset.of(ruleset), scenario)
    usage = scenario.customer.usage
    on = scenario.facts.local.date()
    for rule in ruleset.rules:
        limits = list(limit_keys(rule, on))
        given = sum(line.points for line in evaluation.lines if line.rule == rule.id)
        if not limits:
            assert rule.id not in evaluation.limited
            continue
        assert given <= min(max(limit - usage.get(key, 0), 0) for key, limit in limits)
        keys = [key for key, _ in limits]
        if len(set(keys)) == len(keys):  # see test_caps for periods whose keys coincide
            assert all(evaluation.usage.get(key, 0) == given for key in keys)
    assert set(evaluation.usage) <= {
        key for rule in ruleset.rules for key, _ in limit_keys(rule, on)
    }  # fmt: skip


SEED = CompiledRuleset.of(default_ruleset())
TIER_EXTRA = {"bronze": (0, 1), "silver": (1, 2), "gold": (1, 1), "platinum": (2, 1)}


@given(
    st.lists(LINE_ITEMS, max_size=6),
    st.integers(0, 5_000),
    st.sampled_from(sorted(TIER_EXTRA)),
)
def test_the_seed_adds_base_category_extras_and_tier_extra(
    items: list[LineItem], unitemised: int, tier: str
) -> None:
    order = purchase(*items, amount=sum(i.amount for i in items) + unitemised)
    evaluation = evaluate(SEED, EventFacts.of(order, AT, "UTC"), CustomerContext(tier=tier))
    eligible = [i for i in items if i.category != "gift_cards"]
    base = (order.amount - sum(i.amount for i in items) + sum(i.amount for i in eligible)) // 100
    extras = sum(
        i.amount // 100 * int(CATEGORY_EXTRA[i.category])
        for i in eligible
        if i.category in CATEGORY_EXTRA
    )
    num, den = TIER_EXTRA[tier]
    assert evaluation.points == base + extras + base * num // den
