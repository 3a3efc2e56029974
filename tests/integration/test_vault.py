"""The personal-data vault on a real PostgreSQL: stored only encrypted, found by a
keyed hash, erased for good (even for someone holding the database and the KEK),
with the books untouched."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from punchcard.adapters.crypto import envelope
from punchcard.adapters.crypto.envelope import DecryptionFailed
from punchcard.adapters.crypto.keyfile import FileKeyProvider
from punchcard.adapters.postgres.database import Database
from punchcard.domain.errors import UnknownCustomer
from punchcard.domain.privacy.keys import KeyUnavailable, Wrapped
from punchcard.domain.privacy.personal_data import (
    EmailInUse,
    NoPersonalData,
    PersonalData,
    PersonalDataErased,
    personal_data,
)
from punchcard.service_layer.ledger import Ledger
from punchcard.service_layer.loyalty.facade import Loyalty
from punchcard.service_layer.privacy import Vault
from tests.conftest import setup_programme


@pytest.fixture
def provider(tmp_path: Path) -> FileKeyProvider:
    return FileKeyProvider(tmp_path / "keys.json")


@pytest.fixture
def vault(loyalty: Loyalty, provider: FileKeyProvider) -> Vault:
    return Vault(loyalty, provider)


def enrolled(loyalty: Loyalty, tenant: str) -> str:
    return loyalty.enroll(tenant, f"shop-{uuid.uuid4().hex[:10]}").id


def record(email: str, name: str = "Grace Hopper") -> PersonalData:
    return personal_data({"name": name, "email": email, "phone": "+1 212 555 0100",
                          "date_of_birth": "1976-12-09", "address": "1 Navy Way, Arlington",
                          "attributes": {"newsletter": "yes"}})  # fmt: skip


def scan(url: str, needles: list[str]) -> list[str]:
    """Every text, jsonb and bytea value in the punchcard schema holding a needle."""
    hits: list[str] = []
    with psycopg.connect(url) as conn:
        columns = conn.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns"
            " WHERE table_schema = 'punchcard' AND data_type IN ('text', 'jsonb', 'bytea',"
            " 'character varying')"
        ).fetchall()
        for table, column, kind in columns:
            test = (
                sql.SQL("position(convert_to(%s, 'UTF8') in {}) > 0")  # raw bytes
                if kind == "bytea" else sql.SQL("strpos({}::text, %s) > 0")
            ).format(sql.Identifier(column))  # fmt: skip
            for needle in needles:
                found = conn.execute(
                    sql.SQL("SELECT count(*) FROM punchcard.{} WHERE {}").format(
                        sql.Identifier(table), test
                    ),
                    (needle,),
                ).fetchone()
                if found and found[0]:
                    hits.append(f"{table}.{column}: {needle}")
    return hits


def test_store_read_and_find_by_email(loyalty: Loyalty, vault: Vault) -> None:
    tenant = setup_programme(loyalty)
    cid = enrolled(loyalty, tenant)
    email = f"grace.{uuid.uuid4().hex[:6]}@Navy.MIL"
    vault.store(tenant, cid, record(email))
    assert vault.read(tenant, cid) == record(email)
    found = vault.find_by_email(tenant, email.upper())
    assert found is not None and found.id == cid
    assert vault.find_by_email(tenant, "nobody@example.com") is None
    other_tenant = setup_programme(loyalty)
    assert vault.find_by_email(other_tenant, email) is None  # another tenant's secret
    changed = f"g.{uuid.uuid4().hex[:6]}@example.com"
    vault.store(tenant, cid, record(changed, name="Grace B. Hopper"))
    assert vault.read(tenant, cid).name == "Grace B. Hopper"
    assert vault.find_by_email(tenant, email) is None  # the old address no longer finds her
    assert vault.find_by_email(tenant, changed) is not None


def test_one_email_belongs_to_one_customer(loyalty: Loyalty, vault: Vault) -> None:
    tenant = setup_programme(loyalty)
    first, second = enrolled(loyalty, tenant), enrolled(loyalty, tenant)
    email = f"{uuid.uuid4().hex[:8]}@example.com"
    vault.store(tenant, first, record(email))
    with pytest.raises(EmailInUse):
        vault.store(tenant, second, record(email))
    with pytest.raises(NoPersonalData):
        vault.read(tenant, second)  # nothing of the refused write was kept


def test_unknown_customers_and_no_data(loyalty: Loyalty, vault: Vault) -> None:
    tenant = setup_programme(loyalty)
    with pytest.raises(UnknownCustomer):
        vault.store(tenant, "cus_nobody", record("a@example.com"))
    with pytest.raises(UnknownCustomer):
        vault.read(tenant, "cus_nobody")
    with pytest.raises(NoPersonalData):
        vault.read(tenant, enrolled(loyalty, tenant))


def test_the_database_holds_no_plaintext(fresh_database_url: str, tmp_path: Path) -> None:
    database = Database(fresh_database_url, pool_size=2)
    try:
        loyalty = Loyalty(Ledger(database))
        vault = Vault(loyalty, FileKeyProvider(tmp_path / "keys.json"))
        tenant = setup_programme(loyalty)
        cid = enrolled(loyalty, tenant)
        email = f"hopper.{uuid.uuid4().hex[:6]}@example.com"
        vault.store(tenant, cid, record(email))
        loyalty.earn_purchase(tenant, cid, order_id="o-1", amount=10_000, currency="USD")
        vault.export(tenant, cid)
        vault.erase(tenant, cid, by="support-sam")
    finally:
        database.close()
    assert any(hit.startswith("customers.id") for hit in scan(fresh_database_url, [cid]))
    assert scan(fresh_database_url, [email, "Grace Hopper", "Hopper", "212 555", "Navy Way",
                                     "1976-12-09"]) == []  # fmt: skip


def test_erasure_is_for_good_and_keeps_the_books(
    loyalty: Loyalty, vault: Vault, provider: FileKeyProvider, database_url: str
) -> None:
    tenant = setup_programme(loyalty)
    cid = enrolled(loyalty, tenant)
    email = f"ada.{uuid.uuid4().hex[:6]}@example.com"
    vault.store(tenant, cid, record(email))
    loyalty.earn_purchase(tenant, cid, order_id=f"o-{cid}", amount=100_000, currency="USD")
    loyalty.redeem(tenant, cid, option="product", points=500, idempotency_key=f"r-{cid}")
    before = loyalty.balance(tenant, cid)
    history_before = vault.history(tenant, cid)

    erasure = vault.erase(tenant, cid, by="support-sam")
    assert erasure.erased_by == "support-sam"
    assert vault.erase(tenant, cid, by="someone-else") == erasure  # once, for good

    with pytest.raises(PersonalDataErased):
        vault.read(tenant, cid)
    with pytest.raises(PersonalDataErased):
        vault.store(tenant, cid, record(email))
    assert vault.find_by_email(tenant, email) is None
    # The books: the same balance, history and a clean verify, under the pseudonym.
    assert loyalty.customer(tenant, cid).id == cid
    assert loyalty.balance(tenant, cid) == before
    assert vault.history(tenant, cid) == history_before
    exported = vault.export(tenant, cid)
    assert exported["personal_data"] is None
    assert exported["erasure"]["erased_by"] == "support-sam"
    assert exported["redemptions"][0]["points"] == 500
    loyalty.ledger.seal()
    assert loyalty.ledger.verify(tenant=tenant).ok

    # Someone with the database and every KEK still cannot decrypt: the data key is gone.
    with psycopg.connect(database_url) as conn:
        ciphertext = conn.execute(
            "SELECT ciphertext FROM punchcard.personal_data WHERE tenant_id = %s AND"
            " customer_id = %s", (tenant, cid),
        ).fetchone()  # fmt: skip
        keys = conn.execute(
            "SELECT count(*) FROM punchcard.data_keys WHERE tenant_id = %s AND customer_id = %s",
            (tenant, cid),
        ).fetchone()
        erased = conn.execute(
            "SELECT erased_by FROM punchcard.erasures WHERE tenant_id = %s AND customer_id = %s",
            (tenant, cid),
        ).fetchone()
    assert ciphertext is not None and keys == (0,) and erased == ("support-sam",)
    aad = envelope.data_aad(tenant, cid)
    for kek_id in provider.kek_ids(tenant):
        with pytest.raises(DecryptionFailed):  # the KEK is no data key
            envelope.open_(provider.raw_kek(tenant, kek_id), bytes(ciphertext[0]), aad)


def test_rotation_rewraps_every_data_key_without_touching_ciphertexts(
    loyalty: Loyalty, vault: Vault, provider: FileKeyProvider, database_url: str
) -> None:
    tenant = setup_programme(loyalty)
    customers = [enrolled(loyalty, tenant) for _ in range(5)]
    for n, cid in enumerate(customers):
        vault.store(tenant, cid, record(f"c{n}.{uuid.uuid4().hex[:6]}@example.com"))
    old_kek = provider.current(tenant)

    def rows() -> dict[str, tuple[bytes, str, bytes]]:
        with psycopg.connect(database_url) as conn:
            found = conn.execute(
                "SELECT p.customer_id, p.ciphertext, k.kek_id, k.wrapped FROM"
                " punchcard.personal_data p JOIN punchcard.data_keys k USING (tenant_id,"
                " customer_id) WHERE tenant_id = %s", (tenant,),
            ).fetchall()  # fmt: skip
        return {r[0]: (bytes(r[1]), r[2], bytes(r[3])) for r in found}

    before = rows()
    rotation = vault.rotate(tenant, batch=2)  # several batches
    after = rows()
    assert rotation.rewrapped == 5 and rotation.retired == (old_kek,)
    assert rotation.kek_id == provider.current(tenant) != old_kek
    for cid in customers:
        assert after[cid][0] == before[cid][0]  # the ciphertext is untouched
        assert after[cid][1] == rotation.kek_id and after[cid][2] != before[cid][2]
        with pytest.raises(KeyUnavailable):  # the old KEK is destroyed
            provider.unwrap(tenant, Wrapped(old_kek, before[cid][2]), envelope.key_aad(tenant, cid))
    for n, cid in enumerate(customers):
        assert str(vault.read(tenant, cid).email).startswith(f"c{n}.")


def test_a_rotation_racing_writers_loses_no_data_key(
    loyalty: Loyalty, vault: Vault, provider: FileKeyProvider
) -> None:
    tenant = setup_programme(loyalty)
    customers = [enrolled(loyalty, tenant) for _ in range(24)]
    for cid in customers[:8]:
        vault.store(tenant, cid, record(f"{cid}@example.com"))

    def write(cid: str) -> None:
        vault.store(tenant, cid, record(f"{cid}@example.com"))

    with ThreadPoolExecutor(max_workers=4) as pool:
        writes = [pool.submit(write, cid) for cid in customers[8:]]
        rotation = vault.rotate(tenant, batch=1)
        for done in writes:
            done.result()
    assert provider.kek_ids(tenant) == [rotation.kek_id]
    for cid in customers:
        assert vault.read(tenant, cid).email == f"{cid}@example.com"
