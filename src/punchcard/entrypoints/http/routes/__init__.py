"""One router per area of the API; ``ROUTERS`` is what the app mounts."""

from __future__ import annotations

from fastapi import APIRouter

from punchcard.entrypoints.http.routes import customers, events, health

ROUTERS: list[APIRouter] = [health.router, customers.router, events.router]
