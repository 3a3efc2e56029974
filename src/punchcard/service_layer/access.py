"""API keys: issuing, listing, revoking, and recognising them on each request.

A recognised key is cached for a few seconds so a busy client costs no query
per request; a revocation therefore takes effect within ``CACHE_SECONDS`` in
other processes (at once in the one that revoked it).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable

from punchcard.adapters.postgres.api import ApiKeyStore
from punchcard.adapters.postgres.database import Database
from punchcard.domain import validation
from punchcard.domain.access import (
    ApiKey,
    Principal,
    Unauthenticated,
    matches,
    new_token,
    parse_token,
    roles,
)
from punchcard.domain.errors import InvalidRequest, NotFound
from punchcard.domain.loyalty import commands
from punchcard.service_layer.ledger import utc_now

CACHE_SECONDS = 5.0


class UnknownKey(NotFound):
    """The API key does not exist in this tenant."""

    code = "unknown_key"


class Keys:
    def __init__(self, database: Database) -> None:
        self._database = database
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, Principal]] = {}

    def create(
        self,
        tenant: str,
        *,
        name: str,
        roles_: Iterable[str],
        created_by: str,
        rate_limit: int = 100,
    ) -> tuple[ApiKey, str]:
        """A new key and its token, which is shown this once and never stored."""
        validation.tenant_id(tenant)
        commands.text(name, "a key's name")
        commands.actor(created_by, "created_by")
        if isinstance(rate_limit, bool) or not isinstance(rate_limit, int):
            raise InvalidRequest("rate_limit must be an integer")
        if not 1 <= rate_limit <= 100_000:
            raise InvalidRequest("rate_limit must be from 1 to 100,000 requests per second")
        key_id, token, secret_hash = new_token()
        key = ApiKey(key_id, tenant, name, roles(tuple(roles_)), rate_limit, utc_now(), created_by)
        with self._database.connection() as conn:
            ApiKeyStore(conn).add(key, secret_hash)
            conn.commit()
        return key, token

    def list(self, tenant: str) -> list[ApiKey]:
        with self._database.connection() as conn:
            return ApiKeyStore(conn).all(tenant)

    def revoke(self, tenant: str, key_id: str) -> ApiKey:
        with self._database.connection() as conn:
            store = ApiKeyStore(conn)
            found = store.get(key_id)
            if found is None or found[0].tenant != tenant:
                raise UnknownKey(f"key {key_id} does not exist in this tenant")
            store.revoke(tenant, key_id, utc_now())
            conn.commit()
            key = store.get(key_id)
        with self._lock:
            self._cache = {t: v for t, v in self._cache.items() if v[1].key_id != key_id}
        assert key is not None
        return key[0]

    def cached(self, token: str) -> Principal | None:
        """The principal of a token authenticated less than ``CACHE_SECONDS`` ago,
        without touching the database; None if it must be looked up."""
        cached = self._cache.get(token)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        return None

    def authenticate(self, token: str) -> Principal:
        """The principal a bearer token stands for, or Unauthenticated."""
        found_cached = self.cached(token)
        if found_cached is not None:
            return found_cached
        now = time.monotonic()
        key_id, secret = parse_token(token)
        with self._database.connection() as conn:
            found = ApiKeyStore(conn).get(key_id)
        if found is None or not matches(secret, found[1]):
            raise Unauthenticated("the API key is not valid")
        key = found[0]
        if key.revoked_at is not None:
            raise Unauthenticated(f"the API key {key.id} was revoked")
        principal = Principal(key.tenant, key.id, key.roles, key.rate_limit)
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[token] = (now + CACHE_SECONDS, principal)
        return principal
