"""The embedded PostgreSQL used when no ``PUNCHCARD_DATABASE_URL`` is set.

``pgserver`` ships PostgreSQL 16 binaries in its wheel; the server listens on a
Unix socket inside the data folder, is reused across runs (initdb only the first
time) and is stopped when the last process using it lets go.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

DATABASE = "punchcard"

log = logging.getLogger(__name__)


class EmbeddedPostgres:
    def __init__(self, data_dir: Path, *, delete_on_stop: bool = False) -> None:
        self.data_dir = data_dir
        self._delete_on_stop = delete_on_stop
        self._server: Any = None

    def start(self) -> str:
        """Start (or attach to) the server; return the URL of the ``punchcard`` database."""
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        mode = "delete" if self._delete_on_stop else "stop"
        with warnings.catch_warnings():
            # platformdirs warns when XDG_RUNTIME_DIR is unset (CI, containers) and
            # falls back to /tmp, which is what we want anyway.
            warnings.simplefilter("ignore")
            # Imported late: only the embedded mode needs it.
            from pgserver import postgres_server  # noqa: PLC0415

            self._server = postgres_server.get_server(self.data_dir, cleanup_mode=mode)
        admin_url: str = self._server.get_uri()
        with psycopg.connect(admin_url, autocommit=True) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)
            ).fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE)))
        url: str = self._server.get_uri(DATABASE)
        log.info("embedded PostgreSQL ready in %s", self.data_dir)
        return url

    def admin_url(self) -> str:
        url: str = self._server.get_uri()
        return url

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()
            self._server = None
