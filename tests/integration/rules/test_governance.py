"""Ruleset governance: drafts change, a second person publishes, published is forever,
and the version active when an event occurred rates it."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import psycopg
import pytest

from punchcard.domain import errors
from punchcard.domain.rules.defaults import default_ruleset
from punchcard.domain.rules.document import Effect, RateEffect, Rule, Ruleset
from punchcard.domain.rules.versions import RulesetStatus
from punchcard.service_layer.loyalty.facade import Loyalty
from tests.conftest import FakeClock, setup_programme

FLAT = Ruleset(name="flat", rules=(Rule("base", Effect(rate=RateEffect(points=1, per=100))),))
DOUBLE = Ruleset(name="double", rules=(Rule("base", Effect(rate=RateEffect(points=2, per=100))),))


NO_CAMPAIGNS = 2000
"""The seed's campaigns dated in a year long past, so tests do not change with the date."""


def publish(loyalty: Loyalty, tenant: str, ruleset: Ruleset | str, **submit: object) -> int:
    version = loyalty.create_ruleset(tenant, ruleset, created_by="mia").version
    loyalty.submit_ruleset(tenant, version, submitted_by="mia", **submit)  # type: ignore[arg-type]
    loyalty.approve_ruleset(tenant, version, approved_by="fred")
    return version


def test_publishing_needs_a_second_persons_approval(loyalty: Loyalty) -> None:
    tenant = setup_programme(loyalty)
    draft = loyalty.create_ruleset(tenant, FLAT, created_by="mia")
    assert (draft.version, draft.status) == (1, RulesetStatus.DRAFT)
    assert loyalty.active_ruleset(tenant) is None
    changed = loyalty.update_ruleset(tenant, 1, DOUBLE)
    assert changed.ruleset == DOUBLE
    with pytest.raises(errors.RulesetNotDraft, match="submitted"):
        loyalty.approve_ruleset(tenant, 1, approved_by="fred")  # not submitted yet
    loyalty.submit_ruleset(tenant, 1, submitted_by="mia")
    with pytest.raises(errors.RulesetNotDraft):
        loyalty.update_ruleset(tenant, 1, FLAT)  # frozen while under review
    with pytest.raises(errors.MakerCheckerViolation):
        loyalty.approve_ruleset(tenant, 1, approved_by="mia")
    published = loyalty.approve_ruleset(tenant, 1, approved_by="fred")
    assert (published.status, published.approved_by) == (RulesetStatus.PUBLISHED, "fred")
    assert published.approved_at is not None and published.activate_at is not None
    active = loyalty.active_ruleset(tenant)
    assert active is not None and active.version == 1
    with pytest.raises(errors.RulesetNotDraft, match="published"):
        loyalty.update_ruleset(tenant, 1, FLAT)
    with pytest.raises(errors.UnknownRuleset):
        loyalty.ruleset(tenant, 99)
    assert [v.version for v in loyalty.rulesets(tenant)] == [1]


def test_a_withdrawn_submission_is_a_draft_again(loyalty: Loyalty) -> None:
    tenant = setup_programme(loyalty)
    loyalty.create_ruleset(tenant, FLAT, created_by="mia")
    loyalty.submit_ruleset(tenant, 1, submitted_by="mia")
    assert loyalty.withdraw_ruleset(tenant, 1).status is RulesetStatus.DRAFT
    assert loyalty.update_ruleset(tenant, 1, DOUBLE).ruleset == DOUBLE


def test_the_database_refuses_to_change_a_published_ruleset_or_a_self_approval(
    loyalty: Loyalty, database_url: str
) -> None:
    tenant = setup_programme(loyalty)
    publish(loyalty, tenant, FLAT)
    loyalty.create_ruleset(tenant, DOUBLE, created_by="mia")
    loyalty.submit_ruleset(tenant, 2, submitted_by="mia")
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("SET search_path = punchcard")
        with pytest.raises(psycopg.Error, match="a published one never changes"):
            conn.execute("UPDATE rulesets SET name = 'x' WHERE tenant_id = %s AND version = 1",
                         (tenant,))  # fmt: skip
        with pytest.raises(psycopg.errors.CheckViolation, match="maker_is_not_checker"):
            conn.execute(
                "UPDATE rulesets SET status = 'published', approved_by = 'mia', "
                "approved_at = now(), activate_at = now() WHERE tenant_id = %s AND version = 2",
                (tenant,),
            )


def test_the_version_active_when_the_event_occurred_rates_it(
    clocked_loyalty: Loyalty, clock: FakeClock
) -> None:
    loyalty = clocked_loyalty
    tenant = setup_programme(loyalty)
    alice = loyalty.enroll(tenant, "shop-alice").id
    start = clock.now
    publish(loyalty, tenant, FLAT)
    publish(loyalty, tenant, DOUBLE, activate_at=start + timedelta(days=2))
    assert (active := loyalty.active_ruleset(tenant)) is not None and active.version == 1
    now = loyalty.earn_purchase(tenant, alice, order_id="o-1", amount=100_00, currency="USD")
    assert (now.points, now.breakdown["ruleset_version"]) == (100, 1)
    clock.advance(timedelta(days=3))
    late = loyalty.earn_purchase(
        tenant, alice, order_id="o-late", amount=100_00, currency="USD",
        occurred_at=start + timedelta(days=1),
    )  # fmt: skip
    assert (late.points, late.breakdown["ruleset_version"]) == (100, 1)
    fresh = loyalty.earn_purchase(tenant, alice, order_id="o-2", amount=100_00, currency="USD")
    assert (fresh.points, fresh.breakdown["ruleset_version"]) == (200, 2)


def test_an_earn_explains_itself_after_a_newer_version_is_published(loyalty: Loyalty) -> None:
    tenant = setup_programme(loyalty)
    alice = loyalty.enroll(tenant, "shop-alice").id
    publish(loyalty, tenant, default_ruleset(NO_CAMPAIGNS))
    earned = loyalty.earn_purchase(tenant, alice, order_id="o-1", amount=250_00, currency="USD")
    assert earned.transaction_id is not None
    publish(loyalty, tenant, dataclasses.replace(DOUBLE, name="later"))
    explanation = loyalty.explain(tenant, earned.transaction_id)
    assert (explanation.version, explanation.matches) == (1, True)
    assert explanation.recomputed is not None
    assert explanation.recomputed["points"] == earned.points == 250
    loyalty.ledger.seal()
    assert loyalty.ledger.verify(tenant=tenant).ok


def test_a_bad_document_is_refused_with_the_field_named(loyalty: Loyalty) -> None:
    tenant = setup_programme(loyalty)
    with pytest.raises(errors.InvalidRuleset, match=r"rules\.0\.effect\.flat"):
        loyalty.create_ruleset(tenant, "rules: [{id: x, effect: {flat: 1.5}}]", created_by="mia")
    with pytest.raises(errors.InvalidRuleset, match="condition does not parse"):
        loyalty.create_ruleset(
            tenant, "rules: [{id: x, effect: {flat: 1}, when: 'order.amount >'}]",
            created_by="mia",
        )  # fmt: skip
    assert loyalty.rulesets(tenant) == []
