"""Running a coroutine to completion from synchronous code, on a thread of its own,
so a caller whose thread already runs an event loop (a worker, a test harness)
can still wait for it."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run_blocking(coro: Coroutine[Any, Any, T]) -> T:
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="punchcard-nats") as pool:
        return pool.submit(asyncio.run, coro).result()
