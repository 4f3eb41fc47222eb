"""The results sensor: once a slate's games have had time to end, poll scores and results until every
game is final, postponed or cancelled.

Statuses come from silver `event` (BALLDONTLIE's status and The Odds API's `completed`), which the
automation rebuilds after each results run, so the loop closes without the sensor calling a provider.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import dagster as dg
import pandas as pd

from linelogic_assets.config import IngestConfig
from linelogic_assets.jobs import results_job
from linelogic_assets.partitions import partition_key
from linelogic_assets.resources import ClockResource, LakeResource
from linelogic_assets.sensors.lifecycle import TERMINAL, silver_events
from linelogic_assets.sports import League, league_for
from linelogic_assets.timeutil import parse_ts

CURSOR_VERSION = 1


@dataclass
class ResultsState:
    status: dict[str, str] = field(default_factory=dict)  # canonical event id → last status seen
    polled: dict[str, str] = field(default_factory=dict)  # slate date → last results run requested
    wake: datetime | None = None  # when the next poll falls due

    @classmethod
    def loads(cls, cursor: str | None) -> ResultsState:
        d = json.loads(cursor) if cursor else {}
        if d.get("v") != CURSOR_VERSION:
            return cls()
        return cls(d["status"], d["polled"], parse_ts(d["wake"]) if d.get("wake") else None)

    def dumps(self) -> str:
        wake = self.wake.isoformat() if self.wake else None
        return json.dumps({"v": CURSOR_VERSION, "status": self.status, "polled": self.polled, "wake": wake},
                          separators=(",", ":"))


@dataclass(frozen=True)
class ResultsRequest:
    slate: date
    at: datetime
    pending: tuple[str, ...]  # canonical ids of games not yet final

    def run_key(self, sport: str) -> str:
        return f"results:{sport}:{self.slate}:{self.at.isoformat()}"

    def tags(self) -> dict[str, str]:
        return {"linelogic/trigger": "results", "linelogic/requested_at": self.at.isoformat(),
                "linelogic/games_pending": str(len(self.pending))}


@dataclass
class ResultsTick:
    requests: list[ResultsRequest]
    state: ResultsState
    transitions: list[tuple[str, str, str]]  # (event, from, to)
    next_wake: datetime | None


def lifecycle(status: str, commence: datetime, now: datetime) -> str:
    """scheduled → live once the game's start has passed, whatever silver last heard; terminal states stay."""
    if status in TERMINAL or status == "live":
        return status
    return "live" if commence <= now else "scheduled"


def evaluate(state: ResultsState, events: pd.DataFrame, now: datetime, cfg: IngestConfig) -> ResultsTick:
    """One tick over the silver events of the slates in reach (one row per canonical event)."""
    rc = cfg.automation.results
    first_after, every = timedelta(minutes=rc.first_poll_after_minutes), timedelta(minutes=rc.poll_interval_minutes)
    give_up = timedelta(hours=rc.give_up_after_hours)
    transitions, pending = [], {}
    next_wake: datetime | None = None
    seen = set()
    for row in events.itertuples():
        eid, commence = row.canonical_event_id, row.commence_time_utc.to_pydatetime()
        seen.add(eid)
        status = lifecycle(str(row.status), commence, now)
        before = state.status.get(eid, "scheduled")
        if status != before:
            transitions.append((eid, before, status))
        state.status[eid] = status
        if status in TERMINAL or now - commence > give_up:
            continue
        if now < commence + first_after:
            wake = commence + first_after
            next_wake = wake if next_wake is None else min(next_wake, wake)
            continue
        pending.setdefault(row.slate_date, []).append(eid)
    for eid in [e for e in state.status if e not in seen]:
        del state.status[eid]
    requests = []
    for slate, ids in sorted(pending.items()):
        last = state.polled.get(slate.isoformat())
        if last is None or now - parse_ts(last) >= every:
            requests.append(ResultsRequest(slate, now, tuple(sorted(ids))))
            state.polled[slate.isoformat()] = now.isoformat()
            last = now.isoformat()
        wake = parse_ts(last) + every
        next_wake = wake if next_wake is None else min(next_wake, wake)
    for slate in [s for s in state.polled if date.fromisoformat(s) not in pending]:
        del state.polled[slate]
    state.wake = next_wake
    return ResultsTick(requests, state, transitions, next_wake)


def slates_in_reach(now: datetime, cfg: IngestConfig, league: League) -> list[date]:
    """Slates whose games may still be waiting for a result: today's back to the give-up horizon."""
    today = league.slate_date(now)
    days = cfg.automation.results.give_up_after_hours // 24 + 1
    return [today - timedelta(days=i) for i in range(days, -1, -1)]


def build_results_sensor(sport: str) -> dg.SensorDefinition:
    league = league_for(sport)

    @dg.sensor(
        name=f"results_{league.league}",
        job=results_job,
        minimum_interval_seconds=30,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=f"{league.title} results: after games end, polls scores, results and box scores of the "
        "slate until every game is final, postponed or cancelled (automation.results in config).",
    )
    def _sensor(context: dg.SensorEvaluationContext, lake: LakeResource, clock: ClockResource):
        cfg = lake.config
        if sport not in cfg.enabled_sports:
            return dg.SkipReason(f"{sport} is disabled in config")
        state = ResultsState.loads(context.cursor)
        now = clock.now()
        events = silver_events(lake.root, sport, slates_in_reach(now, cfg, league))
        events = events.drop_duplicates("canonical_event_id")
        tick = evaluate(state, events, now, cfg)
        for eid, before, after in tick.transitions:
            context.log.info(f"{eid}: {before} → {after}")
        runs = [dg.RunRequest(run_key=r.run_key(sport), partition_key=partition_key(sport, r.slate), tags=r.tags())
                for r in tick.requests]
        skip = None
        if not runs:
            open_games = sum(s not in TERMINAL for s in tick.state.status.values())
            skip = (f"no results due at {now.isoformat()}: {open_games} games not final"
                    + (f", next poll {tick.next_wake.isoformat()}" if tick.next_wake else ""))
        return dg.SensorResult(run_requests=runs, cursor=tick.state.dumps(), skip_reason=skip)

    return _sensor
