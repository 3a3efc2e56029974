"""The default key provider: per-tenant KEKs and lookup secrets in a local JSON file.

The file (PUNCHCARD_KEY_FILE, default ``.punchcard/keys.json``) is created on first
use with permissions 0600 and replaced atomically (write a temporary file, fsync,
rename) on every change, so a crash leaves the old or the new file, never half of
one. Lose it and every customer's personal data is unreadable: back it up apart
from the database. A KMS fits the same ``KeyProvider`` interface (docs/privacy.md).
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from punchcard.adapters.crypto import envelope
from punchcard.adapters.crypto.envelope import DecryptionFailed
from punchcard.domain.privacy.keys import KeyUnavailable, Wrapped


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


class FileKeyProvider:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    # -- KeyProvider

    def wrap(self, tenant: str, dek: bytes, context: bytes) -> Wrapped:
        kek_id = self.current(tenant)
        kek = self._kek(tenant, kek_id)
        return Wrapped(kek_id, envelope.seal(kek, dek, context + b"\x00" + kek_id.encode()))

    def unwrap(self, tenant: str, wrapped: Wrapped, context: bytes) -> bytes:
        kek = self._kek(tenant, wrapped.kek_id)
        try:
            return envelope.open_(kek, wrapped.blob, context + b"\x00" + wrapped.kek_id.encode())
        except DecryptionFailed:
            raise KeyUnavailable("the data key does not unwrap with its KEK") from None

    def current(self, tenant: str) -> str:
        entry = self._read().get(tenant)
        if entry is not None:
            return str(entry["current"])
        with self._locked():
            keys = self._read()
            if tenant not in keys:
                keys[tenant] = {"current": "", "keks": {}, "lookup": _b64(secrets.token_bytes(32))}
                _add_kek(keys[tenant])
                self._write(keys)
            return str(keys[tenant]["current"])

    def rotate(self, tenant: str) -> str:
        self.current(tenant)
        with self._locked():
            keys = self._read()
            new_id = _add_kek(keys[tenant])
            self._write(keys)
        return new_id

    def retire_old(self, tenant: str) -> list[str]:
        with self._locked():
            keys = self._read()
            entry = keys.get(tenant)
            if entry is None:
                return []
            old = sorted(kek_id for kek_id in entry["keks"] if kek_id != entry["current"])
            for kek_id in old:
                del entry["keks"][kek_id]
            if old:
                self._write(keys)
            return old

    def lookup_secret(self, tenant: str) -> bytes:
        self.current(tenant)
        return base64.b64decode(self._read()[tenant]["lookup"])

    # -- the file

    def kek_ids(self, tenant: str) -> list[str]:
        return sorted(self._read().get(tenant, {}).get("keks", {}))

    def raw_kek(self, tenant: str, kek_id: str) -> bytes:
        """The key itself (tests and a migration to a KMS need it; the vault does not)."""
        return self._kek(tenant, kek_id)

    def _kek(self, tenant: str, kek_id: str) -> bytes:
        found = self._read().get(tenant, {}).get("keks", {}).get(kek_id)
        if found is None:
            raise KeyUnavailable(f"KEK {kek_id} of tenant {tenant!r} is not in the key file")
        return base64.b64decode(found)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """One writer at a time, across threads and processes: two servers creating a
        tenant's first KEK at once must not each keep a different one."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            descriptor = os.open(self.path.with_name(self.path.name + ".lock"),
                                 os.O_RDWR | os.O_CREAT, 0o600)  # fmt: skip
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX)
                yield
            finally:
                os.close(descriptor)

    def _read(self) -> dict[str, Any]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except OSError as exc:  # the path stays in the server's logs, not in answers
            raise KeyUnavailable(f"the vault's key file cannot be read ({exc.strerror})") from exc
        try:
            document: dict[str, Any] = json.loads(text)["tenants"]
        except (ValueError, KeyError, TypeError):
            raise KeyUnavailable("the vault's key file is not a punchcard key file") from None
        return document

    def _write(self, tenants: dict[str, Any]) -> None:
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump({"version": 1, "tenants": tenants}, handle, indent=1, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, self.path)


def _add_kek(entry: dict[str, Any]) -> str:
    kek_id = f"kek_{secrets.token_hex(8)}"
    entry["keks"][kek_id] = _b64(envelope.new_key())
    entry["current"] = kek_id
    return kek_id
