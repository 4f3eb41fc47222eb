"""Which historical odds snapshots a slate needs, and how few calls buy them.

Every game wants a snapshot at each window (OPEN, T-6h, T-60m, T-15m, CLOSE). One historical
/odds call returns every listed game at once, so targets that lie close together share a call. A
call is placed at the *earliest* target of its group: the historical endpoint answers with the
snapshot at or before the requested time, so no target is ever served a later (look-ahead) price;
the price a later target gets is at most its window's staleness old.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from linelogic_assets.config import SnapshotWindow

CLOSE_EPSILON = timedelta(seconds=1)  # CLOSE asks for the last snapshot strictly before commence


@dataclass(frozen=True)
class Target:
    event_id: str
    commence: datetime
    window: str
    at: datetime


@dataclass
class PlannedCall:
    at: datetime
    targets: list[Target] = field(default_factory=list)

    @property
    def windows(self) -> list[str]:
        return sorted({t.window for t in self.targets})


def window_targets(event_id: str, commence: datetime, windows: Sequence[SnapshotWindow]) -> list[Target]:
    out = []
    for w in windows:
        at = commence - CLOSE_EPSILON if w.offset_minutes == 0 else commence + timedelta(minutes=w.offset_minutes)
        out.append(Target(event_id, commence, w.name, at))
    return out


def plan_calls(targets: Iterable[Target], staleness: Mapping[str, timedelta]) -> list[PlannedCall]:
    """Group targets greedily: a call at the earliest open target serves each later target whose window
    accepts a snapshot that much older (`staleness` per window name; a window not named shares nothing)."""
    calls: list[PlannedCall] = []
    for t in sorted(targets, key=lambda t: (t.at, t.event_id, t.window)):
        if calls and t.at - calls[-1].at <= staleness.get(t.window, timedelta(0)):
            calls[-1].targets.append(t)
        else:
            calls.append(PlannedCall(t.at, [t]))
    return calls


def naive_calls(n_games: int, n_windows: int) -> int:
    """The baseline: one historical event-odds call per game per window."""
    return n_games * n_windows
