"""The tenant commands through the CLI: ``keys create/list/revoke``,
``customers show``, ``balances`` and ``transactions list``, as tables for people and
as ``--json`` for scripts; an expected failure is one line on stderr and exit 1; and
a key the CLI creates is one the HTTP API accepts."""

from __future__ import annotations

import dataclasses
import json
import re
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from punchcard.adapters.postgres.database import Database
from punchcard.domain.loyalty.programme import default_programme
from punchcard.entrypoints.http.app import create_app
from punchcard.service_layer.access import Keys
from punchcard.service_layer.ledger import Ledger
from punchcard.service_layer.loyalty.facade import Loyalty
from tests.conftest import clone, drop
from tests.e2e.test_cli import punchcard


@dataclasses.dataclass(frozen=True)
class Shop:
    """A database of this module's own: tenant ``shop`` where alice earned twice and
    redeemed the first order's points, ``twin`` with a key, ``keyed`` with nothing yet."""

    url: str
    alice: str
    twin_key: str


@pytest.fixture(scope="module")
def shop(pg_admin_url: str, template_db: str) -> Iterator[Shop]:
    name = f"punchcard_admin_cli_{uuid.uuid4().hex[:8]}"
    url = clone(pg_admin_url, template_db, name)
    database = Database(url, pool_size=2)
    try:
        loyalty = Loyalty(Ledger(database))
        programme = dataclasses.replace(default_programme(), pending_days=0)
        for tenant in ("shop", "twin", "keyed"):
            loyalty.create_programme(tenant, programme)
        alice = loyalty.enroll("shop", "alice").id
        loyalty.earn_purchase("shop", alice, order_id="o-1", amount=120_000, currency="USD")
        loyalty.earn_purchase("shop", alice, order_id="o-2", amount=60_000, currency="USD")
        loyalty.redeem("shop", alice, option="product", points=1200, idempotency_key="r-1")
        twin_key, _ = Keys(database).create("twin", name="twin's", roles_=["admin"],
                                            created_by="tests")  # fmt: skip
        yield Shop(url, alice, twin_key.id)
    finally:
        database.close()
        drop(pg_admin_url, name)


def run(shop: Shop, *args: str) -> str:
    """The command's stdout; it must succeed and say nothing on stderr."""
    result = punchcard(shop.url, *args)
    assert (result.returncode, result.stderr) == (0, ""), result.stdout + result.stderr
    return result.stdout


def document(shop: Shop, *args: str) -> Any:
    return json.loads(run(shop, *args, "--json"))


def rows(table: str) -> dict[str, str]:
    """A key-value table's rows, first column to second."""
    cells = [line.strip("│").split("│") for line in table.splitlines() if line.startswith("│")]
    return {cell[0].strip(): cell[1].strip() for cell in cells if len(cell) == 2}


# -- keys ---------------------------------------------------------------------------------


def test_keys_are_created_listed_and_revoked(shop: Shop) -> None:
    told = run(shop, "keys", "create", "--tenant", "keyed", "--name", "till 4",
               "--role", "operator", "--role", "auditor", "--rate-limit", "50")  # fmt: skip
    made = re.fullmatch(
        r"created key (key_\w+) in keyed: 'till 4', roles auditor, operator, 50 requests/s\n"
        r"token \(shown this once; store it now\): (pc_\S+)\n",
        told,
    )  # fmt: skip
    assert made is not None, told
    till, till_token = made.groups()
    assert till_token.startswith(f"pc_{till}_")

    web = document(shop, "keys", "create", "--tenant", "keyed", "--name", "web",
                   "--role", "ingest", "--by", "ops-olga")  # fmt: skip
    assert (web["tenant"], web["name"], web["roles"], web["rate_limit"]) == (
        "keyed", "web", ["ingest"], 100,
    )  # fmt: skip
    assert (web["created_by"], web["revoked_at"]) == ("ops-olga", None)
    assert web["token"].startswith(f"pc_{web['id']}_")
    assert datetime.fromisoformat(web["created_at"]).utcoffset() is not None

    listed = document(shop, "keys", "list", "--tenant", "keyed")
    assert [(k["id"], k["name"], k["roles"]) for k in listed] == [
        (till, "till 4", ["auditor", "operator"]), (web["id"], "web", ["ingest"]),
    ]  # fmt: skip
    assert all("token" not in k for k in listed)
    table = run(shop, "keys", "list", "--tenant", "keyed")
    assert "API keys of keyed" in table and "2 key(s), 2 active" in table
    for text in (till, web["id"], "till 4", "auditor, operator", "ops-olga"):
        assert text in table, text
    assert till_token not in table + json.dumps(listed) and web["token"] not in table

    revoked = document(shop, "keys", "revoke", "--tenant", "keyed", "--key", web["id"])
    assert revoked["id"] == web["id"] and revoked["revoked_at"] is not None
    assert "token" not in revoked
    again = document(shop, "keys", "revoke", "--tenant", "keyed", "--key", web["id"])
    assert again["revoked_at"] == revoked["revoked_at"]  # revoking again changes nothing
    said = run(shop, "keys", "revoke", "--tenant", "keyed", "--key", till)
    assert said == f"revoked key {till} ('till 4') of keyed\n"
    assert "2 key(s), 0 active" in run(shop, "keys", "list", "--tenant", "keyed")
    assert run(shop, "keys", "list", "--tenant", "nobody") == "no API keys in nobody\n"


