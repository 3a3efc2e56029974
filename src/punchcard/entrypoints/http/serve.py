"""Serving the API: the demo tenant, the background sweeps and uvicorn.

    with Loyalty.open() as loyalty:
        app = create_app(loyalty)
        access = seed_demo(loyalty, app)          # --demo: a tenant to try it on
        run(app, listen("127.0.0.1", 8000), Sweeper.for_app(loyalty, app))

Points change state as time passes (a return window closes, an authorization
times out) and committed transactions wait to be sealed, so the server runs the
scheduled jobs itself, once a minute, on a thread beside the API. They are the
same jobs as the ``punchcard`` commands, safe beside other runs of them. The
risk jobs ride along: monitors are checked every sweep, the earnings scan runs
every 5 minutes and verification (which raises an alert on any discrepancy)
hourly.
"""

from __future__ import annotations

import logging
import math
import signal
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from types import FrameType

import uvicorn
from fastapi import FastAPI
from prometheus_client import Counter, Gauge

from punchcard.domain.access import ApiKey, Role
from punchcard.domain.errors import PunchcardError, UnknownProgramme
from punchcard.domain.loyalty.programme import default_programme
from punchcard.domain.loyalty.results import Customer
from punchcard.domain.rules.defaults import default_ruleset
from punchcard.domain.rules.versions import RulesetStatus
from punchcard.entrypoints.http import observability
from punchcard.entrypoints.http.deps import Services
from punchcard.entrypoints.worker import schedule
from punchcard.entrypoints.worker.runner import Worker
from punchcard.entrypoints.worker.schedule import Job
from punchcard.service_layer.loyalty.facade import Loyalty

log = logging.getLogger("punchcard.serve")

DEMO_TENANT = "demo"
DEMO_MAKER, DEMO_CHECKER = "demo-marketing", "demo-finance"
DEMO_CUSTOMERS = ("shop-customer-1", "shop-customer-2", "shop-customer-3")
SWEEP_INTERVAL = 60.0


class CannotListen(PunchcardError):
    """The API cannot listen on that address."""

    code = "cannot_listen"


# -- the demo tenant ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DemoAccess:
    tenant: str
    key: ApiKey
    token: str
    """The new admin key's bearer token; shown once, never stored."""
    customers: tuple[Customer, ...]
    ruleset_version: int


def seed_demo(loyalty: Loyalty, app: FastAPI) -> DemoAccess:
    """The ``demo`` tenant with the default programme (points spendable at once), this
    year's seed ruleset published under maker-checker and a few customers (each
    made only if missing), and a new admin key for it."""
    try:
        loyalty.programme(DEMO_TENANT)
    except UnknownProgramme:
        # No return window: what a curl session earns it can redeem at once. The
        # default programme keeps purchase points pending for 14 days.
        loyalty.create_programme(DEMO_TENANT, replace(default_programme(), pending_days=0))
    version = _published_version(loyalty)
    if version is None:
        seed = default_ruleset(loyalty.now().year)  # this year's Black Friday and December
        draft = loyalty.create_ruleset(DEMO_TENANT, seed, created_by=DEMO_MAKER)
        loyalty.submit_ruleset(DEMO_TENANT, draft.version, submitted_by=DEMO_MAKER)
        version = loyalty.approve_ruleset(
            DEMO_TENANT, draft.version, approved_by=DEMO_CHECKER
        ).version
    customers = tuple(loyalty.enroll(DEMO_TENANT, ref) for ref in DEMO_CUSTOMERS)
    services: Services = app.state.services
    key, token = services.keys.create(
        DEMO_TENANT, name="demo admin (punchcard serve --demo)", roles_=[Role.ADMIN.value],
        created_by="punchcard-serve",
    )  # fmt: skip
    return DemoAccess(DEMO_TENANT, key, token, customers, version)


def _published_version(loyalty: Loyalty) -> int | None:
    active = loyalty.active_ruleset(DEMO_TENANT)
    if active is not None:
        return active.version
    published = [v.version for v in loyalty.rulesets(DEMO_TENANT, limit=1000)
                 if v.status is RulesetStatus.PUBLISHED]  # fmt: skip
    return max(published, default=None)


# -- the scheduled jobs -------------------------------------------------------------------


