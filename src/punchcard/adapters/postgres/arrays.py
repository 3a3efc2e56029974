"""Array parameters, dumped in binary without psycopg's search for their type.

Every ``%(x)b::type[]`` parameter is a Python list. psycopg's binary list dumper
finds the element type by scanning the whole list twice per statement (once for
the dumper's cache key, once to build it: the set of element types, nesting, and
for ints the smallest and largest value), then walks it again to dump it; that
was about a third of the Python CPU of an earn. Every array punchcard sends is
flat and of one type, and every query casts it (``::bigint[]``), so the type of
the first non-null element decides: ``str`` → ``text[]``, ``int`` → ``bigint[]``,
``bool``, aware ``datetime`` → ``timestamptz[]``, ``bytes`` → ``bytea[]``.
Anything else (empty or all-null lists, nested lists, naive datetimes, other
types) goes to psycopg's own dumper, unchanged.

    connection.adapters.register_dumper(list, FlatListBinaryDumper)
"""

from __future__ import annotations

import struct
from datetime import datetime
from typing import Any

from psycopg import postgres
from psycopg.abc import Buffer
from psycopg.adapt import PyFormat
from psycopg.pq import Format
from psycopg.types.array import ListBinaryDumper

_ELEMENT = {str: "text", int: "int8", bool: "bool", datetime: "timestamptz", bytes: "bytea"}
_HEAD = struct.Struct("!iiiii")  # dimensions, has nulls, element oid, length, lower bound
_LENGTH = struct.Struct("!i")
_NULL = b"\xff\xff\xff\xff"


def element_type(items: list[Any]) -> type | None:
    """The type the fast path dumps ``items`` as, or None for psycopg's own dumper."""
    for item in items:
        if item is not None:
            kind = type(item)
            if kind not in _ELEMENT:
                return None
            if kind is datetime and item.tzinfo is None:
                return None
            return kind
    return None


class FlatListBinaryDumper(ListBinaryDumper):
    _flat = False
    """Set on the dumpers this class builds for a flat list of a known type."""

    def get_key(self, obj: list[Any], format: PyFormat) -> Any:
        if self.oid:
            return self.cls
        kind = element_type(obj)
        if kind is None:
            return super().get_key(obj, format)
        return (self.cls, "flat", kind)

    def upgrade(self, obj: list[Any], format: PyFormat) -> Any:
        if self.oid:
            return self
        kind = element_type(obj)
        if kind is None:
            return super().upgrade(obj, format)
        info = postgres.types[_ELEMENT[kind]]
        dumper = type(self)(self.cls, self._tx)
        element = self._tx.adapters.get_dumper_by_oid(info.oid, Format.BINARY)
        dumper.sub_dumper = element(kind, self._tx)
        dumper.oid = info.array_oid
        dumper._flat = True
        return dumper

    def dump(self, obj: list[Any]) -> Buffer | None:
        sub = self.sub_dumper
        if not self._flat or sub is None:
            return super().dump(obj)
        dump, pack = sub.dump, _LENGTH.pack
        parts: list[Buffer] = [b""]
        nulls = 0
        for item in obj:
            if item is None:
                nulls = 1
                parts.append(_NULL)
                continue
            encoded = dump(item)
            assert encoded is not None
            parts.append(pack(len(encoded)))
            parts.append(encoded)
        parts[0] = _HEAD.pack(1, nulls, sub.oid, len(obj), 1)
        return b"".join(parts)
