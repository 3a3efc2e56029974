"""A process killed in the middle of a conversion leaves nothing half done.

The conversion runs in a child process that dies (``os._exit``, no cleanup, no
rollback sent) at a chosen point inside its transaction: after the points leg and
the credit leg are written but before the lots are, or after the entries are
written but before any balance moves. PostgreSQL sees the connection drop and
discards the transaction: no leg survives, no lot is drawn, the idempotency key
stays unclaimed, and the retry is a first attempt.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from punchcard.service_layer.loyalty.facade import Loyalty
from tests.conftest import setup_programme

CHILD = textwrap.dedent(
    """
    import os, sys
    from punchcard.adapters.postgres.database import Database
    from punchcard.adapters.postgres.journal import Journal
    from punchcard.adapters.postgres.loyalty.lots import LotStore
    from punchcard.service_layer.ledger import Ledger
    from punchcard.service_layer.loyalty.facade import Loyalty

    url, tenant, customer, where = sys.argv[1:5]
    target = {"before_lots": (LotStore, "write"), "before_balances": (Journal, "_apply")}[where]
    owner, name = target

    def die(*args, **kwargs):
        os._exit(17)  # the process is gone, mid-transaction

    setattr(owner, name, die)
    loyalty = Loyalty(Ledger(Database(url, pool_size=1)))
    loyalty.convert(tenant, customer, points=500, idempotency_key="convert-1")
    print("conversion finished", flush=True)  # never reached
    """
)


@pytest.mark.parametrize("where", ["before_lots", "before_balances"])
def test_a_process_killed_mid_conversion_leaves_nothing_behind(
    loyalty: Loyalty, database_url: str, where: str
) -> None:
    tenant = setup_programme(loyalty)
    alice = loyalty.enroll(tenant, "shop-alice").id
    loyalty.earn_purchase(tenant, alice, order_id="o-1", amount=800_00, currency="USD")
    lots_before = loyalty.lots(tenant, alice)

    child = subprocess.run(
        [sys.executable, "-c", CHILD, database_url, tenant, alice, where],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert child.returncode == 17, child.stderr
    assert "conversion finished" not in child.stdout

    balance = loyalty.balance(tenant, alice)
    assert (balance.available, balance.credit) == (800, 0)
    assert loyalty.lots(tenant, alice) == lots_before
    # The key was never claimed: the retry converts, it does not replay.
    retry = loyalty.convert(tenant, alice, points=500, idempotency_key="convert-1")
    assert (retry.replayed, retry.points, retry.credit) == (False, 500, 500)
    balance = loyalty.balance(tenant, alice)
    assert (balance.available, balance.credit) == (300, 500)
    loyalty.ledger.seal()
    report = loyalty.ledger.verify(tenant=tenant)
    assert report.ok, report.problems
