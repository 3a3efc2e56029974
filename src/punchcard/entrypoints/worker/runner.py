"""The worker process part: procrastinate's periodic tasks, on a thread of its own.

    worker = Worker(loyalty, schedule.jobs(loyalty, services))
    worker.start()            # applies procrastinate's schema once, then works
    ...
    worker.stop()             # finishes the job in hand, then returns

Procrastinate keeps its queue in PostgreSQL (schema ``procrastinate``, beside
``punchcard``): each period's run of a job is deferred once however many workers
are up, a job that is still queued is not queued again, and a worker that dies
mid-job leaves the job to be retried. Nothing here is sent from inside a ledger
transaction: delivery jobs read the outbox after the writes committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable

import procrastinate
import psycopg
from psycopg import sql

from punchcard.entrypoints.worker.schedule import Job
from punchcard.service_layer.loyalty.facade import Loyalty

log = logging.getLogger("punchcard.worker")

SCHEMA = "procrastinate"
QUEUE = "punchcard"
_SCHEMA_LOCK = 0x70756E6370  # "puncp"


def install_schema(url: str) -> bool:
    """Create procrastinate's tables in their own schema unless they are there;
    True when this call created them. Safe when several workers start at once."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (_SCHEMA_LOCK,))
        try:
            found = conn.execute(
                "SELECT to_regclass(%s)", (f"{SCHEMA}.procrastinate_jobs",)
            ).fetchone()
            if found is not None and found[0] is not None:
                return False
            ddl = procrastinate.App(connector=procrastinate.PsycopgConnector())
            schema = ddl.schema_manager.get_schema()
            with conn.transaction():
                conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(
                    sql.Identifier(SCHEMA)))  # fmt: skip
                conn.execute(sql.SQL("SET LOCAL search_path = {}").format(sql.Identifier(SCHEMA)))
                conn.execute(schema)  # no parameters: a "%" in it is literal
            return True
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (_SCHEMA_LOCK,))


def build_app(
    url: str, jobs: list[Job], observe: Callable[[Job, int, float], None]
) -> procrastinate.App:
    connector = procrastinate.PsycopgConnector(
        conninfo=url, min_size=1, max_size=4,
        kwargs={"options": f"-c search_path={SCHEMA}"},
    )  # fmt: skip
    app = procrastinate.App(connector=connector)
    for job in jobs:
        _register(app, job, observe)
    return app


def _register(app: procrastinate.App, job: Job, observe: Callable[[Job, int, float], None]) -> None:
    def run(timestamp: int) -> None:
        started = time.perf_counter()
        done = job.run()
        observe(job, done, time.perf_counter() - started)

    task = app.task(name=f"punchcard.{job.name}", queue=QUEUE, queueing_lock=job.name)(run)
    app.periodic(cron=job.cron, periodic_id=job.name)(task)


class Worker:
    def __init__(
        self,
        loyalty: Loyalty,
        jobs: list[Job],
        *,
        observe: Callable[[Job, int, float], None] | None = None,
        concurrency: int = 4,
    ) -> None:
        self.jobs = jobs
        self._url = loyalty.ledger.database.url
        self._observe = observe or _log
        self._concurrency = concurrency
        self._loop = asyncio.new_event_loop()
        self._task: asyncio.Task[None] | None = None
        self._thread = threading.Thread(target=self._main, name="punchcard-worker", daemon=True)
        self._ready = threading.Event()

    def start(self) -> None:
        install_schema(self._url)
        self._thread.start()
        self._ready.wait(10)

    def stop(self, timeout: float = 30.0) -> None:
        """Finish the jobs in hand and stop."""
        if self._task is not None:
            self._loop.call_soon_threadsafe(self._task.cancel)
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _main(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._work())
        except Exception:
            log.exception("the worker stopped on an error")
        finally:
            self._loop.close()

    async def _work(self) -> None:
        app = build_app(self._url, self.jobs, self._observe)
        async with app.open_async():
            self._task = asyncio.ensure_future(app.run_worker_async(
                queues=[QUEUE], concurrency=self._concurrency, install_signal_handlers=False,
                name="punchcard", delete_jobs="successful", shutdown_graceful_timeout=25,
            ))  # fmt: skip
            self._ready.set()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


def _log(job: Job, done: int, seconds: float) -> None:
    if done:
        log.info("job", extra={"job": job.name, "count": done, "ms": round(seconds * 1000, 2)})
