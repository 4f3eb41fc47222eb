"""A controllable clock: frozen (speed 0) or running at `speed` × real time from `start`."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta


class SimClock:
    def __init__(
        self, start: datetime, speed: float = 0.0, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        if start.tzinfo is None:
            raise ValueError(f"naive datetime {start!r}: the clock needs an aware start")
        if speed < 0:
            raise ValueError("speed must be >= 0")
        self.speed = speed
        self.monotonic = monotonic
        self._lock = threading.Lock()
        self._anchor = start.astimezone(UTC)
        self._anchor_mono = monotonic()

    def now(self) -> datetime:
        with self._lock:
            if self.speed == 0:
                return self._anchor
            return self._anchor + timedelta(seconds=(self.monotonic() - self._anchor_mono) * self.speed)

    def set(self, t: datetime) -> None:
        if t.tzinfo is None:
            raise ValueError(f"naive datetime {t!r}")
        with self._lock:
            self._anchor = t.astimezone(UTC)
            self._anchor_mono = self.monotonic()

    def advance(self, delta: timedelta) -> None:
        self.set(self.now() + delta)
