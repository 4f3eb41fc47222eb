"""Silver assets: bronze of one sport × slate date → canonical Parquet tables, with their checks.

Each asset rebuilds its partition from every bronze run of that partition (replay), so a rebuild
gives identical rows; the Parquet IO manager replaces the partition's file atomically.
"""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import dagster as dg
import pandas as pd
import pyarrow as pa

from linelogic_assets.lake.quarantine import Quarantine
from linelogic_assets.lake.ranges import SlateLog, check_outputs, evaluations, slates
from linelogic_assets.lake.raw import partition_responses
from linelogic_assets.partitions import sport_and_date, sport_date_partitions
from linelogic_assets.providers.registry import PROVIDERS
from linelogic_assets.registry.overrides import load_overrides
from linelogic_assets.resources import ClockResource, LakeResource
from linelogic_assets.silver import checks
from linelogic_assets.silver.events import build_events, load_event_keys
from linelogic_assets.silver.io_manager import write_partition, write_quarantine
from linelogic_assets.silver.odds import OddsPartition
from linelogic_assets.silver.people import PeopleBuild
from linelogic_assets.silver.schemas import SCHEMAS, empty, typed
from linelogic_assets.silver.teams import build_teams
from linelogic_assets.sports import league_for

GROUP = "silver"
IO = "silver_io"
_part = dict(group_name=GROUP, partitions_def=sport_date_partitions)
_PEOPLE_TABLES = ("player", "player_provider_map", "injuries", "lineups", "game_team_stats", "game_player_stats")


def _out(description: str) -> dg.AssetOut:
    return dg.AssetOut(io_manager_key=IO, kinds={"parquet"}, description=description)


def _deps(asset: str) -> list[str]:
    """The bronze assets a silver asset reads: every provider's, in registry order."""
    return [name for p in PROVIDERS for name in p.silver_deps.get(asset, ())]


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
    sport, day = sport_and_date(context)
    league, cfg = league_for(sport), lake.config
    quarantine = Quarantine(sport, "event")
    build = build_events(lake.bronze(), league, day, load_overrides(cfg.overrides_file()),
                         timedelta(minutes=cfg.matching.start_tolerance_minutes), quarantine)
    write_quarantine(lake.root, quarantine, day)
    for name, frame in build.frames.items():
        meta = {"rows": len(frame)}
        if name == "event":
            meta.update(build.stats, quarantined=len(quarantine.records))
        yield dg.Output(frame, output_name=name, metadata=meta)
    yield from checks.results("event", checks.CheckInputs(
        sport, league.league, clock.now(), quarantine, events=build.frames["event"],
        results=build.frames["event_result"], event_map=build.frames["event_provider_map"]))


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
                  event: pd.DataFrame, event_provider_map: pd.DataFrame) -> Iterator:
    sport, day = sport_and_date(context)
    league = league_for(sport)
    quarantine = Quarantine(sport, "odds_snapshot")
    # nothing observed can postdate both the providers' clock (the simulator's, in demo) and ours: the
    # normaliser quarantines what does, and the check guards the stored rows with the same now
    now = max(clock.now(), datetime.now(UTC))
    built = []
    for p in PROVIDERS:
        if p.odds is not None:
            responses = partition_responses(lake.bronze(), p.name, sport, day, p.odds_endpoints)
            keys = load_event_keys(event_provider_map, event, p.name)
            [part] = p.odds([OddsPartition(sport, league.slate_bounds_utc(day), responses, keys, quarantine)], None, now)
            built.append(part)
    rows, stats = built[0] if len(built) == 1 else _joined(built)
    write_quarantine(lake.root, quarantine, day)
    frame = rows.to_pandas()  # the checks read pandas; the IO manager writes the Arrow table as is
    yield dg.Output(rows, metadata={
        "rows": len(frame), **stats, "quarantined": len(quarantine.records),
        "bookmakers": frame["bookmaker"].nunique(), "snapshots": frame["snapshot_time_utc"].nunique(),
        "events": frame["canonical_event_id"].nunique()})
    yield from checks.results("odds_snapshot", checks.CheckInputs(
        sport, league.league, now, quarantine, odds=frame, events=event))


@dg.asset(
    io_manager_key=IO, kinds={"parquet"}, deps=_deps("team"), check_specs=checks.specs("team"),
    description="The league's canonical teams (registry), with their provider ids; unknown provider teams "
    "are quarantined.",
    **_part,
)
def team(context: dg.AssetExecutionContext, lake: LakeResource) -> Iterator:
    log, frames = SlateLog(context), {}
    for slate in slates(context):  # a daily run's one slate, or each slate of a range run
        league = league_for(slate.sport)
        quarantine = Quarantine(slate.sport, "team")
        try:
            build = build_teams(lake.bronze(), league, slate.day, lake.team_index(slate.sport), quarantine)
        except Exception as error:  # one slate's failure must not cost the range the others
            log.fail(slate, error)
            continue
        write_quarantine(lake.root, quarantine, slate.day)
        frames[str(slate.key)] = build.frame
        log.done(slate, {"rows": len(build.frame), "dagster/row_count": len(build.frame), **build.stats,
                         "quarantined": len(quarantine.records)})
        yield from evaluations("team", checks.CheckInputs(slate.sport, league.league, None, quarantine),
                               checks.CHECKS, slate.key)
    yield from log.finish(lambda s: write_partition(lake.root, "team", s.sport, s.day, frames[str(s.key)]))
    yield from check_outputs(context)
    yield dg.Output(frames)


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
def silver_people(context: dg.AssetExecutionContext, lake: LakeResource, event: pd.DataFrame,
                  event_provider_map: pd.DataFrame, event_result: pd.DataFrame) -> Iterator:
    sport, day = sport_and_date(context)
    league = league_for(sport)
    quarantine = Quarantine(sport, "player")
    index = lake.team_index(sport)
    home_of = dict(zip(event["canonical_event_id"], event["home_team_id"], strict=True))
    builds = []
    for p in PROVIDERS:
        if p.people is not None:
            mine = event_provider_map[event_provider_map["provider"] == p.name]
            game_map = dict(zip(mine["provider_event_id"], mine["canonical_event_id"], strict=True))
            builds.append(p.people(lake.bronze(), league, day, index, game_map, home_of, quarantine))
    build = builds[0] if len(builds) == 1 else _joined_people(builds)
    write_quarantine(lake.root, quarantine, day)
    for name, frame in build.frames.items():
        meta = {"rows": len(frame)}
        if name == "player":
            meta.update(build.stats, quarantined=len(quarantine.records))
        yield dg.Output(frame, output_name=name, metadata=meta)
    inputs = checks.CheckInputs(sport, league.league, None, quarantine, results=event_result,
                                team_stats=build.frames["game_team_stats"])
    yield from checks.results("player", inputs)
    yield from checks.results("game_team_stats", inputs)


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
