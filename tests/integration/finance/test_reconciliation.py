"""Reconciliation finds every discrepancy seeded into an orders file."""

from __future__ import annotations

from datetime import timedelta

import pytest

from punchcard.domain.errors import InvalidRequest
from punchcard.domain.finance.reconciliation import Outcome
from punchcard.service_layer import finance
from punchcard.service_layer.loyalty.facade import Loyalty
from tests.conftest import setup_programme


def test_each_seeded_discrepancy_is_found(loyalty: Loyalty) -> None:
    tenant = setup_programme(loyalty)
    alice = loyalty.enroll(tenant, "shop-alice").id
    for n in range(10):
        loyalty.earn_purchase(tenant, alice, order_id=f"o-{n}", amount=(n + 1) * 1000,
                              currency="USD")  # fmt: skip
    rows = ["order_id,amount"] + [f"o-{n},{(n + 1) * 1000}" for n in range(10) if n != 3]
    rows[4] = "o-4,4999"  # amount mismatch (the ledger has 5000)
    rows.append("o-99,1234")  # the ledger never saw it
    rows.append("o-0,1000")  # listed twice
    now = loyalty.now()
    report = finance.reconcile_orders(
        loyalty, tenant, "\n".join(rows) + "\n", now - timedelta(days=1), now + timedelta(days=1)
    )
    found = {(line.order_id, line.outcome) for line in report.lines if line.outcome != "matched"}
    assert found == {
        ("o-4", Outcome.AMOUNT_MISMATCH),
        ("o-99", Outcome.MISSING_IN_LEDGER),
        ("o-3", Outcome.MISSING_IN_FILE),
        ("o-0", Outcome.DUPLICATE_IN_FILE),
    }
    assert report.count(Outcome.MATCHED) == 8
    assert not report.clean
    exported = report.to_csv().splitlines()
    assert exported[0] == "order_id,outcome,file_amount,ledger_amount,points,file_line"
    assert "o-4,amount_mismatch,4999,5000,50,5" in exported


def test_a_bad_file_is_refused_naming_the_line(loyalty: Loyalty) -> None:
    tenant = setup_programme(loyalty)
    now = loyalty.now()
    with pytest.raises(InvalidRequest, match="columns amount"):
        finance.reconcile_orders(loyalty, tenant, "order_id\no-1\n", now, now)
    with pytest.raises(InvalidRequest, match=r"line 3: amount '12\.50'"):
        finance.reconcile_orders(loyalty, tenant, "order_id,amount\no-1,100\no-2,12.50\n",
                                 now, now)  # fmt: skip
