"""Bodies and answers of the webhooks area (docs/webhooks.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, Self

from pydantic import Field

from punchcard.adapters.postgres.outbox import StoredEvent
from punchcard.adapters.postgres.webhooks import Endpoint, Message
from punchcard.entrypoints.http.schemas import Body, Id
from punchcard.entrypoints.http.schemas_admin import View

Url = Annotated[str, Field(min_length=8, max_length=2000)]
EventType = Annotated[str, Field(min_length=3, max_length=63)]


class NewEndpoint(Body):
    url: Url
    """http or https; punchcard does not refuse internal addresses (docs/webhooks.md)."""
    event_types: list[EventType] = Field(default_factory=list, max_length=50)
    """The event types to send; empty sends every type."""
    description: Annotated[str, Field(max_length=200)] = ""


class EndpointChange(Body):
    url: Url | None = None
    event_types: list[EventType] | None = Field(default=None, max_length=50)
    description: Annotated[str, Field(max_length=200)] | None = None
    enabled: bool | None = None
    """false parks undelivered messages; true sends them and new events again."""
    disabled_reason: Annotated[str, Field(max_length=500)] | None = None


class Replay(Body):
    endpoint_id: Id | None = None
    """Only to this endpoint (whatever its filter); else to every enabled endpoint
    whose filter takes the event."""


class EndpointView(View):
    id: str
    url: str
    description: str
    event_types: list[str]
    enabled: bool
    disabled_reason: str | None
    rotating_until: datetime | None
    """While set, a previous secret signs too (two ``v1,`` signatures)."""
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, e: Endpoint) -> Self:
        return cls(id=e.id, url=e.url, description=e.description, event_types=e.event_types,
                   enabled=e.enabled, disabled_reason=e.disabled_reason,
                   rotating_until=e.previous_until, created_at=e.created_at,
                   updated_at=e.updated_at)  # fmt: skip


class EndpointWithSecret(EndpointView):
    secret: str
    """``whsec_`` and base64: what the receiver verifies with. Shown when the
    endpoint is created and when its secret is rotated, never listed."""

    @classmethod
    def with_secret(cls, e: Endpoint) -> Self:
        return cls.model_validate({**EndpointView.of(e).model_dump(), "secret": e.secret})


class EndpointList(View):
    data: list[EndpointView]


class AttemptView(View):
    attempted_at: datetime
    status_code: int | None
    duration_ms: int
    outcome: Literal["delivered", "retrying", "failed", "disabled"]
    error: str | None
    response_body: str | None
    """The first 1000 characters."""


class DeliveryView(View):
    id: int
    event_id: str
    event_type: str
    status: Literal["pending", "delivered", "failed", "disabled"]
    attempts: int
    next_attempt_at: datetime | None
    replay: bool
    created_at: datetime
    finished_at: datetime | None
    history: list[AttemptView]

    @classmethod
    def of(cls, m: Message) -> Self:
        fields: dict[str, Any] = {name: getattr(m, name) for name in cls.model_fields}
        fields["history"] = [AttemptView.model_validate(a, from_attributes=True)
                             for a in m.history]  # fmt: skip
        return cls.model_validate(fields)


class DeliveryList(View):
    data: list[DeliveryView]
    """Newest first."""


class Replayed(View):
    deliveries: list[int]
    """The new messages' ids."""


class EventView(View):
    id: str
    type: str
    timestamp: datetime
    data: dict[str, Any]

    @classmethod
    def of(cls, e: StoredEvent) -> Self:
        return cls(id=e.id, type=e.type, timestamp=e.occurred_at, data=e.data)


class EventList(View):
    data: list[EventView]
    """Newest first."""
