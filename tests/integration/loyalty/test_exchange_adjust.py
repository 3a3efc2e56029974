"""Partner exchanges, adjustments under maker-checker, and programme settings."""

from __future__ import annotations

import dataclasses

import psycopg
import pytest

from punchcard.domain import errors
from punchcard.domain.loyalty.commands import Direction
from punchcard.domain.loyalty.programme import LotKind, NegativeBalancePolicy, default_programme
from punchcard.domain.loyalty.results import AdjustmentStatus
from punchcard.service_layer.loyalty.facade import Loyalty
from tests.conftest import setup_programme
from tests.helpers import customer_with


def test_a_partner_exchange_moves_both_assets_atomically_at_the_partners_ratio(
    loyalty: Loyalty, programme_tenant: str
) -> None:
    alice = customer_with(loyalty, programme_tenant, 1000)
    out = loyalty.exchange(programme_tenant, alice, partner="skyways", amount=501,
                           idempotency_key="x1")  # fmt: skip
    assert (out.given, out.received, out.remainder) == (500, 250, 1)  # 2 PTS -> 1 MILES
    miles = loyalty.ledger.balance(programme_tenant, f"customer:{alice}:partner:skyways", "MILES")
    assert miles.posted == 250
    assert loyalty.balance(programme_tenant, alice).available == 500
    back = loyalty.exchange(programme_tenant, alice, partner="skyways", amount=100,
                            direction=Direction.BACK, idempotency_key="x2")  # fmt: skip
    assert (back.given, back.received) == (100, 100)
    (lot,) = [lot for lot in loyalty.lots(programme_tenant, alice) if lot.id == back.lot_id]
    assert lot.kind is LotKind.TRANSFERRED
    with pytest.raises(errors.InsufficientFunds):
        loyalty.exchange(programme_tenant, alice, partner="skyways", amount=151,
                         direction=Direction.BACK, idempotency_key="x3")  # fmt: skip
    with pytest.raises(errors.UnknownPartner):
        loyalty.exchange(programme_tenant, alice, partner="railways", amount=2,
                         idempotency_key="x4")  # fmt: skip
    with pytest.raises(errors.BelowMinimum):
        loyalty.exchange(programme_tenant, alice, partner="skyways", amount=1,
                         idempotency_key="x5")  # fmt: skip
    loyalty.ledger.seal()
    assert loyalty.ledger.verify(tenant=programme_tenant).ok


def test_an_adjustment_posts_only_when_a_different_person_approves_it(
    loyalty: Loyalty, programme_tenant: str
) -> None:
    alice = loyalty.enroll(programme_tenant, "shop-alice").id
    request = loyalty.request_adjustment(
        programme_tenant, alice, points=250, reason="missing points for order 1234",
        requested_by="operator-ann", idempotency_key="adj-1",
    )  # fmt: skip
    assert request.status is AdjustmentStatus.PENDING
    assert loyalty.balance(programme_tenant, alice).available == 0
    assert [a.id for a in loyalty.pending_adjustments(programme_tenant)] == [request.id]
    with pytest.raises(errors.MakerCheckerViolation):
        loyalty.approve_adjustment(programme_tenant, request.id, approved_by="operator-ann")
    approved = loyalty.approve_adjustment(
        programme_tenant, request.id, approved_by="operator-bob", note="checked the order"
    )
    assert (approved.status, approved.decided_by) == (AdjustmentStatus.APPROVED, "operator-bob")
    assert approved.transaction_id is not None
    assert loyalty.balance(programme_tenant, alice).available == 250
    assert [lot.kind for lot in loyalty.lots(programme_tenant, alice)] == [LotKind.ADJUSTED]
    again = loyalty.approve_adjustment(
        programme_tenant, request.id, approved_by="operator-bob", note="checked the order"
    )
    assert again.replayed
    with pytest.raises(errors.AdjustmentAlreadyDecided, match="already approved"):
        loyalty.reject_adjustment(programme_tenant, request.id, rejected_by="operator-cat")
    assert loyalty.balance(programme_tenant, alice).available == 250


