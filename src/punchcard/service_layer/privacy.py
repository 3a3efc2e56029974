"""The personal-data vault's use cases: store, read, look up, erase, export, rotate.

Personal data is encrypted with AES-256-GCM under a data key of the customer's own
(DEK); the DEK is stored wrapped by the tenant's key-encryption key (KEK), which
the key provider holds and the database never sees. Erasure destroys the DEK (and
the e-mail lookup hash): the ciphertext left behind is noise to anyone, the
ledger under the customer's pseudonymous id stays whole. Each call is one
database transaction, committed in one place.
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from punchcard.adapters.crypto import envelope
from punchcard.adapters.postgres.errors import translated
from punchcard.adapters.postgres.outbox import Outbox
from punchcard.adapters.postgres.vault import Erasure, VaultStore
from punchcard.domain import events, validation
from punchcard.domain.errors import InvalidRequest, UnknownAccount
from punchcard.domain.loyalty import accounts, commands
from punchcard.domain.loyalty.results import Customer
from punchcard.domain.model import Entry
from punchcard.domain.privacy.keys import KeyProvider, Wrapped
from punchcard.domain.privacy.personal_data import (
    EmailInUse,
    NoPersonalData,
    PersonalData,
    PersonalDataErased,
    lookup_email,
)
from punchcard.service_layer.ledger import MAX_PAGE
from punchcard.service_layer.loyalty.facade import Loyalty
from punchcard.service_layer.unit_of_work import UnitOfWork

EMAIL = "email"
REWRAP_BATCH = 500
HISTORY_ACCOUNTS = {"points": accounts.points, "pending": accounts.pending,
                    "credit": accounts.credit}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Stored:
    customer_id: str
    stored: bool = True


@dataclass(frozen=True, slots=True)
class Rotation:
    tenant: str
    kek_id: str
    """The tenant's new current KEK."""
    rewrapped: int
    retired: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class HistoryLine:
    account: str
    asset: str
    transaction_id: int
    posting_index: int
    effective_at: datetime
    amount: int
    """Signed: a credit to the customer's account is positive."""


