"""Driver errors become domain errors here, and only here, by constraint name."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import errors as pg

from punchcard.domain import errors
from punchcard.domain.privacy.personal_data import EmailInUse

_BY_CONSTRAINT: dict[str, type[errors.PunchcardError]] = {
    "balances_no_overdraft": errors.InsufficientFunds,
    "entries_balanced_per_asset": errors.UnbalancedTransaction,
    "transactions_resolves_hold_once": errors.HoldAlreadyResolved,
    "transactions_hold_fkey": errors.UnknownHold,
    "transactions_reverses_fkey": errors.UnknownTransaction,
    "transactions_tenant_id_fkey": errors.UnknownTenant,
    "entries_tenant_id_asset_fkey": errors.UnknownAsset,
    "holds_tenant_id_asset_fkey": errors.UnknownAsset,
    "assets_tenant_id_fkey": errors.UnknownTenant,
    "account_policies_tenant_id_fkey": errors.UnknownTenant,
    "accounts_tenant_id_fkey": errors.UnknownTenant,
    "operations_tenant_id_fkey": errors.UnknownTenant,
    "customers_tenant_id_fkey": errors.UnknownTenant,
    "programmes_tenant_id_fkey": errors.UnknownTenant,
    "adjustments_maker_is_not_checker": errors.MakerCheckerViolation,
    "entries_amount_positive": errors.InvalidAmount,
    "holds_amount_positive": errors.InvalidAmount,
    "lookup_hashes_unique": EmailInUse,
}

_TRANSIENT = (pg.DeadlockDetected, pg.SerializationFailure, psycopg.OperationalError)


def translate(exc: psycopg.Error) -> errors.PunchcardError | None:
    """The domain error for a driver error, or None when it is a bug to surface as is."""
    constraint = exc.diag.constraint_name or ""
    if constraint.endswith("_append_only"):
        return errors.ImmutableRecord(exc.diag.message_primary)
    if constraint in _BY_CONSTRAINT:
        return _BY_CONSTRAINT[constraint](exc.diag.message_primary or None)
    if isinstance(exc, pg.NumericValueOutOfRange):
        return errors.InvalidAmount("the amount would take a balance beyond 2^63 - 1")
    if isinstance(exc, pg.UntranslatableCharacter | pg.CharacterNotInRepertoire):
        return errors.InvalidMetadata("metadata holds a character PostgreSQL cannot store")
    if isinstance(exc, _TRANSIENT):
        return errors.TransientError(f"{type(exc).__name__}: {exc.diag.message_primary or exc}")
    return None


@contextmanager
def translated() -> Iterator[None]:
    try:
        yield
    except psycopg.Error as exc:
        mapped = translate(exc)
        if mapped is None:
            raise
        raise mapped from exc
