"""Edge validation: every bad scalar is refused with an error naming it."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from punchcard.domain import errors, validation


@pytest.mark.parametrize("value", ["acme", "a", "t-1_x", "0" * 63])
def test_good_tenant_ids(value: str) -> None:
    assert validation.tenant_id(value) == value


@pytest.mark.parametrize("value", ["", "Acme", "-acme", "a b", "a" * 64, "ü"])
def test_bad_tenant_ids(value: str) -> None:
    with pytest.raises(errors.InvalidTenant, match="tenant id"):
        validation.tenant_id(value)


@pytest.mark.parametrize("value", ["PTS", "USD", "MILES_2", "A" * 16])
def test_good_asset_codes(value: str) -> None:
    assert validation.asset_code(value) == value


@pytest.mark.parametrize("value", ["", "pts", "1PTS", "P-T", "A" * 17])
def test_bad_asset_codes(value: str) -> None:
    with pytest.raises(errors.InvalidAsset, match="asset code"):
        validation.asset_code(value)


@pytest.mark.parametrize("value", [-1, 19, True, 1.0])
def test_bad_precision(value: object) -> None:
    with pytest.raises(errors.InvalidAsset, match="precision"):
        validation.precision(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "value", ["program", "customer:c42:points", "partner:air.miles:exchange", "a:b@c:d-e_f"]
)
def test_good_addresses(value: str) -> None:
    assert validation.address(value) == value


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("", "1-255 characters"),
        ("a" * 256, "1-255 characters"),
        ("customer::points", "segment ''"),
        ("customer:c 42", "segment 'c 42'"),
        (":leading", "segment ''"),
        ("x:" + "y" * 65, "segment"),
    ],
)
def test_bad_addresses_name_the_segment(value: str, fragment: str) -> None:
    with pytest.raises(errors.InvalidAddress, match=fragment):
        validation.address(value)


@pytest.mark.parametrize("value", [1, 2**63 - 1])
def test_amount_bounds_accepted(value: int) -> None:
    assert validation.amount(value) == value


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (0, "between 1"),
        (-5, "between 1"),
        (2**63, "between 1"),
        (True, "got bool"),
        (1.0, "got float"),
        (Decimal(1), "got Decimal"),
        ("10", "got str"),
    ],
)
def test_amounts_are_positive_integers_only(value: object, fragment: str) -> None:
    with pytest.raises(errors.InvalidAmount, match=fragment):
        validation.amount(value, what="postings[0].amount")  # type: ignore[arg-type]


def test_amount_error_names_the_field() -> None:
    with pytest.raises(errors.InvalidAmount, match=r"postings\[3\]\.amount"):
        validation.amount(0, what="postings[3].amount")


@pytest.mark.parametrize("value", ["", "has space", "é", "x" * 256, "tab\there"])
def test_bad_idempotency_keys(value: str) -> None:
    with pytest.raises(errors.InvalidIdempotencyKey):
        validation.idempotency_key(value)


def test_idempotency_keys_may_be_any_printable_ascii() -> None:
    assert validation.idempotency_key("order:1001/retry#2") == "order:1001/retry#2"


def test_naive_times_are_refused() -> None:
    with pytest.raises(errors.InvalidEffectiveTime, match="effective_at must carry a time zone"):
        validation.aware_time(datetime(2026, 1, 1), what="effective_at")  # noqa: DTZ001


def test_metadata_accepts_small_json_without_floats() -> None:
    value = {"order": "1", "n": 3, "ok": True, "none": None, "lines": [{"sku": "A", "qty": 2}]}
    assert validation.metadata(value) == value
    assert validation.metadata(None) == {}


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ({"rate": 0.5}, "metadata.rate is a float"),
        ({"lines": [{"price": 9.99}]}, r"metadata.lines\[0\].price is a float"),
        ({"x": "a\x00b"}, "NUL"),
        ({1: "x"}, "not a string"),
        ({"x": object()}, "is a object"),
        ({"big": "x" * 20_000}, "limit is 16384"),
    ],
)
def test_metadata_refusals_name_the_path(value: dict[object, object], fragment: str) -> None:
    with pytest.raises(errors.InvalidMetadata, match=fragment):
        validation.metadata(value)  # type: ignore[arg-type]


def test_metadata_depth_is_limited() -> None:
    deep: dict[str, object] = {}
    node = deep
    for _ in range(12):
        node["x"] = {}
        node = node["x"]  # type: ignore[assignment]
    with pytest.raises(errors.InvalidMetadata, match="nests deeper"):
        validation.metadata(deep)


_LEAVES = (
    st.none() | st.booleans() | st.integers() | st.text(max_size=5)
    | st.sampled_from(["a\x00", 0.5, Decimal(1), b"x"])
)  # fmt: skip
_VALUES = st.recursive(
    _LEAVES,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.lists(inner, max_size=3).map(tuple)
        | st.dictionaries(st.text(max_size=3) | st.sampled_from([1, "k\x00"]), inner, max_size=3)
    ),
    max_leaves=40,
)


@settings(max_examples=300)
@given(st.dictionaries(st.text(max_size=3), _VALUES, max_size=4))
def test_metadata_fast_path_agrees_with_the_path_naming_check(value: dict[str, object]) -> None:
    """What metadata() gives (or the error it raises) is what the node-by-node check,
    which names the path, gives: the fast path only skips building the paths."""
    try:
        expected: object = validation._json_value(value, path="metadata", depth=0)
    except errors.InvalidMetadata as exc:
        expected = ("refused", str(exc))
    try:
        found: object = validation.metadata(value)
    except errors.InvalidMetadata as exc:
        found = ("refused", str(exc))
    assert found == expected
