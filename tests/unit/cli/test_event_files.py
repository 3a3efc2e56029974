"""Reading event files from where an import stopped: the same lines, numbers and
offsets as a read from the start, without reading the part before again."""

from __future__ import annotations

import io

import pytest

from punchcard.entrypoints.cli import event_files

JSONL = (
    b'{"type": "purchase", "customer_ref": "a", "order_id": "o-1", "amount": 100, '
    b'"currency": "USD"}\n'
    b"# a comment\n"
    b"\n"
    b'{"type": "refund", "order_id": "o-1", "refund_id": "r-1", "amount": 50}\n'
    b'{"type": "purchase", "customer_ref": "b", "order_id": "o-2", "amount": 1.5, '
    b'"currency": "USD"}\n'
    b'{"type": "engagement", "customer_ref": "b", "event_id": "e-1", "engagement": "login"}\n'
)
CSV = (
    b"type,customer_ref,order_id,amount,currency,refund_id\n"
    b"purchase,a,o-1,100,USD,\n"
    b"\n"
    b"refund,,o-1,50,,r-1\n"
    b"purchase,b,o-2,12.5,USD,\n"
    b"purchase,b,o-3,7,USD\n"
    b"purchase,c,o-4,9,USD,\n"
)


def _seen(
    data: bytes, kind: event_files.Format, start: int = 0, line: int = 0
) -> list[tuple[object, ...]]:
    stream = io.BytesIO(data)
    return [
        (x.number, x.end, x.event, None if x.error is None else x.error.message)
        for x in event_files.read(stream, kind, start=start, line=line)
    ]


@pytest.mark.parametrize(("data", "kind", "events"), [(JSONL, "jsonl", 4), (CSV, "csv", 5)])
def test_a_read_resumed_after_any_line_gives_the_rest_exactly(
    data: bytes, kind: event_files.Format, events: int
) -> None:
    whole = _seen(data, kind)
    assert len(whole) == events
    assert any(error for *_, error in whole)  # bad lines keep their place too
    for n, (number, end, _, _) in enumerate(whole):
        assert isinstance(number, int)
        assert isinstance(end, int)
        assert _seen(data, kind, start=end, line=number) == whole[n + 1 :]


def test_a_resumed_read_does_not_read_what_came_before() -> None:
    whole = _seen(JSONL, "jsonl")
    number, end = whole[1][0], whole[1][1]
    assert isinstance(number, int)
    assert isinstance(end, int)
    garbled = b"\xff" * end + JSONL[end:]  # what lies before the start is never read
    assert _seen(garbled, "jsonl", start=end, line=number) == whole[2:]
