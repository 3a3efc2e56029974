"""One router per area of the API; ``ROUTERS`` is what the app mounts."""

from __future__ import annotations

from fastapi import APIRouter

from punchcard.entrypoints.http.routes import (
    adjustments,
    admin,
    analytics,
    batch,
    customers,
    events,
    health,
    monitors,
    points,
    privacy,
    programme,
    reads,
    reports,
    reviews,
    rulesets,
    webhooks,
)

ROUTERS: list[APIRouter] = [
    health.router,
    customers.router,
    events.router,
    batch.router,
    points.router,
    adjustments.router,
    reads.router,
    rulesets.router,
    programme.router,
    admin.router,
    reports.router,
    analytics.router,
    reviews.router,
    monitors.router,
    privacy.router,
    webhooks.router,
]
