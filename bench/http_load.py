"""An open-loop HTTP load generator: requests leave at fixed times, answered or not.

Request ``i`` is due at ``start + i / rate``. A dispatcher queues it at that
moment whatever the earlier requests are doing, and one of ``connections``
keep-alive connections sends it as soon as it is free. Latency runs from the
due time, not from the moment it was sent, so time spent waiting behind a slow
answer counts (no coordinated omission). Requests still unanswered ``grace``
seconds after the last one was due are counted as unserved, and enter the
percentiles with the time they had waited by then (a lower bound), so an
overloaded server cannot look fast by leaving its slowest requests out.

HTTP/1.1 is spoken directly on asyncio streams (uvloop when installed): a
general client such as httpx costs a few hundred microseconds of CPU per
request, which on two cores would be taken from the server being measured.
``closed_loop`` sends requests back to back on one connection, for reads.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from bench.harness import percentiles

Request = Callable[[int], bytes]


def request(method: str, path: str, token: str, document: object | None = None) -> bytes:
    """The bytes of one keep-alive request to the loopback server."""
    body = b"" if document is None else json.dumps(document).encode()
    head = (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")  # fmt: skip
    return head.encode() + body


@dataclass(slots=True)
class Outcome:
    offered_per_s: float
    seconds: float
    latencies: list[float] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    unserved: int = 0

    @property
    def ok(self) -> int:
        return sum(n for status, n in self.statuses.items() if status.startswith("2"))

    @property
    def errors(self) -> int:
        return sum(self.statuses.values()) - self.ok + self.unserved

    def summary(self) -> dict[str, Any]:
        return {"offered_per_s": self.offered_per_s, "achieved_per_s": self.ok / self.seconds,
                "ok": self.ok, "errors": self.errors, "unserved": self.unserved,
                "statuses": dict(self.statuses), **percentiles(self.latencies)}  # fmt: skip


class _Connection:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def send(self, data: bytes) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        try:
            self.writer.write(data)
            head = await self.reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n")[1:]:
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await self.reader.readexactly(length)
        except (OSError, asyncio.IncompleteReadError, ValueError):
            self.close()
            raise
        return status

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def _open_loop(  # noqa: PLR0917 - private, called once with every argument
    host: str, port: int, make: Request, rate: float, seconds: float, connections: int,
    grace: float,
) -> Outcome:  # fmt: skip
    total = int(rate * seconds)
    outcome = Outcome(rate, seconds)
    answered = bytearray(total)
    queue: asyncio.Queue[tuple[int, float]] = asyncio.Queue()
    start = time.perf_counter() + 0.05

    async def dispatch() -> None:
        for i in range(total):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            queue.put_nowait((i, start + i / rate))

    async def work() -> None:
        conn = _Connection(host, port)
        try:
            while True:
                i, due = await queue.get()
                try:
                    status = str(await conn.send(make(i)))
                except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                    status = type(exc).__name__
                outcome.latencies.append(time.perf_counter() - due)
                outcome.statuses[status] = outcome.statuses.get(status, 0) + 1
                answered[i] = 1
                queue.task_done()
        finally:
            conn.close()

    workers = [asyncio.create_task(work()) for _ in range(connections)]
    await dispatch()
    with contextlib.suppress(TimeoutError):
        left = start + seconds + grace - time.perf_counter()
        await asyncio.wait_for(queue.join(), timeout=max(0.0, left))
    cutoff = time.perf_counter()
    elapsed = cutoff - start
    for task in workers:
        task.cancel()
    await asyncio.gather(*workers, return_exceptions=True)
    waiting = [cutoff - (start + i / rate) for i in range(total) if not answered[i]]
    outcome.unserved = len(waiting)
    outcome.latencies.extend(waiting)
    outcome.seconds = max(seconds, min(elapsed, seconds + grace))
    return outcome


async def _closed_loop(host: str, port: int, make: Request, count: int) -> Outcome:
    outcome = Outcome(0.0, 0.0)
    conn = _Connection(host, port)
    began = time.perf_counter()
    try:
        for i in range(count):
            sent = time.perf_counter()
            status = str(await conn.send(make(i)))
            outcome.latencies.append(time.perf_counter() - sent)
            outcome.statuses[status] = outcome.statuses.get(status, 0) + 1
    finally:
        conn.close()
    outcome.seconds = time.perf_counter() - began
    return outcome


def _run(coroutine: Coroutine[Any, Any, Outcome]) -> Outcome:
    try:
        import uvloop  # noqa: PLC0415 - optional, installed with uvicorn[standard]

        return uvloop.run(coroutine)
    except ImportError:
        return asyncio.run(coroutine)


def open_loop(
    host: str, port: int, make: Request, *, rate: float, seconds: float, connections: int = 32,
    grace: float = 5.0,
) -> Outcome:  # fmt: skip
    """Offer ``rate`` requests/s for ``seconds``; request i is ``make(i)``."""
    return _run(_open_loop(host, port, make, rate, seconds, connections, grace))


def closed_loop(host: str, port: int, make: Request, *, count: int) -> Outcome:
    """``count`` requests one after another on one connection."""
    return _run(_closed_loop(host, port, make, count))
