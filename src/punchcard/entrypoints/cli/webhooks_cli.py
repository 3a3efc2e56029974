"""``punchcard webhooks …``: a tenant's webhook endpoints from the command line, and
one round of delivery (docs/webhooks.md).

``add`` and ``rotate`` print the endpoint's ``whsec_`` secret, this once; every
other command leaves it out. Each prints a table for people, or with ``--json``
one JSON document for scripts; an expected failure is one line on stderr and
exit status 1 either way. The commands call the same use cases as the HTTP API.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from pydantic_core import to_jsonable_python

from punchcard.adapters.postgres.webhooks import Endpoint, Message
from punchcard.config import Settings
from punchcard.domain import validation
from punchcard.entrypoints.cli import render_webhooks
from punchcard.entrypoints.cli.console import console, one_line_errors
from punchcard.service_layer import webhooks as hooks
from punchcard.service_layer.loyalty.facade import Loyalty

Tenant = Annotated[str, typer.Option(help="The programme's tenant.")]
Json = Annotated[bool, typer.Option("--json", help="One JSON document on stdout, for scripts.")]
EndpointId = Annotated[str, typer.Argument(help="The endpoint's id, whe_….")]

app = typer.Typer(
    help="Webhook endpoints: add, list, remove, rotate a secret; deliveries, replay, dispatch.",
    no_args_is_help=True,
)


@contextmanager
def _opened(tenant: str | None = None) -> Iterator[Loyalty]:
    if tenant is not None:
        validation.tenant_id(tenant)
    with Loyalty.open(Settings.from_env()) as loyalty:
        yield loyalty


def _emit(document: object) -> None:
    typer.echo(json.dumps(to_jsonable_python(document), indent=2))


def _endpoint(e: Endpoint) -> dict[str, Any]:
    """An endpoint without its secrets (``rotating_until`` as in the HTTP API)."""
    return {"id": e.id, "tenant": e.tenant, "url": e.url, "description": e.description,
            "event_types": e.event_types, "enabled": e.enabled,
            "disabled_reason": e.disabled_reason, "rotating_until": e.previous_until,
            "created_at": e.created_at, "updated_at": e.updated_at}  # fmt: skip


def _message(m: Message) -> dict[str, Any]:
    return {"id": m.id, "endpoint_id": m.endpoint_id, "event_id": m.event_id,
            "event_type": m.event_type, "status": m.status, "attempts": m.attempts,
            "next_attempt_at": m.next_attempt_at, "replay": m.replay,
            "created_at": m.created_at, "finished_at": m.finished_at,
            "history": [{"attempted_at": a.attempted_at, "status_code": a.status_code,
                         "duration_ms": a.duration_ms, "outcome": a.outcome,
                         "error": a.error, "response_body": a.response_body}
                        for a in m.history]}  # fmt: skip


def _with_secret(found: Endpoint, as_json: bool, done: str) -> None:
    if as_json:
        _emit({**_endpoint(found), "secret": found.secret})
        return
    render_webhooks.endpoint(console, found)
    typer.echo(f"{done}; secret (shown this once; store it now): {found.secret}")


@app.command("add")
@one_line_errors
def add(
    url: Annotated[str, typer.Argument(help="Where to POST events: http(s)://host/….")],
    *,
    tenant: Tenant,
    event_type: Annotated[
        list[str] | None,
        typer.Option(help="An event type to send, e.g. points.earned; repeat for several "
                          "(default: every type)."),
    ] = None,
    description: Annotated[str, typer.Option(help="What the endpoint is for.")] = "",
    as_json: Json = False,
) -> None:  # fmt: skip
    """Register an endpoint; it receives the events recorded from now on."""
    with _opened(tenant) as loyalty:
        found = hooks.add_endpoint(loyalty, tenant, url, event_types=event_type or [],
                                   description=description)  # fmt: skip
    _with_secret(found, as_json, f"added endpoint {found.id} to {tenant}")


@app.command("list")
@one_line_errors
def list_(*, tenant: Tenant, as_json: Json = False) -> None:
    """The tenant's endpoints (never their secrets)."""
    with _opened(tenant) as loyalty:
        found = hooks.endpoints(loyalty, tenant)
    if as_json:
        _emit([_endpoint(e) for e in found])
    else:
        render_webhooks.endpoints(console, tenant, found)


@app.command("remove")
@one_line_errors
def remove(endpoint_id: EndpointId, *, tenant: Tenant, as_json: Json = False) -> None:
    """Delete an endpoint, its messages and their attempts."""
    with _opened(tenant) as loyalty:
        hooks.remove_endpoint(loyalty, tenant, endpoint_id)
    if as_json:
        _emit({"id": endpoint_id, "tenant": tenant, "removed": True})
    else:
        typer.echo(f"removed endpoint {endpoint_id} of {tenant}")


@app.command("rotate")
@one_line_errors
def rotate(endpoint_id: EndpointId, *, tenant: Tenant, as_json: Json = False) -> None:
    """Give an endpoint a new secret; the previous one also signs for 24 hours."""
    with _opened(tenant) as loyalty:
        found = hooks.rotate_secret(loyalty, tenant, endpoint_id)
    until = found.previous_until.isoformat(timespec="seconds") if found.previous_until else ""
    _with_secret(found, as_json, f"rotated the secret of {found.id}; the previous one signs "
                                 f"until {until}")  # fmt: skip


@app.command("deliveries")
@one_line_errors
def deliveries(
    endpoint_id: EndpointId,
    *,
    tenant: Tenant,
    limit: Annotated[int, typer.Option(min=1, max=500, help="Most messages, newest first.")]
        = 20,
    as_json: Json = False,
) -> None:  # fmt: skip
    """An endpoint's messages, newest first, each with its attempts."""
    with _opened(tenant) as loyalty:
        found = hooks.deliveries(loyalty, tenant, endpoint_id, limit=limit)
    if as_json:
        _emit([_message(m) for m in found])
    else:
        render_webhooks.deliveries(console, endpoint_id, found)


@app.command("replay")
@one_line_errors
def replay(
    event_id: Annotated[str, typer.Argument(help="The event's id, evt_….")],
    *,
    tenant: Tenant,
    endpoint: Annotated[
        str | None,
        typer.Option(help="Only to this endpoint, whatever its filter (default: every "
                          "enabled endpoint whose filter takes the event)."),
    ] = None,
    as_json: Json = False,
) -> None:  # fmt: skip
    """Queue an event again as new messages (same webhook-id) for the next dispatch."""
    with _opened(tenant) as loyalty:
        created = hooks.replay(loyalty, tenant, event_id, endpoint)
    if as_json:
        _emit({"event_id": event_id, "messages": created})
    else:
        typer.echo(f"queued {len(created)} message(s) for {event_id}")


@app.command("dispatch")
@one_line_errors
def dispatch(as_json: Json = False) -> None:
    """One round of the worker's delivery: fan committed events out, send due messages."""
    with _opened() as loyalty:
        tried = hooks.dispatch(loyalty)
    if as_json:
        _emit({"tried": tried})
    else:
        typer.echo(f"tried {tried} message(s)")
