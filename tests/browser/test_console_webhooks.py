"""The console's webhook page and health tile without a browser: readers see
deliveries, only admins see endpoints' urls and replay (CSRF-checked, once per
form), another tenant's endpoints stay invisible."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from punchcard.service_layer import webhooks
from punchcard.service_layer.loyalty.facade import Loyalty
from tests.browser.conftest import Hooked, make_shop
from tests.browser.test_console_http import signed


def replay_form(html: str) -> dict[str, str]:
    """The first Replay form's fields, as the page rendered them."""
    form = html[html.index('action="/console/webhooks/replay"') :]
    form = form[: form.index("</form>")]
    return dict(re.findall(r'name="([a-z_]+)" value="([^"]*)"', form))


def deliveries(loyalty: Loyalty, hooked: Hooked) -> int:
    return len(webhooks.deliveries(loyalty, hooked.shop.tenant, hooked.endpoint.id))


@pytest.mark.parametrize("role", ["operator", "approver", "auditor"])
def test_readers_see_deliveries_but_neither_urls_nor_replay(
    client: TestClient, app: FastAPI, hooked: Hooked, role: str
) -> None:
    signed(client, app, hooked.shop.tenant, role)
    page = client.get("/console/webhooks")
    assert page.status_code == 200, page.text
    assert hooked.endpoint.id in page.text and hooked.earned in page.text
    assert "delivered" in page.text and "500: HTTP 500" in page.text
    assert hooked.endpoint.url not in page.text  # admin only, as GET /v1/webhooks/endpoints
    assert "/console/webhooks/replay" not in page.text
    assert 'href="/console/webhooks"' in page.text  # the nav


def test_an_admin_sees_the_endpoint_and_replays_once_per_form(
    client: TestClient, app: FastAPI, loyalty: Loyalty, hooked: Hooked
) -> None:
    signed(client, app, hooked.shop.tenant, "admin")
    page = client.get("/console/webhooks")
    assert hooked.endpoint.url in page.text and "points.earned" in page.text
    assert "enabled" in page.text
    form = replay_form(page.text)
    before = deliveries(loyalty, hooked)
    answer = client.post("/console/webhooks/replay", data=form)
    assert answer.status_code == 200, answer.text
    assert "Replay queued" in answer.text
    again = client.post("/console/webhooks/replay", data=form)
    assert again.status_code == 200, again.text
    assert deliveries(loyalty, hooked) == before + 1  # the same form twice: one replay
    fresh = replay_form(client.get("/console/webhooks").text)
    assert fresh["idempotency_key"] != form["idempotency_key"]


def test_a_replay_without_its_csrf_token_is_refused(
    client: TestClient, app: FastAPI, loyalty: Loyalty, hooked: Hooked
) -> None:
    signed(client, app, hooked.shop.tenant, "admin")
    form = replay_form(client.get("/console/webhooks").text)
    before = deliveries(loyalty, hooked)
    unsigned = {name: value for name, value in form.items() if name != "csrf"}
    for sent in ({}, {"csrf": "not-the-token"}):
        answer = client.post("/console/webhooks/replay", data=unsigned | sent)
        assert answer.status_code == 403
        assert "csrf_rejected" in answer.text
    assert deliveries(loyalty, hooked) == before


@pytest.mark.parametrize("role", ["operator", "approver", "auditor"])
def test_only_an_admin_may_replay(
    client: TestClient, app: FastAPI, loyalty: Loyalty, hooked: Hooked, role: str
) -> None:
    csrf = signed(client, app, hooked.shop.tenant, role)
    before = deliveries(loyalty, hooked)
    form = {"event_id": hooked.earned, "endpoint_id": hooked.endpoint.id,
            "idempotency_key": "console-k", "csrf": csrf}  # fmt: skip
    answer = client.post("/console/webhooks/replay", data=form)
    assert answer.status_code == 403, answer.text
    assert "forbidden" in answer.text
    assert deliveries(loyalty, hooked) == before


def test_another_tenants_endpoints_are_not_visible(
    client: TestClient, app: FastAPI, loyalty: Loyalty, hooked: Hooked
) -> None:
    other = make_shop(loyalty)
    csrf = signed(client, app, other.tenant, "admin")
    page = client.get("/console/webhooks")
    assert page.status_code == 200
    assert hooked.endpoint.id not in page.text and hooked.endpoint.url not in page.text
    assert "No webhook endpoints" in page.text
    form = {"event_id": hooked.earned, "endpoint_id": hooked.endpoint.id,
            "idempotency_key": "console-other", "csrf": csrf}  # fmt: skip
    answer = client.post("/console/webhooks/replay", data=form)
    assert answer.status_code == 404
    assert "unknown_event" in answer.text
    tile = client.get("/console/").text
    assert "Webhook delivery health" in tile and "across 0 endpoints" in tile


@pytest.mark.parametrize("role", ["operator", "auditor"])
def test_the_dashboard_tile_counts_the_last_day(
    client: TestClient, app: FastAPI, hooked: Hooked, role: str
) -> None:
    signed(client, app, hooked.shop.tenant, role)
    page = client.get("/console/")
    assert page.status_code == 200
    tile = page.text[page.text.index('aria-labelledby="t-webhooks"') :]
    text = " ".join(re.sub(r"<[^>]+>", " ", tile[: tile.index("</section>")]).split())
    assert re.search(r"\b1 delivered, 1 retrying ?, 0 failed in the last 24 h", text), text
    assert "across 1 endpoint (" in text
