"""``punchcard serve``: the HTTP API, with the background worker on a thread beside it,
and with ``--demo`` a tenant to try it on and a key to try it with."""

from __future__ import annotations

import signal
import threading
from typing import Annotated

import typer

from punchcard.config import Settings
from punchcard.entrypoints.cli.console import one_line_errors
from punchcard.entrypoints.http import processes as several
from punchcard.entrypoints.http import serve as serving
from punchcard.entrypoints.http.app import create_app
from punchcard.entrypoints.worker.runner import Worker
from punchcard.service_layer.loyalty.facade import Loyalty


def _say(line: str = "") -> None:
    typer.echo(line)  # plain, never wrapped: a token or a curl line must copy whole


def _banner(
    base: str, access: serving.DemoAccess | None, worker: Worker | None, processes: int = 1
) -> None:
    _say(f"punchcard API on {base}" + (f" ({processes} processes)" if processes > 1 else ""))
    _say(f"API docs: {base}/docs   (OpenAPI: {base}/openapi.json)")
    _say(f"console: {base}/console/   (sign in with an operator, approver or auditor API key)")
    if access is not None:
        refs = ", ".join(f"{c.id} ({c.external_ref})" for c in access.customers)
        _say(f'demo tenant "{access.tenant}": the default programme, ruleset '
             f"v{access.ruleset_version} published; customers {refs}")  # fmt: skip
        _say(f"admin key {access.key.id} (shown this once): {access.token}")
        first = access.customers[0].id
        _say(f"try: curl -s -H 'Authorization: Bearer {access.token}' "
             f"{base}/v1/customers/{first}")  # fmt: skip
    jobs = "off" if worker is None else f"on ({len(worker.jobs)} scheduled jobs, procrastinate)"
    _say(f"background worker {jobs}; logs are JSON lines on stderr; Ctrl-C stops")


@one_line_errors
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    demo: Annotated[
        bool,
        typer.Option(help='Set up the "demo" tenant (if missing) and print a new admin key.'),
    ] = False,
    worker: Annotated[
        bool,
        typer.Option(
            "--worker/--no-worker",
            "--sweeps/--no-sweeps",
            help="Run the background worker beside the API: webhook and NATS delivery, "
            "scheduled expiry and warnings, hold expiry, pending points, sealing.",
        ),
    ] = True,
    processes: Annotated[
        int,
        typer.Option(
            min=1,
            max=64,
            help="API processes on the one socket; one per core lets the API use them all.",
        ),
    ] = 1,
) -> None:
    """Serve the HTTP API (uvicorn) on the embedded PostgreSQL, or PUNCHCARD_DATABASE_URL."""
    sock = serving.listen(host, port)
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else "[::1]" if host == "::" else host  # noqa: S104
    base = f"http://{shown}:{port}"
    try:
        serving.configure_logging()
        with Loyalty.open(Settings.from_env()) as loyalty:
            app = create_app(loyalty)
            access = serving.seed_demo(loyalty, app) if demo else None
            jobs = serving.worker_for_app(loyalty, app) if worker else None
            _banner(base, access, jobs, processes)
            if processes == 1:
                serving.run(app, sock, jobs)
            else:
                several.run(sock, processes=processes, database_url=loyalty.ledger.database.url,
                            worker=jobs)  # fmt: skip
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    _say("stopped")


@one_line_errors
def worker() -> None:
    """Run the background worker alone (more of them scale delivery and the jobs out;
    each period's run of a job is still done once)."""
    serving.configure_logging()
    stopped = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    try:
        with Loyalty.open(Settings.from_env()) as loyalty:
            jobs = serving.worker_for_app(loyalty, create_app(loyalty))
            jobs.start()
            _say(f"punchcard worker: {len(jobs.jobs)} scheduled jobs; Ctrl-C stops")
            try:
                while not stopped.wait(1.0):
                    pass
            except KeyboardInterrupt:
                pass
            finally:
                jobs.stop()
    finally:
        signal.signal(signal.SIGTERM, previous)
    _say("stopped")


def register(app: typer.Typer) -> None:
    """Add the serve and worker commands to the CLI."""
    app.command("serve")(serve)
    app.command("worker")(worker)
