"""A game's snapshot targets: one instant per configured window (OPEN, T-6h, T-60m, T-15m, CLOSE).

CLOSE asks for the last snapshot strictly before commence, so gold's as-of rule and every planner agree
on which instant a window stands for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from linelogic_assets.config import SnapshotWindow

CLOSE_EPSILON = timedelta(seconds=1)  # CLOSE asks for the last snapshot strictly before commence


@dataclass(frozen=True)
class Target:
    event_id: str
    commence: datetime
    window: str
    at: datetime


def window_targets(event_id: str, commence: datetime, windows: Sequence[SnapshotWindow]) -> list[Target]:
    out = []
    for w in windows:
        at = commence - CLOSE_EPSILON if w.offset_minutes == 0 else commence + timedelta(minutes=w.offset_minutes)
        out.append(Target(event_id, commence, w.name, at))
    return out
