"""Ruleset documents: strict JSON and YAML, exact decimals, and a precise message for
every document the engine refuses."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest

from punchcard.domain.errors import InvalidRuleset
from punchcard.domain.loyalty.documents import to_document
from punchcard.domain.rules.defaults import default_ruleset
from punchcard.domain.rules.document import (
    Cap,
    Effect,
    Period,
    RateEffect,
    Rule,
    Ruleset,
    Scope,
    Stacking,
)
from punchcard.domain.rules.documents import (
    ruleset_document,
    ruleset_from_document,
    ruleset_from_text,
)

R: dict[str, Any] = {"id": "r", "effect": {"flat": 1}}
LEVEL_0 = {"name": "basic", "threshold": 0}


def rule(**changes: Any) -> dict[str, Any]:
    return {"rules": [R | changes]}


def tiers(*levels: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {"rules": [R], "tiers": {"levels": list(levels), **changes}}


EXACT = "an effect sets exactly one of rate, base_multiple, tier_multiple, flat, multiplier, "
BAD_ID = "must be 1-64 characters of a-z, 0-9 or '_', starting with a letter"


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"rules": [R, R]}, "rule ids must be unique: r"),
        ({"rules": []}, "a ruleset has 1 to 200 rules"),
        (rule(id="Base"), f"rule id 'Base' {BAD_ID}"),
        (rule(id="1st"), f"rule id '1st' {BAD_ID}"),
        (rule(id="a" * 65), BAD_ID),
        (rule(effect={}), EXACT + r"cashback_percent \(got none\)"),
        (rule(effect={"tier_multiple": False}), r"\(got none\)"),
        (rule(effect={"flat": 1, "base_multiple": "2"}), r"\(got base_multiple, flat\)"),
        (rule(effect={"multiplier": "2"}),
         "rule r: a multiplier effect goes with stacking 'multiply', and only it"),
        (rule(stacking="multiply"), "rule r: a multiplier effect goes with stacking 'multiply'"),
        (rule(effect={"multiplier": "2"}, stacking="multiply", scope="line_item"),
         "rule r: a multiplier applies to the whole order"),
        (rule(event="engagement", effect={"rate": {"points": 1, "per": 100}}),
         "rule r: engagement events earn flat points"),
        (rule(effect={"tier_multiple": True}),
         "a tier_multiple rule needs the ruleset to define tiers"),
        (rule(effect={"base_multiple": "1.5x"}),
         "base_multiple must be a decimal string such as \"1.5\", got '1.5x'"),
        (rule(effect={"multiplier": "-2"}, stacking="multiply"), "multiplier must be a decimal"),
        (rule(effect={"multiplier": "0.99"}, stacking="multiply"), "a multiplier is at least 1"),
        (rule(effect={"cashback_percent": ".5"}), "cashback_percent must be a decimal"),
        (rule(effect={"flat": 0}), "flat must be an integer from 1 to 10"),
        (rule(effect={"rate": {"points": 1, "per": 0}}), "rate per must be an integer from 1"),
        (rule(caps=[{"period": "day", "points": 5}, {"period": "day", "points": 9}]),
         "rule r: one cap per period"),
        (rule(budget=0), "rule r: budget must be an integer from 1"),
        (rule(effect={"cashback_percent": "1"}, budget=10),
         "rule r: caps and budgets count points, not cashback"),
        (rule(min_order=-1), "rule r: min_order must be an integer from 0"),
        (rule(when=""), "rule r: a condition is 1-2,000 characters"),
        (rule(description="x" * 501), "rule r: description is longer than 500 characters"),
        (rule(valid_from="2026-06-02T00:00:00Z", valid_until="2026-06-01T00:00:00Z"),
         "rule r: valid_from must be before valid_until"),
        (rule(valid_from="2026-06-01T00:00:00Z", valid_until="2026-06-01T00:00:00Z"),
         "rule r: valid_from must be before valid_until"),
        (rule(valid_until="2026-06-01T00:00:00"), "rule r: validity times need a UTC offset"),
        (rule(when="item.sku == 'a'"), "rule r: condition uses item; it can read"),
        (rule(when="order.amount >"), "rule r: condition does not parse"),
        (tiers(), "tiers need at least one level"),
        (tiers({"name": "a", "threshold": 10}), "the first tier's threshold must be 0"),
        (tiers(LEVEL_0, {"name": "b", "threshold": 0}), "tier thresholds must rise strictly"),
        (tiers(LEVEL_0, {"name": "b", "threshold": 9}, {"name": "c", "threshold": 5}),
         "tier thresholds must rise strictly"),
        (tiers(LEVEL_0, {"name": "basic", "threshold": 9}), "tier names must be unique"),
        (tiers({"name": "Gold", "threshold": 0}), "tier name 'Gold' must be like 'gold'"),
        (tiers(LEVEL_0 | {"multiplier": "0.5"}), "tier basic: a multiplier is at least 1"),
        (tiers(LEVEL_0, rolling_months=121), "rolling_months must be from 0"),
        (tiers(LEVEL_0, grace_days=366), "grace_days must be from 0 to 365"),
        ({"rules": [R], "name": ""}, "a ruleset's name is 1-200 characters"),
    ],
)  # fmt: skip
def test_bad_documents_are_refused_with_a_precise_message(
    document: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidRuleset, match=message):
        ruleset_from_document(document)


@pytest.mark.parametrize(
    ("document", "where"),
    [
        (rule(effect={"base_multiple": 1.5}), "rules.0.effect.base_multiple"),
        (rule(effect={"base_multiple": 2}), "rules.0.effect.base_multiple"),
        (rule(effect={"flat": 5.0}), "rules.0.effect.flat"),
        (rule(effect={"flat": "5"}), "rules.0.effect.flat"),
        (rule(effect={"rate": {"points": 1.0, "per": 100}}), "rules.0.effect.rate.points"),
        (rule(effect={"tier_multiple": 1}), "rules.0.effect.tier_multiple"),
        (rule(caps=[{"period": "day", "points": 10.0}]), "rules.0.caps.0.points"),
        (rule(caps=[{"period": "fortnight", "points": 10}]), "rules.0.caps.0.period"),
        (rule(colour="red"), "rules.0.colour"),
        (rule(when=True), "rules.0.when"),
        ({"rules": [R], "colour": "red"}, "colour"),
        ({"rules": [R], "rounding": "bankers"}, "rounding"),
        (tiers(LEVEL_0 | {"multiplier": 1.5}), "tiers.levels.0.multiplier"),
    ],
)
def test_wrong_types_and_unknown_fields_name_the_field(
    document: dict[str, Any], where: str
) -> None:
    message = f"^ruleset: {re.escape(where)}: "
    with pytest.raises(InvalidRuleset, match=message):
        ruleset_from_document(document)
    with pytest.raises(InvalidRuleset, match=message):
        ruleset_from_text(json.dumps(document))


def test_a_float_in_yaml_is_refused_naming_the_field() -> None:
    text = "rules:\n  - id: r\n    effect: {base_multiple: 1.5}\n"
    with pytest.raises(InvalidRuleset, match=r"^ruleset: rules\.0\.effect\.base_multiple: "):
        ruleset_from_text(text)


YAML = """
name: summer
rounding: half_up
rules:
  - id: base
    effect: {rate: {points: 1, per: 100}}
  - id: summer_bonus
    effect: {base_multiple: "0.5"}
    kind: bonus
    when: "order.month in [6, 7, 8]"
    valid_from: "2026-06-01T00:00:00+00:00"
    valid_until: "2026-09-01T00:00:00+00:00"
    caps: [{period: week, points: 500}]
