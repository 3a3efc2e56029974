"""Opaque keyset cursors for account history pages.

A cursor names the last entry a client has seen, ``(effective_at,
transaction_id, posting_index)``, as URL-safe base64 of compact JSON, so the
next page is one index range no matter how deep the client has paged.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from punchcard.domain.canonical import micros
from punchcard.domain.errors import InvalidCursor

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class HistoryCursor:
    effective_at: datetime
    transaction_id: int
    posting_index: int

    def encode(self) -> str:
        raw = json.dumps([micros(self.effective_at), self.transaction_id, self.posting_index])
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> HistoryCursor:
        try:
            padded = token + "=" * (-len(token) % 4)
            at, txn, index = json.loads(base64.urlsafe_b64decode(padded.encode()))
            if not all(isinstance(v, int) and not isinstance(v, bool) for v in (at, txn, index)):
                raise ValueError("cursor fields must be integers")
            return cls(_EPOCH + timedelta(microseconds=at), txn, index)
        except (ValueError, TypeError, binascii.Error, OverflowError) as exc:
            raise InvalidCursor(
                f"starting_after {token!r} is not a cursor this API issued"
            ) from exc
