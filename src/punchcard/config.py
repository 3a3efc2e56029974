"""Settings, read from the environment once at start-up.

- PUNCHCARD_DATABASE_URL: any PostgreSQL >= 15; unset, an embedded one is started.
- PUNCHCARD_PGDATA: data folder of the embedded PostgreSQL (.punchcard/pgdata).
- PUNCHCARD_KEY_FILE: the vault's local key file (.punchcard/keys.json), made on first
  use with permissions 0600; back it up apart from the database.
- PUNCHCARD_POOL_SIZE: most connections the process opens (20).
- PUNCHCARD_MAX_BACKDATE_DAYS: how far back effective_at may be set (30).
- PUNCHCARD_EXPIRY_WARNING_DAYS: how long before expiry points.expiring_soon is sent (30).
- PUNCHCARD_NATS_URL: a NATS server with JetStream; set, events are also published there.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path


class ConfigError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str | None = None
    pgdata: Path = Path(".punchcard/pgdata")
    key_file: Path = Path(".punchcard/keys.json")
    pool_size: int = 20
    max_backdate: timedelta = timedelta(days=30)
    expiry_warning: timedelta = timedelta(days=30)
    nats_url: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        return cls(
            database_url=env.get("PUNCHCARD_DATABASE_URL") or None,
            pgdata=Path(env.get("PUNCHCARD_PGDATA", ".punchcard/pgdata")),
            key_file=Path(env.get("PUNCHCARD_KEY_FILE") or ".punchcard/keys.json"),
            pool_size=_positive_int(env, "PUNCHCARD_POOL_SIZE", 20),
            max_backdate=timedelta(days=_positive_int(env, "PUNCHCARD_MAX_BACKDATE_DAYS", 30)),
            expiry_warning=timedelta(days=_positive_int(env, "PUNCHCARD_EXPIRY_WARNING_DAYS", 30)),
            nats_url=env.get("PUNCHCARD_NATS_URL") or None,
        )


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a positive integer, got {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{name} must be a positive integer, got {raw!r}")
    return value
