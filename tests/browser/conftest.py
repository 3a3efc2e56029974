"""Console test fixtures: the real app (API and console) over the shared test
database, through the TestClient for the plain tests and served by uvicorn on a
free port for the browser tests, which drive the Debian Chromium with Playwright.

Browser tests skip, saying why, when /usr/bin/chromium or Playwright is missing
(``make test`` tries to install Chromium first).
"""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from punchcard.adapters.crypto.keyfile import FileKeyProvider
from punchcard.adapters.postgres.webhooks import Endpoint
from punchcard.domain import events
from punchcard.domain.loyalty.programme import default_programme
from punchcard.domain.rules.defaults import default_ruleset
from punchcard.entrypoints.http.app import create_app
from punchcard.service_layer import webhooks
from punchcard.service_layer.loyalty.facade import Loyalty
from punchcard.service_layer.privacy import Vault
from tests.conftest import setup_programme
from tests.receiver import Reply, receiver

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "console"


@pytest.fixture(scope="session")
def console_vault(loyalty: Loyalty, tmp_path_factory: pytest.TempPathFactory) -> Vault:
    return Vault(loyalty, FileKeyProvider(tmp_path_factory.mktemp("keys") / "keys.json"))


@pytest.fixture(scope="session")
def app(loyalty: Loyalty, console_vault: Vault) -> FastAPI:
    return create_app(loyalty, console_vault)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """A client of its own per test: its cookie jar is one browser's."""
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@dataclass(frozen=True)
class Shop:
    """A tenant running the seed programme with its ruleset published, and a customer
    who earned from one purchase."""

    tenant: str
    customer_id: str
    external_ref: str


def make_shop(loyalty: Loyalty) -> Shop:
    tenant = setup_programme(loyalty, replace(default_programme(), pending_days=0))
    draft = loyalty.create_ruleset(tenant, default_ruleset(loyalty.now().year), created_by="mia")
    loyalty.submit_ruleset(tenant, draft.version, submitted_by="mia")
    loyalty.approve_ruleset(tenant, draft.version, approved_by="fred")
    ref = f"alice-{uuid.uuid4().hex[:6]}"
    customer = loyalty.enroll(tenant, ref)
    loyalty.earn_purchase(tenant, customer.id, order_id=f"o-{ref}", amount=12_575,
                          currency="USD")  # fmt: skip
    return Shop(tenant, customer.id, ref)


@pytest.fixture
def shop(loyalty: Loyalty) -> Shop:
    return make_shop(loyalty)


@dataclass(frozen=True)
class Hooked:
    """A shop with a webhook endpoint that got two deliveries: the earn, delivered,
    and the enrolment, answered 500 and being retried."""

    shop: Shop
    endpoint: Endpoint
    earned: str
    """The earn's event id."""


@pytest.fixture
def hooked(loyalty: Loyalty, shop: Shop) -> Iterator[Hooked]:
    with receiver() as hook:
        endpoint = webhooks.add_endpoint(loyalty, shop.tenant, hook.url,
                                         event_types=[events.POINTS_EARNED])  # fmt: skip
        (earned,) = loyalty.events(shop.tenant, type_=events.POINTS_EARNED)
        (enrolled,) = loyalty.events(shop.tenant, type_=events.CUSTOMER_ENROLLED)
        hook.then(Reply(500, body="down for maintenance"))
        webhooks.replay(loyalty, shop.tenant, enrolled.id, endpoint.id)  # sent first: the 500
        webhooks.replay(loyalty, shop.tenant, earned.id, endpoint.id)
        webhooks.deliver_due(loyalty)
        yield Hooked(shop, endpoint, earned.id)


def token(app: FastAPI, tenant: str, *roles: str, name: str = "console test") -> str:
    """A new key of ``tenant`` with ``roles``; its bearer token."""
    _, made = app.state.services.keys.create(tenant, name=name, roles_=roles, created_by="tests")
    return str(made)


def sign_in(client: TestClient, api_key: str) -> Any:
    """Sign ``client`` in through the form, as a browser does; the final answer."""
    form = client.get("/console/sign-in")
    csrf = csrf_of(form.text)
    return client.post("/console/sign-in", data={"api_key": api_key, "csrf": csrf})


def csrf_of(html: str) -> str:
    marker = 'name="csrf" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


# -- the browser ----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def live_url(app: FastAPI) -> Iterator[str]:
    """The app served by uvicorn on a thread, on a free port of the loopback."""
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None,
                            access_log=False, lifespan="off")  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="console-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("browser tests need /usr/bin/chromium (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests need playwright")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    """A fresh browser context (its own cookies) and page, at a laptop's size."""
    context = chromium.new_context(viewport={"width": 1366, "height": 900}, accept_downloads=True)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def shot(page: Any, name: str) -> None:
    """A full-page screenshot in tests/artifacts/console/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