def test_a_key_the_cli_creates_works_over_http_until_revoked(shop: Shop) -> None:
    made = document(shop, "keys", "create", "--tenant", "shop", "--name", "dashboard",
                    "--role", "auditor")  # fmt: skip
    bearer = {"Authorization": f"Bearer {made['token']}"}
    database = Database(shop.url, pool_size=2)
    try:
        loyalty = Loyalty(Ledger(database))
        with TestClient(create_app(loyalty), raise_server_exceptions=False) as client:
            found = client.get(f"/v1/customers/{shop.alice}/balance", headers=bearer)
            assert found.status_code == 200, found.text
            assert found.json()["available"] == 600
            refused = client.post("/v1/customers", json={"external_ref": "x"}, headers=bearer)
            assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
        run(shop, "keys", "revoke", "--tenant", "shop", "--key", made["id"])
        # a new process: no cache of the key from before the revocation
        with TestClient(create_app(loyalty), raise_server_exceptions=False) as client:
            gone = client.get(f"/v1/customers/{shop.alice}/balance", headers=bearer)
            assert (gone.status_code, gone.json()["code"]) == (401, "unauthenticated")
    finally:
        database.close()


# -- customers, balances, history ---------------------------------------------------------


def test_a_customer_is_shown_by_id_or_by_reference(shop: Shop) -> None:
    by_id = document(shop, "customers", "show", "--tenant", "shop", "--id", shop.alice)
    by_ref = document(shop, "customers", "show", "--tenant", "shop", "--ref", "alice")
    assert by_id == by_ref
    assert (by_id["id"], by_id["external_ref"]) == (shop.alice, "alice")
    assert datetime.fromisoformat(by_id["created_at"]).utcoffset() is not None
    table = rows(run(shop, "customers", "show", "--tenant", "shop", "--ref", "alice"))
    assert (table["id"], table["reference"]) == (shop.alice, "alice")
    assert datetime.fromisoformat(table["enrolled"]) <= datetime.fromisoformat(by_id["created_at"])


def test_balances_show_the_balance_and_the_lots_behind_it(shop: Shop) -> None:
    found = document(shop, "balances", "--tenant", "shop", "--customer", shop.alice)
    assert found["balance"] == {"customer_id": shop.alice, "available": 600, "spendable": 600,
                                "pending": 0, "held": 0, "debt": 0, "credit": 0,
                                "expiring": 0}  # fmt: skip
    assert [(lot["order_id"], lot["amount"], lot["remaining"], lot["status"])
            for lot in found["lots"]] == [("o-2", 600, 600, "active")]  # fmt: skip
    every = document(shop, "balances", "--tenant", "shop", "--customer", shop.alice, "--closed")
    assert [(lot["order_id"], lot["remaining"], lot["status"]) for lot in every["lots"]] == [
        ("o-1", 0, "closed"), ("o-2", 600, "active"),
    ]  # fmt: skip
    table = run(shop, "balances", "--tenant", "shop", "--customer", shop.alice)
    balance = rows(table)
    assert (balance["available"], balance["spendable now"], balance["owed (clawback debt)"]) == (
        "600", "600", "0",
    )  # fmt: skip
    lot_lines = [line for line in table.splitlines() if "o-1" in line or "o-2" in line]
    assert len(lot_lines) == 1 and "o-2" in lot_lines[0] and "active" in lot_lines[0]


def test_transactions_list_pages_an_account_newest_first(shop: Shop) -> None:
    base = ("transactions", "list", "--tenant", "shop", "--customer", shop.alice)
    whole = document(shop, *base)
    assert (whole["account"], whole["asset"]) == (f"customer:{shop.alice}:points", "PTS")
    assert (whole["has_more"], whole["next_cursor"]) == (False, None)
    moves = [(e["operation"], e["amount"]) for e in whole["entries"]]
    assert moves == [("redeem", -1200), ("earn", 600), ("earn", 1200)]
    first = document(shop, *base, "--limit", "2")
    assert first["has_more"] is True and len(first["entries"]) == 2
    rest = document(shop, *base, "--limit", "2", "--starting-after", first["next_cursor"])
    assert (rest["has_more"], rest["next_cursor"]) == (False, None)
    assert first["entries"] + rest["entries"] == whole["entries"]

    table = run(shop, *base, "--limit", "2")
    lines = [line for line in table.splitlines() if "redeem" in line or "earn" in line]
    assert ["redeem" in lines[0], "-1,200" in lines[0], "+600" in lines[1]] == [True] * 3
    assert f"more: --starting-after {first['next_cursor']}" in table
    assert run(shop, *base, "--account", "credit") == (
        f"nothing has moved on customer:{shop.alice}:credit yet\n"
    )
    credit = document(shop, *base, "--account", "credit")
    assert (credit["asset"], credit["entries"], credit["has_more"]) == ("USD", [], False)


