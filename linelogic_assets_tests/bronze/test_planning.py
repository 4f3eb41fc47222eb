from datetime import UTC, datetime, timedelta

from linelogic_assets.bronze.planning import CLOSE_EPSILON, plan_calls, window_targets
from linelogic_assets.config import SnapshotSchedule


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
