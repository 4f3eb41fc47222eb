"""Rate limiting (sliding window on a monotonic clock) and Odds API credit accounting."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable


class SlidingWindow:
    """At most `limit` events per `window` seconds per key, on an injectable monotonic clock."""

    def __init__(self, window: float, monotonic: Callable[[], float]) -> None:
        self.window = window
        self.monotonic = monotonic
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str, limit: float) -> bool:
        now = self.monotonic()
        with self._lock:
            q = self._hits.setdefault(key, deque())
            while q and q[0] <= now - self.window:
                q.popleft()
            if len(q) >= limit:
                return False
            q.append(now)
            return True


class Quota:
    """Credits used per (api key, calendar month of the simulated clock)."""

    def __init__(self, monthly: int) -> None:
        self.monthly = monthly
        self._used: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()

    def used(self, key: str, month: str) -> int:
        with self._lock:
            return self._used.get((key, month), 0)

    def try_charge(self, key: str, month: str, cost: int) -> bool:
        """Charge `cost` credits unless that would exceed the monthly quota."""
        with self._lock:
            used = self._used.get((key, month), 0)
            if cost > 0 and used + cost > self.monthly:
                return False
            self._used[(key, month)] = used + cost
            return True

    def headers(self, key: str, month: str, last: int) -> dict[str, str]:
        used = self.used(key, month)
        return {
            "x-requests-remaining": str(max(0, self.monthly - used)),
            "x-requests-used": str(used),
            "x-requests-last": str(last),
        }
