"""Rich tables for ``punchcard webhooks …``: a tenant's endpoints and an endpoint's
deliveries. Secrets are never rendered here: the commands print them once, apart."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich.console import Console
from rich.table import Table

from punchcard.adapters.postgres.webhooks import Endpoint, Message
from punchcard.entrypoints.cli import render


def _when(moment: datetime | None) -> str:
    return "" if moment is None else moment.isoformat(timespec="seconds")


def _state(found: Endpoint) -> str:
    if found.enabled:
        return "enabled"
    return f"disabled: {found.disabled_reason}" if found.disabled_reason else "disabled"


def endpoint(console: Console, found: Endpoint) -> None:
    rows = [("id", found.id), ("url", found.url), ("description", found.description),
            ("event types", ", ".join(found.event_types) or "all"), ("state", _state(found)),
            ("previous secret signs until", _when(found.previous_until)),
            ("created", _when(found.created_at))]  # fmt: skip
    render.key_values(console, f"webhook endpoint {found.id} of {found.tenant}", rows)


def endpoints(console: Console, tenant: str, found: Sequence[Endpoint]) -> None:
    if not found:
        console.print(f"no webhook endpoints in {tenant}", markup=False, highlight=False)
        return
    table = Table(title=f"webhook endpoints of {tenant}", title_justify="left")
    for column in ("endpoint", "url", "event types", "state", "description", "created"):
        table.add_column(column)
    for e in found:
        table.add_row(e.id, e.url, ", ".join(e.event_types) or "all", _state(e),
                      e.description, _when(e.created_at))  # fmt: skip
    console.print(table)
    enabled = sum(1 for e in found if e.enabled)
    console.print(f"{len(found)} endpoint(s), {enabled} enabled")


def deliveries(console: Console, endpoint_id: str, found: Sequence[Message]) -> None:
    if not found:
        console.print(f"no deliveries to {endpoint_id} yet", markup=False, highlight=False)
        return
    table = Table(title=f"deliveries to {endpoint_id}, newest first", title_justify="left")
    for column in ("message", "event", "type", "status", "attempts", "last answer",
                   "next attempt", "created"):  # fmt: skip
        table.add_column(column, justify="right" if column in ("message", "attempts") else "left")
    for m in found:
        last = m.history[-1] if m.history else None
        answer = "" if last is None else (
            str(last.status_code) if last.status_code is not None else (last.error or "")
        )  # fmt: skip
        table.add_row(str(m.id), m.event_id, m.event_type,
                      m.status + (" (replay)" if m.replay else ""), str(m.attempts), answer,
                      _when(m.next_attempt_at), _when(m.created_at))  # fmt: skip
    console.print(table)
