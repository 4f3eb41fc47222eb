"""Silver assets: bronze of one sport × slate date → canonical Parquet tables, with their checks.

Each asset rebuilds its partition from every bronze run of that partition (replay), so a rebuild
gives identical rows; the Parquet IO manager replaces the partition's file atomically.
"""

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import dagster as dg
import pandas as pd
import pyarrow as pa

from linelogic_assets.lake.quarantine import Quarantine
from linelogic_assets.lake.ranges import (
    PerSlate,
    Slate,
    SlateBuild,
    evaluations,
    row_counts,
    run_range,
    slice_of,
)
from linelogic_assets.lake.raw import partition_responses
from linelogic_assets.partitions import RANGE_POLICY, sport_date_partitions
from linelogic_assets.providers.registry import PROVIDERS
from linelogic_assets.registry.overrides import load_overrides
from linelogic_assets.resources import ClockResource, LakeResource
from linelogic_assets.silver import checks
from linelogic_assets.silver.events import RESULT_HASH, build_events, load_event_keys, result_hash
from linelogic_assets.silver.io_manager import write_partition, write_quarantine
from linelogic_assets.silver.odds import OddsPartition
from linelogic_assets.silver.people import PeopleBuild
from linelogic_assets.silver.schemas import SCHEMAS, empty, typed
from linelogic_assets.silver.teams import build_teams
from linelogic_assets.sports import league_for

GROUP = "silver"
IO = "silver_io"
_part = dict(group_name=GROUP, partitions_def=sport_date_partitions, backfill_policy=RANGE_POLICY)
_PEOPLE_TABLES = ("player", "player_provider_map", "injuries", "lineups", "game_team_stats", "game_player_stats")


def _out(description: str) -> dg.AssetOut:
    return dg.AssetOut(io_manager_key=IO, kinds={"parquet"}, description=description)


def _deps(asset: str) -> list[str]:
    """The bronze assets a silver asset reads: every provider's, in registry order."""
    return [name for p in PROVIDERS for name in p.silver_deps.get(asset, ())]


def _write(lake: LakeResource, *tables: str) -> Callable[[Slate, SlateBuild], None]:
    """Write a built slate's tables (a range that partly failed writes its built slates itself)."""
    def write(slate: Slate, build: SlateBuild) -> None:
        for table in tables:
            write_partition(lake.root, table, slate.sport, slate.day, build.frames[table])
    return write


_EVENT_TABLES = ("event", "event_result", "event_provider_map", "team_provider_map")


@dg.multi_asset(
    outs={
        "event": _out("One row per game: canonical id, teams, scheduled and actual start, status."),
        "event_result": _out("Final scores, winner, margin and total of finished games."),
        "event_provider_map": _out("Provider event id → canonical event, with match confidence and method."),
        "team_provider_map": _out("Provider team id or spelling → canonical team."),
    },
    deps=_deps("silver_events"),
    check_specs=checks.specs("event"),
    **_part,
)
def silver_events(context: dg.AssetExecutionContext, lake: LakeResource, clock: ClockResource) -> Iterator:
    cfg = lake.config
    overrides = load_overrides(cfg.overrides_file())
    tolerance = timedelta(minutes=cfg.matching.start_tolerance_minutes)
    now = clock.run_now(context)

    def build(todo: list[Slate]) -> dict[str, SlateBuild]:
        out = {}
        for slate in todo:
            league = league_for(slate.sport)
            quarantine = Quarantine(slate.sport, "event")
            built = build_events(lake.bronze(), league, slate.day, overrides, tolerance, quarantine)
            write_quarantine(lake.root, quarantine, slate.day)
            f = built.frames
            meta = {name: row_counts(frame) for name, frame in f.items()}
            meta["event"].update(built.stats, quarantined=len(quarantine.records))
            meta["event_result"][RESULT_HASH] = result_hash(f["event_result"])  # later slates' form reads it
            inputs = checks.CheckInputs(slate.sport, league.league, now, quarantine, events=f["event"],
                                        results=f["event_result"], event_map=f["event_provider_map"])
            out[str(slate.key)] = SlateBuild(f, meta, evaluations("event", inputs, checks.CHECKS, slate.key))
        return out

    yield from run_range(context, build, _write(lake, *_EVENT_TABLES))


