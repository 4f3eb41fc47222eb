"""The pregame snapshot sensor: each game's windows (OPEN, T-6h, T-60m, T-15m, CLOSE) and the sampling
cadence between them, turned into runs of the slate's bronze odds partition.

The decision is a pure function of the cursor, the free /events listing and the provider's clock
(`evaluate`), so it is tested tick by tick without Dagster's daemon. A window is requested `window_lead`
before its target: the run's live snapshot then lands at or before the target, which is what gold's
as-of rule needs. The lead covers the gap between two ticks in provider time (the daemon's tick gap
times the clock's speed), or a tick would step over the window. A run that starts late is not wrong,
only dearer: the odds asset buys the target's historical snapshot instead.

No window is skipped silently: one asked after its target passed is requested at once and flagged late
(run tag `linelogic/late_windows`, a warning), and one still open when its game starts (CLOSE, after a
tick gap over tip-off) is recorded as missed in the cursor, the tick's log and its skip reason.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import dagster as dg
import pandas as pd

from linelogic_assets.bronze.planning import Target, window_targets
from linelogic_assets.config import IngestConfig
from linelogic_assets.jobs import pregame_odds_job
from linelogic_assets.partitions import last_slate_date, partition_key
from linelogic_assets.providers.errors import MalformedResponseError, ProviderError
from linelogic_assets.providers.oddsapi.contracts import odds_event_problems
from linelogic_assets.providers.oddsapi.resource import OddsApiResource
from linelogic_assets.redact import scrub
from linelogic_assets.resources import LakeResource
from linelogic_assets.sensors import lifecycle
from linelogic_assets.sensors.lifecycle import CALLED_OFF
from linelogic_assets.sports import League, league_for
from linelogic_assets.timeutil import parse_ts

CURSOR_VERSION = 1
FORGET_AFTER = timedelta(days=1)  # a started game leaves the cursor this long after commence
TICK_INTERVAL_SECONDS = 15  # the daemon's ticks land 15-20 s apart (its loop runs every 5 s)


@dataclass
class Game:
    commence: datetime
    first_seen: datetime


@dataclass
class PregameState:
    """The cursor: what the listing showed, what was requested, and when each slate was last sampled."""

    refreshed: datetime | None = None
    games: dict[str, Game] = field(default_factory=dict)
    dropped: dict[str, str] = field(default_factory=dict)  # event id → why no more windows are requested
    done: dict[str, dict[str, str]] = field(default_factory=dict)  # event id → window → target requested
    sampled: dict[str, str] = field(default_factory=dict)  # slate date → last snapshot requested
    wake: datetime | None = None  # when the next window, sample or listing refresh falls due
    missed: dict[str, dict[str, str]] = field(default_factory=dict)  # event id → window → target never asked

    @classmethod
    def loads(cls, cursor: str | None) -> PregameState:
        if not cursor:
            return cls()
        d = json.loads(cursor)
        if d.get("v") != CURSOR_VERSION:
            return cls()
        return cls(
            refreshed=parse_ts(d["refreshed"]) if d.get("refreshed") else None,
            games={k: Game(parse_ts(c), parse_ts(f)) for k, (c, f) in d["games"].items()},
            dropped=d["dropped"], done=d["done"], sampled=d["sampled"],
            wake=parse_ts(d["wake"]) if d.get("wake") else None, missed=d.get("missed", {}),
        )

    def dumps(self) -> str:
        return json.dumps({
            "v": CURSOR_VERSION,
            "refreshed": self.refreshed.isoformat() if self.refreshed else None,
            "games": {k: [g.commence.isoformat(), g.first_seen.isoformat()] for k, g in sorted(self.games.items())},
            "dropped": self.dropped, "done": self.done, "sampled": self.sampled,
            "wake": self.wake.isoformat() if self.wake else None, "missed": self.missed,
        }, separators=(",", ":"))


@dataclass(frozen=True)
class SlateRequest:
    """One run of a slate's odds partition: the window targets it serves (none for a sampling snapshot)."""

    slate: date
    kind: str  # "window" | "sample"
    targets: tuple[Target, ...]
    at: datetime
    late: tuple[Target, ...] = ()  # targets already past when asked: served from history (held or bought)

    def run_key(self, sport: str) -> str:
        if self.kind == "sample":
            return f"sample:{sport}:{self.slate}:{self.at.isoformat()}"
        served = "|".join(sorted(f"{t.event_id}@{t.window}@{t.at.isoformat()}" for t in self.targets))
        return f"pregame:{sport}:{self.slate}:{hashlib.sha256(served.encode()).hexdigest()[:20]}"

    def tags(self) -> dict[str, str]:
        tags = {"linelogic/trigger": "pregame" if self.kind == "window" else "sampling",
                "linelogic/requested_at": self.at.isoformat(),
                # a window's snapshot is due before its target: it goes ahead of queued backfill runs (0)
                "dagster/priority": "10" if self.kind == "window" else "5"}
        if self.targets:
            tags["linelogic/windows"] = ",".join(sorted({t.window for t in self.targets}))
            tags["linelogic/target_time"] = min(t.at for t in self.targets).isoformat()
            tags["linelogic/games"] = str(len({t.event_id for t in self.targets}))
        if self.late:
            tags["linelogic/late_windows"] = ",".join(sorted({t.window for t in self.late}))
            tags["linelogic/late_targets"] = str(len(self.late))
        return tags


