"""Array parameters dumped by ``FlatListBinaryDumper`` reach PostgreSQL exactly as
psycopg's own dumper sends them: every element, every null, in order; and what the
fast path does not cover still goes through psycopg's dumper."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import psycopg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from punchcard.adapters.postgres.arrays import FlatListBinaryDumper, element_type
from punchcard.adapters.postgres.database import Database

TEXT = st.text(st.characters(min_codepoint=1, max_codepoint=0xD7FF))
TIMES = st.datetimes(
    min_value=datetime(1900, 1, 1, tzinfo=UTC).replace(tzinfo=None),
    max_value=datetime(2200, 1, 1, tzinfo=UTC).replace(tzinfo=None),
    timezones=st.just(UTC),
)
CASES = {
    "text[]": TEXT,
    "bigint[]": st.integers(-(2**63), 2**63 - 1),
    "boolean[]": st.booleans(),
    "timestamptz[]": TIMES,
    "bytea[]": st.binary(),
}


@pytest.fixture(scope="module")
def conn(database_url: str) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(database_url, autocommit=True) as found:
        found.adapters.register_dumper(list, FlatListBinaryDumper)
        yield found


@pytest.mark.parametrize("cast", list(CASES))
def test_a_flat_list_round_trips_with_its_nulls(conn: psycopg.Connection[Any], cast: str) -> None:
    @settings(max_examples=40, deadline=None)
    @given(st.lists(st.none() | CASES[cast], max_size=12))
    def check(values: list[Any]) -> None:
        row = conn.execute(f"SELECT %(x)b::{cast}", {"x": values}).fetchone()
        assert row is not None
        assert row[0] == values

    check()


def test_the_fast_path_dumps_the_same_bytes_as_psycopg() -> None:
    now = datetime(2026, 12, 2, 12, 30, tzinfo=UTC)
    ours, theirs = psycopg.adapt.Transformer(), psycopg.adapt.Transformer()
    ours.adapters.register_dumper(list, FlatListBinaryDumper)
    for values in (["a", None, "b"], [now, None, now], [True, None], [b"\x00", None]):
        fmt = psycopg.adapt.PyFormat.BINARY
        mine = ours.get_dumper(values, fmt)
        assert isinstance(mine, FlatListBinaryDumper)
        assert mine._flat  # the fast path, not the fallback
        expected = theirs.get_dumper(values, fmt).dump(values)
        assert expected is not None
        assert bytes(mine.dump(values) or b"") == bytes(expected)


@pytest.mark.parametrize(
    ("values", "cast"),
    [
        ([], "bigint[]"),
        ([None, None], "text[]"),
        ([[1, 2], [3, 4]], "int[]"),
        ([datetime(2026, 1, 1, tzinfo=UTC).replace(tzinfo=None)], "timestamp[]"),
        ([UUID(int=1), None], "uuid[]"),
    ],
)
def test_what_the_fast_path_does_not_cover_is_psycopgs(
    conn: psycopg.Connection[Any], values: list[Any], cast: str
) -> None:
    assert element_type(values) is None
    row = conn.execute(f"SELECT %(x)b::{cast}", {"x": values}).fetchone()
    assert row is not None
    assert row[0] == values


def test_the_pool_registers_it(database_url: str) -> None:
    database = Database(database_url, pool_size=1)
    try:
        with database.connection() as found:
            dumper = found.adapters.get_dumper(list, psycopg.adapt.PyFormat.BINARY)
            assert dumper is FlatListBinaryDumper
    finally:
        database.close()
