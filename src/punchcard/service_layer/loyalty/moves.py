"""Moving points between holders: customer to customer, and to and from a partner.

A transfer consumes the sender's lots and gives the receiver one ``transferred``
lot with its own expiry. A partner exchange converts whole units at the
partner's integer ratio through the partner's exchange account, both assets in
one transaction; points coming back become a ``transferred`` lot.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from punchcard.domain.errors import BelowMinimum, InvalidRequest, UnknownPartner
from punchcard.domain.loyalty import accounts
from punchcard.domain.loyalty.commands import Direction, Exchange, Transfer
from punchcard.domain.loyalty.lots import DrawReason
from punchcard.domain.loyalty.movement import require_draws
from punchcard.domain.loyalty.programme import LotKind
from punchcard.domain.loyalty.results import ExchangeResult, TransferResult
from punchcard.service_layer.loyalty.work import LoyaltyWork, ledger_key, run_operation

if TYPE_CHECKING:
    from punchcard.service_layer.loyalty.facade import Loyalty


def transfer(loyalty: Loyalty, cmd: Transfer) -> TransferResult:
    def body(w: LoyaltyWork, op_id: int) -> TransferResult:
        scope = w.lock(cmd.tenant, [cmd.from_customer, cmd.to_customer])
        movement = scope.movement()
        lots = w.lots.open_lots(cmd.tenant, [cmd.from_customer])
        draws = require_draws(cmd.from_customer, lots, cmd.points, w.now)
        movement.record(draws, DrawReason.TRANSFER)
        movement.credit(
            cmd.to_customer, cmd.points, kind=LotKind.TRANSFERRED,
            source=accounts.points(cmd.from_customer),
        )  # fmt: skip
        metadata = {"operation": "transfer", "from_customer": cmd.from_customer,
                    "to_customer": cmd.to_customer}  # fmt: skip
        txn_id, lot_ids = w.post(cmd.tenant, ledger_key(op_id), scope, movement, metadata=metadata)
        return TransferResult(cmd.from_customer, cmd.to_customer, cmd.points, lot_ids[0], txn_id)

    return run_operation(loyalty, cmd, TransferResult, body)


def exchange(loyalty: Loyalty, cmd: Exchange) -> ExchangeResult:
    def body(w: LoyaltyWork, op_id: int) -> ExchangeResult:
        scope = w.lock(cmd.tenant, [cmd.customer_id])
        programme = scope.programme
        partner = programme.partners.get(cmd.partner)
        if partner is None:
            known = ", ".join(sorted(programme.partners)) or "none"
            raise UnknownPartner(f"no partner {cmd.partner!r} (known: {known})")
        rate = partner.out if cmd.direction is Direction.OUT else partner.back
        if rate is None:
            raise InvalidRequest(f"partner {cmd.partner}'s units cannot be exchanged back")
        units = cmd.amount // rate.points
        if units == 0:
            raise BelowMinimum(f"exchange is in whole units of {rate.points}; {cmd.amount} is less")
        given, received = units * rate.points, units * rate.value
        movement = scope.movement()
        exchange_account = accounts.exchange(cmd.partner)
        holding = accounts.partner_holding(cmd.customer_id, cmd.partner)
        if cmd.direction is Direction.OUT:
            lots = w.lots.open_lots(cmd.tenant, [cmd.customer_id])
            movement.debit(
                cmd.customer_id, lots, given, destination=exchange_account,
                reason=DrawReason.EXCHANGE,
            )  # fmt: skip
            movement.post(exchange_account, holding, received, asset=partner.asset)
        else:
            movement.post(holding, exchange_account, given, asset=partner.asset)
            movement.credit(
                cmd.customer_id, received, kind=LotKind.TRANSFERRED, source=exchange_account
            )
        metadata = {"operation": "exchange", "customer_id": cmd.customer_id,
                    "partner": cmd.partner, "direction": cmd.direction.value}  # fmt: skip
        txn_id, lot_ids = w.post(cmd.tenant, ledger_key(op_id), scope, movement, metadata=metadata)
        return ExchangeResult(
            cmd.customer_id, cmd.partner, cmd.direction.value, given, received,
            cmd.amount - given, txn_id, lot_ids[0] if lot_ids else None,
        )  # fmt: skip

    return run_operation(loyalty, cmd, ExchangeResult, body)
