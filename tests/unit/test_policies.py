"""Account policy patterns: matching, specificity, defaults."""

from __future__ import annotations

import pytest

from punchcard.domain import errors, policies
from punchcard.domain.model import AccountKind, AccountPolicy

SYSTEM = AccountPolicy.system()
NEGATIVE = AccountPolicy.customer_may_go_negative()


@pytest.mark.parametrize(
    ("pattern", "address", "expected"),
    [
        ("program:issuance", "program:issuance", True),
        ("program:*", "program:issuance", True),
        ("program:*", "program:issuance:eu", False),
        ("program:**", "program:issuance:eu", True),
        ("program:**", "program", False),
        ("customer:*:points", "customer:c1:points", True),
        ("customer:*:points", "customer:c1:credit", False),
        ("*:*", "a:b", True),
    ],
)
def test_matches(pattern: str, address: str, expected: bool) -> None:
    assert policies.matches(pattern, address) is expected


def test_the_most_specific_pattern_wins_whatever_the_order() -> None:
    patterns = {
        "customer:**": SYSTEM,
        "customer:*:debt": NEGATIVE,
        "customer:vip:debt": AccountPolicy.customer(),
    }
    assert policies.policy_for("customer:c1:debt", patterns) == NEGATIVE
    assert policies.policy_for("customer:vip:debt", patterns) == AccountPolicy.customer()
    assert policies.policy_for("customer:c1:points", patterns) == SYSTEM
    assert policies.policy_for("program:issuance", patterns) == policies.DEFAULT_POLICY


def test_the_default_is_a_bounded_account_that_may_not_go_negative() -> None:
    assert AccountPolicy(AccountKind.BOUNDED, allow_negative=False) == policies.DEFAULT_POLICY


@pytest.mark.parametrize("pattern", ["", "**:x", "a b:*", "a::b"])
def test_bad_patterns(pattern: str) -> None:
    with pytest.raises(errors.InvalidPolicy):
        policies.validate_pattern(pattern)


def test_an_unbounded_account_must_allow_negative() -> None:
    with pytest.raises(errors.InvalidPolicy, match="never checked"):
        policies.validate_policy(AccountPolicy(AccountKind.UNBOUNDED, allow_negative=False))
    assert policies.validate_policy(SYSTEM) == SYSTEM