@dataclass
class PregameTick:
    requests: list[SlateRequest]
    state: PregameState
    dropped_now: dict[str, str]  # games dropped on this tick, and why
    waiting: int  # due work left for the next tick (paging)
    next_wake: datetime | None  # the earliest time something new becomes due
    lead: timedelta = timedelta(0)  # how long before its target each window was asked for
    missed_now: list[Target] = field(default_factory=list)  # windows whose game started before they were asked


def window_lead(cfg: IngestConfig, clock_speed: float) -> timedelta:
    """How long before its target a window is requested: `lead_seconds`, or longer when the sensor's
    ticks (`expected_tick_gap_seconds` of wall time apart, × `tick_gap_safety` for the run's start) span
    more provider time at `clock_speed` (provider seconds per wall second: 1 live, 10 in the demo), so
    a tick always lands inside the lead. Never longer than the tightest window's staleness, past which
    the early snapshot could not serve the window (the config already holds `lead_seconds` to it)."""
    auto = cfg.automation.pregame
    staleness = cfg.snapshot_schedule.staleness()
    caps = [staleness[w.name] for w in cfg.snapshot_schedule.windows if not w.first_seen]
    need = timedelta(seconds=auto.expected_tick_gap_seconds * clock_speed * auto.tick_gap_safety)
    return max(timedelta(seconds=auto.lead_seconds), min([need, *caps]))


