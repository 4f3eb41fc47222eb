from datetime import UTC, datetime, timedelta

from linelogic_assets.bronze.planning import CLOSE_EPSILON, window_targets
from linelogic_assets.config import SnapshotSchedule
from linelogic_assets.providers.oddsapi.planning import plan_calls


def test_targets_never_look_ahead_and_shared_calls_cover_close_games() -> None:
    windows = SnapshotSchedule().windows
    t0 = datetime(2025, 11, 11, 0, 0, tzinfo=UTC)
    games = {"a": t0, "b": t0, "c": t0 + timedelta(minutes=30), "d": t0 + timedelta(minutes=3)}
    targets = [t for gid, c in games.items() for t in window_targets(gid, c, windows)]
    calls = plan_calls(targets, {w.name: timedelta(minutes=5) for w in windows})
    served = [t for c in calls for t in c.targets]
    assert sorted(served, key=id) == sorted(targets, key=id)
    for call in calls:
        for t in call.targets:
            assert call.at <= t.at, "a call after its target would be a look-ahead"
            assert t.at - call.at <= timedelta(minutes=5)
    close = [t for t in targets if t.window == "CLOSE" and t.event_id == "a"][0]
    assert close.at == t0 - CLOSE_EPSILON
    # a, b and d share every window; c (30 min later) gets its own calls, except T-6h/OPEN overlap none
    assert len(calls) < len(targets)
    assert len(calls) == 10


def test_per_window_staleness_shares_more_and_still_never_looks_ahead() -> None:
    schedule = SnapshotSchedule()
    t0 = datetime(2025, 11, 11, 0, 0, tzinfo=UTC)
    starts = [t0, t0 + timedelta(minutes=30), t0 + timedelta(hours=1), t0 + timedelta(hours=3)]
    targets = [t for i, c in enumerate(starts) for t in window_targets(str(i), c, schedule.windows)]
    flat = plan_calls(targets, {w.name: timedelta(minutes=5) for w in schedule.windows})
    per_window = plan_calls(targets, schedule.staleness())
    assert len(per_window) < len(flat)
    limits = schedule.staleness()
    for call in per_window:
        for t in call.targets:
            assert call.at <= t.at and t.at - call.at <= limits[t.window]


def test_held_snapshots_serve_targets_without_look_ahead_or_staleness() -> None:
    from linelogic_assets.bronze.checkpoints import Checkpoint
    from linelogic_assets.providers.oddsapi.planning import Held, covers, plan_slate

    schedule = SnapshotSchedule()
    stale = schedule.staleness()
    t0 = datetime(2025, 11, 11, 0, 0, tzinfo=UTC)
    targets = {t.window: t for t in window_targets("g", t0, schedule.windows)}
    live = Held(t0 - timedelta(minutes=62), t0 - timedelta(minutes=62), in_partition=True)  # 2 min before T-60m
    assert covers(live, targets["T-60m"], stale["T-60m"], False)
    assert not covers(live, targets["T-15m"], stale["T-15m"], False)  # 47 minutes old: stale
    late = Held(t0 - timedelta(minutes=59), t0 - timedelta(minutes=59), in_partition=True)
    assert not covers(late, targets["T-60m"], stale["T-60m"], False)  # a minute after the target: look-ahead
    # OPEN is first seen: any earlier snapshot of the slate serves it, but never another slate's old one
    early = Held(t0 - timedelta(days=2), t0 - timedelta(days=2), in_partition=True)
    assert covers(early, targets["OPEN"], stale["OPEN"], True)
    foreign = Held(t0 - timedelta(days=2), t0 - timedelta(days=2), in_partition=False, checkpoint=None)
    assert not covers(foreign, targets["OPEN"], stale["OPEN"], True)
    # a historical checkpoint answers any request in [timestamp, next): it serves a target up to its staleness
    cp = Checkpoint(t0 - timedelta(minutes=20), t0 - timedelta(minutes=16), "ref", "sha", 1)
    shared = Held(cp.timestamp, cp.next_timestamp - timedelta(microseconds=1), in_partition=False, checkpoint=cp)
    plan = plan_slate(list(targets.values()), t0, [live, shared], stale, schedule.first_seen)
    assert plan.held == [targets["T-60m"]]
    assert plan.references == {cp: [targets["T-15m"]]}  # 5 minutes old at its target: within T-15m's staleness
    assert {t.window for c in plan.calls for t in c.targets} == {"OPEN", "T-6h", "CLOSE"}
    too_new = Checkpoint(t0 - timedelta(minutes=14), t0 - timedelta(minutes=10), "ref", "sha", 1)
    held = Held(too_new.timestamp, too_new.next_timestamp, in_partition=False, checkpoint=too_new)
    assert not covers(held, targets["T-15m"], stale["T-15m"], False)  # taken after the target
    # nothing due before its time: seven hours out, only OPEN's target (a day before) has passed
    assert plan_slate(list(targets.values()), t0 - timedelta(hours=7), [], stale).due == [targets["OPEN"]]
