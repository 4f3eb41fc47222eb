"""Team form after a result changes: later slates' training rows are stale and rebuilt, in date order.

A slate's `pregame_training_rows` read team form from the results of earlier slates (each team's last N
games that had ended), which is no declared dependency: the automation rebuilds a slate when its own
silver changes, not when an earlier slate's result does. So this sensor watches `event_result`: when a
slate's results change (their content hash, `result_hash`, differs from the partition's previous
materialization), every later slate built before the change where a team of the changed games still has
that game among its last N is stale, and is rebuilt: one run per slate, requested in date order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import pandas as pd

from linelogic_assets.gold.training import form_lookback_days
from linelogic_assets.partitions import dims_of, partition_key
from linelogic_assets.resources import LakeResource
from linelogic_assets.silver.events import RESULT_HASH as HASH
from linelogic_assets.silver.io_manager import read_range

RESULTS = dg.AssetKey("event_result")
FORM = dg.AssetKey("pregame_training_rows")


def stale_slates(root: Path, sport: str, day: date, form_games: int, candidates: set[date]) -> list[date]:
    """The slates among `candidates` after `day` (and within form's lookback) where a team that played a
    finished game on `day` has fewer than `form_games` games between: that game is in its form there."""
    later = sorted(d for d in candidates if day < d <= day + timedelta(days=form_lookback_days(form_games)))
    if not later:
        return []
    played = read_range(root, "event", sport, [day])
    teams = set(played["home_team_id"]) | set(played["away_team_id"])
    games_since = dict.fromkeys(teams, 0)
    events = read_range(root, "event", sport, [day + timedelta(days=i) for i in range(1, (later[-1] - day).days + 1)])
    by_day = {d: g for d, g in events.groupby(pd.to_datetime(events["slate_date"]).dt.date)} if len(events) else {}
    stale = []
    for d in sorted(by_day):
        g = by_day[d]
        here = set(g["home_team_id"]) | set(g["away_team_id"])
        if d in candidates and any(games_since[t] < form_games for t in here & teams):
            stale.append(d)
        for t in here & teams:
            games_since[t] += int((g["home_team_id"] == t).sum() + (g["away_team_id"] == t).sum())
        if all(n >= form_games for n in games_since.values()):
            break
    return stale


@dataclass(frozen=True)
class Changed:
    sport: str
    day: date
    storage_id: int


def changed_results(instance: dg.DagsterInstance, after: int) -> tuple[list[Changed], int]:
    """event_result materializations after the cursor whose result hash differs from the partition's
    previous one (or that are its first: later slates built before it lacked those games), and the new cursor."""
    records = instance.fetch_materializations(dg.AssetRecordsFilter(asset_key=RESULTS, after_storage_id=after),
                                              limit=1000, ascending=True).records
    out = []
    for r in records:
        m = r.asset_materialization
        if m is None or m.partition is None or HASH not in m.metadata:
            continue
        before = instance.fetch_materializations(dg.AssetRecordsFilter(
            asset_key=RESULTS, asset_partitions=[m.partition], before_storage_id=r.storage_id), limit=1,
            ascending=False).records
        previous = before[0].asset_materialization.metadata.get(HASH) if before else None
        if previous is None or previous.value != m.metadata[HASH].value:
            d = dims_of(m.partition)
            out.append(Changed(d["sport"], date.fromisoformat(d["date"]), r.storage_id))
    return out, max((r.storage_id for r in records), default=after)


def built_before(instance: dg.DagsterInstance, sport: str, days: list[date], storage_id: int) -> set[date]:
    """Those of `days` whose training rows were last built before the given event (one query)."""
    keys = {str(partition_key(sport, d)): d for d in days}
    latest = instance.get_latest_storage_id_by_partition(FORM, dg.DagsterEventType.ASSET_MATERIALIZATION,
                                                         partitions=set(keys))
    return {keys[k] for k, sid in latest.items() if sid < storage_id}


@dg.sensor(
    name="form_staleness",
    asset_selection=[FORM],
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="When a slate's results change, rebuilds the later slates' training rows whose team form "
    "includes those games (one run per slate, in date order).",
)
def form_staleness(context: dg.SensorEvaluationContext, lake: LakeResource) -> dg.SensorResult | dg.SkipReason:
    if context.cursor is None:  # first tick: start from now, not from every result ever stored
        last = context.instance.fetch_materializations(RESULTS, limit=1, ascending=False).records
        context.update_cursor(str(last[0].storage_id if last else 0))
        return dg.SkipReason("watching event_result from now on")
    changed, cursor = changed_results(context.instance, int(context.cursor))
    form_games = lake.config.gold.form_games
    due: dict[str, tuple[date, str]] = {}
    lookback = form_lookback_days(form_games)
    for c in changed:
        later = [c.day + timedelta(days=i) for i in range(1, lookback + 1)]
        for d in stale_slates(lake.root, c.sport, c.day, form_games,
                              built_before(context.instance, c.sport, later, c.storage_id)):
            due.setdefault(str(partition_key(c.sport, d)), (d, f"{partition_key(c.sport, c.day)}@{c.storage_id}"))
    runs = [dg.RunRequest(partition_key=key, asset_selection=[FORM], run_key=f"form:{key}:{why}",
                          tags={"linelogic/trigger": "form_stale", "linelogic/changed_result": why.split("@")[0]})
            for key, (_, why) in sorted(due.items(), key=lambda kv: kv[1][0])]
    if not runs:
        return dg.SensorResult(cursor=str(cursor), skip_reason=f"{len(changed)} changed results; no stale form")
    return dg.SensorResult(run_requests=runs, cursor=str(cursor))