class Vault:
    def __init__(self, loyalty: Loyalty, keys: KeyProvider) -> None:
        self.loyalty = loyalty
        self.keys = keys

    def _unit(self) -> UnitOfWork:
        return self.loyalty.ledger.unit_of_work()

    # -- writing

    def store(self, tenant: str, customer_id: str, data: PersonalData) -> Stored:
        """Replace the customer's personal data (encrypted) and its e-mail lookup hash."""
        commands.customer_id(customer_id)
        with self._unit() as uow, translated():
            store = VaultStore(uow.connection)
            store.lock(tenant, customer_id)
            _refuse_erased(store, tenant, customer_id)
            store.share_tenant(tenant)
            wrapped = store.data_key(tenant, customer_id)
            if wrapped is None:
                dek = envelope.new_key()
                aad = envelope.key_aad(tenant, customer_id)
                store.save_key(tenant, customer_id, self.keys.wrap(tenant, dek, aad))
            else:
                dek = self._unwrap(tenant, customer_id, wrapped)
            aad = envelope.data_aad(tenant, customer_id)
            store.save_data(tenant, customer_id, envelope.seal(dek, data.to_bytes(), aad))
            hashes = {}
            if data.email is not None:
                digest = self._digest(tenant, lookup_email(data.email))
                owner = store.find(tenant, EMAIL, digest)
                if owner not in (None, customer_id):
                    raise EmailInUse()
                hashes[EMAIL] = digest
            store.replace_hashes(tenant, customer_id, hashes)
            uow.commit()
        return Stored(customer_id)

    def erase(self, tenant: str, customer_id: str, *, by: str) -> Erasure:
        """Destroy the customer's data key and lookup hashes (GDPR Art. 17) and record
        who did it. Erasing again returns the first erasure."""
        commands.customer_id(customer_id)
        if not isinstance(by, str) or not 1 <= len(by) <= 200:
            raise InvalidRequest("who erases must be named in 1-200 characters")
        with self._unit() as uow:
            store = VaultStore(uow.connection)
            store.lock(tenant, customer_id)
            done = store.erasure(tenant, customer_id)
            if done is None:
                done = store.erase(tenant, customer_id, self.loyalty.now(), by)
                Outbox(uow.connection).add(tenant, [events.customer_event(
                    events.CUSTOMER_ERASED, customer_id, erased_at=done.erased_at.isoformat(),
                )])  # fmt: skip
                uow.commit()
        return done

    def rotate(self, tenant: str, *, batch: int = REWRAP_BATCH) -> Rotation:
        """A new KEK for the tenant; every data key re-wrapped with it (the ciphertexts
        are not touched), then the old KEKs destroyed."""
        validation.tenant_id(tenant)
        self.loyalty.programme(tenant)  # an unknown tenant is an error, not a new key
        current = self.keys.rotate(tenant)
        rewrapped = 0
        while True:
            with self._unit() as uow:
                store = VaultStore(uow.connection)
                done = self._rewrap(store, tenant, current, batch)
                uow.commit()
            rewrapped += done
            if done < batch:
                break
        # With the tenant's lock held no data key is being wrapped; whatever an
        # earlier KEK still wraps (a store that raced the loop) is re-wrapped now.
        with self._unit() as uow:
            store = VaultStore(uow.connection)
            store.hold_tenant(tenant)
            while (done := self._rewrap(store, tenant, current, batch)) > 0:
                rewrapped += done
            uow.commit()
        return Rotation(tenant, current, rewrapped, tuple(self.keys.retire_old(tenant)))

    def _rewrap(self, store: VaultStore, tenant: str, current: str, batch: int) -> int:
        rows = store.keys_to_rewrap(tenant, current, batch)
        for customer_id, wrapped in rows:
            aad = envelope.key_aad(tenant, customer_id)
            dek = self.keys.unwrap(tenant, wrapped, aad)
            store.rewrap(tenant, customer_id, self.keys.wrap(tenant, dek, aad))
        return len(rows)

    # -- reading

    def read(self, tenant: str, customer_id: str) -> PersonalData:
        commands.customer_id(customer_id)
        with self._unit() as uow:
            store = VaultStore(uow.connection)
            store.exists(tenant, customer_id)
            _refuse_erased(store, tenant, customer_id)
            store.share_tenant(tenant)
            sealed = store.record(tenant, customer_id)
            if sealed is None or sealed.key is None:
                raise NoPersonalData(f"no personal data is stored for customer {customer_id}")
            dek = self._unwrap(tenant, customer_id, sealed.key)
        plain = envelope.open_(dek, sealed.ciphertext, envelope.data_aad(tenant, customer_id))
        return PersonalData.from_bytes(plain)

    def find_by_email(self, tenant: str, email: str) -> Customer | None:
        digest = self._digest(tenant, lookup_email(email))
        with self._unit() as uow:
            found = VaultStore(uow.connection).find(tenant, EMAIL, digest)
        return None if found is None else self.loyalty.customer(tenant, found)

    def erasure(self, tenant: str, customer_id: str) -> Erasure | None:
        with self._unit() as uow:
            return VaultStore(uow.connection).erasure(tenant, customer_id)

    def export(self, tenant: str, customer_id: str) -> dict[str, Any]:
        """Everything punchcard holds of the customer (GDPR Art. 15 and 20): their
        personal data (unless erased), balance, every lot, the history of each of
        their accounts, their tier and its changes, and their redemptions."""
        customer = self.loyalty.customer(tenant, customer_id)
        erased = self.erasure(tenant, customer_id)
        personal: dict[str, Any] | None = None
        if erased is None:
            try:
                personal = asdict(self.read(tenant, customer_id))
            except NoPersonalData:
                personal = None
        with self._unit() as uow:
            redemptions = VaultStore(uow.connection).redemptions(tenant, customer_id)
        return {
            "customer": asdict(customer),
            "personal_data": personal,
            "erasure": None if erased is None else asdict(erased),
            "balance": asdict(self.loyalty.balance(tenant, customer_id)),
            "lots": [asdict(lot) for lot in
                     self.loyalty.lots(tenant, customer_id, include_closed=True)],
            "history": [asdict(line) for line in self.history(tenant, customer_id)],
            "tier": asdict(self.loyalty.tier(tenant, customer_id)),
            "redemptions": redemptions,
        }  # fmt: skip

    def history(self, tenant: str, customer_id: str) -> list[HistoryLine]:
        """Every entry of the customer's points, pending and credit accounts, newest first."""
        self.loyalty.customer(tenant, customer_id)
        programme = self.loyalty.programme(tenant)
        lines: list[HistoryLine] = []
        for name, address_of in HISTORY_ACCOUNTS.items():
            asset = programme.credit_asset if name == "credit" else programme.points_asset
            lines += [
                _line(name, entry)
                for entry in self._entries(tenant, address_of(customer_id), asset)
            ]
        lines.sort(key=lambda line: (line.effective_at, line.transaction_id), reverse=True)
        return lines

    def history_csv(self, tenant: str, customer_id: str) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([field for field in HistoryLine.__dataclass_fields__])
        for line in self.history(tenant, customer_id):
            writer.writerow([line.account, line.asset, line.transaction_id, line.posting_index,
                             line.effective_at.isoformat(), line.amount])  # fmt: skip
        return out.getvalue()

    def _entries(self, tenant: str, address: str, asset: str) -> list[Entry]:
        found: list[Entry] = []
        cursor: str | None = None
        while True:
            try:
                page = self.loyalty.ledger.history(
                    tenant, address, asset, limit=MAX_PAGE, starting_after=cursor
                )
            except UnknownAccount:  # an account opens with its first entry
                return found
            found += page.items
            if not page.has_more:
                return found
            cursor = page.next_cursor

    # -- keys

    def _unwrap(self, tenant: str, customer_id: str, wrapped: Wrapped) -> bytes:
        return self.keys.unwrap(tenant, wrapped, envelope.key_aad(tenant, customer_id))

    def _digest(self, tenant: str, normalized: str) -> bytes:
        return envelope.lookup_hash(self.keys.lookup_secret(tenant), EMAIL, normalized)


def _refuse_erased(store: VaultStore, tenant: str, customer_id: str) -> None:
    erased = store.erasure(tenant, customer_id)
    if erased is not None:
        raise PersonalDataErased(
            f"customer {customer_id}'s personal data was erased at {erased.erased_at.isoformat()}",
            erased_at=erased.erased_at.isoformat(),
        )


def _line(account: str, entry: Entry) -> HistoryLine:
    return HistoryLine(account, entry.asset, entry.transaction_id, entry.posting_index,
                       entry.effective_at, entry.signed_amount)  # fmt: skip