def evaluate(
    state: PregameState,
    now: datetime,
    cfg: IngestConfig,
    league: League,
    listing: dict[str, datetime] | None = None,
    called_off: dict[str, str] | None = None,
    can_request=lambda slate: True,
    clock_speed: float = 0.0,
) -> PregameTick:
    """One tick. `listing` is the upcoming events (id → commence) when the sensor re-read it this tick;
    `called_off` the games silver knows are postponed or cancelled; `can_request(slate)` whether the
    slate's partition exists yet; `clock_speed` the provider clock's speed (see `window_lead`)."""
    auto = cfg.automation.pregame
    lead = window_lead(cfg, clock_speed)
    windows = cfg.snapshot_schedule.windows
    dropped_now: dict[str, str] = {}
    if listing is not None:
        for eid, commence in listing.items():
            known = state.games.get(eid)
            if known is None:
                state.games[eid] = Game(commence, now)
            elif known.commence != commence:  # rescheduled: its windows move with it
                known.commence = commence
            if state.dropped.get(eid, "").startswith("no longer listed"):
                del state.dropped[eid]  # listed again
        for eid, g in state.games.items():
            if eid not in listing and g.commence > now and eid not in state.dropped:
                state.dropped[eid] = dropped_now[eid] = "no longer listed before commence (postponed or cancelled)"
        state.refreshed = now
    for eid, status in (called_off or {}).items():
        if eid in state.games and eid not in state.dropped:
            state.dropped[eid] = dropped_now[eid] = status
    for eid in [e for e, g in state.games.items() if g.commence < now - FORGET_AFTER]:
        state.games.pop(eid)
        state.dropped.pop(eid, None)
        state.done.pop(eid, None)
        state.missed.pop(eid, None)

    due: dict[date, list[Target]] = {}
    upcoming: dict[date, datetime] = {}  # slate → its next commence
    next_wake: datetime | None = None
    missed_now: list[Target] = []
    for eid, g in state.games.items():
        if eid in state.dropped:
            continue
        slate = league.slate_date(g.commence)
        if g.commence > now:
            upcoming[slate] = min(upcoming.get(slate, g.commence), g.commence)
        done = state.done.get(eid, {})
        for w, t in zip(windows, window_targets(eid, g.commence, windows), strict=True):
            if done.get(w.name) == t.at.isoformat() or (w.first_seen and w.name in done):
                continue  # taken (a rescheduled game keeps its opening line, but its later windows move)
            if g.commence <= now:  # never a pregame window at or after commence: it is missed, and said so
                if state.missed.get(eid, {}).get(w.name) != t.at.isoformat():
                    state.missed.setdefault(eid, {})[w.name] = t.at.isoformat()
                    missed_now.append(t)
                continue
            fire_at = g.first_seen if w.first_seen else t.at - lead
            if fire_at <= now:
                due.setdefault(slate, []).append(t)
            else:
                next_wake = fire_at if next_wake is None else min(next_wake, fire_at)

    requests: list[SlateRequest] = []
    waiting = 0
    for slate in sorted(upcoming):
        if not can_request(slate):
            waiting += slate in due
            continue
        if len(requests) >= auto.max_runs_per_tick:
            waiting += 1
            continue
        interval = cfg.sampling.interval(upcoming[slate] - now)
        last = state.sampled.get(slate.isoformat())
        if slate in due:
            targets = tuple(sorted(due[slate], key=lambda t: (t.at, t.event_id, t.window)))
            late = tuple(t for t in targets if t.at < now and t.window not in cfg.snapshot_schedule.first_seen)
            requests.append(SlateRequest(slate, "window", targets, now, late))
            for t in targets:
                state.done.setdefault(t.event_id, {})[t.window] = t.at.isoformat()
        elif interval is not None and (last is None or now - parse_ts(last) >= interval):
            requests.append(SlateRequest(slate, "sample", (), now))
        else:
            if interval is not None and last is not None:
                nxt = parse_ts(last) + interval
                next_wake = nxt if next_wake is None else min(next_wake, nxt)
            continue
        state.sampled[slate.isoformat()] = now.isoformat()
        if interval is not None:
            next_wake = now + interval if next_wake is None else min(next_wake, now + interval)
    for slate in [s for s in state.sampled if date.fromisoformat(s) not in upcoming]:
        del state.sampled[slate]
    refresh = state.refreshed + timedelta(minutes=auto.schedule_refresh_minutes) if state.refreshed else now
    state.wake = min(refresh, next_wake) if next_wake else refresh
    return PregameTick(requests, state, dropped_now, waiting, next_wake, lead, missed_now)


def count_by_window(targets: list[Target]) -> str:
    """Targets in one line: count per window, e.g. "CLOSE ×3, T-15m ×1"."""
    counts: dict[str, int] = {}
    for t in targets:
        counts[t.window] = counts.get(t.window, 0) + 1
    return ", ".join(f"{w} ×{n}" for w, n in sorted(counts.items()))


def refresh_due(state: PregameState, now: datetime, cfg: IngestConfig) -> bool:
    every = timedelta(minutes=cfg.automation.pregame.schedule_refresh_minutes)
    return state.refreshed is None or now - state.refreshed >= every or now < state.refreshed


@dataclass
class Listing:
    """The upcoming events of one /events call, and what of it could not be read (kept out, counted)."""

    events: dict[str, datetime]
    unreadable: list[str] = field(default_factory=list)


def read_listing(oddsapi: OddsApiResource, sport: str, now: datetime) -> Listing:
    """The upcoming events from The Odds API's free /events endpoint (costs no credits).

    A body that is not a list of events raises MalformedResponseError (the tick keeps its last listing);
    an event without a usable id or commence_time is left out with its reason, never a crash.
    """
    client = oddsapi.client()
    try:
        response = client.events(sport, commence_from=now)
    finally:
        client.close()
    body = response.json()
    if not isinstance(body, list):
        raise MalformedResponseError(f"/events answered {type(body).__name__}, not a list of events",
                                     provider="oddsapi", endpoint="events")
    listing = Listing({})
    for ev in body:
        found = odds_event_problems(ev, with_bookmakers=False)
        if not found and not isinstance(ev["id"], str):
            found = [f"id is {type(ev['id']).__name__}, not a string"]
        if not found:
            try:
                listing.events[ev["id"]] = parse_ts(ev["commence_time"])
                continue
            except ValueError as err:
                found = [f"commence_time: {err}"]
        listing.unreadable.append(f"{ev.get('id') if isinstance(ev, dict) else '?'}: {found[0]}")
    return listing


