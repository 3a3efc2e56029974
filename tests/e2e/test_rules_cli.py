"""The rules commands, run through the CLI against a database of the test's own."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from punchcard.adapters.postgres.database import Database
from punchcard.domain.loyalty.commands import LineItem
from punchcard.domain.loyalty.programme import default_programme
from punchcard.domain.rules.defaults import default_ruleset
from punchcard.domain.rules.documents import ruleset_document, ruleset_from_text
from punchcard.service_layer.ledger import Ledger
from punchcard.service_layer.loyalty.facade import Loyalty
from tests.e2e.test_cli import punchcard

STORE_BONUS = """
name: store opening
rules:
- id: base
  effect: {rate: {points: 1, per: 100}}
- id: store_opening
  description: 100 points for shopping at the new store
  when: order.store == 'S-042'
  kind: bonus
  valid_until: 2099-01-01T00:00:00Z   # YAML times may be written unquoted
  effect: {flat: 100}
"""
# Next year's Black Friday and December: the seed's campaigns never run on the day
# the test does, so the points it expects do not depend on the calendar.
SEED = default_ruleset(datetime.now(UTC).year + 1)


@pytest.fixture
def shop(fresh_database_url: str) -> Iterator[tuple[Loyalty, str]]:
    """A programme with one customer, Alice; yields the API and her id."""
    database = Database(fresh_database_url, pool_size=2)
    loyalty = Loyalty(Ledger(database))
    try:
        loyalty.create_programme("shop", default_programme())
        yield loyalty, loyalty.enroll("shop", "alice").id
    finally:
        database.close()


def _ok(url: str, *args: str) -> str:
    result = punchcard(url, *args)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _refused(url: str, *args: str) -> str:
    """The one line on stderr of a command that must fail with exit status 1."""
    result = punchcard(url, *args)
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
    return result.stderr.strip()


def _publish_seed(url: str, tmp_path: Path) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text(yaml.safe_dump(ruleset_document(SEED), sort_keys=False))
    assert "created draft ruleset v1" in _ok(
        url, "rules", "create", "--tenant", "shop", "--file", str(seed), "--by", "marketing-mia"
    )
    _ok(url, "rules", "submit", "--tenant", "shop", "--version", "1", "--by", "marketing-mia")
    approved = _ok(url, "rules", "publish", "--tenant", "shop", "--version", "1",
                   "--by", "finance-fred")  # fmt: skip
    assert approved.startswith("published ruleset v1, approved by finance-fred; active from")


def test_publish_earn_explain_and_simulate(
    fresh_database_url: str, shop: tuple[Loyalty, str], tmp_path: Path
) -> None:
    url, (loyalty, alice) = fresh_database_url, shop
    _publish_seed(url, tmp_path)
    listed = _ok(url, "rules", "list", "--tenant", "shop")
    assert "│ 1 │ active │ seed programme │ marketing-mia │ finance-fred │" in listed
    shown = _ok(url, "rules", "show", "--tenant", "shop", "--version", "1")
    assert shown.startswith("# ruleset v1, published, made by marketing-mia")
    assert ruleset_from_text(shown) == SEED

    items = [LineItem(sku="milk", amount=4_550, category="groceries"),
             LineItem(sku="fuel", amount=3_025, category="gas"),
             LineItem(sku="card", amount=5_000, category="gift_cards")]  # fmt: skip
    earned = loyalty.earn_purchase("shop", alice, order_id="o-1", amount=12_575,
                                   currency="USD", items=items)  # fmt: skip
    assert earned.points == 75 + 45 + 60  # base, groceries x2, gas x3; the gift card earns 0
    assert earned.transaction_id is not None
    explained = _ok(url, "explain", "--tenant", "shop", "--transaction",
                    str(earned.transaction_id))  # fmt: skip
    assert "ruleset v1, tier bronze" in explained
    assert "category_gas" in explained and "fuel" in explained
    assert "recomputed from its stored inputs by v1: matches what was stored" in explained

    draft = tmp_path / "draft.yaml"
    draft.write_text(STORE_BONUS)
    events = tmp_path / "events.jsonl"
    lines = [
        {"kind": "purchase", "customer_id": alice, "order_id": "s-1", "amount": 5_000,
         "currency": "USD", "store": "S-042"},
        {"kind": "purchase", "customer_id": alice, "order_id": "s-2", "amount": 5_000,
         "currency": "USD", "items": [{"sku": "stew", "amount": 5_000, "category": "dining"}]},
        {"kind": "engagement", "customer_id": alice, "event_id": "e-1", "type": "app_login"},
    ]  # fmt: skip
    events.write_text("# two orders and a login\n" + "\n".join(json.dumps(e) for e in lines))
    simulated = _ok(url, "rules", "simulate", "--tenant", "shop", "--file", str(draft),
                    "--events", str(events))  # fmt: skip
    rows = {
        cells[0].strip(): cells[1].strip()
        for line in simulated.splitlines()
        if line.startswith("│") and len(cells := line.strip("│").split("│")) == 2
    }
    # active v1: 50 + (50 + dining 50) + 5 = 155; the draft: (50 + 100) + 50 + 0 = 200
    assert rows["points by the active version (v1)"] == "155"
    assert rows["points by the draft"] == "200"
    assert rows["delta"] == "+45"
    assert rows["events it changes"] == "3"
    assert rows["customers it changes"] == "1"
    assert loyalty.balance("shop", alice).pending == earned.points  # nothing was written


def test_approving_ones_own_submission_is_refused(
    fresh_database_url: str, shop: tuple[Loyalty, str], tmp_path: Path
) -> None:
    url = fresh_database_url
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps(ruleset_document(SEED)))
    _ok(url, "rules", "create", "--tenant", "shop", "--file", str(seed), "--by", "mia")
    submitted = _ok(url, "rules", "submit", "--tenant", "shop", "--version", "1", "--by", "mia",
                    "--activate-at", "2099-01-01T00:00:00+00:00")  # fmt: skip
    assert "takes effect from 2099-01-01T00:00:00+00:00 once approved" in submitted
    assert _refused(url, "rules", "approve", "--tenant", "shop", "--version", "1",
                    "--by", "mia") == (
        "error: maker_checker_violation: mia submitted ruleset 1 and cannot also approve it"
    )  # fmt: skip
    assert "│ submitted │" in _ok(url, "rules", "list", "--tenant", "shop")


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("rules:\n- id: base\n  effect: {rate: {points: 1.5, per: 100}}\n",
         "error: invalid_ruleset: ruleset: rules.0.effect.rate.points: Input should be a valid "
         "integer"),
        ("rules:\n- id: base\n  colour: red\n  effect: {flat: 5}\n",
         "error: invalid_ruleset: ruleset: rules.0.colour: Unexpected keyword argument"),
        ("rules:\n- id: base\n  when: order.total >\n  effect: {flat: 5}\n",
         "error: invalid_ruleset: rule base: condition does not parse"),
        ("rules:\n- id: base\n  effect: {flat: 5}\n  valid_from: 2026-01-01T00:00:00\n",
         "error: invalid_ruleset: rule base: validity times need a UTC offset"),
        ("rules: [", "error: invalid_ruleset: "),
    ],
)  # fmt: skip
def test_a_bad_document_is_one_line_naming_the_field(
    fresh_database_url: str, tmp_path: Path, document: str, message: str
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(document)
    refused = _refused(fresh_database_url, "rules", "create", "--tenant", "shop",
                       "--file", str(bad), "--by", "mia")  # fmt: skip
    assert refused.startswith(message), refused


def test_a_bad_events_file_names_its_line(
    fresh_database_url: str, shop: tuple[Loyalty, str], tmp_path: Path
) -> None:
    draft = tmp_path / "draft.yaml"
    draft.write_text(STORE_BONUS)
    events = tmp_path / "events.jsonl"
    login = {"kind": "engagement", "customer_id": "cus_1", "event_id": "e", "type": "app_login"}
    events.write_text(json.dumps(login) + '\n\n{"kind": "purchase", "order_id": "o"}\n')
    refused = _refused(fresh_database_url, "rules", "simulate", "--tenant", "shop",
                       "--file", str(draft), "--events", str(events))  # fmt: skip
    assert refused == (
        f"error: invalid_request: {events} line 3: a purchase needs customer_id, order_id, "
        "amount, currency; customer_id is missing"
    )
    assert _refused(fresh_database_url, "explain", "--tenant", "shop",
                    "--transaction", "999") == (
        "error: unknown_transaction: transaction 999 does not exist"
    )  # fmt: skip
