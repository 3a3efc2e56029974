"""Commands validate on construction and fingerprint what the caller asked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from punchcard.domain import commands, errors
from punchcard.domain.model import Posting

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
EARN = Posting("program:issuance", "customer:a:points", "PTS", 100)


def post(**changes: object) -> commands.Post:
    args: dict[str, object] = {"tenant": "acme", "idempotency_key": "k", "postings": [EARN]}
    return commands.Post(**(args | changes))  # type: ignore[arg-type]


def test_a_post_is_normalized() -> None:
    cmd = post(metadata={"order": "1"})
    assert cmd.postings == (EARN,)
    assert cmd.meta == {"order": "1"}


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"tenant": "Bad Tenant"}, errors.InvalidTenant),
        ({"idempotency_key": ""}, errors.InvalidIdempotencyKey),
        ({"postings": []}, errors.InvalidPosting),
        ({"metadata": {"x": 1.5}}, errors.InvalidMetadata),
        ({"effective_at": datetime(2026, 1, 1)}, errors.InvalidEffectiveTime),  # noqa: DTZ001
    ],
)
def test_bad_commands_cannot_be_built(changes: dict[str, object], error: type[Exception]) -> None:
    with pytest.raises(error):
        post(**changes)


def test_fingerprints_follow_the_request() -> None:
    assert post().fingerprint() == post().fingerprint()
    assert post().fingerprint() == post(idempotency_key="other").fingerprint()
    assert (
        post().fingerprint()
        != post(postings=[Posting(EARN.source, EARN.destination, "PTS", 101)]).fingerprint()
    )
    assert post().fingerprint() != post(metadata={"x": 1}).fingerprint()
    assert post().fingerprint() != post(effective_at=NOW).fingerprint()
    assert post().fingerprint() != post(tenant="other").fingerprint()


@pytest.mark.parametrize("value", [0, -1, True, "7", 1.0])
def test_ids_must_be_positive_integers(value: object) -> None:
    with pytest.raises(errors.InvalidRequest, match="hold_id must be a positive integer"):
        commands.VoidHold(tenant="acme", idempotency_key="k", hold_id=value)  # type: ignore[arg-type]
    with pytest.raises(errors.InvalidRequest, match="transaction_id"):
        commands.Reverse(tenant="acme", idempotency_key="k", transaction_id=value)  # type: ignore[arg-type]


def test_capture_and_reverse_amounts_are_validated() -> None:
    with pytest.raises(errors.InvalidAmount, match="capture amount"):
        commands.CaptureHold(tenant="acme", idempotency_key="k", hold_id=1, amount=0)
    with pytest.raises(errors.InvalidAmount, match="reversal amount"):
        commands.Reverse(tenant="acme", idempotency_key="k", transaction_id=1, amount=-3)


def test_a_hold_takes_expires_at_or_timeout() -> None:
    spend = Posting("customer:a:points", "program:redeemed", "PTS", 10)
    with pytest.raises(errors.InvalidRequest, match="not both"):
        commands.PlaceHold(tenant="acme", idempotency_key="k", posting=spend,
                           expires_at=NOW, timeout=timedelta(minutes=1))  # fmt: skip
    with pytest.raises(errors.InvalidRequest, match="positive"):
        commands.PlaceHold(tenant="acme", idempotency_key="k", posting=spend, timeout=timedelta(0))
    by_timeout = commands.PlaceHold(
        tenant="acme", idempotency_key="k", posting=spend, timeout=timedelta(minutes=5)
    )
    assert by_timeout.expiry(NOW) == NOW + timedelta(minutes=5)
    assert commands.PlaceHold(tenant="acme", idempotency_key="k", posting=spend).expiry(NOW) is None
    late = commands.PlaceHold(tenant="acme", idempotency_key="k", posting=spend, expires_at=NOW)
    with pytest.raises(errors.InvalidRequest, match="already passed"):
        late.expiry(NOW)


def test_the_sweep_and_a_void_fingerprint_differently() -> None:
    void = commands.VoidHold(tenant="acme", idempotency_key="k", hold_id=1)
    expire = commands.ExpireHold(tenant="acme", idempotency_key="k", hold_id=1)
    assert void.fingerprint() != expire.fingerprint()


def test_effective_time_defaults_to_now_and_is_bounded() -> None:
    limit = timedelta(days=30)
    assert commands.effective_time(None, NOW, limit) == NOW
    assert commands.effective_time(NOW - limit, NOW, limit) == NOW - limit
    assert commands.effective_time(NOW + timedelta(seconds=59), NOW, limit) > NOW
    with pytest.raises(errors.InvalidEffectiveTime, match="in the future"):
        commands.effective_time(NOW + timedelta(minutes=2), NOW, limit)
    with pytest.raises(errors.InvalidEffectiveTime, match="more than 30 days"):
        commands.effective_time(NOW - limit - timedelta(seconds=1), NOW, limit)
