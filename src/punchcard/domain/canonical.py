"""Canonical bytes for hashing: request fingerprints and the seal chain.

Both must be byte-identical whenever the content is the same, in any process,
so they use sorted-key compact JSON with integers only (times as microseconds
since the epoch) and SHA-256.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from punchcard.domain.model import Posting
from punchcard.domain.validation import JsonValue

GENESIS = bytes(32)
"""The previous hash of the first seal in every tenant's chain."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def micros(moment: datetime) -> int:
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def dumps(document: object) -> bytes:
    return json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()


def postings_document(postings: Sequence[Posting]) -> list[list[str | int]]:
    return [[p.source, p.destination, p.asset, p.amount] for p in postings]


def fingerprint(operation: str, tenant: str, request: dict[str, JsonValue]) -> bytes:
    """What an idempotency key is bound to: the operation and every field of its request."""
    return hashlib.sha256(dumps({"op": operation, "tenant": tenant, "request": request})).digest()


@dataclass(frozen=True, slots=True)
class SealedEntry:
    posting_index: int
    is_credit: bool
    address: str
    asset: str
    amount: int
    effective_at: datetime


@dataclass(frozen=True, slots=True)
class SealedHold:
    source: str
    destination: str
    asset: str
    amount: int
    expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class SealedTransaction:
    """Everything about a committed transaction that must never change."""

    tenant: str
    id: int
    kind: str
    idempotency_key: str
    request_hash: bytes
    effective_at: datetime
    recorded_at: datetime
    metadata: dict[str, JsonValue]
    hold_id: int | None
    reverses_id: int | None
    entries: tuple[SealedEntry, ...]
    hold: SealedHold | None

    def material(self) -> bytes:
        entries = sorted(
            [
                e.posting_index,
                int(e.is_credit),
                e.address,
                e.asset,
                e.amount,
                micros(e.effective_at),
            ]
            for e in self.entries
        )
        hold = self.hold and [
            self.hold.source,
            self.hold.destination,
            self.hold.asset,
            self.hold.amount,
            None if self.hold.expires_at is None else micros(self.hold.expires_at),
        ]
        return dumps(
            {
                "tenant": self.tenant,
                "id": self.id,
                "kind": self.kind,
                "key": self.idempotency_key,
                "request": self.request_hash.hex(),
                "effective_at": micros(self.effective_at),
                "recorded_at": micros(self.recorded_at),
                "metadata": self.metadata,
                "hold_id": self.hold_id,
                "reverses_id": self.reverses_id,
                "entries": entries,
                "hold": hold,
            }
        )


def chain_hash(previous: bytes, seq: int, material: bytes) -> bytes:
    return hashlib.sha256(previous + seq.to_bytes(8, "big") + material).digest()