class Sweeper:
    """Runs every job once at start, then every ``interval`` seconds until stopped.

    A job that fails is logged and counted, and the others still run: one bad
    tenant must not stop the sealing of all the rest.
    """

    def __init__(
        self, jobs: dict[str, Callable[[], int]], app: FastAPI, *, interval: float = SWEEP_INTERVAL
    ) -> None:
        self.jobs = jobs
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="punchcard-sweeps", daemon=True)
        registry = app.state.metrics.registry
        self._done = Counter("punchcard_sweep_items", "What each background job did",
                             ["job"], registry=registry)  # fmt: skip
        self._failed = Counter("punchcard_sweep_failures", "Background job runs that failed",
                               ["job"], registry=registry)  # fmt: skip
        self._last = Gauge("punchcard_sweep_last_success", "Unix time each job last succeeded",
                           ["job"], registry=registry)  # fmt: skip

    @classmethod
    def for_app(
        cls, loyalty: Loyalty, app: FastAPI, *, interval: float = SWEEP_INTERVAL
    ) -> Sweeper:
        jobs = {
            job.name: job.run
            if job.every <= interval
            else every(job.every, job.run, first_run_due=job.first_run_due)
            for job in schedule.jobs(loyalty, app.state.services)
        }
        return cls(jobs, app, interval=interval)

    def sweep(self) -> dict[str, int]:
        """Run each job once; what each did (jobs that failed are left out)."""
        done: dict[str, int] = {}
        for name, job in self.jobs.items():
            if self._stop.is_set():
                break
            started = time.perf_counter()
            try:
                done[name] = job()
            except Exception:
                self._failed.labels(name).inc()
                log.exception("sweep failed", extra={"job": name})
                continue
            self._done.labels(name).inc(done[name])
            self._last.labels(name).set_to_current_time()
            if done[name]:
                ms = round((time.perf_counter() - started) * 1000, 2)
                log.info("sweep", extra={"job": name, "count": done[name], "ms": ms})
        return done

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Ask the thread to stop after its current job, and wait for it."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.sweep()
            self._stop.wait(self.interval)


def worker_for_app(loyalty: Loyalty, app: FastAPI) -> Worker:
    """The procrastinate worker with every scheduled job, counted in the app's metrics."""
    registry = app.state.metrics.registry
    done = Counter("punchcard_job_items", "What each background job did", ["job"],
                   registry=registry)  # fmt: skip
    last = Gauge("punchcard_job_last_success", "Unix time each job last succeeded", ["job"],
                 registry=registry)  # fmt: skip

    def observe(job: Job, count: int, seconds: float) -> None:
        done.labels(job.name).inc(count)
        last.labels(job.name).set_to_current_time()
        if count:
            log.info("job", extra={"job": job.name, "count": count, "ms": round(seconds * 1e3, 2)})

    return Worker(loyalty, schedule.jobs(loyalty, app.state.services), observe=observe)


def every(
    seconds: float,
    job: Callable[[], int],
    *,
    first_run_due: bool = True,
    clock: Callable[[], float] = time.monotonic,
) -> Callable[[], int]:
    """``job``, run at most once per ``seconds`` however often the sweep comes round:
    between runs it does nothing and returns 0. With ``first_run_due=False`` the
    first run waits a whole period (a server's start stays cheap). A run that fails
    still counts: it is tried again a period later, not at every sweep."""
    last = [clock() if not first_run_due else -math.inf]

    def due() -> int:
        now = clock()
        if now - last[0] < seconds:
            return 0
        last[0] = now
        return job()

    return due


# -- the server ---------------------------------------------------------------------------


def listen(host: str, port: int) -> socket.socket:
    """A listening socket, bound before anything else starts, so a busy port is one
    clear error rather than a server that set everything up and then could not bind."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except (socket.gaierror, UnicodeError) as exc:
        raise CannotListen(f"cannot resolve host {host!r}: {exc}") from None
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise CannotListen(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.set_inheritable(True)
    return sock


def configure_logging(level: int = logging.INFO) -> None:
    """JSON lines on stderr, for punchcard and for uvicorn's own messages. Uvicorn's
    access log stays off: every request is logged once already, with its request id."""
    observability.configure_logging(level)
    handler = logging.StreamHandler()
    handler.setFormatter(logging.getLogger("punchcard").handlers[0].formatter)
    handler.addFilter(_plain)
    server = logging.getLogger("uvicorn")
    server.handlers[:] = [handler]
    server.setLevel(level)
    server.propagate = False
    logging.getLogger("uvicorn.access").disabled = True


def _plain(record: logging.LogRecord) -> bool:
    """Uvicorn adds a copy of its message with terminal colours; a JSON log wants none."""
    record.__dict__.pop("color_message", None)
    return True


def run(app: FastAPI, sock: socket.socket, sweeper: Sweeper | Worker | None) -> None:
    """Serve until SIGINT or SIGTERM, then stop the sweeps. Uvicorn finishes the
    requests in flight first; the caller closes the database afterwards.

    Raises KeyboardInterrupt once stopped by a signal, so the caller's clean-up runs."""
    server = uvicorn.Server(uvicorn_config(app))
    # Uvicorn re-raises the signal that stopped it; a SIGTERM would otherwise end
    # the process before the embedded PostgreSQL is stopped.
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _interrupt) if main else None
    if sweeper is not None:
        sweeper.start()
    try:
        server.run(sockets=[sock])
    finally:
        if sweeper is not None:
            sweeper.stop()
        if main:
            signal.signal(signal.SIGTERM, previous)
        sock.close()


def uvicorn_config(app: FastAPI | str, **options: object) -> uvicorn.Config:
    """How punchcard runs uvicorn, in one process or several: logging is ours (JSON,
    one line per request), no Server header, no proxy headers trusted."""
    return uvicorn.Config(app, log_config=None, access_log=False, server_header=False,
                          proxy_headers=False, **options)  # type: ignore[arg-type]  # fmt: skip


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt
