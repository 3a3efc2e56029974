"""Setting a programme up and enrolling customers.

Creating a programme creates what the ledger needs for it: the tenant, the
points, credit and partner assets, and the account policies (programme and
partner accounts unbounded; customer accounts bounded, the points account
allowed below zero only under the allow_negative policy; the clawback account
always, since a debt is a negative balance there).
"""

from __future__ import annotations

import secrets
import time
from typing import TYPE_CHECKING

from punchcard.adapters.postgres.loyalty import programmes as programme_store
from punchcard.domain import events
from punchcard.domain.errors import ProgrammeChangeRefused, UnknownProgramme
from punchcard.domain.loyalty import accounts, commands
from punchcard.domain.loyalty.programme import NegativeBalancePolicy, Programme
from punchcard.domain.loyalty.results import Customer
from punchcard.domain.model import AccountPolicy

if TYPE_CHECKING:
    from punchcard.service_layer.loyalty.facade import Loyalty


def save_programme(loyalty: Loyalty, tenant: str, programme: Programme) -> Programme:
    ledger = loyalty.ledger
    ledger.create_tenant(tenant, programme.name)
    with loyalty.work() as w:
        try:
            current: Programme | None = w.programme(tenant)
        except UnknownProgramme:
            current = None
        if current is not None and programme_store.customer_accounts_exist(w.connection, tenant):
            _refuse_incompatible(current, programme)
    ledger.create_asset(tenant, programme.points_asset, precision=0)
    ledger.create_asset(tenant, programme.credit_asset, precision=programme.credit_precision)
    for partner in programme.partners.values():
        ledger.create_asset(tenant, partner.asset, precision=partner.precision)
    negative = programme.negative_balance is NegativeBalancePolicy.ALLOW_NEGATIVE
    ledger.set_account_policy(tenant, "program:**", AccountPolicy.system())
    ledger.set_account_policy(tenant, "partner:**", AccountPolicy.system())
    ledger.set_account_policy(tenant, accounts.CUSTOMER_PATTERN, AccountPolicy.customer())
    ledger.set_account_policy(
        tenant,
        accounts.POINTS_PATTERN,
        AccountPolicy.customer_may_go_negative() if negative else AccountPolicy.customer(),
    )
    ledger.set_account_policy(
        tenant, accounts.CLAWBACK_PATTERN, AccountPolicy.customer_may_go_negative()
    )
    with loyalty.work() as w:
        programme_store.save(w.connection, tenant, programme)
        w.commit()
    return programme


def _refuse_incompatible(current: Programme, new: Programme) -> None:
    """Account policies and assets are fixed when a customer's accounts are first used."""
    was = current.negative_balance is NegativeBalancePolicy.ALLOW_NEGATIVE
    now = new.negative_balance is NegativeBalancePolicy.ALLOW_NEGATIVE
    if was != now:
        raise ProgrammeChangeRefused(
            "the negative-balance policy cannot switch to or from allow_negative once "
            "customers hold accounts (their points accounts were opened under the old policy); "
            "switching between clawback_from_future and write_off is allowed"
        )
    for name in ("points_asset", "credit_asset", "credit_precision"):
        if getattr(current, name) != getattr(new, name):
            raise ProgrammeChangeRefused(f"{name} cannot change once customers hold accounts")
    for partner, settings in current.partners.items():
        kept = new.partners.get(partner)
        if kept is not None and (kept.asset, kept.precision) != (
            settings.asset,
            settings.precision,
        ):
            raise ProgrammeChangeRefused(f"partner {partner}'s asset cannot change")


def enroll(loyalty: Loyalty, tenant: str, external_ref: str) -> Customer:
    """Enrol a customer by the merchant's reference; enrolling again returns the same one."""
    commands.reference(external_ref, "external reference")
    with loyalty.work() as w:
        w.programme(tenant)
        new_id = new_customer_id()
        customer = w.customers.enroll(tenant, new_id, external_ref)
        if customer.id == new_id:  # not one enrolled before under this reference
            w.emit(tenant, events.customer_event(events.CUSTOMER_ENROLLED, new_id))
        w.commit()
    return customer


def new_customer_id() -> str:
    """``cus_`` + 12 hex digits of milliseconds (ids sort roughly by enrolment, which
    keeps the index warm) + 16 random hex digits (not guessable, not a counter)."""
    return f"cus_{int(time.time() * 1000):012x}{secrets.token_hex(8)}"
