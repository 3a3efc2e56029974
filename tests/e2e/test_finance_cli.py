"""The finance and risk commands through the CLI: ``report rollforward``,
``report liability``, ``report breakage``, ``reconcile``, ``reviews …``, ``monitors
…`` and ``alerts``; tables for people, ``--json`` for scripts, ``--csv FILE``; an
expected failure is one line on stderr and exit 1.

Expected figures are the scenario's own arithmetic (one point per dollar, a cent
a point), not the report code's."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from punchcard.adapters.postgres.database import Database
from punchcard.domain.loyalty.programme import default_programme
from punchcard.domain.loyalty.risk import VelocityRules
from punchcard.service_layer.ledger import Ledger
from punchcard.service_layer.loyalty.facade import Loyalty
from tests.conftest import clone, drop
from tests.e2e.test_cli import punchcard

ISSUED, REDEEMED, CLAWED_BACK, HELD = 2_200 + 500, 500, 200, 1_200
CLOSING = ISSUED - REDEEMED - CLAWED_BACK  # 2,000: alice 1,700 (1,200 of them held), bob 300


@dataclasses.dataclass(frozen=True)
class Books:
    """A database of this module's own. ``shop``: alice earned 2,200 and redeemed 500,
    then asked for 1,200 more, which waits for review; bob earned 500 and his order
    was refunded for 200 points. ``risky``: the same programme, with a redemption
    under review by ``maker-mo`` and a customer who earned 12,000 in the hour.
    ``watch``: a customer with 700 points and nothing else."""

    url: str
    start: str
    end: str
    orders: dict[str, int]
    review: int
    watched: str


@pytest.fixture(scope="module")
def books(pg_admin_url: str, template_db: str) -> Iterator[Books]:
    name = f"punchcard_finance_cli_{uuid.uuid4().hex[:8]}"
    url = clone(pg_admin_url, template_db, name)
    database = Database(url, pool_size=2)
    started = datetime.now(UTC) - timedelta(minutes=1)
    try:
        loyalty = Loyalty(Ledger(database))
        rules = VelocityRules(review_redemptions_from=1_000, max_earned_points_per_hour=10_000)
        programme = dataclasses.replace(default_programme(), pending_days=0, risk=rules)
        reviews = {}
        for tenant in ("shop", "risky"):
            loyalty.create_programme(tenant, programme)
            alice = loyalty.enroll(tenant, "alice").id
            bob = loyalty.enroll(tenant, "bob").id
            loyalty.earn_purchase(tenant, alice, order_id="o-1", amount=220_000, currency="USD")
            loyalty.earn_purchase(tenant, bob, order_id="o-2", amount=50_000, currency="USD")
            loyalty.redeem(tenant, alice, option="product", points=500, idempotency_key="r-1")
            held = loyalty.redeem(tenant, alice, option="product", points=HELD,
                                  idempotency_key="r-2", requested_by="maker-mo")  # fmt: skip
            assert held.review_id is not None
            reviews[tenant] = held.review_id
            loyalty.refund(tenant, order_id="o-2", refund_id="f-1", amount=20_000)
        fast = loyalty.enroll("risky", "fast").id
        loyalty.earn_purchase("risky", fast, order_id="o-3", amount=1_200_000, currency="USD")
        loyalty.create_programme("watch", programme)
        watched = loyalty.enroll("watch", "carol").id
        loyalty.earn_purchase("watch", watched, order_id="o-9", amount=70_000, currency="USD")
        end = datetime.now(UTC) + timedelta(hours=1)
        yield Books(url, started.isoformat(), end.isoformat(), {"o-1": 220_000, "o-2": 50_000},
                    reviews["risky"], watched)  # fmt: skip
    finally:
        database.close()
        drop(pg_admin_url, name)


def run(books: Books, *args: str, status: int = 0) -> str:
    """The command's stdout; it must exit with ``status`` and say nothing on stderr."""
    result = punchcard(books.url, *args)
    assert (result.returncode, result.stderr) == (status, ""), result.stdout + result.stderr
    return result.stdout


def document(books: Books, *args: str, status: int = 0) -> Any:
    return json.loads(run(books, *args, "--json", status=status))


def refused(books: Books, *args: str) -> str:
    """An expected failure: exit 1, nothing on stdout, one line on stderr."""
    result = punchcard(books.url, *args)
    assert (result.returncode, result.stdout) == (1, ""), result.stdout + result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: "), result.stderr
    return result.stderr


