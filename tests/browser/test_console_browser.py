"""The console in a real headless Chromium: signing in, finding a customer by
reference and by e-mail, maker-checker across two people, simulating a draft,
erasing a customer and downloading a report, with a screenshot of each page in
tests/artifacts/console/."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from punchcard.domain.privacy.personal_data import PersonalData
from punchcard.service_layer.loyalty.facade import Loyalty
from punchcard.service_layer.privacy import Vault
from tests.browser.conftest import Hooked, Shop, shot, token


def sign_in(page: Any, live_url: str, api_key: str) -> None:
    page.goto(f"{live_url}/console/")
    assert page.url.endswith("/console/sign-in")
    page.get_by_label("API key").fill(api_key)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_url}/console/")


def nav(page: Any, name: str) -> None:
    page.get_by_role("navigation").get_by_role("link", name=name, exact=True).click()


def sign_out(page: Any) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r".*/console/sign-in$"))


def test_sign_in_and_the_dashboard(page: Any, live_url: str, app: FastAPI, shop: Shop) -> None:
    page.goto(f"{live_url}/console/")
    shot(page, "sign-in")
    sign_in(page, live_url, token(app, shop.tenant, "admin"))
    assert page.get_by_role("heading", name="Programme dashboard").is_visible()
    assert page.locator("#daily-chart").is_visible()
    # the vendored chart library drew on the canvas: nothing came from elsewhere
    assert page.evaluate("() => typeof Chart !== 'undefined' && !!Chart.getChart('daily-chart')")
    page.get_by_role("button", name="Verify the journal now").click()
    assert page.get_by_text("Latest: passed").is_visible()
    shot(page, "dashboard")


def test_find_a_customer_by_reference_and_by_email(
    page: Any, live_url: str, app: FastAPI, console_vault: Vault, shop: Shop
) -> None:
    console_vault.store(shop.tenant, shop.customer_id,
                        PersonalData(name="Ada Lovelace", email="ada@example.com"))  # fmt: skip
    sign_in(page, live_url, token(app, shop.tenant, "operator"))
    nav(page, "Customers")
    page.get_by_label("External reference").fill(shop.external_ref)
    page.get_by_label("External reference").press("Enter")
    page.wait_for_url(f"**/console/customers/{shop.customer_id}")
    assert page.get_by_role("heading", name=f"Customer {shop.external_ref}").is_visible()
    assert page.get_by_text("Ada Lovelace").is_visible()
    assert page.get_by_text("category_gas", exact=False).count() == 0  # no gas in this order
    assert page.get_by_text("base", exact=False).first.is_visible()  # the earn's breakdown
    shot(page, "customer")
    nav(page, "Customers")
    shot(page, "customer-search")
    page.get_by_label("E-mail address").fill("ada@example.com")
    page.get_by_label("E-mail address").press("Enter")
    page.wait_for_url(f"**/console/customers/{shop.customer_id}")
    assert "ada@example.com" not in page.url


def test_an_adjustment_requested_by_one_and_approved_by_another(
    page: Any, live_url: str, app: FastAPI, loyalty: Loyalty, shop: Shop
) -> None:
    before = loyalty.balance(shop.tenant, shop.customer_id).available
    sign_in(page, live_url, token(app, shop.tenant, "operator", "approver", name="maker"))
    page.goto(f"{live_url}/console/customers/{shop.customer_id}")
    page.get_by_label("Points (negative takes points away)").fill("75")
    page.get_by_label("Reason").fill("missing receipt")
    page.get_by_role("button", name="Request adjustment").click()
    assert page.get_by_role("status").get_by_text("Adjustment requested").is_visible()
    # the maker may approve things, but not this: the service refuses, the page says why
    nav(page, "Approvals")
    page.get_by_role("button", name="Approve").first.click()
    assert page.get_by_text("maker_checker_violation").is_visible()
    shot(page, "maker-checker-refused")
    page.go_back()
    sign_out(page)
    sign_in(page, live_url, token(app, shop.tenant, "approver", name="checker"))
    nav(page, "Approvals")
    assert page.get_by_text("missing receipt").is_visible()
    shot(page, "approvals")
    page.get_by_label("Reason").first.fill("receipt checked")
    page.get_by_role("button", name="Approve").first.click()
    assert page.get_by_role("status").get_by_text("Adjustment approved").is_visible()
    assert loyalty.balance(shop.tenant, shop.customer_id).available == before + 75


def test_simulate_a_draft_against_recent_events(
    page: Any, live_url: str, app: FastAPI, shop: Shop
) -> None:
    sign_in(page, live_url, token(app, shop.tenant, "admin"))
    nav(page, "Rules")
    shot(page, "rules")
    page.get_by_role("button", name="New draft from the active version").click()
    assert page.get_by_role("status").get_by_text("Draft created").is_visible()
    document = page.get_by_label("Document (YAML or JSON)")
    text = document.input_value()
    doubled = text.replace("      points: 1\n      per: 100", "      points: 2\n      per: 100", 1)
    assert doubled != text
    document.fill(doubled)
    page.get_by_role("button", name="Simulate against recent events").click()
    section = page.locator("#simulation")
    assert section.get_by_text("against active v1").is_visible()
    delta = section.locator("td.delta").inner_text()
    assert delta.startswith("+") and int(delta) > 0
    assert section.get_by_text("Nothing was written").is_visible()
    shot(page, "simulation")


def test_erase_a_customer_after_a_confirmation_naming_the_consequence(
    page: Any, live_url: str, app: FastAPI, console_vault: Vault, shop: Shop
) -> None:
    console_vault.store(shop.tenant, shop.customer_id, PersonalData(name="Grace Hopper"))
    sign_in(page, live_url, token(app, shop.tenant, "operator"))
    page.goto(f"{live_url}/console/customers/{shop.customer_id}")
    page.get_by_role("link", name="Erase personal data…").click()
    assert page.get_by_text("This cannot be undone.").is_visible()
    assert page.get_by_text("can no longer be found by e-mail", exact=False).is_visible()
    shot(page, "erase-confirmation")
    page.get_by_label("I understand that this customer's personal data will be gone").check()
    page.get_by_role("button", name="Erase personal data").click()
    assert page.get_by_role("status").get_by_text("Personal data erased").is_visible()
    assert page.get_by_text("Grace Hopper").count() == 0
    assert console_vault.erasure(shop.tenant, shop.customer_id) is not None


def test_download_a_report_as_csv(
    page: Any, live_url: str, app: FastAPI, shop: Shop, tmp_path: Path
) -> None:
    sign_in(page, live_url, token(app, shop.tenant, "auditor"))
    nav(page, "Reports")
    assert page.get_by_role("heading", name=re.compile("Roll-forward")).is_visible()
    shot(page, "reports")
    with page.expect_download() as caught:
        page.get_by_role("link", name="Download the roll-forward as CSV").click()
    saved = tmp_path / caught.value.suggested_filename
    caught.value.save_as(saved)
    assert saved.name.startswith("rollforward-") and saved.suffix == ".csv"
    assert saved.read_text().splitlines()[0].startswith("section")


def test_the_webhooks_page_and_a_replay(
    page: Any, live_url: str, app: FastAPI, hooked: Hooked
) -> None:
    sign_in(page, live_url, token(app, hooked.shop.tenant, "admin"))
    assert page.get_by_role("heading", name="Webhook delivery health").is_visible()
    nav(page, "Webhooks")
    assert page.get_by_role("heading", name=f"Endpoint {hooked.endpoint.id}").is_visible()
    assert page.get_by_text(hooked.endpoint.url).is_visible()
    assert page.get_by_text("500: HTTP 500").is_visible()
    shot(page, "webhooks")
    page.get_by_role("button", name="Replay").first.click()
    assert page.get_by_role("status").get_by_text("Replay queued").is_visible()
    assert page.get_by_text("(replay)").count() == 3  # the fixture's two and this one


def test_keyboard_reaches_the_sign_in_form(page: Any, live_url: str) -> None:
    page.goto(f"{live_url}/console/sign-in")
    page.keyboard.press("Tab")  # the skip link comes first
    assert page.evaluate("() => document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == "api_key"
