"""Named SQL queries, loaded from the ``.sql`` files beside this module.

A file holds blocks that start with ``-- name: some_query``. Queries are typed
``LiteralString`` so that an f-string query fails the type check; values always
travel as parameters.
"""

from __future__ import annotations

import re
from importlib import resources
from typing import LiteralString, cast

_NAME_RE = re.compile(r"^-- name: ([a-z_]+)\s*$", re.MULTILINE)


def _load() -> dict[str, LiteralString]:
    loaded: dict[str, LiteralString] = {}
    for item in resources.files(__package__).joinpath("queries").iterdir():
        if not item.name.endswith(".sql"):
            continue
        parts = _NAME_RE.split(item.read_text(encoding="utf-8"))
        for name, body in zip(parts[1::2], parts[2::2], strict=True):
            if name in loaded:
                raise RuntimeError(f"query {name!r} is defined twice ({item.name})")
            loaded[name] = cast(LiteralString, body.strip())
    return loaded


QUERIES = _load()


def query(name: str) -> LiteralString:
    return QUERIES[name]