# -- errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["customers", "show", "--tenant", "shop", "--id", "cus_nobody"],
         "error: unknown_customer: customer cus_nobody is not enrolled in tenant 'shop'"),
        (["customers", "show", "--tenant", "shop", "--ref", "bob"],
         "error: unknown_customer: no customer of shop has the reference 'bob'"),
        (["customers", "show", "--tenant", "shop"],
         "error: invalid_request: give exactly one of --id and --ref"),
        (["customers", "show", "--tenant", "shop", "--id", "{alice}", "--ref", "alice"],
         "error: invalid_request: give exactly one of --id and --ref"),
        (["customers", "show", "--tenant", "twin", "--id", "{alice}"],
         "error: unknown_customer: customer {alice} is not enrolled in tenant 'twin'"),
        (["balances", "--tenant", "shop", "--customer", "cus_nobody"],
         "error: unknown_customer: customer cus_nobody is not enrolled in tenant 'shop'"),
        (["balances", "--tenant", "nobody", "--customer", "{alice}"],
         "error: unknown_programme: tenant 'nobody' has no loyalty programme"),
        (["transactions", "list", "--tenant", "shop", "--customer", "cus_nobody"],
         "error: unknown_customer: customer cus_nobody is not enrolled in tenant 'shop'"),
        (["transactions", "list", "--tenant", "shop", "--customer", "{alice}",
          "--account", "savings"],
         "error: invalid_request: --account is one of points, pending, credit, clawback, not"),
        (["transactions", "list", "--tenant", "shop", "--customer", "{alice}", "--limit", "0"],
         "error: invalid_request: limit must be an integer from 1 to 500"),
        (["transactions", "list", "--tenant", "shop", "--customer", "{alice}",
          "--starting-after", "junk"], "error: invalid_cursor: starting_after 'junk' is not"),
        (["keys", "revoke", "--tenant", "shop", "--key", "key_000000000000"],
         "error: unknown_key: key key_000000000000 does not exist in this tenant"),
        (["keys", "revoke", "--tenant", "shop", "--key", "{twin_key}"],
         "error: unknown_key: key {twin_key} does not exist in this tenant"),
        (["keys", "create", "--tenant", "nobody", "--name", "x", "--role", "admin"],
         "error: unknown_programme: tenant 'nobody' has no loyalty programme"),
        (["keys", "create", "--tenant", "shop", "--name", "x", "--role", "root"],
         "error: invalid_request: roles are some of: ingest, operator, approver, auditor, admin"),
        (["keys", "create", "--tenant", "shop", "--name", "x", "--role", "admin",
          "--rate-limit", "0"], "error: invalid_request: rate_limit must be from 1 to"),
        (["keys", "list", "--tenant", "BAD TENANT"], "error: invalid_tenant: tenant id 'BAD"),
        (["keys", "create", "--tenant", "BAD TENANT", "--name", "x", "--role", "admin"],
         "error: invalid_tenant: tenant id 'BAD TENANT'"),
        (["keys", "revoke", "--tenant", "BAD TENANT", "--key", "key_000000000000"],
         "error: invalid_tenant: tenant id 'BAD TENANT'"),
        (["customers", "show", "--tenant", "BAD TENANT", "--ref", "alice"],
         "error: invalid_tenant: tenant id 'BAD TENANT'"),
        (["balances", "--tenant", "BAD TENANT", "--customer", "{alice}"],
         "error: invalid_tenant: tenant id 'BAD TENANT'"),
        (["transactions", "list", "--tenant", "BAD TENANT", "--customer", "{alice}"],
         "error: invalid_tenant: tenant id 'BAD TENANT'"),
    ],
)  # fmt: skip
def test_a_failure_is_one_line_on_stderr_and_exit_1(
    shop: Shop, args: list[str], message: str
) -> None:
    def fill(text: str) -> str:
        return text.replace("{alice}", shop.alice).replace("{twin_key}", shop.twin_key)

    filled = [fill(arg) for arg in args]
    result, plain = (punchcard(shop.url, *filled, *extra) for extra in [("--json",), ()])
    assert (result.returncode, result.stdout) == (1, ""), result.stdout + result.stderr
    assert result.stderr.startswith(fill(message)), result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert (plain.returncode, plain.stdout, plain.stderr) == (1, "", result.stderr)
