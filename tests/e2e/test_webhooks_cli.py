"""``punchcard webhooks …`` run through the CLI on a database of the test's
own (``dispatch`` reads the one ``webhooks`` outbox cursor): add, list, rotate and
remove with ``--json``; a domain error is one line on stderr and exit 1; and
``dispatch`` delivers a committed earn, signed, to a real HTTP receiver."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook

from punchcard.adapters.postgres.database import Database
from punchcard.service_layer.ledger import Ledger
from punchcard.service_layer.loyalty.facade import Loyalty
from tests.conftest import setup_programme
from tests.e2e.test_cli import punchcard
from tests.receiver import receiver


@dataclass(frozen=True)
class Own:
    url: str
    tenant: str
    loyalty: Loyalty

    def run(self, *args: str) -> tuple[int, str, str]:
        done = punchcard(self.url, "webhooks", *args)
        return done.returncode, done.stdout, done.stderr

    def document(self, *args: str) -> Any:
        code, out, err = self.run(*args, "--json")
        assert (code, err) == (0, ""), out + err
        return json.loads(out)


@pytest.fixture
def own(fresh_database_url: str) -> Iterator[Own]:
    database = Database(fresh_database_url, pool_size=2)
    try:
        loyalty = Loyalty(Ledger(database))
        yield Own(fresh_database_url, setup_programme(loyalty), loyalty)
    finally:
        database.close()


def test_add_list_rotate_remove_as_json(own: Own) -> None:
    t = own.tenant
    added = own.document("add", "https://example.com/hook", "--tenant", t,
                         "--event-type", "points.earned", "--event-type", "hold.created",
                         "--description", "crm")  # fmt: skip
    assert added["id"].startswith("whe_") and added["secret"].startswith("whsec_")
    assert added["event_types"] == ["hold.created", "points.earned"]
    listed = own.document("list", "--tenant", t)
    assert [e["id"] for e in listed] == [added["id"]]
    assert "secret" not in listed[0] and added["secret"] not in json.dumps(listed)

    rotated = own.document("rotate", added["id"], "--tenant", t)
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != added["secret"]
    assert rotated["rotating_until"] is not None

    code, table, err = own.run("list", "--tenant", t)
    assert code == 0 and added["id"] in table and "1 endpoint(s), 1 enabled" in table, err
    assert rotated["secret"] not in table

    assert own.document("remove", added["id"], "--tenant", t)["removed"] is True
    assert own.document("list", "--tenant", t) == []


def test_an_unknown_endpoint_or_a_bad_url_is_one_line_and_exit_1(own: Own) -> None:
    for args in (("rotate", "whe_nope"), ("remove", "whe_nope"), ("deliveries", "whe_nope")):
        code, out, err = own.run(*args, "--tenant", own.tenant)
        assert code == 1 and out == "", err
        assert err.startswith("error: unknown_webhook_endpoint:") and err.count("\n") == 1, err
    code, out, err = own.run("add", "ftp://example.com/hook", "--tenant", own.tenant, "--json")
    assert code == 1 and out == "" and err.count("\n") == 1, err
    assert err.startswith("error: invalid_webhook_endpoint:"), err
    code, out, err = own.run("replay", "evt_nope", "--tenant", own.tenant)
    assert code == 1 and err.startswith("error: unknown_event:") and err.count("\n") == 1, err


def test_dispatch_delivers_a_committed_earn_to_the_receiver(own: Own) -> None:
    with receiver() as hook:
        added = own.document("add", hook.url, "--tenant", own.tenant,
                             "--event-type", "points.earned")  # fmt: skip
        customer = own.loyalty.enroll(own.tenant, "shop-1").id
        own.loyalty.earn_purchase(own.tenant, customer, order_id="o-1", amount=10_00,
                                  currency="USD")  # fmt: skip
        assert own.document("dispatch") == {"tried": 1}
        assert len(hook.received) == 1
        got = hook.received[0]
        event = Webhook(added["secret"]).verify(got.body, got.headers)
        assert event["type"] == "points.earned" and event["data"]["customer_id"] == customer

        sent = own.document("deliveries", added["id"], "--tenant", own.tenant)
        assert [(m["status"], m["attempts"]) for m in sent] == [("delivered", 1)]
        code, table, err = own.run("deliveries", added["id"], "--tenant", own.tenant)
        assert code == 0 and sent[0]["event_id"] in table and "204" in table, err

        replayed = own.document("replay", event["id"], "--tenant", own.tenant,
                                "--endpoint", added["id"])  # fmt: skip
        assert len(replayed["messages"]) == 1
        code, out, err = own.run("dispatch")
        assert (code, out.strip()) == (0, "tried 1 message(s)"), err
        assert [r.headers["webhook-id"] for r in hook.received] == [event["id"]] * 2
