"""A ruleset version and its governance: draft, submitted for approval, published."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from punchcard.domain.rules.document import Ruleset


class RulesetStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    PUBLISHED = "published"


@dataclass(frozen=True, slots=True)
class RulesetVersion:
    version: int
    status: RulesetStatus
    ruleset: Ruleset
    created_by: str
    created_at: datetime
    submitted_by: str | None = None
    submitted_at: datetime | None = None
    approved_by: str | None = None
    approved_at: datetime | None = None
    activate_at: datetime | None = None
    """When a published version takes over (the latest one whose time has come is active)."""


@dataclass(frozen=True, slots=True)
class TierChange:
    from_tier: str | None
    to_tier: str
    reason: str
    measure: int
    changed_at: datetime
