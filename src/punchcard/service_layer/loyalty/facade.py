"""The loyalty programme's Python API: each call is one use case, one transaction.

    with Loyalty.open() as loyalty:
        loyalty.create_programme("acme", default_programme())
        alice = loyalty.enroll("acme", "shop-customer-42")
        loyalty.earn_purchase("acme", alice.id, order_id="o-1001", amount=12_550,
                              currency="USD")
        loyalty.redeem("acme", alice.id, option="product", points=500,
                       idempotency_key="r-1")

Purchases are idempotent by order id, engagement events by event id, refunds by
refund id, everything else by the caller's ``idempotency_key``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from types import TracebackType
from typing import Self

from punchcard.adapters.postgres.loyalty.programmes import ProgrammeCache
from punchcard.adapters.postgres.outbox import StoredEvent
from punchcard.config import Settings
from punchcard.domain import events as event_types
from punchcard.domain.errors import InvalidRequest
from punchcard.domain.loyalty import commands
from punchcard.domain.loyalty.commands import Direction, Engagement, LineItem, Purchase
from punchcard.domain.loyalty.programme import Programme
from punchcard.domain.loyalty.results import (
    Adjustment,
    AuthorizationResult,
    ConversionResult,
    Customer,
    EarnResult,
    ExchangeResult,
    ExpiringPoints,
    LotView,
    PointsBalance,
    RedemptionResult,
    RefundResult,
    SweepReport,
    TransferResult,
    VoidResult,
)
from punchcard.domain.rules.document import Ruleset
from punchcard.domain.rules.documents import ruleset_from_text
from punchcard.domain.rules.facts import CustomerContext
from punchcard.domain.rules.versions import RulesetVersion
from punchcard.service_layer.ledger import Ledger
from punchcard.service_layer.loyalty import (
    adjustments,
    earning,
    moves,
    reads,
    refunds,
    setup,
    spending,
    sweeps,
)
from punchcard.service_layer.loyalty.work import LoyaltyWork
from punchcard.service_layer.rules import explain, rulesets, simulation, tiers
from punchcard.service_layer.rules.explain import Explanation
from punchcard.service_layer.rules.rulesets import CompiledCache
from punchcard.service_layer.rules.simulation import SimulationReport
from punchcard.service_layer.rules.tiers import CustomerTier


class Loyalty:
    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.programmes = ProgrammeCache()
        self.compiled = CompiledCache()

    @classmethod
    def open(cls, settings: Settings | None = None) -> Loyalty:
        return cls(Ledger.open(settings))

    def close(self) -> None:
        self.ledger.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def work(self) -> LoyaltyWork:
        return LoyaltyWork(self.ledger.unit_of_work(), self.programmes, self.ledger.clock)

    def now(self) -> datetime:
        return self.ledger.clock()

    # -- programme and customers

    def create_programme(self, tenant: str, programme: Programme) -> Programme:
        """Create the programme (and its tenant, assets and account policies), or
        change its settings; changes that would contradict open accounts are refused."""
        return setup.save_programme(self, tenant, programme)

    def programme(self, tenant: str) -> Programme:
        with self.work() as w:
            return w.programme(tenant)

    def enroll(self, tenant: str, external_ref: str) -> Customer:
        return setup.enroll(self, tenant, external_ref)

    def customer(self, tenant: str, customer_id: str) -> Customer:
        commands.customer_id(customer_id)
        with self.work() as w:
            return w.customers.by_id(tenant, customer_id)

    def find_customer(self, tenant: str, external_ref: str) -> Customer | None:
        commands.reference(external_ref, "external reference")
        with self.work() as w:
            return w.customers.by_ref(tenant, external_ref)

    # -- earning

    def earn_purchase(
        self,
        tenant: str,
        customer_id: str,
        *,
        order_id: str,
        amount: int,
        currency: str,
        occurred_at: datetime | None = None,
        items: Sequence[LineItem] = (),
        channel: str | None = None,
        store: str | None = None,
    ) -> EarnResult:
        cmd = commands.Purchase(
            tenant=tenant, customer_id=customer_id, order_id=order_id, amount=amount,
            currency=currency, occurred_at=occurred_at, items=tuple(items), channel=channel,
            store=store,
        )  # fmt: skip
        return earning.earn(self, cmd)

    def earn_engagement(
        self,
        tenant: str,
        customer_id: str,
        *,
        event_id: str,
        type: str,
        occurred_at: datetime | None = None,
    ) -> EarnResult:
        cmd = commands.Engagement(
            tenant=tenant, customer_id=customer_id, event_id=event_id, type=type,
            occurred_at=occurred_at,
        )  # fmt: skip
        return earning.earn(self, cmd)

    # -- spending

    def redeem(
        self,
        tenant: str,
        customer_id: str,
        *,
        option: str,
        points: int,
        idempotency_key: str,
        order_id: str | None = None,
        requested_by: str | None = None,
    ) -> RedemptionResult:
        cmd = commands.Redeem(
            tenant=tenant, customer_id=customer_id, option=option, points=points,
            idempotency_key=idempotency_key, order_id=order_id, requested_by=requested_by,
        )  # fmt: skip
        return spending.redeem(self, cmd)

    def authorize(
        self,
        tenant: str,
        customer_id: str,
        *,
        option: str,
        points: int,
        idempotency_key: str,
        timeout: timedelta = timedelta(minutes=15),
        order_id: str | None = None,
    ) -> AuthorizationResult:
        cmd = commands.Authorize(
            tenant=tenant, customer_id=customer_id, option=option, points=points,
            idempotency_key=idempotency_key, timeout=timeout, order_id=order_id,
        )  # fmt: skip
        return spending.authorize(self, cmd)

    def capture(
        self, tenant: str, hold_id: int, *, idempotency_key: str, points: int | None = None
    ) -> RedemptionResult:
        cmd = commands.Capture(
            tenant=tenant, hold_id=hold_id, points=points, idempotency_key=idempotency_key
        )
        return spending.capture(self, cmd)

    def void(self, tenant: str, hold_id: int, *, idempotency_key: str) -> VoidResult:
        cmd = commands.Void(tenant=tenant, hold_id=hold_id, idempotency_key=idempotency_key)
        return spending.void(self, cmd)

    def convert(
        self, tenant: str, customer_id: str, *, points: int, idempotency_key: str
    ) -> ConversionResult:
        cmd = commands.Convert(
            tenant=tenant, customer_id=customer_id, points=points, idempotency_key=idempotency_key
        )
        return spending.convert(self, cmd)

    # -- reversing, moving, correcting

    def refund(self, tenant: str, *, order_id: str, refund_id: str, amount: int) -> RefundResult:
        cmd = commands.Refund(tenant=tenant, order_id=order_id, refund_id=refund_id, amount=amount)
        return refunds.refund(self, cmd)

    def transfer(
        self,
        tenant: str,
        *,
        from_customer: str,
        to_customer: str,
        points: int,
        idempotency_key: str,
    ) -> TransferResult:
        cmd = commands.Transfer(
            tenant=tenant, from_customer=from_customer, to_customer=to_customer, points=points,
            idempotency_key=idempotency_key,
        )  # fmt: skip
        return moves.transfer(self, cmd)

    def exchange(
        self,
        tenant: str,
        customer_id: str,
        *,
        partner: str,
        amount: int,
        idempotency_key: str,
        direction: Direction = Direction.OUT,
    ) -> ExchangeResult:
        cmd = commands.Exchange(
            tenant=tenant, customer_id=customer_id, partner=partner, amount=amount,
            direction=direction, idempotency_key=idempotency_key,
        )  # fmt: skip
        return moves.exchange(self, cmd)

    def request_adjustment(
        self,
        tenant: str,
        customer_id: str,
        *,
        points: int,
        reason: str,
        requested_by: str,
        idempotency_key: str,
    ) -> Adjustment:
        cmd = commands.RequestAdjustment(
            tenant=tenant, customer_id=customer_id, points=points, reason=reason,
            requested_by=requested_by, idempotency_key=idempotency_key,
        )  # fmt: skip
        return adjustments.request_adjustment(self, cmd)

    def approve_adjustment(
        self, tenant: str, adjustment_id: int, *, approved_by: str, note: str | None = None
    ) -> Adjustment:
        cmd = commands.DecideAdjustment(
            tenant=tenant, adjustment_id=adjustment_id, approve=True, decided_by=approved_by,
            note=note,
        )  # fmt: skip
        return adjustments.decide_adjustment(self, cmd)

    def reject_adjustment(
        self, tenant: str, adjustment_id: int, *, rejected_by: str, note: str | None = None
    ) -> Adjustment:
        cmd = commands.DecideAdjustment(
            tenant=tenant, adjustment_id=adjustment_id, approve=False, decided_by=rejected_by,
            note=note,
        )  # fmt: skip
        return adjustments.decide_adjustment(self, cmd)

    def pending_adjustments(self, tenant: str, *, limit: int = 100) -> list[Adjustment]:
        with self.work() as w:
            return w.adjustments.pending(tenant, limit)

    # -- events

    def events(
        self,
        tenant: str,
        *,
        type_: str | None = None,
        customer_id: str | None = None,
        before: int | None = None,
        limit: int = 100,
    ) -> list[StoredEvent]:
        """The tenant's outbox events, newest first (``before``: a position to page from)."""
        if type_ is not None and type_ not in event_types.TYPES:
            raise InvalidRequest(f"unknown event type {type_[:40]!r}; see the event types")
        if customer_id is not None:
            commands.customer_id(customer_id)
        with self.work() as w:
            w.programme(tenant)
            return w.outbox.recent(
                tenant, type_=type_, subject=customer_id, before=before, limit=limit
            )

    def event(self, tenant: str, event_id: str) -> StoredEvent | None:
        commands.reference(event_id, "event id")
        with self.work() as w:
            return w.outbox.get(tenant, event_id)

    # -- scheduled work

    def activate_pending(self) -> SweepReport:
        return sweeps.activate_pending(self)

    def expire(self, tenant: str, *, as_of: datetime | None = None) -> SweepReport:
        return sweeps.expire(self, tenant, as_of=as_of)

    def expire_authorizations(self, *, limit: int = 1000) -> int:
        """Expire due redemption holds, ``limit`` per batch, until none is left."""
        return spending.expire_authorizations(self, batch=limit)

    def expiring(
        self, tenant: str, *, within: timedelta, as_of: datetime | None = None, limit: int = 1000
    ) -> list[ExpiringPoints]:
        return sweeps.expiring(self, tenant, within=within, as_of=as_of, limit=limit)

    def warn_expiring(
        self, tenant: str, *, within: timedelta, as_of: datetime | None = None
    ) -> int:
        """Emit points.expiring_soon for points expiring within ``within`` (each lot once)."""
        return sweeps.warn_expiring(self, tenant, within=within, as_of=as_of)

    # -- rules

    def create_ruleset(
        self, tenant: str, ruleset: Ruleset | str, *, created_by: str
    ) -> RulesetVersion:
        """A new draft version, from a Ruleset or a JSON/YAML document."""
        return rulesets.create_draft(self, tenant, _ruleset(ruleset), by=created_by)

    def update_ruleset(self, tenant: str, version: int, ruleset: Ruleset | str) -> RulesetVersion:
        return rulesets.update_draft(self, tenant, version, _ruleset(ruleset))

    def submit_ruleset(
        self,
        tenant: str,
        version: int,
        *,
        submitted_by: str,
        activate_at: datetime | None = None,
    ) -> RulesetVersion:
        return rulesets.submit(self, tenant, version, by=submitted_by, activate_at=activate_at)

    def withdraw_ruleset(self, tenant: str, version: int) -> RulesetVersion:
        return rulesets.withdraw(self, tenant, version)

    def approve_ruleset(self, tenant: str, version: int, *, approved_by: str) -> RulesetVersion:
        return rulesets.approve(self, tenant, version, by=approved_by)

    def ruleset(self, tenant: str, version: int) -> RulesetVersion:
        with self.work() as w:
            return w.rules.get(tenant, version)

    def rulesets(self, tenant: str, *, limit: int = 50) -> list[RulesetVersion]:
        with self.work() as w:
            return w.rules.all(tenant, limit)

    def active_ruleset(self, tenant: str, *, at: datetime | None = None) -> RulesetVersion | None:
        with self.work() as w:
            version = w.rules.active_version(tenant, at or w.now)
            return None if version is None else w.rules.get(tenant, version)

    def simulate(
        self,
        tenant: str,
        draft: Ruleset | str,
        events: Sequence[Purchase | Engagement],
        *,
        customers: Mapping[str, CustomerContext] | None = None,
    ) -> SimulationReport:
        """Rate ``events`` by ``draft`` and by the active version, writing nothing;
        ``customers`` imagines customers (tier, attributes, counts) by id."""
        return simulation.simulate(self, tenant, _ruleset(draft), events, customers)

    def explain(self, tenant: str, transaction_id: int) -> Explanation:
        return explain.explain(self, tenant, transaction_id)

    def set_attributes(
        self, tenant: str, customer_id: str, attributes: dict[str, str | int | bool]
    ) -> None:
        """Replace the pseudonymous attributes rules can read (e.g. birthday_month)."""
        tiers.set_attributes(self, tenant, customer_id, attributes)

    def tier(self, tenant: str, customer_id: str) -> CustomerTier:
        return tiers.customer_tier(self, tenant, customer_id)

    def review_tiers(self, tenant: str, *, as_of: datetime | None = None) -> SweepReport:
        """Apply the downgrade policy to every tier held for a whole period."""
        return tiers.review(self, tenant, as_of=as_of)

    # -- reads

    def balance(self, tenant: str, customer_id: str) -> PointsBalance:
        commands.customer_id(customer_id)
        return reads.balance(self, tenant, customer_id)

    def lots(self, tenant: str, customer_id: str, *, include_closed: bool = False) -> list[LotView]:
        commands.customer_id(customer_id)
        return reads.lots(self, tenant, customer_id, include_closed=include_closed)


def _ruleset(ruleset: Ruleset | str) -> Ruleset:
    return ruleset if isinstance(ruleset, Ruleset) else ruleset_from_text(ruleset)
