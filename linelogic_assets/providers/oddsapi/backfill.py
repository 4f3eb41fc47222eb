"""What a historical odds backfill costs before anything is spent, by the same rule the odds asset follows.

The schedule comes from a free endpoint (another provider's games; for a league without one, the events
bronze already holds). Slates are planned in date order as a partition backfill runs them: each slate's
window targets are served by what is held (its own snapshots, other slates' checkpoints, and the calls
planned for earlier slates), and the rest is grouped into shared historical calls (`plan_slate`).
The asset never pays more than this: a real snapshot serves at least the instant it was asked for.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from linelogic_assets.bronze.backfill import NoFreeScheduleError
from linelogic_assets.bronze.checkpoints import Checkpoint, CheckpointStore, params_fingerprint
from linelogic_assets.bronze.planning import window_targets
from linelogic_assets.bronze.store import BronzeStore
from linelogic_assets.config import IngestConfig
from linelogic_assets.providers.oddsapi.assets import held_events, historical_events_request, odds_request
from linelogic_assets.providers.oddsapi.planning import Held, held_snapshots, naive_calls, plan_slate
from linelogic_assets.providers.oddsapi.quota import QuotaLedger, estimate_oddsapi_cost
from linelogic_assets.providers.oddsapi.resource import ledger
from linelogic_assets.sports import League, league_for

HISTORICAL_EVENTS_COST = estimate_oddsapi_cost("historical_events", {})


@dataclass
class SlateCost:
    day: str
    games: int
    targets: int
    held: int  # served by this slate's own snapshots
    shared: int  # served by another slate's snapshot (referenced, not bought)
    odds_calls: int
    events_calls: int
    quota_units: int


@dataclass
class BackfillPlan:
    sport: str
    start: str
    end: str
    windows: list[str]
    odds_call_cost: int
    slates: list[SlateCost] = field(default_factory=list)
    budget_left: int | None = None  # the monthly budget left, and what the provider last reported, if less
    budget: int | None = None  # the limit this plan is held to

    @property
    def games(self) -> int:
        return sum(s.games for s in self.slates)

    @property
    def calls(self) -> int:
        return sum(s.odds_calls + s.events_calls for s in self.slates)

    @property
    def quota_units(self) -> int:
        return sum(s.quota_units for s in self.slates)

    @property
    def naive_quota_units(self) -> int:
        """The baseline: one historical event-odds call per game per window (same credits per call)."""
        return naive_calls(self.games, len(self.windows)) * self.odds_call_cost

    @property
    def within_budget(self) -> bool:
        return self.budget is None or self.quota_units <= self.budget

    def summary(self) -> dict:
        return {
            "sport": self.sport, "start": self.start, "end": self.end, "windows": self.windows,
            "slates": sum(1 for s in self.slates if s.games), "games": self.games,
            "window_targets": sum(s.targets for s in self.slates),
            "targets_held": sum(s.held for s in self.slates),
            "targets_shared": sum(s.shared for s in self.slates),
            "calls": self.calls,
            "historical_odds_calls": sum(s.odds_calls for s in self.slates),
            "historical_events_calls": sum(s.events_calls for s in self.slates),
            "odds_call_cost": self.odds_call_cost,
            "quota_units": self.quota_units,
            "naive_quota_units": self.naive_quota_units,
            "ratio_to_naive": round(self.quota_units / self.naive_quota_units, 4) if self.naive_quota_units else None,
            "budget_left": self.budget_left, "budget": self.budget, "within_budget": self.within_budget,
            "per_slate": [asdict(s) for s in self.slates],
        }


def plan_backfill(
    cfg: IngestConfig,
    root,
    sport: str,
    schedule: dict[date, list[tuple[str, datetime]]],
    now: datetime,
) -> BackfillPlan:
    """Cost every slate of `schedule` (slate → [(game id, commence)]) as of `now`, in date order."""
    league = league_for(sport)
    windows = cfg.snapshot_schedule.windows
    staleness, first_seen = cfg.snapshot_schedule.staleness(), cfg.snapshot_schedule.first_seen
    req = odds_request(cfg, sport)
    store, checkpoints = BronzeStore(root), CheckpointStore(root, "oddsapi", sport)
    days = sorted(schedule)
    plan = BackfillPlan(sport, str(days[0]) if days else "", str(days[-1]) if days else "",
                        [w.name for w in windows], req.historical_cost)
    planned: list[Held] = []  # calls this plan buys, as later slates will find them held
    for day in days:
        games = schedule[day]
        targets = [t for gid, commence in games for t in window_targets(gid, commence, windows)]
        span = (min((t.at for t in targets), default=now) - timedelta(days=1), now)
        held = held_snapshots(store, checkpoints, sport, day, req.fingerprint, span)
        near = [h for h in planned if span[0] <= h.valid_to]
        slate = plan_slate(targets, now, held + near, staleness, first_seen)
        for call in slate.calls:
            planned.append(Held(call.at, call.at, in_partition=False, checkpoint=Checkpoint(call.at, None, "", "", 0)))
        events = _events_calls(checkpoints, league, day, now) if games else 0
        plan.slates.append(SlateCost(
            str(day), len(games), len(slate.due), len(slate.held), slate.shared,
            len(slate.calls), events, len(slate.calls) * req.historical_cost + events * HISTORICAL_EVENTS_COST,
        ))
    return plan


def _events_calls(checkpoints: CheckpointStore, league: League, day: date, now: datetime) -> int:
    """The slate's historical /events call (once it has begun), unless already held."""
    at, params = historical_events_request(league, day)
    if now < at + timedelta(minutes=1):
        return 0  # still ahead: the free current /events serves it
    return 0 if checkpoints.find("historical_events", params_fingerprint("historical_events", params), at) else 1