@dg.asset(
    io_manager_key=IO, kinds={"parquet"}, deps=_deps("odds_snapshot"),
    ins={"event": dg.AssetIn("event"), "event_provider_map": dg.AssetIn("event_provider_map")},
    check_specs=checks.specs("odds_snapshot"),
    description="Every observed price: event × snapshot time × book × market × selection, decimal and "
    "American, deduplicated across runs; rows with an impossible value or a conflicting price are quarantined, "
    "never stored.",
    **_part,
)
def odds_snapshot(context: dg.AssetExecutionContext, lake: LakeResource, clock: ClockResource,
                  event: PerSlate, event_provider_map: PerSlate) -> Iterator:
    # nothing observed can postdate both the providers' clock (the simulator's, in demo) and ours: the
    # normaliser quarantines what does, and the check guards the stored rows with the same now
    now = max(clock.run_now(context), datetime.now(UTC))

    def build(todo: list[Slate]) -> dict[str, SlateBuild]:
        # the batched normaliser: every slate of the range in one call per provider
        quarantines = {str(s.key): Quarantine(s.sport, "odds_snapshot") for s in todo}
        per_provider = []
        for p in PROVIDERS:
            if p.odds is not None:
                parts = [OddsPartition(
                    s.sport, league_for(s.sport).slate_bounds_utc(s.day),
                    partition_responses(lake.bronze(), p.name, s.sport, s.day, p.odds_endpoints),
                    load_event_keys(slice_of(event_provider_map, s), slice_of(event, s), p.name),
                    quarantines[str(s.key)]) for s in todo]
                per_provider.append(p.odds(parts, None, now))
        out = {}
        for i, slate in enumerate(todo):
            quarantine = quarantines[str(slate.key)]
            rows, stats = _joined([built[i] for built in per_provider])
            write_quarantine(lake.root, quarantine, slate.day)
            frame = rows.to_pandas()  # the checks read pandas; the IO manager writes the Arrow table as is
            meta = {**row_counts(rows), **stats, "quarantined": len(quarantine.records),
                    "bookmakers": frame["bookmaker"].nunique(), "snapshots": frame["snapshot_time_utc"].nunique(),
                    "events": frame["canonical_event_id"].nunique()}
            inputs = checks.CheckInputs(slate.sport, league_for(slate.sport).league, now, quarantine, odds=frame,
                                        events=slice_of(event, slate))
            out[str(slate.key)] = SlateBuild({"odds_snapshot": rows}, {"odds_snapshot": meta},
                                             evaluations("odds_snapshot", inputs, checks.CHECKS, slate.key))
        return out

    yield from run_range(context, build, _write(lake, "odds_snapshot"))


@dg.asset(
    io_manager_key=IO, kinds={"parquet"}, deps=_deps("team"), check_specs=checks.specs("team"),
    description="The league's canonical teams (registry), with their provider ids; unknown provider teams "
    "are quarantined.",
    **_part,
)
def team(context: dg.AssetExecutionContext, lake: LakeResource) -> Iterator:
    def build(todo: list[Slate]) -> dict[str, SlateBuild]:
        out = {}
        for slate in todo:
            league = league_for(slate.sport)
            quarantine = Quarantine(slate.sport, "team")
            built = build_teams(lake.bronze(), league, slate.day, lake.team_index(slate.sport), quarantine)
            write_quarantine(lake.root, quarantine, slate.day)
            meta = {**row_counts(built.frame), **built.stats, "quarantined": len(quarantine.records)}
            out[str(slate.key)] = SlateBuild({"team": built.frame}, {"team": meta}, evaluations(
                "team", checks.CheckInputs(slate.sport, league.league, None, quarantine), checks.CHECKS, slate.key))
        return out

    yield from run_range(context, build, _write(lake, "team"))


