"""Webhook delivery end to end on a real PostgreSQL and a real HTTP receiver:
signed by Standard Webhooks (verified with the reference ``standardwebhooks``
package, not our code), retried on the schedule, 410 disables, Retry-After is
honoured, one attempt row per attempt, replays. Each test has a database of its
own: it reads the ``webhooks`` outbox cursor."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from punchcard.adapters.postgres.database import Database
from punchcard.adapters.postgres.webhooks import Endpoint
from punchcard.domain import events, webhooks
from punchcard.service_layer import webhooks as hooks
from punchcard.service_layer.ledger import Ledger
from punchcard.service_layer.loyalty.facade import Loyalty
from tests.conftest import FakeClock, setup_programme
from tests.receiver import Receiver, Reply, receiver


@dataclass
class Setup:
    loyalty: Loyalty
    tenant: str
    clock: FakeClock
    hook: Receiver


@pytest.fixture
def own(fresh_database_url: str) -> Iterator[Setup]:
    database = Database(fresh_database_url, pool_size=4)
    clock = FakeClock()
    loyalty = Loyalty(Ledger(database, clock=clock))
    try:
        with receiver() as hook:
            yield Setup(loyalty, setup_programme(loyalty), clock, hook)
    finally:
        database.close()


def earn(s: Setup, order: str = "o-1", customer: str | None = None) -> str:
    customer = customer or s.loyalty.enroll(s.tenant, f"shop-{order}").id
    s.loyalty.earn_purchase(s.tenant, customer, order_id=order, amount=10_00, currency="USD")
    return customer


def earned_only(s: Setup) -> Endpoint:
    return hooks.add_endpoint(s.loyalty, s.tenant, s.hook.url, event_types=[events.POINTS_EARNED])


def test_a_committed_earn_is_delivered_signed_though_nothing_dispatched_at_commit(
    own: Setup,
) -> None:
    endpoint = earned_only(own)
    assert endpoint.id.startswith("whe_") and endpoint.secret.startswith("whsec_")
    customer = earn(own)  # committed while no dispatcher ran
    assert hooks.dispatch(own.loyalty) == 1
    (got,) = own.hook.received
    payload = Webhook(endpoint.secret).verify(got.body, got.headers)
    (event,) = own.loyalty.events(own.tenant, type_=events.POINTS_EARNED)
    assert got.headers["webhook-id"] == event.id
    assert payload == json.loads(json.dumps(event.envelope()))
    assert payload["data"]["customer_id"] == customer
    assert got.headers["webhook-signature"].count("v1,") == 1
    with pytest.raises(WebhookVerificationError):
        Webhook(webhooks.new_secret()).verify(got.body, got.headers)
    (message,) = hooks.deliveries(own.loyalty, own.tenant, endpoint.id)
    assert (message.status, message.attempts, message.event_id) == ("delivered", 1, event.id)
    (attempt,) = message.history
    assert (attempt.status_code, attempt.outcome, attempt.error) == (204, "delivered", None)
    assert hooks.dispatch(own.loyalty) == 0  # once


def test_a_rolled_back_write_delivers_nothing(own: Setup) -> None:
    endpoint = hooks.add_endpoint(own.loyalty, own.tenant, own.hook.url)
    customer = own.loyalty.enroll(own.tenant, "shop-a").id
    with own.loyalty.work() as w:
        w.emit(own.tenant, events.customer_event(events.POINTS_EARNED, customer, points=1))
        # leaving without commit rolls back
    hooks.dispatch(own.loyalty)
    assert [r.headers["webhook-id"] for r in own.hook.received] == [
        e.id for e in own.loyalty.events(own.tenant, type_=events.CUSTOMER_ENROLLED)
    ]
    assert len(hooks.deliveries(own.loyalty, own.tenant, endpoint.id)) == 1


def test_the_filter_and_other_tenants_endpoints_choose_what_is_sent(own: Setup) -> None:
    redeemed = hooks.add_endpoint(own.loyalty, own.tenant, own.hook.url,
                                  event_types=[events.POINTS_REDEEMED])  # fmt: skip
    other = setup_programme(own.loyalty)
    theirs = hooks.add_endpoint(own.loyalty, other, own.hook.url)
    earn(own)
    hooks.dispatch(own.loyalty)
    assert own.hook.received == []
    assert hooks.deliveries(own.loyalty, own.tenant, redeemed.id) == []
    assert hooks.deliveries(own.loyalty, other, theirs.id) == []
    with pytest.raises(webhooks.InvalidWebhookEndpoint):
        hooks.add_endpoint(own.loyalty, own.tenant, own.hook.url, event_types=["points.made_up"])
    with pytest.raises(webhooks.InvalidWebhookEndpoint):
        hooks.add_endpoint(own.loyalty, own.tenant, "ftp://127.0.0.1/hook")
    with pytest.raises(webhooks.UnknownWebhookEndpoint):
        hooks.endpoint(own.loyalty, other, redeemed.id)


def test_during_a_rotation_two_signatures_each_verify_with_its_secret(own: Setup) -> None:
    before = earned_only(own)
    after = hooks.rotate_secret(own.loyalty, own.tenant, before.id, grace=timedelta(hours=1))
    assert after.secret != before.secret and after.previous_secret == before.secret
    earn(own)
    hooks.dispatch(own.loyalty)
    (got,) = own.hook.received
    signatures = got.headers["webhook-signature"].split(" ")
    assert len(signatures) == 2
    for secret, signature in zip((after.secret, before.secret), signatures, strict=True):
        Webhook(secret).verify(got.body, {**got.headers, "webhook-signature": signature})
    own.clock.advance(timedelta(minutes=61))  # the grace period is over
    earn(own, "o-2")
    hooks.dispatch(own.loyalty)
    late = own.hook.received[1]
    # a timestamp an hour ahead of the real clock is too new for verify(): compare
    # with the reference package's own signature instead
    stamp = datetime.fromtimestamp(int(late.headers["webhook-timestamp"]), UTC)
    msg_id = late.headers["webhook-id"]
    assert late.headers["webhook-signature"] == Webhook(after.secret).sign(
        msg_id, stamp, late.body.decode()
    )


def test_a_failure_is_retried_on_the_schedule_with_an_attempt_row_each(own: Setup) -> None:
    endpoint = earned_only(own)
    own.hook.then(Reply(500, body="boom"))
    earn(own)
    sent = own.clock.now
    assert hooks.dispatch(own.loyalty) == 1
    (message,) = hooks.deliveries(own.loyalty, own.tenant, endpoint.id)
    assert (message.status, message.attempts) == ("pending", 1)
    assert message.next_attempt_at is not None
    assert sent + timedelta(seconds=4.5) <= message.next_attempt_at <= sent + timedelta(seconds=5.5)
    assert message.history[0].status_code == 500 and message.history[0].response_body == "boom"
    assert hooks.deliver_due(own.loyalty) == 0  # not due yet
    own.clock.advance(timedelta(seconds=6))
    assert hooks.deliver_due(own.loyalty) == 1
    (message,) = hooks.deliveries(own.loyalty, own.tenant, endpoint.id)
    assert message.status == "delivered"
    assert [a.outcome for a in message.history] == ["retrying", "delivered"]
    assert len(own.hook.received) == 2
    assert own.hook.received[0].headers["webhook-id"] == own.hook.received[1].headers["webhook-id"]


def test_a_timeout_is_an_attempt_that_failed(own: Setup) -> None:
    endpoint = earned_only(own)
    own.hook.then(Reply(204, delay=1.5))
    earn(own)
    hooks.fan_out(own.loyalty)
    assert hooks.deliver_due(own.loyalty, timeout=0.3) == 1
    (message,) = hooks.deliveries(own.loyalty, own.tenant, endpoint.id)
    (attempt,) = message.history
    assert attempt.status_code is None and attempt.error is not None
    assert "Timeout" in attempt.error
    assert message.status == "pending"


def test_the_schedule_spans_about_three_days_then_the_message_fails(own: Setup) -> None:
    endpoint = earned_only(own)
    own.hook.then(*[Reply(503)] * (len(webhooks.SCHEDULE) + 1))
    earn(own)
    start = own.clock.now
    hooks.fan_out(own.loyalty)
    while hooks.deliver_due(own.loyalty):
        (pending,) = hooks.deliveries(own.loyalty, own.tenant, endpoint.id)
        if pending.next_attempt_at is not None:
            own.clock.now = pending.next_attempt_at  # the next try is due
    (message,) = hooks.deliveries(own.loyalty, own.tenant, endpoint.id)
    assert message.status == "failed"
    assert message.attempts == len(message.history) == len(webhooks.SCHEDULE) + 1 == 12
    assert message.history[-1].outcome == "failed"
    span = message.history[-1].attempted_at - start
    assert timedelta(days=2.5) < span < timedelta(days=5)
    (health,) = hooks.health(own.loyalty, own.tenant, since=start - timedelta(hours=1))
    assert (health.failed, health.delivered, health.retrying) == (1, 0, 0)


def test_retry_after_is_honoured(own: Setup) -> None:
    endpoint = earned_only(own)
    own.hook.then(Reply(429, {"Retry-After": "120"}))
    earn(own)
    hooks.dispatch(own.loyalty)
    (message,) = hooks.deliveries(own.loyalty, own.tenant, endpoint.id)
    assert message.next_attempt_at == own.clock.now + timedelta(seconds=120)
    own.clock.advance(timedelta(seconds=119))
    assert hooks.deliver_due(own.loyalty) == 0
    own.clock.advance(timedelta(seconds=1))
    assert hooks.deliver_due(own.loyalty) == 1
    (health,) = hooks.health(own.loyalty, own.tenant)
    assert health.delivered == 1


def test_410_disables_the_endpoint_and_parks_its_messages(own: Setup) -> None:
    endpoint = hooks.add_endpoint(own.loyalty, own.tenant, own.hook.url)
    own.hook.then(Reply(410))
    earn(own)  # customer.enrolled and points.earned
    assert hooks.fan_out(own.loyalty) == 2
    assert hooks.deliver_due(own.loyalty, limit=1) == 1
    gone = hooks.endpoint(own.loyalty, own.tenant, endpoint.id)
    assert not gone.enabled and gone.disabled_reason is not None and "410" in gone.disabled_reason
    assert {m.status for m in hooks.deliveries(own.loyalty, own.tenant, endpoint.id)} == {
        "disabled"
    }
    earn(own, "o-2")
    hooks.dispatch(own.loyalty)
    assert len(own.hook.received) == 1  # nothing more went to it
    hooks.update_endpoint(own.loyalty, own.tenant, endpoint.id, enabled=True)
    hooks.dispatch(own.loyalty)
    assert len(own.hook.received) == 3  # the two parked messages; later events were not taken


def test_any_event_can_be_replayed_as_a_new_message(own: Setup) -> None:
    endpoint = earned_only(own)
    earn(own)
    hooks.dispatch(own.loyalty)
    (event,) = own.loyalty.events(own.tenant, type_=events.POINTS_EARNED)
    enrolled = own.loyalty.events(own.tenant, type_=events.CUSTOMER_ENROLLED)[0]
    assert len(hooks.replay(own.loyalty, own.tenant, event.id)) == 1
    assert hooks.replay(own.loyalty, own.tenant, enrolled.id) == []  # filtered out
    assert len(hooks.replay(own.loyalty, own.tenant, enrolled.id, endpoint.id)) == 1  # named
    hooks.dispatch(own.loyalty)
    ids = [r.headers["webhook-id"] for r in own.hook.received]
    assert ids == [event.id, event.id, enrolled.id]
    found = hooks.deliveries(own.loyalty, own.tenant, endpoint.id)
    assert [m.replay for m in found] == [True, True, False]
    with pytest.raises(webhooks.UnknownEvent):
        hooks.replay(own.loyalty, setup_programme(own.loyalty), event.id)
