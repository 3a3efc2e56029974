"""Bodies and answers of the review queue, the balance monitors and the alerts."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, Self

from pydantic import Field

from punchcard.domain.loyalty.risk import Alert, Monitor, Review
from punchcard.entrypoints.http.schemas import Body, Id
from punchcard.entrypoints.http.schemas_admin import View


class NewMonitor(Body):
    name: Annotated[str, Field(min_length=1, max_length=100)]
    measure: Literal["programme_liability", "customer_balance"]
    """``programme_liability``: the points all customers hold (spendable, pending and
    held); ``customer_balance``: one customer's available points."""
    threshold: Annotated[int, Field(ge=0, le=2**63 - 1)]
    """An alert is raised when the measure goes above this many points."""
    customer_id: Id | None = None
    """For ``customer_balance`` only, and needed there."""


class ReviewView(View):
    id: int
    kind: Literal["redemption", "earning"]
    """``redemption``: a flagged redemption whose points are held until it is decided;
    ``earning``: a customer the earnings scan flagged (nothing is held)."""
    customer_id: str
    hold_id: int | None
    """The hold an approval captures and a rejection voids (redemptions only)."""
    points: int
    reasons: list[str]
    """Which velocity rule flagged it, with the figures."""
    status: Literal["pending", "approved", "rejected"]
    created_at: datetime
    requested_by: str | None
    """The key that asked for the redemption: it may not decide it."""
    decided_by: str | None
    decided_at: datetime | None
    note: str | None

    @classmethod
    def of(cls, review: Review) -> Self:
        fields = {name: getattr(review, name) for name in cls.model_fields}
        return cls.model_validate({**fields, "reasons": list(review.reasons)})


class ReviewList(View):
    data: list[ReviewView]
    """Oldest first."""


class MonitorView(View):
    id: int
    name: str
    measure: Literal["programme_liability", "customer_balance"]
    customer_id: str | None
    threshold: int
    tripped: bool
    """Its condition was true when last checked; it alerts again only after it has
    been false."""

    @classmethod
    def of(cls, monitor: Monitor) -> Self:
        return cls.model_validate({name: getattr(monitor, name) for name in cls.model_fields})


class MonitorList(View):
    data: list[MonitorView]


class AlertView(View):
    id: int
    kind: Literal["monitor", "verify"]
    """``monitor``: a monitor's condition turned true; ``verify``: the scheduled
    verification found a discrepancy."""
    subject: str
    detail: dict[str, Any]
    raised_at: datetime

    @classmethod
    def of(cls, alert: Alert) -> Self:
        return cls.model_validate({name: getattr(alert, name) for name in cls.model_fields})


class AlertList(View):
    data: list[AlertView]
    """Newest first."""
