"""A controllable clock: frozen (speed 0) or running at `speed` × real time from `start`."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path


class SimClock:
    def __init__(
        self, start: datetime, speed: float = 0.0, monotonic: Callable[[], float] = time.monotonic,
        anchor: float | None = None,
    ) -> None:
        if start.tzinfo is None:
            raise ValueError(f"naive datetime {start!r}: the clock needs an aware start")
        if speed < 0:
            raise ValueError("speed must be >= 0")
        self.speed = speed
        self.monotonic = monotonic
        self._lock = threading.Lock()
        self._anchor = start.astimezone(UTC)
        self._anchor_mono = monotonic() if anchor is None else anchor  # when `monotonic` read `start`

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


# -- the demo's shared clock ---------------------------------------------------------------------
# Every Dagster process (webserver, daemon, code server, each run) builds its own simulator, so a
# running clock must be anchored to the wall clock in a file they all read: at `wall_anchor` the
# simulated time was `start`, and it advances `speed` times faster than real time from there.

CLOCK_FILE = "simulator/clock.json"


def wall_clock(start: datetime, speed: float, wall_anchor: datetime) -> SimClock:
    return SimClock(start, speed, monotonic=time.time, anchor=wall_anchor.timestamp())


def read_shared_clock(root: Path) -> dict | None:
    try:
        return json.loads((root / CLOCK_FILE).read_text())
    except FileNotFoundError:
        return None


def start_shared_clock(root: Path, start: datetime, speed: float) -> dict:
    if start.tzinfo is None:
        raise ValueError(f"naive datetime {start!r}: the clock needs an aware start")
    body = {"start": start.astimezone(UTC).isoformat(), "speed": speed, "wall_anchor": datetime.now(UTC).isoformat()}
    path = root / CLOCK_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(body))
    tmp.replace(path)
    return body


def stop_shared_clock(root: Path) -> bool:
    try:
        (root / CLOCK_FILE).unlink()
        return True
    except FileNotFoundError:
        return False
