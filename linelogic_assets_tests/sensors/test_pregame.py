"""The pregame snapshot sensor over simulated slate days, tick by tick with the simulator's clock."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta

import dagster as dg
import pytest

from linelogic_assets.bronze.planning import CLOSE_EPSILON
from linelogic_assets.config import load_config
from linelogic_assets.definitions import defs
from linelogic_assets.providers.oddsapi.resource import OddsApiResource
from linelogic_assets.providers.oddsapi.sensors import PregameState, evaluate
from linelogic_assets.resources import LakeResource, simulator_for
from linelogic_assets.sports import league_for
from linelogic_assets_tests.bronze.test_assets import write_config
from linelogic_assets_tests.loopback import LoopbackServer

NBA = "basketball_nba"
POSTPONED_SLATE = date(2025, 11, 24)  # the simulated season postpones one of this slate's games at 14:55Z
# these tests move the simulator's clock: a start of their own keeps them off the shared default simulator
OWN_CLOCK = {"start": "2025-11-24T14:00:00Z", "speed": 0}
WINDOWS = ("OPEN", "T-6h", "T-60m", "T-15m", "CLOSE")


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


class Driver:
    """Ticks one sport's pregame sensor against the in-process simulator, carrying the cursor."""

    def __init__(self, config_path: str, sport: str, instance: dg.DagsterInstance) -> None:
        self.cfg = load_config(config_path)
        self.sim = simulator_for(self.cfg)
        self.sensor = defs.get_sensor_def(f"pregame_snapshots_{league_for(sport).league}")
        self.resources = {"lake": LakeResource(config_path=config_path), "oddsapi": OddsApiResource(config_path=config_path)}
        self.instance, self.cursor = instance, None
        self.skip: str | None = None
        self.logs: list[str] = []  # every line the ticks logged

    def tick(self, now: datetime | None = None) -> list[dg.RunRequest]:
        """One tick at `now` (the clock is set there), or wherever the simulator's clock has run to."""
        if now is not None:
            self.sim.clock.set(now)
        ctx = dg.build_sensor_context(instance=self.instance, cursor=self.cursor, resources=self.resources,
                                      definitions=defs)
        ctx.log.addHandler(self.keep)
        data = self.sensor.evaluate_tick(ctx)
        self.cursor, self.skip = data.cursor, data.skip_message
        return list(data.run_requests or [])

    @property
    def keep(self) -> logging.Handler:
        logs = self.logs

        class Keep(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                logs.append(record.getMessage())

        return Keep()


@pytest.fixture
def instance():
    with dg.instance_for_test() as inst:
        yield inst


def test_a_slate_day_gets_exactly_its_windows_once_never_after_commence_and_drops_the_postponed_game(
    tmp_path, lake_root, instance
) -> None:
    cfg_path = write_config(tmp_path, sampling={"mode": "off"}, simulator__clock=OWN_CLOCK)
    driver = Driver(cfg_path, NBA, instance)
    games = driver.sim.games("nba", POSTPONED_SLATE)
    postponed = [g for g in games if g.postponed]
    assert len(postponed) == 1 and len(games) >= 5
    lead = timedelta(seconds=driver.cfg.automation.pregame.lead_seconds)

    start = at(2025, 11, 24, 14)  # the slate's games are listed (lines open 48 h ahead); none has started
    requests: list[tuple[datetime, dg.RunRequest]] = []
    served: dict[tuple[str, str], tuple[datetime, str]] = {}  # (event, window) → (tick, run key), from the cursor
    t, step = start, timedelta(minutes=2)
    while t <= at(2025, 11, 25, 6):
        before = PregameState.loads(driver.cursor).done
        new = driver.tick(t)
        requests += [(t, r) for r in new]
        after = PregameState.loads(driver.cursor).done
        for eid, windows in after.items():
            for w in windows:
                if w not in before.get(eid, {}):
                    assert (eid, w) not in served, "a window is requested once"
                    served[(eid, w)] = (t, [r.run_key for r in new])
        t += step

    assert len({r.run_key for _, r in requests}) == len(requests), "no run key twice"
    key = dg.MultiPartitionKey({"sport": NBA, "date": str(POSTPONED_SLATE)})
    ours = [(when, r) for when, r in requests if r.partition_key == key]
    assert all(r.tags["linelogic/trigger"] == "pregame" for _, r in ours)
    assert all(r.tags["dagster/priority"] == "10" for _, r in ours)  # ahead of queued backfill runs
    by_game = {g.event_id: g for g in games}
    got = {k: v for k, v in served.items() if k[0] in by_game}
    expected = {(g.event_id, w) for g in games if not g.postponed for w in WINDOWS}
    expected.add((postponed[0].event_id, "OPEN"))  # seen and opened before the postponement was announced
    assert set(got) == expected
    for (eid, w), (when, keys) in got.items():
        g = by_game[eid]
        assert when < g.commence_time, "never a pregame window at or after commence"
        assert any(k in {r.run_key for _, r in ours} for k in keys), "the tick that marked it requested its slate"
        if w == "OPEN":
            assert when == start  # first seen
        else:  # asked `lead` before its target (within one tick): the live snapshot lands at or before it
            target = _target(g.commence_time, w)
            assert target - lead <= when <= target and when < target - lead + step
    # one run per distinct instant: the games sharing a window time share the run
    assert len(ours) == len({when for when, _ in ours})
    # the cursor says why the postponed game stopped getting windows
    state = PregameState.loads(driver.cursor)
    assert "postponed" in state.dropped[postponed[0].event_id]


def _target(commence: datetime, window: str) -> datetime:
    offsets = {"OPEN": -1440, "T-6h": -360, "T-60m": -60, "T-15m": -15, "CLOSE": 0}
    m = offsets[window]
    return commence - CLOSE_EPSILON if m == 0 else commence + timedelta(minutes=m)


def _cfg(**sampling):
    import yaml

    from linelogic_assets.config import DEFAULT_CONFIG_PATH, parse_config

    raw = yaml.safe_load(DEFAULT_CONFIG_PATH.read_text())
    raw["sampling"].update(sampling)
    return parse_config(raw)


LEAGUE = league_for(NBA)


def test_fixed_sampling_snapshots_each_slate_within_the_horizon_every_interval() -> None:
    cfg = _cfg(mode="fixed", fixed_interval_minutes=30, horizon_hours=24)
    t0 = at(2025, 11, 24, 12)
    listing = {"soon": at(2025, 11, 25, 0), "later": at(2025, 11, 27, 0)}  # 12 h and 60 h ahead
    state, samples = PregameState(), []
    for minutes in range(0, 181, 10):
        now = t0 + timedelta(minutes=minutes)
        tick = evaluate(state, now, cfg, LEAGUE, listing if minutes == 0 else None)
        samples += [(minutes, r.slate) for r in tick.requests if r.kind == "sample"]
        if minutes == 0:  # first sight: OPEN for both slates, which also counts as their snapshot
            assert {(r.kind, r.slate) for r in tick.requests} == {("window", date(2025, 11, 24)),
                                                                  ("window", date(2025, 11, 26))}
    # the near slate every 30 minutes; the slate 60 h out only gets its windows
    assert samples == [(m, date(2025, 11, 24)) for m in (30, 60, 90, 120, 150, 180)]


def test_adaptive_sampling_tightens_as_commence_nears_and_off_samples_nothing() -> None:
    cfg = _cfg(mode="adaptive")
    assert [cfg.sampling.interval(timedelta(hours=h)) for h in (20, 2, 0.5)] == [
        timedelta(minutes=15), timedelta(minutes=5), timedelta(minutes=1)]
    assert cfg.sampling.interval(timedelta(hours=30)) is None  # beyond the horizon: windows only
    commence = at(2025, 11, 25, 0)
    state, times = PregameState(), []
    for minutes in range(0, 24 * 60):
        now = commence - timedelta(hours=12) + timedelta(minutes=minutes)
        if now >= commence:
            break
        tick = evaluate(state, now, cfg, LEAGUE, {"g": commence} if minutes == 0 else None)
        times += [now for r in tick.requests]
    gaps = [(b - a, commence - b) for a, b in zip(times, times[1:], strict=False)]
    assert all(gap <= timedelta(minutes=15) for gap, _ in gaps)
    assert all(gap == timedelta(minutes=1) for gap, left in gaps if left < timedelta(minutes=55))
    off = _cfg(mode="off")
    state = PregameState()
    evaluate(state, commence - timedelta(hours=3), off, LEAGUE, {"g": commence})
    assert evaluate(state, commence - timedelta(hours=2), off, LEAGUE).requests == []


def test_paging_defers_what_does_not_fit_to_the_next_tick() -> None:
    cfg = _cfg(mode="off")
    cfg.automation.pregame.max_runs_per_tick = 2
    now = at(2025, 11, 24, 12)
    listing = {f"g{d}": at(2025, 11, 25 + d, 1) for d in range(5)}  # five slates seen at once
    state = PregameState()
    first = evaluate(state, now, cfg, LEAGUE, listing)
    assert len(first.requests) == 2 and first.waiting == 3
    second = evaluate(state, now + timedelta(seconds=30), cfg, LEAGUE)
    third = evaluate(state, now + timedelta(seconds=60), cfg, LEAGUE)
    slates = [r.slate for t in (first, second, third) for r in t.requests]
    assert len(slates) == len(set(slates)) == 5 and third.waiting == 0


def test_games_silver_calls_off_are_dropped_and_a_rescheduled_game_gets_new_windows() -> None:
    cfg = _cfg(mode="off")
    now = at(2025, 11, 24, 12)
    commence = at(2025, 11, 25, 0)
    state = PregameState()
    evaluate(state, now, cfg, LEAGUE, {"a": commence, "b": commence})
    tick = evaluate(state, commence - timedelta(hours=6, minutes=1), cfg, LEAGUE, called_off={"a": "postponed"})
    assert tick.dropped_now == {"a": "postponed"}
    assert {t.event_id for r in tick.requests for t in r.targets} == {"b"}
    # b moves an hour later: its T-6h is asked again at the new time, not at the old one
    moved = commence + timedelta(hours=1)
    tick = evaluate(state, commence - timedelta(hours=5, minutes=30), cfg, LEAGUE, {"b": moved})
    assert tick.requests == []
    tick = evaluate(state, moved - timedelta(hours=6, minutes=2), cfg, LEAGUE)
    assert [(t.event_id, t.window) for r in tick.requests for t in r.targets] == [("b", "T-6h")]


def test_a_stale_or_foreign_cursor_starts_over() -> None:
    assert PregameState.loads('{"v": 0}').games == {}
    state = PregameState()
    evaluate(state, at(2025, 11, 24, 12), _cfg(), LEAGUE, {"a": at(2025, 11, 25, 0)})
    assert PregameState.loads(state.dumps()).dumps() == state.dumps()


def test_a_fifteen_game_slate_is_one_run_per_window_instant(tmp_path, lake_root, instance) -> None:
    cfg_path = write_config(tmp_path, sampling={"mode": "off"}, simulator__clock=OWN_CLOCK)
    driver = Driver(cfg_path, "baseball_mlb", instance)
    slate = date(2025, 4, 2)
    games = driver.sim.games("mlb", slate)
    assert len(games) == 15
    first = driver.tick(min(g.commence_time for g in games) - timedelta(hours=7))
    ours = [r for r in first if r.partition_key.keys_by_dimension["date"] == str(slate)]
    assert len(ours) == 1 and ours[0].tags["linelogic/games"] == "15"  # OPEN for all fifteen in one run
    assert ours[0].tags["linelogic/windows"] == "OPEN"


class WallSeconds:
    """The monotonic clock behind a running simulator clock, moved by the test instead of by time."""

    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def _first_served(driver: Driver, ticks) -> dict[tuple[str, str], tuple[datetime, dict[str, str]]]:
    """(event, window) → (the provider time of the tick that requested it, that run's tags)."""
    served: dict[tuple[str, str], tuple[datetime, dict[str, str]]] = {}
    for _ in ticks:
        before = PregameState.loads(driver.cursor).done
        now = driver.sim.clock.now()
        new = driver.tick()
        for eid, windows in PregameState.loads(driver.cursor).done.items():
            for w in windows:
                if w not in before.get(eid, {}):
                    tags = next(r.tags for r in new if eid in _events_of(driver, r))
                    served[(eid, w)] = (now, tags)
    return served


def _events_of(driver: Driver, request: dg.RunRequest) -> set[str]:
    day = date.fromisoformat(request.partition_key.keys_by_dimension["date"])
    return {g.event_id for g in driver.sim.games("nba", day)}


def test_ticks_200_simulated_seconds_apart_at_10x_still_request_every_window_before_its_target(
    tmp_path, lake_root, instance
) -> None:
    """The demo's daemon ticks the sensor every 15-20 s of wall time; at 10× that is 150-200 provider
    seconds, more than the configured 120 s lead. Each window must still be asked before its target (so
    the live snapshot serves it) and no earlier than its staleness (or that snapshot could not)."""
    cfg_path = write_config(tmp_path, sampling={"mode": "off"},
                            simulator__clock={"start": "2025-11-24T14:00:00Z", "speed": 10})
    driver = Driver(cfg_path, NBA, instance)
    wall = WallSeconds()
    driver.sim.clock.monotonic = wall  # the simulator's clock runs at 10× the wall seconds the test moves
    driver.sim.clock.set(at(2025, 11, 24, 14))
    games = [g for g in driver.sim.games("nba", POSTPONED_SLATE) if not g.postponed]
    end = max(g.commence_time for g in games) + timedelta(minutes=10)

    def ticks():
        while driver.sim.clock.now() <= end:
            yield
            wall.t += 20  # the daemon's slowest measured gap: 200 provider seconds

    served = _first_served(driver, ticks())
    staleness = driver.cfg.snapshot_schedule.staleness()
    for g in games:
        for w in ("T-6h", "T-60m", "T-15m", "CLOSE"):
            assert (g.event_id, w) in served, f"{w} of {g.event_id} never requested"
            when, tags = served[(g.event_id, w)]
            target = _target(g.commence_time, w)
            assert target - staleness[w] <= when < target, (w, when, target)
            assert "linelogic/late_windows" not in tags
    assert not PregameState.loads(driver.cursor).missed
    assert not any("missed" in line or "late" in line for line in driver.logs)


def test_a_window_asked_after_its_target_is_flagged_late_and_one_after_tip_off_is_recorded_missed(
    tmp_path, lake_root, instance
) -> None:
    """A daemon that stalls (a restart, a long tick) over a window: the window is still requested when the
    game has not started, flagged late; once the game has started, it is recorded as missed, never dropped
    without a word."""
    cfg_path = write_config(tmp_path, sampling={"mode": "off"}, simulator__clock=OWN_CLOCK)
    driver = Driver(cfg_path, NBA, instance)
    games = [g for g in driver.sim.games("nba", POSTPONED_SLATE) if not g.postponed]
    first = min(g.commence_time for g in games)
    opening = {g.event_id for g in games if g.commence_time == first}
    driver.tick(at(2025, 11, 24, 14))  # first sight: OPEN

    # the next tick comes 30 minutes before the first tip-off: T-6h and T-60m of the first games are past
    now = first - timedelta(minutes=30)
    late = [r for r in driver.tick(now) if r.partition_key.keys_by_dimension["date"] == str(POSTPONED_SLATE)]
    assert len(late) == 1 and late[0].tags["linelogic/late_windows"] == "T-60m,T-6h"
    past = [(g.event_id, w) for g in games for w in WINDOWS[1:] if _target(g.commence_time, w) < now]
    assert int(late[0].tags["linelogic/late_targets"]) == len(past) > 2 * len(opening)
    assert any(f"{eid} T-60m" in line and "late" in line for eid in opening for line in driver.logs)

    # and the one after that lands after tip-off: T-15m and CLOSE of the first games were never asked
    driver.tick(first + timedelta(minutes=2))
    missed = PregameState.loads(driver.cursor).missed
    assert {eid for eid, ws in missed.items() if set(ws) == {"T-15m", "CLOSE"}} == opening
    assert set(missed) == opening
    for eid in opening:
        assert any(f"{eid} CLOSE" in line and "missed" in line for line in driver.logs)
    if driver.skip is not None:  # no run this tick: the tick's skip reason says it too
        assert "missed: CLOSE" in driver.skip
    # said once: a later tick does not report the same windows again
    lines = len(driver.logs)
    driver.tick(first + timedelta(minutes=4))
    assert not any("missed" in line for line in driver.logs[lines:])


def test_the_lead_covers_the_tick_gap_at_the_clock_speed_within_the_windows_staleness() -> None:
    from linelogic_assets.providers.oddsapi.sensors import window_lead

    cfg = _cfg()
    auto = cfg.automation.pregame
    assert window_lead(cfg, 0) == timedelta(seconds=auto.lead_seconds)  # a frozen clock: as configured
    assert window_lead(cfg, 1) == timedelta(seconds=auto.lead_seconds)  # live: 20 s × 1.5 is under 120 s
    assert window_lead(cfg, 10) == timedelta(minutes=5)  # demo: 20 s × 10 × 1.5 = 300 s, the staleness cap
    assert window_lead(cfg, 50) == timedelta(minutes=5)  # never past the tightest window's staleness
    auto.tick_gap_safety = 1.0
    assert window_lead(cfg, 10) == timedelta(seconds=auto.expected_tick_gap_seconds * 10)


# -- a malformed /events answer never crashes the tick -------------------------------------------------------
GOOD_EVENT = {"id": "e1", "sport_key": NBA, "commence_time": "2099-01-01T00:00:00Z", "home_team": "Boston Celtics",
              "away_team": "Los Angeles Lakers"}


@pytest.mark.parametrize("body, tracked", [
    ({"message": "not a list"}, 0),
    ([GOOD_EVENT, {**GOOD_EVENT, "id": "e2", "commence_time": "yesterday"}, {**GOOD_EVENT, "id": None},
      "garbage", {**GOOD_EVENT, "id": "e3", "commence_time": 1e300}, {"id": "e4"}], 1),
])
def test_a_malformed_events_listing_is_logged_and_never_crashes_the_tick(body, tracked, tmp_path, lake_root,
                                                                         monkeypatch) -> None:
    import json

    answer = json.dumps(body).encode()
    server = LoopbackServer(lambda *request: (200, answer))
    monkeypatch.setenv("ODDS_API_KEY", "k" * 32)
    retry = {"max_attempts": 1, "backoff_base_seconds": 0, "backoff_max_seconds": 0, "timeout_seconds": 5,
             "circuit_breaker_failures": 5, "circuit_breaker_reset_seconds": 60}
    config = write_config(tmp_path, mode="live", oddsapi__base_url=server.url, oddsapi__retry=retry)
    try:
        with dg.instance_for_test() as instance:
            driver = Driver(config, NBA, instance)
            driver.tick()
    finally:
        server.close()
    state = PregameState.loads(driver.cursor)
    assert len(state.games) == tracked
    warned = [m for m in driver.logs if "/events" in m]
    assert warned, driver.logs
    if tracked:  # every bad event is named, the good one is tracked
        assert sum("left out of the listing" in m for m in warned) == 5
