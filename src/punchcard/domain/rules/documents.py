"""Ruleset documents in JSON or YAML.

YAML is read with ``safe_load`` (plain data only) and then checked exactly like
JSON: unknown fields, floats and numbers given as strings where integers belong
are errors that name the field. Fractions are decimal strings ("1.5").
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import yaml

from punchcard.domain.errors import InvalidRuleset
from punchcard.domain.loyalty.documents import parse, to_document
from punchcard.domain.rules.document import Ruleset
from punchcard.domain.rules.evaluation import CompiledRuleset
from punchcard.domain.validation import JsonValue

MAX_DOCUMENT_BYTES = 256 * 1024


def ruleset_from_text(text: str) -> Ruleset:
    """A ruleset from JSON or YAML text (JSON is YAML, so one reader does both)."""
    if len(text.encode()) > MAX_DOCUMENT_BYTES:
        raise InvalidRuleset(f"a ruleset document is at most {MAX_DOCUMENT_BYTES} bytes")
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidRuleset(f"the ruleset is neither JSON nor YAML: {exc}") from None
    if not isinstance(loaded, dict):
        raise InvalidRuleset("a ruleset document is a mapping with a 'rules' list")
    # YAML reads an unquoted 2026-06-01T00:00:00Z as a datetime: give it back as text,
    # so the strict reader sees what the author wrote.
    return ruleset_from_document(json.dumps(loaded, default=_as_text))


def _as_text(value: object) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise InvalidRuleset(f"the ruleset holds a {type(value).__name__}, which is not data")


def ruleset_from_document(document: dict[str, Any] | str | bytes) -> Ruleset:
    ruleset = parse(Ruleset, document, InvalidRuleset, "ruleset")
    CompiledRuleset.of(ruleset)  # every condition must compile, and read known variables
    return ruleset


def ruleset_document(ruleset: Ruleset) -> dict[str, JsonValue]:
    return to_document(ruleset)
