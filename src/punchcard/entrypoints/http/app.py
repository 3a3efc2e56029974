"""The HTTP application: one FastAPI app over the Loyalty use cases.

    app = create_app(loyalty)          # uvicorn runs it (``punchcard serve``)

OpenAPI 3.1 is at /openapi.json and the docs at /docs. Every route but health
and metrics needs an API key (Authorization: Bearer pc_…); every write takes an
Idempotency-Key; every error is application/problem+json.
"""

from __future__ import annotations

from fastapi import FastAPI

from punchcard.adapters.crypto.keyfile import FileKeyProvider
from punchcard.config import Settings
from punchcard.entrypoints.console.app import create_console
from punchcard.entrypoints.http import observability, problems
from punchcard.entrypoints.http.deps import Services
from punchcard.entrypoints.http.idempotency import Idempotency
from punchcard.entrypoints.http.ratelimit import RateLimiter
from punchcard.entrypoints.http.routes import ROUTERS
from punchcard.service_layer.access import Keys
from punchcard.service_layer.loyalty.facade import Loyalty
from punchcard.service_layer.privacy import Vault

DESCRIPTION = """A loyalty-points ledger: purchases, refunds and engagement earn points by
governed rules; points are held, redeemed, converted, transferred, expired and
clawed back, exactly once, with a double-entry journal anyone can verify.

Authenticate with `Authorization: Bearer pc_…`. Send `Idempotency-Key` on writes.
Errors are RFC 9457 problem details with a stable `code`."""


def create_app(loyalty: Loyalty, vault: Vault | None = None) -> FastAPI:
    """The app; ``vault`` defaults to one over the key file PUNCHCARD_KEY_FILE names."""
    app = FastAPI(
        title="punchcard", version="0.1.0", description=DESCRIPTION,
        openapi_url="/openapi.json", docs_url="/docs", redoc_url=None,
    )  # fmt: skip
    database = loyalty.ledger.database
    vault = vault or Vault(loyalty, FileKeyProvider(Settings.from_env().key_file))
    app.state.services = Services(
        loyalty, Keys(database), Idempotency(database), RateLimiter(), vault
    )
    app.state.metrics = observability.Metrics()
    problems.install(app)
    observability.install(app, app.state.metrics)
    for router in ROUTERS:
        app.include_router(router)
    # The operator console: HTML pages over the same services, at /console.
    app.mount("/console", create_console(app.state.services))
    return app
