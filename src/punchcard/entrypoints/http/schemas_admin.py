"""Bodies and answers of the reads, rulesets, programme and admin areas.

Request bodies are strict, closed models like those in ``schemas``. Answers are
plain models built from the domain's results, where a result holds something JSON
cannot say as it is (a ruleset's fractions, a key's role set, a report's
computed ``ok``).
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from punchcard.domain.access import ApiKey, Role
from punchcard.domain.loyalty.results import LotView, PointsBalance
from punchcard.domain.model import Entry, Page, Posting, Transaction, TransactionKind
from punchcard.domain.rules.documents import ruleset_document
from punchcard.domain.rules.versions import RulesetStatus, RulesetVersion
from punchcard.domain.verification import Check, TenantReport, VerificationReport
from punchcard.entrypoints.http.schemas import Body, EngagementEvent, Moment, PurchaseEvent, Text
from punchcard.service_layer.rules.simulation import MAX_EVENTS, SimulatedEvent, SimulationReport

# -- requests


class RulesetDocument(Body):
    document: dict[str, Any]
    """The ruleset: ``rules``, and optionally ``name``, ``rounding``, ``exclusions``, ``tiers``."""


class SubmitRuleset(Body):
    activate_at: Moment | None = None
    """When the version takes effect once approved; at approval if not given."""


SimulationEvent = Annotated[PurchaseEvent | EngagementEvent, Field(discriminator="type")]


class Simulation(Body):
    document: dict[str, Any]
    """The draft ruleset to try, as for ``POST /v1/rulesets``."""
    events: list[SimulationEvent] = Field(min_length=1, max_length=MAX_EVENTS)


class NewKey(Body):
    name: Text
    roles: list[Annotated[Role, Field(strict=False)]] = Field(min_length=1, max_length=5)
    rate_limit: Annotated[int, Field(ge=1, le=100_000)] = 100
    """Requests per second (a burst of twice that)."""


# -- answers


class View(BaseModel):
    model_config = ConfigDict(use_attribute_docstrings=True)


class ExpiringSoon(View):
    within_days: int
    points: int
    """Active points whose lots expire within ``within_days`` from now."""
    first_expiry: datetime | None


class BalanceView(View):
    customer_id: str
    available: int
    """Active points less what holds reserve (includes points past expiry not yet swept)."""
    spendable: int
    """What a redemption can use right now."""
    pending: int
    """Earned but locked until the return window closes."""
    held: int
    """Reserved by open redemption authorizations."""
    debt: int
    """Owed from a refund; settled from later credits."""
    credit: int
    """Store credit, in the credit asset's minor unit."""
    expiring: int
    """Points already past expiry awaiting the sweep."""
    tier: str | None
    """The customer's tier; null when the active ruleset has no tiers."""
    expiring_soon: ExpiringSoon
    lots: list[LotView]
    """The open lots behind the balance, oldest first."""

    @classmethod
    def of(
        cls, balance: PointsBalance, lots: list[LotView], tier: str | None, soon: ExpiringSoon
    ) -> BalanceView:
        fields = {f.name: getattr(balance, f.name) for f in dataclasses.fields(balance)}
        return cls(**fields, tier=tier, expiring_soon=soon, lots=lots)


class HistoryPage(View):
    data: list[Entry]
    """Entries of the account, newest effective time first."""
    has_more: bool
    next_cursor: str | None
    """Pass as ``starting_after`` for the next page."""

    @classmethod
    def of(cls, page: Page[Entry]) -> HistoryPage:
        return cls(data=list(page.items), has_more=page.has_more, next_cursor=page.next_cursor)


class TransactionView(View):
    id: int
    kind: TransactionKind
    postings: list[Posting]
    """Each moves ``amount`` of ``asset`` from ``source`` to ``destination``."""
    idempotency_key: str
    effective_at: datetime
    recorded_at: datetime
    metadata: dict[str, Any]
    """What made it: the operation, and for an earn its breakdown by rule."""
    hold_id: int | None
    """For capture, void and expire: the hold this transaction resolved."""
    reverses_id: int | None
    """For reversals: the transaction this one compensates."""

    @classmethod
    def of(cls, txn: Transaction) -> TransactionView:
        fields = {f.name: getattr(txn, f.name) for f in dataclasses.fields(txn)}
        del fields["tenant"]
        return cls(**fields)


class RulesetView(View):
    version: int
    status: RulesetStatus
    document: dict[str, Any]
    created_by: str
    created_at: datetime
    submitted_by: str | None
    submitted_at: datetime | None
    approved_by: str | None
    approved_at: datetime | None
    activate_at: datetime | None

    @classmethod
    def of(cls, found: RulesetVersion) -> RulesetView:
        fields = {f.name: getattr(found, f.name) for f in dataclasses.fields(found)}
        fields["document"] = ruleset_document(fields.pop("ruleset"))
        return cls(**fields)


class RulesetList(View):
    data: list[RulesetView]
    """Newest version first."""


class SimulationView(View):
    active_version: int | None
    """The version the draft is compared with; null when none is active."""
    events: list[SimulatedEvent]
    draft_points: int
    active_points: int
    delta: int
    """Draft points less active points."""
    draft_credit: int
    active_credit: int
    affected_customers: list[str]

    @classmethod
    def of(cls, report: SimulationReport) -> SimulationView:
        fields = {f.name: getattr(report, f.name) for f in dataclasses.fields(report)}
        return cls(**fields, delta=report.delta)


class KeyView(View):
    id: str
    name: str
    roles: list[Role]
    rate_limit: int
    created_at: datetime
    created_by: str
    revoked_at: datetime | None

    @classmethod
    def of(cls, key: ApiKey) -> KeyView:
        return cls(
            id=key.id, name=key.name, roles=sorted(key.roles), rate_limit=key.rate_limit,
            created_at=key.created_at, created_by=key.created_by, revoked_at=key.revoked_at,
        )  # fmt: skip


class NewKeyView(View):
    key: KeyView
    token: str
    """The bearer token. It is shown this once: only a hash of its secret is kept."""


class KeyList(View):
    data: list[KeyView]


class TenantVerification(View):
    tenant: str
    ok: bool
    checks: list[Check]
    head_seq: int
    head_hash: str
    """The chain's latest hash: record it elsewhere to detect a rewritten chain."""

    @classmethod
    def of(cls, report: TenantReport) -> TenantVerification:
        return cls(tenant=report.tenant, ok=report.ok, checks=list(report.checks),
                   head_seq=report.head_seq, head_hash=report.head_hash)  # fmt: skip


class VerificationView(View):
    ok: bool
    problems: list[str]
    """Every failed check's findings, as ``tenant: check: problem``."""
    tenants: list[TenantVerification]

    @classmethod
    def of(cls, report: VerificationReport) -> VerificationView:
        tenants = [TenantVerification.of(tenant) for tenant in report.tenants]
        return cls(ok=report.ok, problems=report.problems, tenants=tenants)
