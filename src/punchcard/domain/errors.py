"""The one error hierarchy: every failure punchcard reports has a stable code.

Each class's docstring is its default message, its ``code`` is stable across
releases (HTTP problem types and CLI output use it) and its ``http_status`` is
what the API will answer. Expected business outcomes (insufficient funds, a
replayed key with another body, a hold already resolved) are 4xx, never 500.
"""

from __future__ import annotations

from typing import ClassVar


class PunchcardError(Exception):
    """An error occurred in punchcard."""

    code: ClassVar[str] = "punchcard_error"
    http_status: ClassVar[int] = 500

    def __init__(self, message: str | None = None, **details: object) -> None:
        self.message = message or (self.__doc__ or self.code).strip()
        self.details = details
        super().__init__(self.message)


# --- bad input (nothing was written) -------------------------------------------------


class InvalidRequest(PunchcardError):
    """The request is not valid."""

    code = "invalid_request"
    http_status = 400


class InvalidAddress(InvalidRequest):
    """The account address is not valid."""

    code = "invalid_address"


class InvalidAsset(InvalidRequest):
    """The asset code or precision is not valid."""

    code = "invalid_asset"


class InvalidAmount(InvalidRequest):
    """The amount must be a positive integer in the asset's minor unit."""

    code = "invalid_amount"


class InvalidPosting(InvalidRequest):
    """The posting is not valid."""

    code = "invalid_posting"


class InvalidMetadata(InvalidRequest):
    """The metadata is not valid."""

    code = "invalid_metadata"


class InvalidIdempotencyKey(InvalidRequest):
    """The idempotency key is not valid."""

    code = "invalid_idempotency_key"


class InvalidEffectiveTime(InvalidRequest):
    """The effective time is outside what the ledger accepts."""

    code = "invalid_effective_time"


class InvalidTenant(InvalidRequest):
    """The tenant id is not valid."""

    code = "invalid_tenant"


class InvalidPolicy(InvalidRequest):
    """The account policy is not valid."""

    code = "invalid_account_policy"


class InvalidReversal(InvalidRequest):
    """This transaction cannot be reversed that way."""

    code = "invalid_reversal"


class InvalidCursor(InvalidRequest):
    """The pagination cursor is not valid."""

    code = "invalid_cursor"


# --- something named does not exist ---------------------------------------------------


class NotFound(PunchcardError):
    """The requested object does not exist."""

    code = "not_found"
    http_status = 404


class UnknownTenant(NotFound):
    """The tenant does not exist."""

    code = "unknown_tenant"


class UnknownAsset(NotFound):
    """The asset is not defined for this tenant."""

    code = "unknown_asset"


class UnknownAccount(NotFound):
    """The account does not exist."""

    code = "unknown_account"


class UnknownTransaction(NotFound):
    """The transaction does not exist."""

    code = "unknown_transaction"


class UnknownHold(NotFound):
    """The hold does not exist."""

    code = "unknown_hold"


# --- the request is valid but the ledger's state refuses it ----------------------------


class Conflict(PunchcardError):
    """The request conflicts with the ledger's current state."""

    code = "conflict"
    http_status = 409


class IdempotencyConflict(Conflict):
    """The idempotency key was already used for a different request."""

    code = "idempotency_conflict"
    http_status = 422


class HoldAlreadyResolved(Conflict):
    """The hold was already captured, voided or expired."""

    code = "hold_already_resolved"


class HoldExpired(Conflict):
    """The hold has expired; it can only be voided."""

    code = "hold_expired"


class CaptureExceedsHold(Conflict):
    """The capture amount is larger than the amount held."""

    code = "capture_exceeds_hold"
    http_status = 422


class ReversalExceedsOriginal(Conflict):
    """Reversals may not exceed what the original transaction posted."""

    code = "reversal_exceeds_original"
    http_status = 422


class AlreadyExists(Conflict):
    """An object with this identity already exists with different settings."""

    code = "already_exists"


class InsufficientFunds(Conflict):
    """The account does not have enough available funds."""

    code = "insufficient_funds"
    http_status = 422


# --- the database refused something punchcard should never have sent -------------------


class IntegrityViolation(PunchcardError):
    """The database refused a write that would break a ledger invariant."""

    code = "integrity_violation"


class ImmutableRecord(IntegrityViolation):
    """Journal records are append-only; post a compensating transaction instead."""

    code = "immutable_record"


class UnbalancedTransaction(IntegrityViolation):
    """A transaction's entries do not sum to zero per asset."""

    code = "unbalanced_transaction"


class TransientError(PunchcardError):
    """The database asked to retry (deadlock or lost connection); retrying with the same
    idempotency key is safe."""

    code = "transient_error"
    http_status = 503


# --- the loyalty programme ------------------------------------------------------------


class InvalidProgramme(InvalidRequest):
    """The programme settings are not valid."""

    code = "invalid_programme"


class InvalidEvent(InvalidRequest):
    """The purchase, refund or engagement event is not valid."""

    code = "invalid_event"


class UnknownProgramme(NotFound):
    """The tenant has no loyalty programme; create one first."""

    code = "unknown_programme"


class UnknownCustomer(NotFound):
    """The customer is not enrolled in this programme."""

    code = "unknown_customer"


class UnknownOrder(NotFound):
    """No purchase with this order id has been earned on."""

    code = "unknown_order"


class UnknownRedemptionOption(NotFound):
    """The programme has no redemption option of that name."""

    code = "unknown_redemption_option"


class UnknownPartner(NotFound):
    """The programme has no partner exchange of that name."""

    code = "unknown_partner"


class UnknownAdjustment(NotFound):
    """The adjustment request does not exist."""

    code = "unknown_adjustment"


class UnknownAuthorization(NotFound):
    """No redemption authorization has this hold id."""

    code = "unknown_authorization"


class InsufficientPoints(InsufficientFunds):
    """The customer does not have enough active points."""

    code = "insufficient_points"


class BelowMinimum(Conflict):
    """The amount is below the minimum this operation accepts."""

    code = "below_minimum"
    http_status = 422


class RefundExceedsOrder(Conflict):
    """Refunds of an order may not add up to more than the order's amount."""

    code = "refund_exceeds_order"
    http_status = 422


class AdjustmentAlreadyDecided(Conflict):
    """The adjustment request was already approved or rejected."""

    code = "adjustment_already_decided"


class MakerCheckerViolation(Conflict):
    """The approver must be a different person from the one who made the request."""

    code = "maker_checker_violation"
    http_status = 403


class ProgrammeChangeRefused(Conflict):
    """This programme setting cannot change once customers hold accounts."""

    code = "programme_change_refused"


# --- the rules engine -----------------------------------------------------------------


class InvalidRuleset(InvalidRequest):
    """The ruleset document is not valid."""

    code = "invalid_ruleset"


class UnknownRuleset(NotFound):
    """The ruleset version does not exist."""

    code = "unknown_ruleset"


class RulesetNotDraft(Conflict):
    """Only a draft ruleset can be changed or submitted; published versions are immutable."""

    code = "ruleset_not_draft"
