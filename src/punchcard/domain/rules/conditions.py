"""Rule conditions in CEL, compiled once per ruleset and evaluated in a sandbox.

CEL is not Turing complete and sees nothing but the variables it is given, so a
marketer's condition can never run code, loop forever or touch I/O. A condition
that fails at run time (say, it reads an attribute the customer does not have;
``has()`` tests for one) does not hold, and the breakdown says why.

Conditions are pure, so their verdicts are memoized on the facts they read: when
every use of a variable in the source is a field access such as
``item.category``, only those fields make the key, and a category rule is
decided once per category rather than once per line item.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import cel

from punchcard.domain.errors import InvalidRuleset

VARIABLES = frozenset({"order", "item", "event", "customer"})
MACRO_BINDING = re.compile(r"\.\s*(?:all|exists|exists_one|map|filter)\s*\(\s*([A-Za-z_]\w*)\s*,")
MEMO_SIZE = 4096

Facts = Mapping[str, Mapping[str, object]]


def _hashable(value: object) -> object:
    if isinstance(value, bool):  # True == 1 in Python, not in CEL: keep them apart
        return ("bool", value)
    if isinstance(value, str | int) or value is None:
        return value
    if isinstance(value, list | tuple):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, Mapping):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    return value


@dataclass(slots=True)
class Condition:
    source: str
    program: cel.Program
    reads: dict[str, tuple[str, ...] | None]
    """Per variable, the fields the source reads, or None when it uses the whole value."""
    memo: dict[tuple[object, ...], bool | str] = field(default_factory=dict)
    _paths: tuple[tuple[str, str], ...] | None = None

    item_field: str | None = None
    """Set when the condition reads one field of the line item and nothing else (the
    commonest rule: a category or a sku), for the evaluator's fast path."""

    def __post_init__(self) -> None:
        if all(fields is not None for fields in self.reads.values()):
            self._paths = tuple(
                (name, f) for name, fields in self.reads.items() for f in fields or ()
            )
            if len(self._paths) == 1 and self._paths[0][0] == "item":
                self.item_field = self._paths[0][1]

    def holds_item(self, item: Mapping[str, object]) -> bool | str:
        """``holds`` for an ``item_field`` condition, given the item's variables."""
        assert self.item_field is not None
        value = item.get(self.item_field)
        kind = type(value)
        key = (value,) if kind is str or kind is int else (_hashable(value),)
        verdict = self.memo.get(key)
        if verdict is None:
            visible = (
                {} if value is None and self.item_field not in item else {self.item_field: value}
            )
            verdict = self._evaluate({"item": visible})
            if len(self.memo) >= MEMO_SIZE:
                self.memo.clear()
            self.memo[key] = verdict
        return verdict

    def holds(self, facts: Facts) -> bool | str:
        """True or False; or, when the condition fails to evaluate, why."""
        paths = self._paths
        if paths is not None and len(paths) == 1:  # the commonest case: one field
            name, f = paths[0]
            value = facts[name].get(f)
            kind = type(value)
            key: tuple[object, ...] = (
                (value,) if kind is str or kind is int else (_hashable(value),)
            )
        elif paths is not None:  # only field reads
            key = tuple(_hashable(facts[name].get(f)) for name, f in paths)
        else:
            key = tuple(_hashable(facts[name]) for name in self.reads)
        verdict = self.memo.get(key)
        if verdict is None:
            verdict = self._evaluate(self._visible(facts))
            if len(self.memo) >= MEMO_SIZE:
                self.memo.clear()
            self.memo[key] = verdict
        return verdict

    def _visible(self, facts: Facts) -> dict[str, dict[str, object]]:
        return {
            name: dict(facts[name]) if fields is None
            else {f: facts[name][f] for f in fields if f in facts[name]}
            for name, fields in self.reads.items()
        }  # fmt: skip

    def _evaluate(self, visible: Mapping[str, Mapping[str, object]]) -> bool | str:
        context = cel.Context()
        for name, value in visible.items():
            context.add_variable(name, value)
        try:
            result = self.program.execute(context)
        except Exception as exc:
            return f"{type(exc).__name__}: {exc}"
        if not isinstance(result, bool):
            return f"the condition gave {type(result).__name__}, not a boolean"
        return result


def compile_condition(rule_id: str, source: str, *, line_item: bool) -> Condition:
    try:
        program = cel.compile(source)
    except Exception as exc:
        first = str(exc).splitlines()[0]
        raise InvalidRuleset(f"rule {rule_id}: condition does not parse: {first}") from None
    allowed = VARIABLES if line_item else VARIABLES - {"item"}
    bound = set(MACRO_BINDING.findall(source))  # exists(l, ...) binds l
    used = set(program.variables()) - bound
    unknown = sorted(used - allowed)
    if unknown:
        raise InvalidRuleset(
            f"rule {rule_id}: condition uses {', '.join(unknown)}; it can read "
            f"{', '.join(sorted(allowed))}"
        )
    return Condition(source, program, {name: _fields(source, name) for name in sorted(used)})


def _fields(source: str, name: str) -> tuple[str, ...] | None:
    """The fields of ``name`` the source reads, if it only ever reads fields of it."""
    code = re.sub(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"", "''", source)  # drop literals
    uses = re.findall(rf"(?<![\w.]){name}\b(\s*\.\s*\w+)?", code)
    if not uses or any(not use for use in uses):
        return None
    return tuple(sorted({use.replace(".", "").strip() for use in uses}))
