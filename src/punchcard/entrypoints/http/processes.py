"""The API in several processes: ``punchcard serve --processes N``.

One Python process runs its request handling on one core at a time (the GIL), so
on a machine with more cores the API stops at about one core's worth of requests
while PostgreSQL and the other cores wait. With ``--processes N`` the parent
binds the socket, opens the database (starting the embedded PostgreSQL if need
be), seeds the demo and runs the background worker, as with one process; then
uvicorn's supervisor starts N API processes on the same socket (the kernel hands
each connection to one of them) and restarts any that dies. Each process has its
own connection pool, API-key cache, rate-limit buckets and ``/metrics`` counters;
console sessions work across them (the parent gives them one sealing secret
unless PUNCHCARD_CONSOLE_SECRET sets it).

    run(sock, processes=2, worker=jobs)      # in the parent
    app_from_env()                           # in each child, by uvicorn
"""

from __future__ import annotations

import atexit
import os
import secrets
import signal
import socket

import uvicorn
from fastapi import FastAPI

from punchcard.config import Settings
from punchcard.entrypoints.console.session import SECRET_ENV
from punchcard.entrypoints.http import serve as serving
from punchcard.entrypoints.http.app import create_app
from punchcard.entrypoints.worker.runner import Worker
from punchcard.service_layer.loyalty.facade import Loyalty

FACTORY = "punchcard.entrypoints.http.processes:app_from_env"


def app_from_env() -> FastAPI:
    """One API process's app, on the database the parent opened (it exported
    ``PUNCHCARD_DATABASE_URL``, so a child never starts a PostgreSQL of its own)."""
    serving.configure_logging()
    settings = Settings.from_env()
    if settings.database_url is None:
        raise RuntimeError("an API process needs PUNCHCARD_DATABASE_URL from its parent")
    loyalty = Loyalty.open(settings)
    atexit.register(loyalty.close)
    return create_app(loyalty)


def run(sock: socket.socket, *, processes: int, database_url: str, worker: Worker | None) -> None:
    """Serve with ``processes`` API processes until SIGINT or SIGTERM; the worker runs
    here, in the parent. Returns once every child has finished its requests."""
    os.environ["PUNCHCARD_DATABASE_URL"] = database_url
    # Console sessions are sealed with this secret; each process would pick a random
    # one of its own, and a session made in one would be refused by the others.
    os.environ.setdefault(SECRET_ENV, secrets.token_urlsafe(32))
    config = serving.uvicorn_config(FACTORY, factory=True, workers=processes)
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    if worker is not None:
        worker.start()
    try:
        uvicorn.supervisors.Multiprocess(config, sockets=[sock]).run()
    finally:
        if worker is not None:
            worker.stop()
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
