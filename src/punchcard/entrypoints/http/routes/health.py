"""Liveness, readiness and metrics: unauthenticated, and they say nothing about data."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from punchcard.entrypoints.http.deps import Svc

router = APIRouter(tags=["operations"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(svc: Svc) -> dict[str, str]:
    """The database answers."""
    with svc.loyalty.ledger.database.connection() as conn:
        conn.execute("SELECT 1")
    return {"status": "ready"}


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    exposition: Response = request.app.state.metrics.exposition()
    return exposition
