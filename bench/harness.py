"""What every benchmark shares: the database, a real API server, keys, latencies.

The database is the embedded PostgreSQL in a throwaway data folder, or the
server PUNCHCARD_DATABASE_URL names; either way ``synchronous_commit`` must be
on, and the harness refuses to measure otherwise. The API is ``punchcard serve
--no-sweeps --processes N`` (N = the cores, or BENCH_API_PROCESSES) in processes
of its own, on the same database.
"""

from __future__ import annotations

import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import psycopg

from punchcard.adapters.postgres.database import Database
from punchcard.adapters.postgres.embedded import EmbeddedPostgres
from punchcard.service_layer.access import Keys


@contextmanager
def database() -> Iterator[str]:
    """The URL of the database to measure on, with durability as in production."""
    url = os.environ.get("PUNCHCARD_DATABASE_URL")
    if url:
        _check_durability(url)
        yield url
        return
    with tempfile.TemporaryDirectory(prefix="punchcard-bench-") as folder:
        embedded = EmbeddedPostgres(Path(folder) / "pgdata", delete_on_stop=True)
        try:
            url = embedded.start()
            _check_durability(url)
            yield url
        finally:
            embedded.stop()


def _check_durability(url: str) -> None:
    with psycopg.connect(url) as conn:
        for setting in ("synchronous_commit", "fsync"):
            row = conn.execute("SELECT current_setting(%s)", (setting,)).fetchone()
            if not row or row[0] != "on":
                raise SystemExit(f"bench: {setting} is {row and row[0]}; it must be on")


SETTINGS = ("server_version", "synchronous_commit", "fsync", "shared_buffers", "max_connections",
            "wal_level", "max_wal_size")  # fmt: skip


def postgres_settings(url: str) -> dict[str, str]:
    """The settings that decide the figures, for the JSON."""
    found = {}
    with psycopg.connect(url) as conn:
        for name in SETTINGS:
            row = conn.execute("SELECT current_setting(%s)", (name,)).fetchone()
            found[name] = str(row[0]) if row else ""
    return found


def key(database_: Database, tenant: str, *roles: str) -> str:
    """A new API key of ``tenant`` with ``roles`` and a rate limit no bench reaches."""
    _, token = Keys(database_).create(
        tenant, name="bench", roles_=list(roles), created_by="bench", rate_limit=100_000
    )
    return token


API_PROCESSES = int(os.environ.get("BENCH_API_PROCESSES") or os.cpu_count() or 1)


class Server:
    """``punchcard serve --no-sweeps --processes N`` on a free loopback port."""

    def __init__(self, url: str, processes: int = API_PROCESSES) -> None:
        self.processes = processes
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        self.process = subprocess.Popen(  # noqa: S603 - our own command
            [sys.executable, "-m", "punchcard", "serve", "--port", str(self.port),
             "--no-sweeps", "--processes", str(processes)],
            env=os.environ | {"PUNCHCARD_DATABASE_URL": url},
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if b"Ctrl-C stops" in line:
                break
        else:
            raise RuntimeError("punchcard serve exited before it was ready")
        self.host = "127.0.0.1"

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    def peak_rss_mb(self) -> float:
        """The resident-set high-water mark so far (VmHWM) of the API process: with
        several, the largest of them (the parent only supervises)."""
        pids = [self.process.pid, *children(self.process.pid)]
        return max(peak_rss_mb(pid) for pid in pids)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for process {pid}")


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid``."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def percentiles(seconds: Sequence[float]) -> dict[str, float]:
    """p50/p95/p99/max in milliseconds (zeros when nothing was measured)."""
    if len(seconds) < 2:
        only = seconds[0] * 1000 if seconds else 0.0
        return {"p50_ms": only, "p95_ms": only, "p99_ms": only, "max_ms": only}
    cuts = statistics.quantiles(seconds, n=100, method="inclusive")
    return {"p50_ms": cuts[49] * 1000, "p95_ms": cuts[94] * 1000, "p99_ms": cuts[98] * 1000,
            "max_ms": max(seconds) * 1000}  # fmt: skip
