"""punchcard: a loyalty-points ledger on PostgreSQL.

The engine's public API is re-exported here; see ``punchcard.service_layer.ledger``.
"""

from punchcard.domain.errors import PunchcardError
from punchcard.domain.model import (
    AccountKind,
    AccountPolicy,
    Balance,
    Entry,
    Hold,
    HoldResult,
    HoldStatus,
    Page,
    Posting,
    PostResult,
    Transaction,
    TransactionKind,
)
from punchcard.service_layer.ledger import Ledger

__all__ = [
    "AccountKind",
    "AccountPolicy",
    "Balance",
    "Entry",
    "Hold",
    "HoldResult",
    "HoldStatus",
    "Ledger",
    "Page",
    "PostResult",
    "Posting",
    "PunchcardError",
    "Transaction",
    "TransactionKind",
]