def apply_budget(plan: BackfillPlan, ledger: QuotaLedger, budget: int | None, now: datetime) -> BackfillPlan:
    """Hold the plan to the monthly budget left (and the provider's remaining credits), or `budget` if lower."""
    summary = ledger.summary(now)
    left = summary["budget_left"]
    if summary["provider_remaining"] is not None:
        left = min(left, summary["provider_remaining"])
    plan.budget_left = left
    plan.budget = left if budget is None else min(left, budget)
    return plan


def held_events_schedule(root, league: League, days: list[date]) -> dict[date, list[tuple[str, datetime]]]:
    """Slate → [(event id, commence)] from The Odds API events bronze already holds (for leagues without
    BALLDONTLIE); a slate with none held is an error, since only a paid call could list it."""
    store = BronzeStore(root)
    out = {day: held_events(store, league, day) for day in days}
    missing = [day for day, events in out.items() if events is None]
    if missing:
        raise NoFreeScheduleError(
            f"{league.sport_key} has no free schedule (no BALLDONTLIE API) and bronze holds no events for "
            f"{len(missing)} slate(s) from {missing[0]}: materialize oddsapi_events for them first "
            f"({HISTORICAL_EVENTS_COST} credit per slate)"
        )
    return {day: [(ev["id"], ev["commence_dt"]) for ev in events] for day, events in out.items()}


def backfill_plan(cfg: IngestConfig, root: Path, league: League, days: list[date],
                  schedule: dict[date, list[tuple[str, datetime]]] | None, budget: int | None,
                  now: datetime) -> BackfillPlan:
    """The plan of `days` held to the budget left (or `budget` if lower); without a free `schedule`, from
    the events bronze holds (NoFreeScheduleError when it holds none for a slate)."""
    if schedule is None:
        schedule = held_events_schedule(root, league, days)
    plan = plan_backfill(cfg, root, league.sport_key, schedule, now)
    return apply_budget(plan, ledger(root, cfg), budget, now)
