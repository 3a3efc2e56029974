"""Per-key rate limits: a token bucket per API key, in each process.

A key may make ``rate_limit`` requests a second on average and a burst of twice
that; beyond it, 429 with Retry-After. Several API processes each apply the
limit, so the cluster-wide rate is at most the limit times the processes.
"""

from __future__ import annotations

import math
import threading
import time

from punchcard.domain.access import Principal, RateLimited


class RateLimiter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, principal: Principal) -> None:
        rate = float(principal.rate_limit)
        burst = 2 * rate
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(principal.key_id, (burst, now))
            tokens = min(burst, tokens + (now - last) * rate)
            if tokens < 1:
                self._buckets[principal.key_id] = (tokens, now)
                wait = math.ceil((1 - tokens) / rate)
                raise RateLimited(
                    f"key {principal.key_id} is limited to {principal.rate_limit} requests "
                    f"a second; retry in {wait} s",
                    retry_after=wait,
                )
            self._buckets[principal.key_id] = (tokens - 1, now)
