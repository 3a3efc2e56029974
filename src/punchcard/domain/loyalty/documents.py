"""Programme settings and operation results as JSON documents.

Settings are read strictly: an unknown field, a float where an integer belongs
or a string where a number belongs is an ``InvalidProgramme`` that names the
field. Results are stored with their operation and read back for replays.
"""

from __future__ import annotations

import json
from datetime import date
from enum import Enum
from typing import Any, TypeVar

from pydantic import TypeAdapter, ValidationError

from punchcard.domain.errors import InvalidProgramme, PunchcardError
from punchcard.domain.loyalty.programme import Programme
from punchcard.domain.validation import JsonValue

T = TypeVar("T")


_ADAPTERS: dict[type[Any], TypeAdapter[Any]] = {}


def _adapter(cls: type[Any]) -> TypeAdapter[Any]:
    adapter = _ADAPTERS.get(cls)
    if adapter is None:
        adapter = _ADAPTERS[cls] = TypeAdapter(cls)
    return adapter


def programme_from_json(document: str | bytes | dict[str, Any]) -> Programme:
    return parse(Programme, document, InvalidProgramme, "programme settings")


def parse(
    cls: type[T],
    document: str | bytes | dict[str, Any],
    error: type[PunchcardError],
    what: str,
) -> T:
    """Read a settings document strictly; the first problem becomes ``error``, naming
    the field it is in."""
    raw = document if isinstance(document, str | bytes) else json.dumps(document)
    try:
        value: T = _adapter(cls).validate_json(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "document"
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise error(f"{what}: {where}: {first['msg']}{more}") from None
    return value


def to_document(value: object) -> dict[str, JsonValue]:
    document: dict[str, JsonValue] = _adapter(type(value)).dump_python(value, mode="json")
    return document


def to_json(value: object) -> JsonValue:
    """A result as the API answers it: ``to_document``, but times as
    ``datetime.isoformat`` writes them (``+00:00``), as every other answer has them.
    About six times cheaper than FastAPI's ``jsonable_encoder`` on a result."""
    return _plain(_adapter(type(value)).dump_python(value))


def _plain(value: Any) -> JsonValue:
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, date):  # and datetime
        return value.isoformat()
    if isinstance(value, Enum):
        return _plain(value.value)
    return value  # type: ignore[no-any-return]


def from_document(cls: type[T], document: dict[str, Any]) -> T:
    value: T = _adapter(cls).validate_python(document)
    return value