def table(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text())))


# -- reports ------------------------------------------------------------------------------


def test_the_roll_forward_as_json_as_a_table_and_as_csv(books: Books, tmp_path: Path) -> None:
    period = ("--tenant", "shop", "--start", books.start, "--end", books.end)
    report = document(books, "report", "rollforward", *period)
    moved = {name: figure["points"] for name, figure in report["movements"].items() if figure}
    assert moved["issued"] == ISSUED
    assert (moved["redeemed"], moved["clawed_back"]) == (-REDEEMED, -CLAWED_BACK)
    assert report["closing"] == {"points": CLOSING, "value": CLOSING}
    assert (report["check"]["balanced"], report["check"]["ties_to_ledger"]) == (True, True)
    out = tmp_path / "rollforward.csv"
    shown = run(books, "report", "rollforward", *period, "--csv", str(out))
    assert "roll-forward of shop" in shown and f"{ISSUED:+,}" in shown
    assert f"= the closing {CLOSING:,} from the journal" in shown and "it ties" in shown
    assert f"wrote {out}" in shown
    rows = {(r[0], r[1]): r[2:] for r in table(out)[1:]}
    assert rows[("closing", "")] == [str(CLOSING), str(CLOSING)]
    assert rows[("check", "ties_to_ledger")] == ["true", "true"]


def test_the_liability_at_a_given_rate(books: Books, tmp_path: Path) -> None:
    report = document(books, "report", "liability", "--tenant", "shop",
                      "--expected-redemption-bp", "9000")  # fmt: skip
    assert (report["points"], report["value"]) == (CLOSING, CLOSING)
    assert report["held"] == {"points": HELD, "value": HELD}
    assert report["breakage_adjusted_value"] == CLOSING * 9 // 10
    out = tmp_path / "liability.csv"
    shown = run(books, "report", "liability", "--tenant", "shop", "--csv", str(out))
    assert "liability of shop" in shown and "expected redemption 100.00%" in shown
    assert ["total", str(CLOSING), str(CLOSING)] in table(out)


def test_breakage_reproduces_example_52_without_a_database(books: Books, tmp_path: Path) -> None:
    args = ("report", "breakage", "--issued", "10000", "--allocated", "9000",
            "--period", "year 1:4500:9700", "--period", "year 2:8500:9900bp")  # fmt: skip
    report = document(books, *args)
    assert [p["revenue"] for p in report["periods"]] == [4_175, 3_552]
    out = tmp_path / "breakage.csv"
    assert "recognised 7,727, deferred 1,273" in run(books, *args, "--csv", str(out))
    assert [row[5] for row in table(out)[1:]] == ["4175", "3552"]
    assert "LABEL:REDEEMED:EXPECTED" in refused(
        books, "report", "breakage", "--issued", "10", "--allocated", "9", "--period", "y1:x:5"
    )
    assert "issued" in refused(
        books, "report", "breakage", "--issued", "0", "--allocated", "9", "--period", "y1:1:5"
    )


