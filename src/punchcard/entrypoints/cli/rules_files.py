"""The files the rules commands read: a ruleset document (JSON or YAML) and a file
of events to simulate (JSON lines).

An events file has one JSON object per line; blank lines and lines starting with
``#`` are skipped. ``kind`` says what the line is, and the other fields are the
event's, as ``Loyalty.earn_purchase`` and ``earn_engagement`` take them:

    {"kind": "purchase", "customer_id": "cus_…", "order_id": "o-1", "amount": 12575,
     "currency": "USD", "occurred_at": "2026-03-14T15:00:00+00:00",
     "items": [{"sku": "milk", "amount": 4550, "category": "groceries"}],
     "channel": "web", "store": "S-042"}
    {"kind": "engagement", "customer_id": "cus_…", "event_id": "e-1", "type": "app_login"}

``occurred_at`` (an ISO-8601 time with an offset) defaults to now; ``items``,
``channel`` and ``store`` are optional.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from punchcard.domain.errors import InvalidRequest, InvalidRuleset, PunchcardError
from punchcard.domain.loyalty.commands import Engagement, LineItem, Purchase
from punchcard.domain.rules.document import Ruleset
from punchcard.domain.rules.documents import MAX_DOCUMENT_BYTES, ruleset_from_text
from punchcard.entrypoints.cli.console import moment

MAX_EVENTS_BYTES = 64 * 1024 * 1024
FIELDS = {
    "purchase": {"customer_id", "order_id", "amount", "currency", "occurred_at", "items",
                 "channel", "store"},
    "engagement": {"customer_id", "event_id", "type", "occurred_at"},
}  # fmt: skip
REQUIRED = {
    "purchase": ("customer_id", "order_id", "amount", "currency"),
    "engagement": ("customer_id", "event_id", "type"),
}
ITEM_FIELDS = {"sku", "amount", "category", "quantity", "labels"}


def _read(path: Path, limit: int) -> str:
    try:
        if path.stat().st_size > limit:
            raise InvalidRequest(f"{path} is larger than {limit:,} bytes")
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidRequest(f"cannot read {path}: {exc}") from None


def ruleset(path: Path) -> Ruleset:
    text = _read(path, MAX_DOCUMENT_BYTES)
    try:
        yaml.safe_load(text)
    except yaml.YAMLError as exc:  # its message spans lines and quotes the input: say where
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "not valid"
        raise InvalidRuleset(f"{path} is neither JSON nor YAML: {problem}{where}") from None
    return ruleset_from_text(text)


def events(path: Path, tenant: str) -> list[Purchase | Engagement]:
    parsed: list[Purchase | Engagement] = []
    for number, line in enumerate(_read(path, MAX_EVENTS_BYTES).splitlines(), start=1):
        if line.strip() and not line.lstrip().startswith("#"):
            try:
                parsed.append(_event(line, tenant))
            except PunchcardError as exc:
                raise InvalidRequest(f"{path} line {number}: {exc.message}") from None
    return parsed


def _event(line: str, tenant: str) -> Purchase | Engagement:
    try:
        doc = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InvalidRequest(f"not JSON: {exc.msg}") from None
    if not isinstance(doc, dict) or doc.get("kind") not in FIELDS:
        raise InvalidRequest('each line is an object with "kind": "purchase" or "engagement"')
    kind = doc.pop("kind")
    unknown = sorted(set(doc) - FIELDS[kind])
    if unknown:
        raise InvalidRequest(f"a {kind} has no field {unknown[0]!r}")
    missing = [name for name in REQUIRED[kind] if name not in doc]
    if missing:
        raise InvalidRequest(f"a {kind} needs {', '.join(REQUIRED[kind])}; {missing[0]} is missing")
    if "occurred_at" in doc:
        doc["occurred_at"] = moment(_text(doc["occurred_at"], "occurred_at"), "occurred_at")
    if kind == "engagement":
        return Engagement(tenant=tenant, **doc)
    items = doc.pop("items", [])
    if not isinstance(items, list):
        raise InvalidRequest("items is a list of line items")
    return Purchase(tenant=tenant, items=tuple(_item(i) for i in items), **doc)


def _item(doc: Any) -> LineItem:
    if not isinstance(doc, dict):
        raise InvalidRequest("a line item is an object with sku and amount")
    unknown = sorted(set(doc) - ITEM_FIELDS)
    if unknown:
        raise InvalidRequest(f"a line item has no field {unknown[0]!r}")
    if "sku" not in doc or "amount" not in doc:
        raise InvalidRequest("a line item needs sku and amount")
    return LineItem(**doc)


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise InvalidRequest(f"{what} must be a string")
    return value
