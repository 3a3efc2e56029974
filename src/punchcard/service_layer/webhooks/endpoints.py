"""Webhook endpoints of a tenant, their deliveries and health, and replays: the
use cases the HTTP API, the CLI and the operator console share. Each is one
transaction, committed here."""

from __future__ import annotations

from datetime import datetime, timedelta

from punchcard.adapters.postgres.outbox import Outbox
from punchcard.adapters.postgres.webhooks import Endpoint, Health, Message, WebhookStore
from punchcard.domain import webhooks
from punchcard.domain.webhooks import UnknownEvent, UnknownWebhookEndpoint
from punchcard.service_layer.loyalty.facade import Loyalty

ROTATION_GRACE = timedelta(hours=24)
"""How long the previous secret still signs after a rotation."""
MAX_DESCRIPTION = 200


def add_endpoint(
    loyalty: Loyalty, tenant: str, url: str, *, event_types: list[str] | None = None,
    description: str = "",
) -> Endpoint:  # fmt: skip
    """Register an endpoint with a new secret; it receives events recorded from now on."""
    checked = webhooks.check_url(url)
    types = webhooks.check_event_types(event_types or [])
    _check_description(description)
    with loyalty.ledger.database.connection() as conn:
        found = WebhookStore(conn).add(tenant, checked, description, webhooks.new_secret(), types)
        conn.commit()
    return found


def endpoints(loyalty: Loyalty, tenant: str) -> list[Endpoint]:
    with loyalty.ledger.database.connection() as conn:
        return WebhookStore(conn).endpoints(tenant)


def endpoint(loyalty: Loyalty, tenant: str, endpoint_id: str) -> Endpoint:
    with loyalty.ledger.database.connection() as conn:
        found = WebhookStore(conn).get(tenant, endpoint_id)
    if found is None:
        raise UnknownWebhookEndpoint(endpoint_id=endpoint_id)
    return found


def update_endpoint(
    loyalty: Loyalty, tenant: str, endpoint_id: str, *, url: str | None = None,
    event_types: list[str] | None = None, description: str | None = None,
    enabled: bool | None = None, reason: str | None = None,
) -> Endpoint:  # fmt: skip
    """Change an endpoint. Disabling parks its undelivered messages; enabling sends
    them again, as well as new events."""
    changes: dict[str, object] = {}
    if url is not None:
        changes["url"] = webhooks.check_url(url)
    if event_types is not None:
        changes["event_types"] = webhooks.check_event_types(event_types)
    if description is not None:
        changes["description"] = _check_description(description)
    if enabled is not None:
        changes["enabled"] = enabled
        changes["reason"] = webhooks.trimmed(reason, 500)
    with loyalty.ledger.database.connection() as conn:
        store = WebhookStore(conn)
        found = store.update(tenant, endpoint_id, **changes)
        if found is None:
            raise UnknownWebhookEndpoint(endpoint_id=endpoint_id)
        if enabled is False:
            store.park(tenant, endpoint_id)
        elif enabled:
            store.resume(tenant, endpoint_id, loyalty.now())
        conn.commit()
    return found


def remove_endpoint(loyalty: Loyalty, tenant: str, endpoint_id: str) -> None:
    """Delete an endpoint, its messages and their attempts."""
    with loyalty.ledger.database.connection() as conn:
        if not WebhookStore(conn).delete(tenant, endpoint_id):
            raise UnknownWebhookEndpoint(endpoint_id=endpoint_id)
        conn.commit()


def rotate_secret(
    loyalty: Loyalty, tenant: str, endpoint_id: str, *, grace: timedelta = ROTATION_GRACE
) -> Endpoint:
    """A new secret signs from now on; the previous one signs too for ``grace``, so
    messages carry two signatures while the receiver switches."""
    until = loyalty.now() + grace
    with loyalty.ledger.database.connection() as conn:
        found = WebhookStore(conn).rotate(tenant, endpoint_id, webhooks.new_secret(), until)
        if found is None:
            raise UnknownWebhookEndpoint(endpoint_id=endpoint_id)
        conn.commit()
    return found


def deliveries(
    loyalty: Loyalty, tenant: str, endpoint_id: str, *, status: str | None = None,
    before: int | None = None, limit: int = 50,
) -> list[Message]:  # fmt: skip
    """An endpoint's messages, newest first, each with its attempts."""
    with loyalty.ledger.database.connection() as conn:
        store = WebhookStore(conn)
        if store.get(tenant, endpoint_id) is None:
            raise UnknownWebhookEndpoint(endpoint_id=endpoint_id)
        return store.messages(tenant, endpoint_id, status=status, before=before, limit=limit)


def replay(
    loyalty: Loyalty, tenant: str, event_id: str, endpoint_id: str | None = None
) -> list[int]:
    """Send an event again, as new messages: to one endpoint (whatever its filter), or
    to every enabled endpoint whose filter takes it. The ids of the new messages."""
    with loyalty.ledger.database.connection() as conn:
        event = Outbox(conn).get(tenant, event_id)
        if event is None:
            raise UnknownEvent(event_id=event_id)
        store = WebhookStore(conn)
        if endpoint_id is not None:
            chosen = store.get(tenant, endpoint_id)
            if chosen is None:
                raise UnknownWebhookEndpoint(endpoint_id=endpoint_id)
            if not chosen.enabled:
                raise webhooks.InvalidWebhookEndpoint("the endpoint is disabled; enable it first")
        created = store.replay(tenant, event_id, event.type, endpoint_id, loyalty.now())
        conn.commit()
    return created


def health(loyalty: Loyalty, tenant: str, *, since: datetime | None = None) -> list[Health]:
    """Per endpoint, its messages since ``since`` (default a day ago): delivered,
    being retried, waiting for a first try, failed, parked."""
    start = since or loyalty.now() - timedelta(days=1)
    with loyalty.ledger.database.connection() as conn:
        return WebhookStore(conn).health(tenant, start)


def _check_description(text: str) -> str:
    if len(text) > MAX_DESCRIPTION:
        raise webhooks.InvalidWebhookEndpoint(f"a description has at most {MAX_DESCRIPTION} chars")
    return text
