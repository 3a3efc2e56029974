"""The console's session: an encrypted cookie holding the API key and a CSRF token.

The cookie is sealed with AES-256-GCM under a key derived from the console secret
(``PUNCHCARD_CONSOLE_SECRET``, or random per process): signed so it cannot be
forged, and encrypted because it carries the API key the operator signed in with.
The key is kept, not a verdict about it, so every request authenticates it again
with ``Keys.authenticate`` and a revoked key loses the console as it loses the API.

The cookie is HttpOnly (no script reads it), SameSite=Strict (no other site's
page sends it), scoped to ``/console`` and Secure over HTTPS. Every form carries
the session's CSRF token as well, checked before anything else runs.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
import time
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from starlette.requests import Request
from starlette.responses import Response

from punchcard.domain.access import Forbidden

COOKIE = "punchcard_console"
SECRET_ENV = "PUNCHCARD_CONSOLE_SECRET"  # noqa: S105 (the variable's name, not a secret)
MAX_AGE = 8 * 3600
"""A working day: after that the operator signs in again."""
_AAD = b"punchcard console session v1"


class CsrfRejected(Forbidden):
    """The form's CSRF token is missing or wrong: reload the page and try again."""

    code = "csrf_rejected"


@dataclass(frozen=True, slots=True)
class Session:
    csrf: str
    token: str | None = None
    """The API key signed in with; None before sign-in (the form's token still counts)."""
    issued: float = 0.0


def secret_from_env() -> bytes:
    """The configured secret, or 32 random bytes: sessions then end with the process."""
    configured = os.environ.get(SECRET_ENV, "")
    return configured.encode() if configured else secrets.token_bytes(32)


class Sessions:
    def __init__(self, secret: bytes) -> None:
        # A derived key, so the configured secret itself is never the cipher key.
        self._aead = AESGCM(hashlib.sha256(b"punchcard-console\0" + secret).digest())

    def new(self, token: str | None = None) -> Session:
        return Session(csrf=secrets.token_urlsafe(32), token=token, issued=time.time())

    def read(self, request: Request) -> Session | None:
        """The request's session, or None when absent, tampered with or expired."""
        raw = request.cookies.get(COOKIE)
        if not raw:
            return None
        try:
            sealed = base64.urlsafe_b64decode(raw.encode() + b"==")
            plain = self._aead.decrypt(sealed[:12], sealed[12:], _AAD)
            doc = json.loads(plain)
            found = Session(csrf=str(doc["c"]), token=doc["t"], issued=float(doc["i"]))
        except (InvalidTag, ValueError, KeyError, TypeError, binascii.Error):
            return None
        if time.time() - found.issued > MAX_AGE:
            return None
        return found

    def write(self, request: Request, response: Response, session: Session) -> None:
        nonce = secrets.token_bytes(12)
        doc = {"c": session.csrf, "t": session.token, "i": session.issued}
        sealed = nonce + self._aead.encrypt(nonce, json.dumps(doc).encode(), _AAD)
        response.set_cookie(
            COOKIE, base64.urlsafe_b64encode(sealed).decode().rstrip("="),
            max_age=MAX_AGE, path=cookie_path(request), httponly=True, samesite="strict",
            secure=request.url.scheme == "https",
        )  # fmt: skip

    def clear(self, request: Request, response: Response) -> None:
        response.delete_cookie(
            COOKIE, path=cookie_path(request), httponly=True, samesite="strict",
            secure=request.url.scheme == "https",
        )  # fmt: skip


def cookie_path(request: Request) -> str:
    """The console's own path (``/console`` when mounted there), so the API never sees it."""
    return str(request.scope.get("root_path", "")) or "/"


def check_csrf(session: Session | None, sent: str | None) -> None:
    """Refuse a form whose token is not the session's (compared in constant time)."""
    if session is None or not sent or not hmac.compare_digest(session.csrf, sent):
        raise CsrfRejected()
