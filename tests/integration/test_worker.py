"""The background worker: procrastinate runs the scheduled jobs from PostgreSQL."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import psycopg
import pytest

from punchcard.adapters.postgres.database import Database
from punchcard.entrypoints.http.app import create_app
from punchcard.entrypoints.worker import runner, schedule
from punchcard.entrypoints.worker.schedule import Job
from punchcard.service_layer.ledger import Ledger
from punchcard.service_layer.loyalty.facade import Loyalty


@pytest.fixture
def own(fresh_database_url: str) -> Iterator[Loyalty]:
    database = Database(fresh_database_url, pool_size=4)
    try:
        yield Loyalty(Ledger(database))
    finally:
        database.close()


def wait_for(condition: threading.Event, seconds: float = 15.0) -> bool:
    return condition.wait(seconds)


def test_the_worker_runs_each_job_on_its_schedule(own: Loyalty) -> None:
    ran: list[int] = []
    twice = threading.Event()

    def job() -> int:
        ran.append(1)
        if len(ran) >= 2:
            twice.set()
        return 1

    seen: list[tuple[str, int]] = []
    worker = runner.Worker(
        own, [Job("tick", 1, job)], observe=lambda j, n, _: seen.append((j.name, n))
    )
    worker.start()
    try:
        assert wait_for(twice), "the job did not run twice in 15 s"
    finally:
        worker.stop()
    assert ("tick", 1) in seen
    count = len(ran)
    time.sleep(1.5)
    assert len(ran) == count  # stopped means stopped


def test_the_schema_is_installed_once_in_its_own_schema(own: Loyalty) -> None:
    url = own.ledger.database.url
    assert runner.install_schema(url) is True
    assert runner.install_schema(url) is False
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT to_regclass('procrastinate.procrastinate_jobs')").fetchone()
    assert row is not None
    assert row[0] is not None


def test_the_schedule_has_the_lifecycle_jobs(own: Loyalty) -> None:
    jobs = {job.name: job for job in schedule.jobs(own, create_app(own).state.services)}
    for name in ("activate_pending", "expire_authorizations", "expire_holds", "expire_points",
                 "warn_expiring", "seal"):  # fmt: skip
        assert name in jobs
    assert jobs["expire_points"].cron == "0 */1 * * *"
    assert jobs["seal"].cron == "*/1 * * * *"
    assert Job("x", 5, lambda: 0).cron == "* * * * * */5"