def test_reconcile_finds_each_seeded_discrepancy_and_exits_1(books: Books, tmp_path: Path) -> None:
    orders = tmp_path / "orders.csv"
    orders.write_text("order_id,amount\no-1,220000\no-2,49999\no-404,100\no-1,220000\n")
    out = tmp_path / "reconciliation.csv"
    args = ("reconcile", "--tenant", "shop", "--file", str(orders), "--start", books.start,
            "--end", books.end)  # fmt: skip
    report = document(books, *args, status=1)
    assert {(line["order_id"], line["outcome"]) for line in report["lines"]} == {
        ("o-1", "matched"), ("o-2", "amount_mismatch"), ("o-404", "missing_in_ledger"),
        ("o-1", "duplicate_in_file"),
    }  # fmt: skip
    shown = run(books, *args, "--csv", str(out), status=1)
    assert "discrepancies" in shown and "amount_mismatch" in shown
    written = table(out)
    assert written[0][:2] == ["order_id", "outcome"] and len(written) == 5
    clean = tmp_path / "clean.csv"
    clean.write_text("order_id,amount\n" + "".join(f"{o},{a}\n" for o, a in books.orders.items()))
    assert "clean: every order matched" in run(books, "reconcile", "--tenant", "shop", "--file",
                                               str(clean), "--start", books.start,
                                               "--end", books.end)  # fmt: skip


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("reconcile", "--tenant", "shop", "--file", "/nonexistent.csv", "--start",
          "2026-01-01T00:00:00+00:00", "--end", "2026-02-01T00:00:00+00:00"), "cannot read"),
        (("reconcile", "--tenant", "shop", "--file", "/dev/null", "--start",
          "2026-02-01T00:00:00+00:00", "--end", "2026-01-01T00:00:00+00:00"), "before its end"),
        (("report", "rollforward", "--tenant", "shop", "--start", "yesterday", "--end",
          "2026-01-01T00:00:00+00:00"), "--start 'yesterday'"),
        (("report", "rollforward", "--tenant", "nobody", "--start", "2026-01-01T00:00:00Z",
          "--end", "2026-02-01T00:00:00Z"), "unknown_programme"),
        (("report", "liability", "--tenant", "BAD TENANT"), "invalid_tenant"),
    ],
)  # fmt: skip
def test_a_bad_request_is_one_line_and_exit_1(
    books: Books, args: tuple[str, ...], says: str
) -> None:
    assert says in refused(books, *args)


# -- reviews, monitors, alerts ------------------------------------------------------------


def test_reviews_are_listed_decided_by_another_person_and_decided_once(books: Books) -> None:
    listed = document(books, "reviews", "list", "--tenant", "risky")
    assert [(r["id"], r["requested_by"], r["points"]) for r in listed] == [
        (books.review, "maker-mo", HELD)
    ]
    assert "maker-mo" in run(books, "reviews", "list", "--tenant", "risky")
    review = ("--tenant", "risky", "--review", str(books.review))
    assert "maker_checker_violation" in refused(books, "reviews", "approve", *review,
                                                "--by", "maker-mo")  # fmt: skip
    decided = document(books, "reviews", "approve", *review, "--by", "risk-rita", "--note", "ok")
    assert (decided["status"], decided["decided_by"], decided["note"]) == (
        "approved", "risk-rita", "ok",
    )  # fmt: skip
    assert "review_already_decided" in refused(books, "reviews", "reject", *review,
                                               "--by", "risk-rex")  # fmt: skip
    assert "approved by risk-rita" in run(books, "reviews", "show", *review)
    assert "unknown_review" in refused(books, "reviews", "show", "--tenant", "risky",
                                       "--review", "999999")  # fmt: skip
    assert "flagged 1 customer(s)" in run(books, "reviews", "scan", "--tenant", "risky")
    (flag,) = document(books, "reviews", "list", "--tenant", "risky")
    assert (flag["kind"], flag["points"]) == ("earning", 12_000)


def test_a_monitor_is_added_listed_checked_and_its_alert_shown(books: Books) -> None:
    assert "no monitors in watch" in run(books, "monitors", "list", "--tenant", "watch")
    added = run(books, "monitors", "add", "--tenant", "watch", "--name", "carol rich",
                "--measure", "customer_balance", "--threshold", "500",
                "--customer", books.watched)  # fmt: skip
    assert "customer_balance above 500" in added
    made = document(books, "monitors", "add", "--tenant", "watch", "--name", "liability",
                    "--measure", "programme_liability", "--threshold", "1000")  # fmt: skip
    assert made["threshold"] == 1_000
    assert "customer_balance needs a customer_id" in refused(
        books, "monitors", "add", "--tenant", "watch", "--name", "x", "--measure",
        "customer_balance", "--threshold", "1",
    )  # fmt: skip
    checked = run(books, "monitors", "check", "--tenant", "watch")
    assert "raised 1 alert(s)" in checked and "carol rich: 700 is above 500" in checked
    assert "raised 0 alert(s)" in run(books, "monitors", "check", "--tenant", "watch")
    monitors = document(books, "monitors", "list", "--tenant", "watch")
    assert [(m["name"], m["tripped"]) for m in monitors] == [("carol rich", True),
                                                             ("liability", False)]  # fmt: skip
    (alert,) = document(books, "alerts", "--tenant", "watch")
    assert (alert["kind"], alert["detail"]["value"]) == ("monitor", 700)
    assert "carol rich: 700 is above 500" in run(books, "alerts", "--tenant", "watch")
