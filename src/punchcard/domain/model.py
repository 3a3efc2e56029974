"""The ledger's immutable values: postings, transactions, holds, balances, entries.

A ``Posting`` moves ``amount`` of ``asset`` from ``source`` to ``destination``;
it is stored as two entries (a debit leg and a credit leg), so every
transaction sums to zero per asset by construction and the database can prove
it. Balances read as credits minus debits: a customer holding points has a
positive balance, the programme's issuance account a negative one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Generic, TypeVar

from punchcard.domain.validation import JsonValue

T = TypeVar("T")


class TransactionKind(StrEnum):
    POST = "post"
    HOLD = "hold"
    CAPTURE = "capture"
    VOID = "void"
    EXPIRE = "expire"
    REVERSAL = "reversal"


class AccountKind(StrEnum):
    BOUNDED = "bounded"
    """A customer-style account: one balance row, locked on debit, may be kept >= 0."""
    UNBOUNDED = "unbounded"
    """A system account: never checked, balance spread over slots so writers never queue."""


@dataclass(frozen=True, slots=True)
class AccountPolicy:
    kind: AccountKind
    allow_negative: bool

    @classmethod
    def customer(cls) -> AccountPolicy:
        return cls(AccountKind.BOUNDED, allow_negative=False)

    @classmethod
    def customer_may_go_negative(cls) -> AccountPolicy:
        return cls(AccountKind.BOUNDED, allow_negative=True)

    @classmethod
    def system(cls) -> AccountPolicy:
        return cls(AccountKind.UNBOUNDED, allow_negative=True)


@dataclass(frozen=True, slots=True)
class Account:
    id: int
    address: str
    policy: AccountPolicy


@dataclass(frozen=True, slots=True)
class Asset:
    code: str
    precision: int


@dataclass(frozen=True, slots=True)
class Posting:
    source: str
    destination: str
    asset: str
    amount: int


@dataclass(frozen=True, slots=True)
class Transaction:
    id: int
    tenant: str
    kind: TransactionKind
    postings: tuple[Posting, ...]
    idempotency_key: str
    effective_at: datetime
    recorded_at: datetime
    metadata: dict[str, JsonValue] = field(default_factory=dict)
    hold_id: int | None = None
    """For capture, void and expire: the hold this transaction resolved."""
    reverses_id: int | None = None
    """For reversals: the transaction this one compensates."""


@dataclass(frozen=True, slots=True)
class PostResult:
    transaction: Transaction
    replayed: bool
    """True when the idempotency key had been used for this same request before:
    nothing was written and ``transaction`` is the original."""


class HoldStatus(StrEnum):
    PENDING = "pending"
    CAPTURED = "captured"
    VOIDED = "voided"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class Hold:
    id: int
    """The id of the hold transaction that created it."""
    posting: Posting
    expires_at: datetime | None
    status: HoldStatus
    resolved_by: int | None


@dataclass(frozen=True, slots=True)
class HoldResult:
    hold: Hold
    transaction: Transaction
    replayed: bool


@dataclass(frozen=True, slots=True)
class Balance:
    address: str
    asset: str
    posted_debits: int = 0
    posted_credits: int = 0
    pending_debits: int = 0
    pending_credits: int = 0

    @property
    def posted(self) -> int:
        return self.posted_credits - self.posted_debits

    @property
    def available(self) -> int:
        """What can be spent now: posted, minus what holds have reserved."""
        return self.posted - self.pending_debits


@dataclass(frozen=True, slots=True)
class Entry:
    """One leg of a posting, as seen from one account."""

    transaction_id: int
    posting_index: int
    asset: str
    amount: int
    is_credit: bool
    effective_at: datetime

    @property
    def signed_amount(self) -> int:
        return self.amount if self.is_credit else -self.amount


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: tuple[T, ...]
    has_more: bool
    next_cursor: str | None
