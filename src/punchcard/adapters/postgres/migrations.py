"""Versioned schema migrations, applied in order and recorded.

Files are ``NNNN_name.sql`` beside this module. Each runs in its own
transaction together with its row in ``schema_migrations``; an advisory lock
keeps two processes from migrating at once, and an applied file whose content
changed afterwards stops the run (fix forward with a new migration instead).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources

from punchcard.adapters.postgres.types import Connection

SCHEMA = "punchcard"
_FILE_RE = re.compile(r"(\d{4})_([a-z0-9_]+)\.sql")
_LOCK_KEY = 0x70756E6368  # "punch"


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


class MigrationError(RuntimeError):
    pass


def available() -> list[Migration]:
    found = []
    for item in resources.files(__package__).joinpath("migrations").iterdir():
        match = _FILE_RE.fullmatch(item.name)
        if match:
            found.append(Migration(int(match[1]), match[2], item.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise MigrationError(f"migration versions must run 1, 2, 3, ... without gaps: {versions}")
    return found


def migrate(conn: Connection) -> list[Migration]:
    """Apply every pending migration; return those applied (none on a second run)."""
    applied_now: list[Migration] = []
    conn.autocommit = True
    conn.execute("SELECT pg_advisory_lock(%s)", (_LOCK_KEY,))
    try:
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        conn.execute(
            f"""CREATE TABLE IF NOT EXISTS {SCHEMA}.schema_migrations (
                    version     integer PRIMARY KEY,
                    name        text NOT NULL,
                    checksum    text NOT NULL,
                    applied_at  timestamptz NOT NULL DEFAULT now())"""
        )
        done: dict[int, str] = dict(
            conn.execute(f"SELECT version, checksum FROM {SCHEMA}.schema_migrations").fetchall()
        )
        for migration in available():
            if migration.version in done:
                if done[migration.version] != migration.checksum:
                    raise MigrationError(
                        f"migration {migration.version:04d}_{migration.name} changed after it "
                        "was applied; add a new migration instead of editing an applied one"
                    )
                continue
            with conn.transaction():
                conn.execute(f"SET LOCAL search_path TO {SCHEMA}")
                conn.execute(migration.sql)
                conn.execute(
                    f"INSERT INTO {SCHEMA}.schema_migrations (version, name, checksum) "
                    "VALUES (%s, %s, %s)",
                    (migration.version, migration.name, migration.checksum),
                )
            applied_now.append(migration)
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (_LOCK_KEY,))
    return applied_now


def pending(conn: Connection) -> list[Migration]:
    exists = conn.execute(
        "SELECT to_regclass(%s) IS NOT NULL", (f"{SCHEMA}.schema_migrations",)
    ).fetchone()
    done: set[int] = set()
    if exists and exists[0]:
        done = {v for (v,) in conn.execute(f"SELECT version FROM {SCHEMA}.schema_migrations")}
    return [m for m in available() if m.version not in done]
