"""Which policy a new account gets, from its address and the tenant's patterns.

A pattern is a colon-separated address where ``*`` matches one segment and a
final ``**`` matches one or more. When several patterns match, the most specific
wins, compared segment by segment from the left: a literal beats ``*``, which
beats ``**``. An address no pattern matches gets the safe default: a bounded
account that may not go negative.
"""

from __future__ import annotations

from collections.abc import Mapping

from punchcard.domain import validation
from punchcard.domain.errors import InvalidAddress, InvalidPolicy
from punchcard.domain.model import AccountKind, AccountPolicy

DEFAULT_POLICY = AccountPolicy.customer()

_RANK = {"*": 1, "**": 2}


def validate_pattern(pattern: str) -> str:
    if not isinstance(pattern, str) or not pattern:
        raise InvalidPolicy("an account pattern must be a non-empty string")
    segments = pattern.split(":")
    if "**" in segments[:-1]:
        raise InvalidPolicy(f"pattern {pattern!r}: '**' may only be the last segment")
    literal = ":".join("x" if s in _RANK else s for s in segments)
    try:
        validation.address(literal)
    except InvalidAddress as exc:
        raise InvalidPolicy(f"pattern {pattern!r} is not a valid address pattern") from exc
    return pattern


def validate_policy(policy: AccountPolicy) -> AccountPolicy:
    if policy.kind is AccountKind.UNBOUNDED and not policy.allow_negative:
        raise InvalidPolicy(
            "an unbounded system account is never checked, so it must allow a negative balance"
        )
    return policy


def matches(pattern: str, address: str) -> bool:
    want, have = pattern.split(":"), address.split(":")
    if want[-1] == "**":
        return len(have) >= len(want) and _segments_match(want[:-1], have[: len(want) - 1])
    return len(want) == len(have) and _segments_match(want, have)


def _segments_match(want: list[str], have: list[str]) -> bool:
    return all(w in ("*", h) for w, h in zip(want, have, strict=True))


def _specificity(pattern: str) -> tuple[int, ...]:
    return tuple(_RANK.get(segment, 0) for segment in pattern.split(":"))


def policy_for(address: str, patterns: Mapping[str, AccountPolicy]) -> AccountPolicy:
    matching = [p for p in patterns if matches(p, address)]
    if not matching:
        return DEFAULT_POLICY
    return patterns[min(matching, key=_specificity)]
