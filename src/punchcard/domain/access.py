"""Who is calling: API keys, the tenant each belongs to, and what its roles allow.

A key is shown once, as ``pc_<id>_<secret>``; only a SHA-256 of the secret is
stored (the secret is 32 random bytes, so a slow hash would add nothing). Every
request runs as exactly one tenant: the key's.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from punchcard.domain.errors import InvalidRequest, PunchcardError

TOKEN_RE = re.compile(r"pc_(key_[0-9a-z]{12})_([A-Za-z0-9_-]{43})")


class Role(StrEnum):
    INGEST = "ingest"
    """Send purchase, refund and engagement events."""
    OPERATOR = "operator"
    """Serve customers: enrol, redeem, hold, convert, transfer, request adjustments."""
    APPROVER = "approver"
    """Approve or reject what an operator or a marketer requested."""
    AUDITOR = "auditor"
    """Read everything: balances, history, rulesets, verification."""
    ADMIN = "admin"
    """All of the above, plus keys, programme settings and ruleset drafts."""


class Unauthenticated(PunchcardError):
    """A valid API key is required: send Authorization: Bearer pc_…"""

    code = "unauthenticated"
    http_status = 401


class Forbidden(PunchcardError):
    """This API key's roles do not allow this request."""

    code = "forbidden"
    http_status = 403


class RateLimited(PunchcardError):
    """Too many requests for this API key; retry after the time given."""

    code = "rate_limited"
    http_status = 429


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: str
    tenant: str
    name: str
    roles: frozenset[Role]
    rate_limit: int
    """Requests per second the key may make (a burst of twice that)."""
    created_at: datetime
    created_by: str
    revoked_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller of one request."""

    tenant: str
    key_id: str
    roles: frozenset[Role]
    rate_limit: int

    def allows(self, *needed: Role) -> bool:
        """Admin may do anything; otherwise any one of ``needed`` suffices."""
        return Role.ADMIN in self.roles or any(role in self.roles for role in needed)

    def require(self, *needed: Role) -> None:
        if not self.allows(*needed):
            wanted = " or ".join(role.value for role in needed) or "admin"
            raise Forbidden(f"this key needs the role {wanted}")

    @property
    def actor(self) -> str:
        """How the key appears as maker or checker (adjustments, rulesets)."""
        return self.key_id


def new_token() -> tuple[str, str, bytes]:
    """A new key: (id, the token to show once, the hash to store)."""
    key_id = "key_" + "".join(secrets.choice("0123456789abcdefghijklmnopqrstuvwxyz")
                              for _ in range(12))  # fmt: skip
    secret = secrets.token_urlsafe(32)
    return key_id, f"pc_{key_id}_{secret}", digest(secret)


def parse_token(token: str) -> tuple[str, str]:
    """(key id, secret) of a token, or Unauthenticated."""
    match = TOKEN_RE.fullmatch(token or "")
    if match is None:
        raise Unauthenticated("the API key is malformed; it looks like pc_key_…_…")
    return match[1], match[2]


def digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def matches(secret: str, stored: bytes) -> bool:
    return hmac.compare_digest(digest(secret), stored)


def roles(names: list[str] | tuple[str, ...] | frozenset[str]) -> frozenset[Role]:
    try:
        chosen = frozenset(Role(name) for name in names)
    except ValueError:
        known = ", ".join(role.value for role in Role)
        raise InvalidRequest(f"roles are some of: {known}") from None
    if not chosen:
        raise InvalidRequest("a key needs at least one role")
    return chosen
