"""Files of events for ``punchcard import``: JSON lines or CSV, read as a stream.

A JSON line is the body of ``POST /v1/events`` (``type`` is ``purchase``,
``engagement`` or ``refund``), except that a purchase or an engagement may name
its customer by your reference, ``customer_ref``, instead of punchcard's
``customer_id``; the importer enrols a reference it has not seen::

    {"type": "purchase", "customer_ref": "shop-42", "order_id": "o-1", "amount": 12575,
     "currency": "USD", "occurred_at": "2026-03-14T15:00:00+00:00",
     "items": [{"sku": "milk", "amount": 4550, "category": "groceries"}]}
    {"type": "engagement", "customer_id": "cus_…", "event_id": "e-1", "engagement": "app_login"}
    {"type": "refund", "order_id": "o-1", "refund_id": "r-1", "amount": 4550}

A CSV file has a header row naming the same fields; an empty cell is a field left
out, ``amount`` is an integer and ``items`` (if present) is a JSON list. Blank
lines and, in JSON lines, lines starting with ``#`` are skipped.

Nothing is loaded whole: ``read`` yields one ``Line`` at a time with the byte
offset just past it, so an import can say how far it got and start again there.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, BinaryIO, Literal, Self

from pydantic import Field, TypeAdapter, ValidationError, model_validator

from punchcard.domain.errors import InvalidRequest
from punchcard.entrypoints.http.schemas import EngagementEvent, Id, PurchaseEvent, RefundEvent

Format = Literal["jsonl", "csv"]
MAX_LINE_BYTES = 1024 * 1024
INTEGER_COLUMNS = ("amount",)
JSON_COLUMNS = ("items",)


class _ByReference:
    """Names its customer by ``customer_id`` or by ``customer_ref``, exactly one."""

    customer_id: str | None
    customer_ref: str | None

    @model_validator(mode="after")
    def _one_customer(self) -> Self:
        if (self.customer_id is None) == (self.customer_ref is None):
            raise ValueError("give exactly one of customer_id and customer_ref")
        return self


class FilePurchase(_ByReference, PurchaseEvent):
    customer_id: Id | None = None  # type: ignore[assignment]
    customer_ref: Id | None = None


class FileEngagement(_ByReference, EngagementEvent):
    customer_id: Id | None = None  # type: ignore[assignment]
    customer_ref: Id | None = None


FileEvent = Annotated[FilePurchase | FileEngagement | RefundEvent, Field(discriminator="type")]
EVENT = TypeAdapter[FilePurchase | FileEngagement | RefundEvent](FileEvent)


@dataclass(frozen=True, slots=True)
class Line:
    """One event of the file: parsed, or the reason it could not be."""

    number: int
    end: int
    """Byte offset just past this line: where to start again after it."""
    event: FilePurchase | FileEngagement | RefundEvent | None = None
    error: InvalidRequest | None = None


def detect(path: Path, given: str | None) -> Format:
    """The file's format: as given, or by its suffix (.csv is CSV, anything else JSON lines)."""
    if given is None:
        return "csv" if path.suffix.lower() == ".csv" else "jsonl"
    if given not in ("jsonl", "csv"):
        raise InvalidRequest(f"--format is jsonl or csv, not {given!r}")
    return "csv" if given == "csv" else "jsonl"


def read(stream: BinaryIO, kind: Format, *, start: int = 0, line: int = 0) -> Iterator[Line]:
    """The events from byte ``start`` on: 0, or the ``end`` of a ``Line`` this function
    gave before, whose ``number`` is ``line``. The stream seeks there, so a resumed
    import does not read again what it has done."""
    if kind == "csv":
        yield from _csv(stream, start, line)
    else:
        yield from _jsonl(stream, start, line)


def _jsonl(stream: BinaryIO, start: int, line: int) -> Iterator[Line]:
    stream.seek(start)
    offset, number = start, line
    for raw in stream:
        number += 1
        offset += len(raw)
        text = raw.strip()
        if not text or text.startswith(b"#"):
            continue
        if len(raw) > MAX_LINE_BYTES:
            yield Line(number, offset, error=_at(number, f"longer than {MAX_LINE_BYTES:,} bytes"))
            continue
        yield _parsed(number, offset, text)


def _csv(stream: BinaryIO, start: int, line: int) -> Iterator[Line]:
    consumed = [0, 0]  # bytes and physical lines handed to the csv reader so far

    def lines() -> Iterator[str]:
        for raw in stream:
            consumed[0] += len(raw)
            consumed[1] += 1
            try:
                yield raw.decode("utf-8-sig" if consumed[1] == 1 else "utf-8")
            except UnicodeDecodeError:
                raise InvalidRequest(f"line {consumed[1]}: not UTF-8") from None

    rows = csv.reader(lines(), strict=True)
    try:
        header = next(rows)
    except StopIteration:
        return
    except csv.Error as exc:
        raise InvalidRequest(f"line 1: not CSV: {exc}") from None
    columns = [name.strip() for name in header]
    if "type" not in columns:
        raise InvalidRequest("line 1: the CSV header names no 'type' column")
    if start > consumed[0]:  # past the header: the reader pulls its next line from here
        stream.seek(start)
        consumed[:] = [start, line]
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InvalidRequest(f"line {consumed[1]}: not CSV: {exc}") from None
        number, offset = consumed[1], consumed[0]
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(columns):
            yield Line(number, offset, error=_at(number, f"{len(row)} cells, the header has "
                                                         f"{len(columns)}"))  # fmt: skip
            continue
        try:
            document = _typed({c: v for c, v in zip(columns, row, strict=True) if v != ""})
        except InvalidRequest as exc:
            yield Line(number, offset, error=_at(number, exc.message))
            continue
        yield _parsed(number, offset, json.dumps(document).encode())


def _typed(cells: dict[str, str]) -> dict[str, Any]:
    """CSV cells as the JSON values they stand for."""
    document: dict[str, Any] = dict(cells)
    for column in INTEGER_COLUMNS:
        if column in cells:
            value = cells[column].strip()
            if not value.isdigit() or not value.isascii():
                raise InvalidRequest(f"{column}: {value!r} is not a whole number of minor units")
            document[column] = int(value)
    for column in JSON_COLUMNS:
        if column in cells:
            try:
                document[column] = json.loads(cells[column])
            except json.JSONDecodeError as exc:
                raise InvalidRequest(f"{column}: not JSON: {exc.msg}") from None
    return document


def _parsed(number: int, offset: int, text: bytes) -> Line:
    try:
        return Line(number, offset, event=EVENT.validate_json(text))
    except ValidationError as exc:
        return Line(number, offset, error=_at(number, _first(exc)))


def _first(exc: ValidationError) -> str:
    errors = exc.errors(include_url=False)
    if not errors:
        return "not a valid event"
    first = errors[0]
    # the union's tag is in the path ("purchase.amount"): the line's type says it already
    where = ".".join(str(part) for part in first["loc"][1:] or first["loc"])
    message = f"{where}: {first['msg']}" if where else str(first["msg"])
    return message + (f" (and {len(errors) - 1} more)" if len(errors) > 1 else "")


def _at(number: int, message: str) -> InvalidRequest:
    return InvalidRequest(f"line {number}: {message}")
