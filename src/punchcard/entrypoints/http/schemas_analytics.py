"""The answer of programme analytics, for the HTTP API and ``punchcard analytics --json``.

How each figure is defined is in ``punchcard.domain.finance.analytics``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Self

from punchcard.domain.finance.analytics import Analytics
from punchcard.entrypoints.http.schemas_admin import View
from punchcard.entrypoints.http.schemas_finance import table


class DayView(View):
    day: date
    """A day in the programme's time zone."""
    issued: int
    """Points earned that day (gross of refunds)."""
    redeemed: int
    """Points redeemed or captured that day (gross of refunded redemptions)."""


class CategoryView(View):
    category: str | None
    """None for line items sent without a category."""
    orders: int
    spend: int
    """What the category's line items cost, in the purchase currency's minor unit."""
    points: int
    """Points line-item rules gave on the category's items."""


class CampaignView(View):
    rule: str
    """The rule (campaign) that awarded the points; ``base_rate`` and
    ``engagement:…`` are the programme's fixed rates."""
    ruleset_version: int | None
    """None for earns at the programme's fixed rate (no ruleset)."""
    earns: int
    points: int
    """Points awarded, gross of later refunds."""
    value: int
    """Those points at their lots' issuance value, in ``value_asset``'s minor unit."""


class AnalyticsView(View):
    start: datetime
    end: datetime
    """Exclusive; everything is by effective time."""
    timezone: str
    """Where the days are."""
    asset: str
    value_asset: str
    currency: str
    issued: int
    redeemed: int
    redemption_rate_bp: int | None
    """Redeemed / issued in the period, in basis points (None when nothing was issued)."""
    days: list[DayView]
    members: int
    """Customers enrolled before the end."""
    active_members: int
    """Members who earned or redeemed in the period."""
    active_bp: int | None
    tiers: dict[str, int]
    """Members per tier at the end, lowest first ("" when the programme has no tiers)."""
    orders: int
    spend: int
    """The orders' amounts, in ``currency``'s minor unit."""
    unitemised_orders: int
    """Orders that kept no line items (none sent, or rated at the fixed rate)."""
    purchase_points: int
    order_level_points: int
    """Purchase points of order-level rules (base rate, tier, order campaigns): they
    name no item, so no category."""
    categories: list[CategoryView]
    """Most points first, then spend."""
    campaigns: list[CampaignView]
    """Most points first."""

    @classmethod
    def of(cls, report: Analytics, asset: str, currency: str) -> Self:
        return cls(
            start=report.start, end=report.end, timezone=report.timezone, asset=asset,
            value_asset=report.value_asset, currency=currency, issued=report.issued,
            redeemed=report.redeemed, redemption_rate_bp=report.redemption_rate_bp,
            days=[DayView(day=d.day, issued=d.issued, redeemed=d.redeemed)
                  for d in report.days],
            members=report.members, active_members=report.active_members,
            active_bp=report.active_bp, tiers=report.tiers, orders=report.orders,
            spend=report.spend, unitemised_orders=report.unitemised_orders,
            purchase_points=report.purchase_points,
            order_level_points=report.order_level_points,
            categories=[CategoryView(category=c.category, orders=c.orders, spend=c.spend,
                                     points=c.points) for c in report.categories],
            campaigns=[CampaignView(rule=c.rule, ruleset_version=c.ruleset_version,
                                    earns=c.earns, points=c.points, value=c.value)
                       for c in report.campaigns],
        )  # fmt: skip

    def to_csv(self) -> str:
        """One long table: ``section, key, figure, value`` (summary figures, then each
        day, tier, category and campaign), so a spreadsheet can pivot it."""
        rows: list[tuple[object, ...]] = [("section", "key", "figure", "value")]
        for name in ("issued", "redeemed", "redemption_rate_bp", "members", "active_members",
                     "active_bp", "orders", "spend", "unitemised_orders", "purchase_points",
                     "order_level_points"):  # fmt: skip
            rows.append(("summary", name, getattr(self, name), None))
        for d in self.days:
            rows += [
                ("day_issued", d.day, d.issued, None),
                ("day_redeemed", d.day, d.redeemed, None),
            ]
        rows += [("tier", tier, members, None) for tier, members in self.tiers.items()]
        for c in self.categories:
            key = c.category or ""
            rows.append(("category_points", key, c.points, None))
            rows.append(("category_spend", key, c.spend, None))
            rows.append(("category_orders", key, c.orders, None))
        rows += [("campaign", f"{c.rule} v{c.ruleset_version or '-'}", c.points, c.value)
                 for c in self.campaigns]  # fmt: skip
        return table(rows)
