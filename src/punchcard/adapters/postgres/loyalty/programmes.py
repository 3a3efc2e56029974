"""Programme settings, stored as a strict JSON document, cached per process by version."""

from __future__ import annotations

import threading

from psycopg.types.json import Jsonb

from punchcard.adapters.postgres.queries import query
from punchcard.adapters.postgres.types import Connection
from punchcard.domain.errors import UnknownProgramme
from punchcard.domain.loyalty.documents import programme_from_json, to_document
from punchcard.domain.loyalty.programme import Programme


class ProgrammeCache:
    """Parsed settings by (tenant, version): a version bump is a cache miss."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_tenant: dict[str, tuple[int, Programme]] = {}

    def get(self, conn: Connection, tenant: str, version: int | None = None) -> Programme:
        cached = self._by_tenant.get(tenant)
        if cached is not None and version is not None and cached[0] == version:
            return cached[1]
        # Without a version the stored one is read (a change is seen at once), but
        # the settings come back, and are parsed, only when it is not the cached one.
        known = None if cached is None else cached[0]
        row = conn.execute(query("programme"), {"tenant": tenant, "known": known}).fetchone()
        if row is None:
            raise UnknownProgramme(f"tenant {tenant!r} has no loyalty programme; create one first")
        stored_version, settings = row
        if settings is None and cached is not None:
            return cached[1]
        programme = programme_from_json(settings)
        with self._lock:
            self._by_tenant[tenant] = (stored_version, programme)
        return programme


def save(conn: Connection, tenant: str, programme: Programme) -> int:
    row = conn.execute(
        query("upsert_programme"), {"tenant": tenant, "settings": Jsonb(to_document(programme))}
    ).fetchone()
    assert row is not None
    return int(row[0])


def customer_accounts_exist(conn: Connection, tenant: str) -> bool:
    row = conn.execute(query("customer_accounts_exist"), {"tenant": tenant}).fetchone()
    return bool(row and row[0])


def tenants(conn: Connection) -> list[str]:
    """Every tenant that runs a programme (the scheduled jobs go through them)."""
    return [tenant for (tenant,) in conn.execute(query("programme_tenants"))]
