"""verify names every loyalty projection that drifts from its immutable records, and
the database refuses changes to lots and draws made through the front door."""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

import psycopg
import pytest

from punchcard.adapters.postgres.database import Database
from punchcard.service_layer.ledger import Ledger
from punchcard.service_layer.loyalty.facade import Loyalty
from tests.conftest import setup_programme


class Scene(NamedTuple):
    loyalty: Loyalty
    tenant: str
    customer: str
    url: str


@pytest.fixture
def scene(fresh_database_url: str) -> Iterator[Scene]:
    """A customer who earned 600 on o-1, spent 500, and had o-1 refunded by half: 100
    points came back from the lots and 200 are a clawback debt."""
    database = Database(fresh_database_url, pool_size=4)
    loyalty = Loyalty(Ledger(database))
    tenant = setup_programme(loyalty)
    alice = loyalty.enroll(tenant, "shop-alice").id
    loyalty.earn_purchase(tenant, alice, order_id="o-1", amount=600_00, currency="USD")
    loyalty.redeem(tenant, alice, option="product", points=500, idempotency_key="r1")
    loyalty.refund(tenant, order_id="o-1", refund_id="rf-1", amount=300_00)
    loyalty.ledger.seal()
    assert loyalty.ledger.verify(tenant=tenant).ok
    yield Scene(loyalty, tenant, alice, fresh_database_url)
    database.close()


def _tamper(url: str, statement: str, *params: object) -> None:
    """What someone with superuser SQL can do: bypass every trigger."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")
        conn.execute("SET search_path = punchcard")
        conn.execute(statement, params)


def _problems(scene: Scene) -> list[str]:
    return scene.loyalty.ledger.verify(tenant=scene.tenant).problems


def test_a_lot_whose_remaining_was_rewritten_is_named(scene: Scene) -> None:
    _tamper(scene.url, "UPDATE lots SET remaining = remaining + 50 WHERE customer_id = %s",
            scene.customer)  # fmt: skip
    problems = _problems(scene)
    assert any("lots match their draws: lot" in p and "remaining is" in p for p in problems)
    assert any("lots match the balances" in p and "is not the available balance" in p
               for p in problems)  # fmt: skip


def test_a_deleted_draw_is_named(scene: Scene) -> None:
    _tamper(scene.url, "DELETE FROM lot_draws WHERE reason = 'redeem' AND tenant_id = %s",
            scene.tenant)  # fmt: skip
    assert any("lots match their draws" in p for p in _problems(scene))


def test_a_forged_draw_beyond_the_lot_is_named(scene: Scene) -> None:
    _tamper(
        scene.url,
        "INSERT INTO lot_draws (tenant_id, lot_id, transaction_id, amount, reason) "
        "SELECT tenant_id, id, transaction_id, amount + 1, 'redeem' FROM lots "
        "WHERE tenant_id = %s",
        scene.tenant,
    )
    assert any("exceed its amount" in p for p in _problems(scene))


def test_a_rewritten_debt_is_named(scene: Scene) -> None:
    _tamper(scene.url, "UPDATE customers SET debt = 7 WHERE id = %s", scene.customer)
    problems = _problems(scene)
    assert any("recorded debt 7 is not the clawback balance 200" in p for p in problems), problems


def test_an_over_reversed_order_is_named(scene: Scene) -> None:
    _tamper(scene.url, "UPDATE refunds SET points_reversed = 10000 WHERE tenant_id = %s",
            scene.tenant)  # fmt: skip
    assert any("order o-1: refunds of" in p for p in _problems(scene))


def test_lots_and_draws_cannot_be_changed_through_the_front_door(scene: Scene) -> None:
    with psycopg.connect(scene.url, autocommit=True) as conn:
        conn.execute("SET search_path = punchcard")
        for statement in (
            "UPDATE lots SET amount = amount + 1",
            "UPDATE lots SET expires_at = NULL",
            "DELETE FROM lot_draws",
            "UPDATE orders SET points = 0",
            "DELETE FROM refunds",
            "UPDATE operations SET result = NULL",
        ):
            with pytest.raises(psycopg.Error, match=r"append-only|only by"):
                conn.execute(statement)
        with pytest.raises(psycopg.errors.CheckViolation, match="lots_remaining_within_amount"):
            conn.execute("UPDATE lots SET remaining = amount + 1")
    assert scene.loyalty.ledger.verify(tenant=scene.tenant).ok
