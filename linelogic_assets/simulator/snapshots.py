"""Historical snapshot times: a 5-minute grid (10-minute before 2022-09-18) with per-snapshot jitter.

Real snapshots are not grid-aligned (e.g. 22:40:39Z); each grid point g is published at g + jitter(g),
jitter a deterministic 2..40 s, so ordering is preserved and lookups stay O(1).
"""

from __future__ import annotations

from datetime import UTC, datetime

from .rng import unit

FIVE_MINUTE_FROM = int(datetime(2022, 9, 18, tzinfo=UTC).timestamp())
OLD_STEP = 600


class SnapshotGrid:
    def __init__(self, interval_minutes: int, seed: int) -> None:
        self.step = interval_minutes * 60
        self.seed = seed

    def _step_at(self, g: int) -> int:
        return self.step if g >= FIVE_MINUTE_FROM else OLD_STEP

    def _floor(self, ts: int) -> int:
        if ts >= FIVE_MINUTE_FROM:
            return FIVE_MINUTE_FROM + (ts - FIVE_MINUTE_FROM) // self.step * self.step
        return FIVE_MINUTE_FROM + (ts - FIVE_MINUTE_FROM) // OLD_STEP * OLD_STEP

    def _prev(self, g: int) -> int:
        return g - (self.step if g > FIVE_MINUTE_FROM else OLD_STEP)

    def _next(self, g: int) -> int:
        return g + self._step_at(g)

    def published(self, g: int) -> int:
        return g + 2 + int(unit(self.seed, g, 99) * 38)

    def at_or_before(self, ts: int) -> tuple[int, int, int]:
        """(snapshot, previous snapshot, next snapshot) as unix seconds for a requested time."""
        g = self._floor(ts)
        if self.published(g) > ts:
            g = self._prev(g)
        return self.published(g), self.published(self._prev(g)), self.published(self._next(g))