@dg.multi_asset(
    outs={
        "player": _out("Players seen on the slate (rosters, box scores, injuries, lineups)."),
        "player_provider_map": _out("Provider player id → canonical player."),
        "injuries": _out("The injury report as observed (current-state endpoint: live slates only)."),
        "lineups": _out("Starters and bench per game and team."),
        "game_player_stats": _out("Player box-score lines per game."),
        "game_team_stats": _out("Team box-score totals per game, summed from the player lines."),
    },
    ins={"event": dg.AssetIn("event"), "event_provider_map": dg.AssetIn("event_provider_map"),
         "event_result": dg.AssetIn("event_result")},
    deps=_deps("silver_people"),
    check_specs=checks.specs("player") + checks.specs("game_team_stats"),
    **_part,
)
def silver_people(context: dg.AssetExecutionContext, lake: LakeResource, event: PerSlate,
                  event_provider_map: PerSlate, event_result: PerSlate) -> Iterator:
    def build(todo: list[Slate]) -> dict[str, SlateBuild]:
        out = {}
        for slate in todo:
            league = league_for(slate.sport)
            quarantine = Quarantine(slate.sport, "player")
            index = lake.team_index(slate.sport)
            events, emap, results = (slice_of(x, slate) for x in (event, event_provider_map, event_result))
            home_of = dict(zip(events["canonical_event_id"], events["home_team_id"], strict=True))
            builds = []
            for p in PROVIDERS:
                if p.people is not None:
                    mine = emap[emap["provider"] == p.name]
                    game_map = dict(zip(mine["provider_event_id"], mine["canonical_event_id"], strict=True))
                    builds.append(p.people(lake.bronze(), league, slate.day, index, game_map, home_of, quarantine))
            built = builds[0] if len(builds) == 1 else _joined_people(builds)
            write_quarantine(lake.root, quarantine, slate.day)
            meta = {name: row_counts(frame) for name, frame in built.frames.items()}
            meta["player"].update(built.stats, quarantined=len(quarantine.records))
            inputs = checks.CheckInputs(slate.sport, league.league, None, quarantine, results=results,
                                        team_stats=built.frames["game_team_stats"])
            out[str(slate.key)] = SlateBuild(built.frames, meta, [
                *evaluations("player", inputs, checks.CHECKS, slate.key),
                *evaluations("game_team_stats", inputs, checks.CHECKS, slate.key)])
        return out

    yield from run_range(context, build, _write(lake, *_PEOPLE_TABLES))


def _joined(built: list[tuple[pa.Table, dict[str, int]]]) -> tuple[pa.Table, dict[str, int]]:
    """Several odds providers' rows as one table, their stats summed."""
    if not built:
        return empty("odds_snapshot"), {}
    stats: dict[str, int] = {}
    for _, s in built:
        for k, n in s.items():
            stats[k] = stats.get(k, 0) + n
    return pa.concat_tables([rows for rows, _ in built]), stats


def _joined_people(builds: list[PeopleBuild]) -> PeopleBuild:
    """Several people providers' tables as one build, their stats summed."""
    if not builds:
        return PeopleBuild({t: typed(t, pd.DataFrame(columns=SCHEMAS[t].names)) for t in _PEOPLE_TABLES}, {})
    frames = {t: typed(t, pd.concat([b.frames[t] for b in builds], ignore_index=True)) for t in builds[0].frames}
    stats: dict[str, int] = {}
    for b in builds:
        for k, n in b.stats.items():
            stats[k] = stats.get(k, 0) + n
    return PeopleBuild(frames, stats)


silver_assets = [silver_events, odds_snapshot, team, silver_people,
                 *(a for p in PROVIDERS if p.silver_assets for a in p.silver_assets())]