def silver_events(root: Path, sport: str, days: list[date]) -> pd.DataFrame:
    """The silver `event` rows of some slates, a row per The Odds API id of each (`oddsapi_id`, None where
    it has none)."""
    events = lifecycle.silver_events(root, sport, days)
    return lifecycle.with_provider_ids(events, root, sport, days, "oddsapi", "oddsapi_id")


def called_off_games(lake: LakeResource, sport: str, league: League, state: PregameState) -> dict[str, str]:
    """Games silver already knows are postponed or cancelled (from BALLDONTLIE's status), by Odds API id."""
    slates = sorted({league.slate_date(g.commence) for g in state.games.values()})
    if not slates:
        return {}
    events = silver_events(lake.root, sport, slates)
    off = events[events["status"].isin(CALLED_OFF) & events["oddsapi_id"].notna()]
    return {row.oddsapi_id: str(row.status) for row in off.itertuples()}


def build_pregame_sensor(sport: str) -> dg.SensorDefinition:
    league = league_for(sport)

    @dg.sensor(
        name=f"pregame_snapshots_{league.league}",
        job=pregame_odds_job,
        # the daemon ticks it every 15-20 s of wall time (automation.pregame.expected_tick_gap_seconds), which
        # `window_lead` turns into provider time, so a window is met before its target at any clock speed
        minimum_interval_seconds=TICK_INTERVAL_SECONDS,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=f"{league.title} pregame snapshots: requests the slate's odds partition at each game's "
        "windows (OPEN at first sight, T-6h, T-60m, T-15m, CLOSE; automation.pregame in config) and at the "
        "sampling cadence between them; skips games that were postponed or cancelled; flags windows asked late "
        "and records those its game started before (missed) in the tick's log.",
    )
    def _sensor(context: dg.SensorEvaluationContext, lake: LakeResource, oddsapi: OddsApiResource):
        cfg = lake.config
        if sport not in cfg.enabled_sports:
            return dg.SkipReason(f"{sport} is disabled in config")
        state = PregameState.loads(context.cursor)
        now = oddsapi.now()
        listing = None
        if refresh_due(state, now, cfg):
            try:
                read = read_listing(oddsapi, sport, now)
                listing = read.events
                for why in read.unreadable:
                    context.log.warning(scrub(f"/events: an event left out of the listing, {why}"))
            except ProviderError as err:  # keep the last listing; the next tick tries again
                context.log.warning(scrub(f"/events unavailable, using the listing of {state.refreshed}: {err}"))
        horizon = last_slate_date()
        tick = evaluate(
            state, now, cfg, league, listing, called_off_games(lake, sport, league, state),
            can_request=lambda slate: horizon is None or slate <= horizon, clock_speed=oddsapi.clock_speed(),
        )
        # event ids are the provider's text too: every line goes through the one redaction rule
        for eid, why in tick.dropped_now.items():
            context.log.info(scrub(f"{eid}: dropped, {why}"))
        lead = f"lead {tick.lead.total_seconds():.0f} s"
        for r in tick.requests:
            for t in r.late:
                context.log.warning(scrub(f"{t.event_id} {t.window} of {r.slate}: late, asked {now - t.at} after "
                                          f"its target {t.at.isoformat()} ({lead}); served from history (held or bought)"))
        for t in tick.missed_now:
            context.log.warning(scrub(f"{t.event_id} {t.window} of {league.slate_date(t.commence)}: missed, its "
                                      f"game started at {t.commence.isoformat()} before a tick asked for it ({lead})"))
        runs = [
            dg.RunRequest(run_key=r.run_key(sport), partition_key=partition_key(sport, r.slate), tags=r.tags())
            for r in tick.requests
        ]
        skip = None
        if not runs:
            wake = tick.next_wake.isoformat() if tick.next_wake else "no upcoming game listed"
            skip = f"nothing due at {now.isoformat()} ({len(state.games)} games tracked); next: {wake}"
            if tick.missed_now:
                skip += f"; missed: {count_by_window(tick.missed_now)}"
        return dg.SensorResult(run_requests=runs, cursor=tick.state.dumps(), skip_reason=skip)

    return _sensor
