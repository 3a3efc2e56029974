"""Canonical hashing: same content, same bytes; any change, another hash."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone

import pytest

from punchcard.domain import canonical
from punchcard.domain.canonical import SealedEntry, SealedHold, SealedTransaction

AT = datetime(2026, 11, 22, 12, 30, 15, 123456, tzinfo=UTC)


def transaction(**changes: object) -> SealedTransaction:
    base = SealedTransaction(
        tenant="acme", id=7, kind="post", idempotency_key="k", request_hash=bytes(32),
        effective_at=AT, recorded_at=AT, metadata={"order": "1"}, hold_id=None,
        reverses_id=None,
        entries=(
            SealedEntry(0, False, "program:issuance", "PTS", 10, AT),
            SealedEntry(0, True, "customer:a:points", "PTS", 10, AT),
        ),
        hold=None,
    )  # fmt: skip
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_micros_is_exact() -> None:
    assert canonical.micros(datetime(1970, 1, 1, tzinfo=UTC)) == 0
    assert canonical.micros(datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)) == -1
    assert canonical.micros(AT) == 1_795_350_615_123_456
    plus_two = AT.astimezone(timezone(timedelta(hours=2)))
    assert canonical.micros(plus_two) == canonical.micros(AT)


def test_material_does_not_depend_on_entry_order() -> None:
    a = transaction()
    b = transaction(entries=tuple(reversed(a.entries)))
    assert a.material() == b.material()


@pytest.mark.parametrize(
    "change",
    [
        {"id": 8},
        {"kind": "reversal"},
        {"idempotency_key": "k2"},
        {"request_hash": b"\x01" * 32},
        {"effective_at": AT + timedelta(microseconds=1)},
        {"recorded_at": AT + timedelta(seconds=1)},
        {"metadata": {"order": "2"}},
        {"hold_id": 3},
        {"reverses_id": 3},
        {"entries": (SealedEntry(0, False, "program:issuance", "PTS", 11, AT),
                     SealedEntry(0, True, "customer:a:points", "PTS", 10, AT))},
        {"entries": (SealedEntry(0, False, "program:issuance", "PTS", 10, AT),
                     SealedEntry(0, True, "customer:b:points", "PTS", 10, AT))},
        {"entries": (SealedEntry(0, False, "program:issuance", "PTS", 10, AT),)},
        {"hold": SealedHold("customer:a:points", "program:redeemed", "PTS", 5, None)},
    ],
)  # fmt: skip
def test_any_change_changes_the_material(change: dict[str, object]) -> None:
    assert transaction(**change).material() != transaction().material()


def test_chain_hash_depends_on_previous_seq_and_material() -> None:
    material = transaction().material()
    h = canonical.chain_hash(canonical.GENESIS, 1, material)
    assert len(h) == 32
    assert h == canonical.chain_hash(canonical.GENESIS, 1, material)
    assert h != canonical.chain_hash(b"\x01" * 32, 1, material)
    assert h != canonical.chain_hash(canonical.GENESIS, 2, material)
    assert h != canonical.chain_hash(canonical.GENESIS, 1, material + b" ")


def test_fingerprints_bind_operation_tenant_and_request() -> None:
    f = canonical.fingerprint("post", "acme", {"a": 1, "b": [1, 2]})
    assert f == canonical.fingerprint("post", "acme", {"b": [1, 2], "a": 1})
    assert f != canonical.fingerprint("hold", "acme", {"a": 1, "b": [1, 2]})
    assert f != canonical.fingerprint("post", "other", {"a": 1, "b": [1, 2]})
    assert f != canonical.fingerprint("post", "acme", {"a": 2, "b": [1, 2]})
