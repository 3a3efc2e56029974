"""punchcard: a loyalty-points ledger on PostgreSQL.

The public API is re-exported here: the ledger engine (``Ledger``, see
``punchcard.service_layer.ledger``) and the loyalty programme on top of it
(``Loyalty``, see ``punchcard.service_layer.loyalty.facade``).
"""

from punchcard.domain.errors import PunchcardError
from punchcard.domain.loyalty.commands import Direction, LineItem
from punchcard.domain.loyalty.expiry import ExpiryRule, RoundTo
from punchcard.domain.loyalty.programme import (
    LotKind,
    NegativeBalancePolicy,
    PartnerExchange,
    Programme,
    Rate,
    RedemptionOption,
    default_programme,
)
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
from punchcard.service_layer.loyalty.facade import Loyalty

__all__ = [
    "AccountKind",
    "AccountPolicy",
    "Balance",
    "Direction",
    "Entry",
    "ExpiryRule",
    "Hold",
    "HoldResult",
    "HoldStatus",
    "Ledger",
    "LineItem",
    "LotKind",
    "Loyalty",
    "NegativeBalancePolicy",
    "Page",
    "PartnerExchange",
    "PostResult",
    "Posting",
    "Programme",
    "PunchcardError",
    "Rate",
    "RedemptionOption",
    "RoundTo",
    "Transaction",
    "TransactionKind",
    "default_programme",
]