def test_a_rejected_or_unaffordable_adjustment_moves_nothing(
    loyalty: Loyalty, programme_tenant: str
) -> None:
    alice = customer_with(loyalty, programme_tenant, 100)
    take = loyalty.request_adjustment(
        programme_tenant, alice, points=-300, reason="duplicate credit",
        requested_by="operator-ann", idempotency_key="adj-1",
    )  # fmt: skip
    with pytest.raises(errors.InsufficientPoints):
        loyalty.approve_adjustment(programme_tenant, take.id, approved_by="operator-bob")
    assert loyalty.pending_adjustments(programme_tenant)[0].id == take.id  # still pending
    rejected = loyalty.reject_adjustment(
        programme_tenant, take.id, rejected_by="operator-bob", note="customer had spent them"
    )
    assert rejected.status is AdjustmentStatus.REJECTED
    assert rejected.transaction_id is None
    assert loyalty.balance(programme_tenant, alice).available == 100
    with pytest.raises(errors.UnknownAdjustment):
        loyalty.approve_adjustment(programme_tenant, 999_999_999, approved_by="operator-bob")


def test_the_database_itself_refuses_a_self_approval(
    loyalty: Loyalty, programme_tenant: str, database_url: str
) -> None:
    alice = loyalty.enroll(programme_tenant, "shop-alice").id
    request = loyalty.request_adjustment(
        programme_tenant, alice, points=5, reason="r", requested_by="ann", idempotency_key="a"
    )
    with (
        psycopg.connect(database_url) as conn,
        pytest.raises(psycopg.errors.CheckViolation, match="adjustments_maker_is_not_checker"),
    ):
        conn.execute(
            "UPDATE punchcard.adjustments SET status = 'rejected', decided_by = 'ann', "
            "decided_at = now() WHERE tenant_id = %s AND id = %s",
            (programme_tenant, request.id),
        )


def test_programme_settings_that_contradict_open_accounts_are_refused(loyalty: Loyalty) -> None:
    tenant = setup_programme(loyalty)
    programme = loyalty.programme(tenant)
    assert programme.negative_balance is NegativeBalancePolicy.CLAWBACK_FROM_FUTURE
    # Before any customer has an account, anything goes.
    loyalty.create_programme(
        tenant, dataclasses.replace(programme, negative_balance=NegativeBalancePolicy.WRITE_OFF)
    )
    customer_with(loyalty, tenant, 10)
    with pytest.raises(errors.ProgrammeChangeRefused, match="allow_negative"):
        loyalty.create_programme(
            tenant,
            dataclasses.replace(programme, negative_balance=NegativeBalancePolicy.ALLOW_NEGATIVE),
        )
    with pytest.raises(errors.ProgrammeChangeRefused, match="points_asset"):
        loyalty.create_programme(tenant, dataclasses.replace(programme, points_asset="STARS"))
    changed = loyalty.create_programme(
        tenant, dataclasses.replace(programme, pending_days=30, name="Renamed")
    )
    assert loyalty.programme(tenant) == changed
    assert loyalty.programme(tenant).pending_days == 30


def test_enrolment_is_idempotent_by_external_reference(
    loyalty: Loyalty, programme_tenant: str
) -> None:
    first = loyalty.enroll(programme_tenant, "shop-42")
    assert loyalty.enroll(programme_tenant, "shop-42") == first
    assert loyalty.find_customer(programme_tenant, "shop-42") == first
    assert loyalty.customer(programme_tenant, first.id) == first
    assert loyalty.find_customer(programme_tenant, "shop-43") is None
    with pytest.raises(errors.UnknownCustomer):
        loyalty.customer(programme_tenant, "cus_0")
    with pytest.raises(errors.InvalidEvent):
        loyalty.enroll(programme_tenant, "has spaces")
    other = setup_programme(loyalty)
    with pytest.raises(errors.UnknownCustomer):
        loyalty.customer(other, first.id)  # another tenant's customer does not exist here


def test_default_programme_round_trips_through_storage(loyalty: Loyalty) -> None:
    tenant = setup_programme(loyalty, default_programme())
    assert loyalty.programme(tenant) == default_programme()
