"""Tiers over time: what a customer holds, the attributes rules read, and the
periodic review that applies the downgrade policy.

Upgrades happen in the earn that qualifies (see ``rating.record``). A review
looks at every tier held for a whole period plus the grace days, measures the
window that ends at ``as_of`` and moves the customer down as the policy says;
a customer it moves starts a new period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from punchcard.domain import events
from punchcard.domain.errors import InvalidRequest
from punchcard.domain.loyalty import commands
from punchcard.domain.loyalty.expiry import add_months
from punchcard.domain.loyalty.results import SweepReport
from punchcard.domain.rules import tiers as tier_math
from punchcard.domain.rules.versions import TierChange

if TYPE_CHECKING:
    from punchcard.service_layer.loyalty.facade import Loyalty

MAX_ATTRIBUTES = 20
PAGE = 500


@dataclass(frozen=True, slots=True)
class CustomerTier:
    tier: str
    since: datetime | None
    measure: int | None
    """The qualifying measure over the current window (None without tiers)."""
    history: tuple[TierChange, ...]


def set_attributes(
    loyalty: Loyalty, tenant: str, customer_id: str, attributes: dict[str, str | int | bool]
) -> None:
    commands.customer_id(customer_id)
    if not isinstance(attributes, dict) or len(attributes) > MAX_ATTRIBUTES:
        raise InvalidRequest(f"attributes are a mapping of at most {MAX_ATTRIBUTES} entries")
    for name, value in attributes.items():
        commands.label(name, "attribute name")
        if isinstance(value, str) and len(value) > 100:
            raise InvalidRequest(f"attribute {name} is longer than 100 characters")
        if not isinstance(value, str | int | bool):
            raise InvalidRequest(f"attribute {name} must be a string, an integer or a boolean")
    with loyalty.work() as w:
        w.lock(tenant, [customer_id])
        w.rules.set_attributes(tenant, customer_id, dict(attributes))
        w.commit()


def customer_tier(loyalty: Loyalty, tenant: str, customer_id: str) -> CustomerTier:
    commands.customer_id(customer_id)
    with loyalty.work() as w:
        programme = w.programme(tenant)
        profile = w.rules.profile(tenant, customer_id)
        history = tuple(w.rules.tier_history(tenant, customer_id))
        version = w.rules.active_version(tenant, w.now)
        tiers = None
        if version is not None:
            tiers = loyalty.compiled.get(w.rules, tenant, version).ruleset.tiers
        if tiers is None:
            return CustomerTier(profile.tier or "", profile.tier_since, None, history)
        since = tier_math.window_start(tiers, w.now, programme.timezone)
        measure = w.rules.measure(tenant, customer_id, tiers.measure, since)
        tier = profile.tier or tiers.levels[0].name
        return CustomerTier(tier, profile.tier_since, measure, history)


def review(loyalty: Loyalty, tenant: str, *, as_of: datetime | None = None) -> SweepReport:
    with loyalty.work() as w:
        w.programme(tenant)
        as_of = as_of or w.now
        version = w.rules.active_version(tenant, as_of)
        if version is None:
            return SweepReport(0, 0, 0, 0)
        tiers = loyalty.compiled.get(w.rules, tenant, version).ruleset.tiers
    if tiers is None:
        return SweepReport(0, 0, 0, 0)
    months = tiers.rolling_months or 12  # a calendar year is never shorter than this
    before = add_months(as_of, -months)
    changed = 0
    after = ""
    while True:
        with loyalty.work() as w:
            page = w.rules.tiers_due_review(tenant, before=before, after=after, limit=PAGE)
        for customer_id, _, _ in page:
            changed += _review_one(loyalty, tenant, customer_id, as_of)
        if len(page) < PAGE:
            return SweepReport(changed, 0, 0, changed)
        after = page[-1][0]


def _review_one(loyalty: Loyalty, tenant: str, customer_id: str, as_of: datetime) -> bool:
    with loyalty.work() as w:
        scope = w.lock(tenant, [customer_id])
        version = w.rules.active_version(tenant, as_of)
        assert version is not None
        tiers = loyalty.compiled.get(w.rules, tenant, version).ruleset.tiers
        assert tiers is not None
        zone = scope.programme.timezone
        profile = w.rules.profile(tenant, customer_id)
        if profile.tier is None or profile.tier_since is None:
            return False
        if not tier_math.review_due(tiers, profile.tier_since, as_of, zone):
            return False
        since = tier_math.window_start(tiers, as_of, zone)
        measure = w.rules.measure(tenant, customer_id, tiers.measure, since)
        lower = tier_math.review(tiers, profile.tier, measure)
        if lower is None:
            return False
        change = TierChange(profile.tier, lower, "review", measure, as_of)
        w.rules.change_tier(tenant, customer_id, change=change)
        w.emit(tenant, events.tier_changed(customer_id, change))
        w.commit()
    return True
