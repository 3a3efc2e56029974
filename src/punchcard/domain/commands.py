"""Ledger commands: what a caller asks the engine to write, validated on construction.

A command that exists is valid; its ``fingerprint`` is what its idempotency key
is bound to, built from the request as given (a defaulted effective time is
left out, so a retry an hour later still matches).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from punchcard.domain import canonical, postings, validation
from punchcard.domain.errors import InvalidEffectiveTime, InvalidRequest
from punchcard.domain.model import Posting
from punchcard.domain.validation import JsonValue

CLOCK_SKEW = timedelta(minutes=1)


def _moment(value: datetime | None) -> int | None:
    return None if value is None else canonical.micros(value)


def _object_id(value: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InvalidRequest(f"{what} must be a positive integer, got {value!r}")
    return value


def effective_time(requested: datetime | None, now: datetime, max_backdate: timedelta) -> datetime:
    """The business time of a write: now by default, backdated at most ``max_backdate``."""
    if requested is None:
        return now
    if requested > now + CLOCK_SKEW:
        raise InvalidEffectiveTime(
            f"effective_at {requested.isoformat()} is in the future; the ledger records "
            "what has happened"
        )
    if requested < now - max_backdate:
        raise InvalidEffectiveTime(
            f"effective_at {requested.isoformat()} is more than {max_backdate.days} days "
            "in the past (PUNCHCARD_MAX_BACKDATE_DAYS)"
        )
    return requested


@dataclass(frozen=True, slots=True, kw_only=True)
class _Command:
    tenant: str
    idempotency_key: str
    metadata: Mapping[str, object] = field(default_factory=dict)
    effective_at: datetime | None = None

    def __post_init__(self) -> None:
        validation.tenant_id(self.tenant)
        validation.idempotency_key(self.idempotency_key)
        object.__setattr__(self, "metadata", validation.metadata(self.metadata))
        if self.effective_at is not None:
            validation.aware_time(self.effective_at, what="effective_at")

    @property
    def meta(self) -> dict[str, JsonValue]:
        return self.metadata  # type: ignore[return-value]  # normalized in __post_init__

    def _fingerprint(self, operation: str, request: dict[str, JsonValue]) -> bytes:
        request |= {"metadata": self.meta, "effective_at": _moment(self.effective_at)}
        return canonical.fingerprint(operation, self.tenant, request)


@dataclass(frozen=True, slots=True, kw_only=True)
class Post(_Command):
    postings: Sequence[Posting]

    def __post_init__(self) -> None:
        _Command.__post_init__(self)
        object.__setattr__(self, "postings", postings.validate(self.postings))

    def fingerprint(self) -> bytes:
        return self._fingerprint(
            "post",
            {"postings": canonical.postings_document(self.postings)},  # type: ignore[dict-item]
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class PlaceHold(_Command):
    posting: Posting
    expires_at: datetime | None = None
    timeout: timedelta | None = None

    def __post_init__(self) -> None:
        _Command.__post_init__(self)
        postings.validate([self.posting])
        if self.expires_at is not None and self.timeout is not None:
            raise InvalidRequest("give a hold either expires_at or timeout, not both")
        if self.expires_at is not None:
            validation.aware_time(self.expires_at, what="expires_at")
        if self.timeout is not None and self.timeout <= timedelta(0):
            raise InvalidRequest("a hold's timeout must be positive")

    def expiry(self, now: datetime) -> datetime | None:
        if self.timeout is not None:
            return now + self.timeout
        if self.expires_at is not None and self.expires_at <= now:
            raise InvalidRequest(f"expires_at {self.expires_at.isoformat()} has already passed")
        return self.expires_at

    def fingerprint(self) -> bytes:
        timeout = None if self.timeout is None else self.timeout // timedelta(microseconds=1)
        return self._fingerprint(
            "hold",
            {
                "posting": canonical.postings_document([self.posting])[0],  # type: ignore[dict-item]
                "expires_at": _moment(self.expires_at),
                "timeout_us": timeout,
            },
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class CaptureHold(_Command):
    hold_id: int
    amount: int | None = None
    """How much of the hold to post; the rest is released. Default: all of it."""

    def __post_init__(self) -> None:
        _Command.__post_init__(self)
        _object_id(self.hold_id, "hold_id")
        if self.amount is not None:
            validation.amount(self.amount, what="capture amount")

    def fingerprint(self) -> bytes:
        return self._fingerprint("capture", {"hold_id": self.hold_id, "amount": self.amount})


@dataclass(frozen=True, slots=True, kw_only=True)
class VoidHold(_Command):
    hold_id: int

    def __post_init__(self) -> None:
        _Command.__post_init__(self)
        _object_id(self.hold_id, "hold_id")

    def fingerprint(self) -> bytes:
        return self._fingerprint("void", {"hold_id": self.hold_id})


@dataclass(frozen=True, slots=True, kw_only=True)
class ExpireHold(VoidHold):
    """Issued by the sweep, never by a caller: voids a hold whose time has run out."""

    def fingerprint(self) -> bytes:
        return self._fingerprint("expire", {"hold_id": self.hold_id})


@dataclass(frozen=True, slots=True, kw_only=True)
class Reverse(_Command):
    transaction_id: int
    amount: int | None = None
    """Partial reversal of a single-posting transaction. Default: all that remains."""

    def __post_init__(self) -> None:
        _Command.__post_init__(self)
        _object_id(self.transaction_id, "transaction_id")
        if self.amount is not None:
            validation.amount(self.amount, what="reversal amount")

    def fingerprint(self) -> bytes:
        return self._fingerprint(
            "reverse", {"transaction_id": self.transaction_id, "amount": self.amount}
        )
