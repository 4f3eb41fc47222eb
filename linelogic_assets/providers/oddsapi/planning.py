"""Which historical odds snapshots a slate needs, and how few calls buy them.

Every game wants a snapshot at each window (OPEN, T-6h, T-60m, T-15m, CLOSE). One historical
/odds call returns every listed game at once, so targets that lie close together share a call. A
call is placed at the *earliest* target of its group: the historical endpoint answers with the
snapshot at or before the requested time, so no target is ever served a later (look-ahead) price;
the price a later target gets is at most its window's staleness old.

Snapshots already held serve targets the same way, so nothing is bought twice: a live snapshot the
pregame sensor took just before a window, a re-run of a failed partition, or a neighbouring slate's
call that lies within a window's staleness (its checkpoint is then referenced, not bought).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from linelogic_assets.bronze.checkpoints import Checkpoint, CheckpointStore
from linelogic_assets.bronze.planning import Target
from linelogic_assets.bronze.store import BronzeStore
from linelogic_assets.timeutil import parse_ts


@dataclass
class PlannedCall:
    at: datetime
    targets: list[Target] = field(default_factory=list)

    @property
    def windows(self) -> list[str]:
        return sorted({t.window for t in self.targets})


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


@dataclass(frozen=True)
class Held:
    """A snapshot already held. It is the market state for any request time in [valid_from, valid_to]:
    a live snapshot at its instant, a historical one over its [timestamp, next_timestamp) span."""

    valid_from: datetime
    valid_to: datetime
    in_partition: bool  # held by this slate's bronze (so it lists the slate's games)
    checkpoint: Checkpoint | None = None  # held by another partition: referenced, not bought
    live: bool = False  # a live /odds snapshot, taken at its moment (else a historical one, bought afterwards)


def covers(held: Held, target: Target, staleness: timedelta, first_seen: bool) -> bool:
    """Whether a held snapshot may stand for a target: never later than it (no look-ahead), and no older
    than the window's staleness; a first-seen window (OPEN) takes any earlier snapshot of its slate."""
    if held.valid_from > target.at:
        return False
    if first_seen and held.in_partition:
        return True
    return target.at - staleness <= held.valid_to


@dataclass
class SlatePlan:
    """What one slate's odds asset does at `now`: targets already held, references and calls to buy."""

    targets: list[Target]
    due: list[Target]  # targets whose time has come (at or before now)
    held: list[Target]  # due and served by a snapshot of this partition
    references: dict[Checkpoint, list[Target]]  # due and served by another partition's checkpoint
    calls: list[PlannedCall]  # what is left, grouped into historical calls

    @property
    def shared(self) -> int:
        """Due targets another slate's snapshot serves."""
        return sum(map(len, self.references.values()))


def plan_slate(
    targets: Sequence[Target],
    now: datetime,
    held: Sequence[Held],
    staleness: Mapping[str, timedelta],
    first_seen: frozenset[str] = frozenset(),
) -> SlatePlan:
    """One rule for the asset, the backfill planner and the bench: serve what is held, buy the rest."""
    due = [t for t in targets if t.at <= now]
    own = [h for h in held if h.in_partition]
    other = sorted((h for h in held if not h.in_partition), key=lambda h: h.valid_to, reverse=True)
    kept, refs, buy = [], {}, []
    for t in due:
        stale, first = staleness.get(t.window, timedelta(0)), t.window in first_seen
        if any(covers(h, t, stale, first) for h in own):
            kept.append(t)
            continue
        ref = next((h.checkpoint for h in other if h.checkpoint is not None and covers(h, t, stale, first)), None)
        if ref is not None:
            refs.setdefault(ref, []).append(t)
        else:
            buy.append(t)
    return SlatePlan(list(targets), due, kept, refs, plan_calls(buy, staleness))


ON_TIME, BACKFILLED, LATE, MISSED = "on_time", "backfilled", "late", "missed"


def timeliness(target: Target, held: Sequence[Held], staleness: timedelta, first_seen: bool) -> str:
    """How a due target was met, by the same `covers` rule the plan follows:
    on_time: a live snapshot taken at its moment serves it;
    backfilled: a historical snapshot serves it, and the slate was not tracked live yet when it came
      (a backfill of a past slate, or a window that passed before the slate's first live run);
    late: a historical snapshot serves it although the slate was tracked live before it (a live snapshot
      older than the target is held): its moment was missed and bought afterwards;
    missed: nothing held serves it."""
    live = [h for h in held if h.live]
    if any(covers(h, target, staleness, first_seen) for h in live):
        return ON_TIME
    if not any(covers(h, target, staleness, first_seen) for h in held):
        return MISSED
    return LATE if any(h.valid_from < target.at for h in live) else BACKFILLED


def window_timeliness(
    due: Sequence[Target], held: Sequence[Held], staleness: Mapping[str, timedelta], first_seen: frozenset[str],
    windows: Sequence[str],
) -> dict[str, dict[str, int]]:
    """Per window: how many due targets were met on time, backfilled, late or missed (`timeliness`)."""
    out = {w: dict.fromkeys((ON_TIME, BACKFILLED, LATE, MISSED), 0) for w in windows}
    for t in due:
        out[t.window][timeliness(t, held, staleness.get(t.window, timedelta(0)), t.window in first_seen)] += 1
    return out


def held_snapshots(
    store: BronzeStore, checkpoints: CheckpointStore, sport: str, day: date, fingerprint: str,
    around: tuple[datetime, datetime],
) -> list[Held]:
    """Odds snapshots that can serve a slate's targets: every one its partition already holds (live /odds
    and historical, across all of its runs) and the sport's checkpoints bought by other slates."""
    held: list[Held] = []
    for endpoint in ("odds", "historical_odds"):
        for _, manifest in store.manifests("oddsapi", sport, day, endpoint):
            for e in manifest.get("responses", []):
                if not e.get("valid_json", True) or not e.get("snapshot_timestamp"):
                    continue
                ts = parse_ts(e["snapshot_timestamp"])
                asked = parse_ts(e["requested_at"]) if e.get("requested_at") else ts
                held.append(Held(ts, max(ts, asked), in_partition=True, live=endpoint == "odds"))
    lo, hi = around
    for cp in checkpoints.held("historical_odds", fingerprint):
        valid_to = cp.next_timestamp - timedelta(microseconds=1) if cp.next_timestamp else cp.timestamp
        if valid_to >= lo and cp.timestamp <= hi:
            held.append(Held(cp.timestamp, valid_to, in_partition=False, checkpoint=cp))
    return held


def naive_calls(n_games: int, n_windows: int) -> int:
    """The baseline: one historical event-odds call per game per window."""
    return n_games * n_windows
