"""Programme analytics for a period: issuance and redemption by day, the
redemption rate, members, tiers, categories and campaign cost.

Read in one repeatable-read snapshot; the shaping is in
``punchcard.domain.finance.analytics``, which says how each figure is defined.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from punchcard.adapters.postgres.analytics import AnalyticsStore
from punchcard.domain.errors import InvalidRequest
from punchcard.domain.finance import analytics as shaping
from punchcard.domain.finance.analytics import Analytics

if TYPE_CHECKING:
    from punchcard.service_layer.loyalty.facade import Loyalty

MAX_DAYS = 3_660
"""The longest period a report covers (its days are listed one by one)."""


def analytics(loyalty: Loyalty, tenant: str, start: datetime, end: datetime) -> Analytics:
    if start.utcoffset() is None or end.utcoffset() is None:
        raise InvalidRequest("a period's start and end need a UTC offset")
    if start >= end:
        raise InvalidRequest("a period's start must be before its end")
    if (end - start).days > MAX_DAYS:
        raise InvalidRequest(f"a period is at most {MAX_DAYS:,} days")
    with loyalty.work() as w:
        w.connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        programme = w.programme(tenant)
        store = AnalyticsStore(w.connection, tenant, start, end)
        zone, asset = programme.timezone, programme.points_asset
        report = Analytics(start, end, zone, programme.credit_asset)
        report.days = shaping.daily(store.daily(asset, zone), shaping.local_days(start, end, zone))
        report.active_members, report.members = store.members(asset)
        version = w.rules.active_version(tenant, end - timedelta(microseconds=1))
        tiers = None if version is None else loyalty.compiled.get(w.rules, tenant, version)
        levels = [] if tiers is None or tiers.ruleset.tiers is None else [
            level.name for level in tiers.ruleset.tiers.levels
        ]  # fmt: skip
        report.tiers = shaping.tier_distribution(store.tiers(), levels)
        report.categories = shaping.top_categories(store.category_spend(), store.category_points())
        report.orders, report.spend, report.purchase_points, report.unitemised_orders = (
            store.orders()
        )
        report.campaigns = shaping.campaign_costs(store.campaigns())
    return report