tiers:
  levels:
    - {name: member, threshold: 0}
    - {name: star, threshold: 2000, multiplier: "1.25"}
"""


def test_yaml_and_json_read_to_the_same_ruleset() -> None:
    from_yaml = ruleset_from_text(YAML)
    document = {
        "name": "summer", "rounding": "half_up",
        "rules": [
            {"id": "base", "effect": {"rate": {"points": 1, "per": 100}}},
            {"id": "summer_bonus", "effect": {"base_multiple": "0.5"}, "kind": "bonus",
             "when": "order.month in [6, 7, 8]", "valid_from": "2026-06-01T00:00:00+00:00",
             "valid_until": "2026-09-01T00:00:00+00:00",
             "caps": [{"period": "week", "points": 500}]},
        ],
        "tiers": {"levels": [{"name": "member", "threshold": 0},
                             {"name": "star", "threshold": 2000, "multiplier": "1.25"}]},
    }  # fmt: skip
    assert ruleset_from_text(json.dumps(document)) == from_yaml
    assert ruleset_from_document(document) == from_yaml
    summer = from_yaml.rules[1]
    assert summer.caps == (Cap(Period.WEEK, 500),)
    assert summer.valid_from == datetime(2026, 6, 1, tzinfo=UTC)


def test_an_unquoted_yaml_timestamp_is_read_or_refused_cleanly() -> None:
    text = "rules:\n  - id: r\n    effect: {flat: 1}\n    valid_from: 2026-06-01T00:00:00Z\n"
    try:
        ruleset = ruleset_from_text(text)
    except InvalidRuleset:
        return
    assert ruleset.rules[0].valid_from == datetime(2026, 6, 1, tzinfo=UTC)


def test_the_seed_programme_round_trips() -> None:
    seed = default_ruleset()
    document = to_document(seed)
    assert document == ruleset_document(seed)
    assert ruleset_from_document(document) == seed
    assert ruleset_from_text(json.dumps(document)) == seed
    assert ruleset_from_document(json.dumps(document)) == seed


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[1, 2]", "a ruleset document is a mapping with a 'rules' list"),
        ("just words", "a ruleset document is a mapping"),
        ("rules: [", "the ruleset is neither JSON nor YAML"),
        ("x" * (256 * 1024 + 1), "a ruleset document is at most 262144 bytes"),
    ],
)
def test_text_that_is_not_a_ruleset_is_refused(text: str, message: str) -> None:
    with pytest.raises(InvalidRuleset, match=message):
        ruleset_from_text(text)


def test_documents_are_checked_when_built_in_python_too() -> None:
    with pytest.raises(InvalidRuleset, match="got rate, flat"):
        Effect(rate=RateEffect(1, 100), flat=5)
    with pytest.raises(InvalidRuleset, match="validity times need a UTC offset"):
        Rule("r", Effect(flat=1), valid_from=datetime(2026, 1, 1))  # noqa: DTZ001
    with pytest.raises(InvalidRuleset, match="a multiplier applies to the whole order"):
        Rule("m", Effect(multiplier="2"), stacking=Stacking.MULTIPLY, scope=Scope.LINE_ITEM)
    assert Ruleset((Rule("r", Effect(flat=1)),)).name == "rules"
