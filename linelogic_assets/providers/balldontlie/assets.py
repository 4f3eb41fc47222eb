"""BALLDONTLIE bronze assets: teams, games, players, stats, injuries and lineups per sport × slate date."""


import json
from collections.abc import Iterator
from datetime import datetime

import dagster as dg

from linelogic_assets.bronze.session import BronzeSession, bronze_check_specs, bronze_slates
from linelogic_assets.partitions import BRONZE_POLICY, sport_date_partitions
from linelogic_assets.providers.balldontlie import PROVIDER
from linelogic_assets.providers.balldontlie.resource import BallDontLieResource
from linelogic_assets.providers.errors import ProviderError
from linelogic_assets.resources import LakeResource
from linelogic_assets.timeutil import parse_ts

_common = dict(group_name="bronze", partitions_def=sport_date_partitions, kinds={"json"}, backfill_policy=BRONZE_POLICY)


def _skip_unserved(s: BronzeSession) -> None:
    if not PROVIDER.covers(s.league.league):
        s.skip(f"BALLDONTLIE has no {s.league.title} API")
    elif s.sport not in s.lake.config.enabled_sports:
        s.skip(f"{s.sport} is disabled in config")


def _collect_pages(s: BronzeSession, endpoint: str, pages, snapshot: datetime) -> list[dict]:
    rows: list[dict] = []
    try:
        for r in pages:
            s.writer(endpoint).add_response(r, snapshot_timestamp=snapshot)
            rows += r.json().get("data", [])
    except ProviderError as err:
        s.record_failure(endpoint, err)
    return rows


def _held_games(s: BronzeSession) -> list[dict]:
    latest = s.store.latest("balldontlie", s.sport, s.day, "games")
    if latest is None:
        return []
    return [g for h in s.store.responses(*latest) if h.entry.get("valid_json", True)
            for g in json.loads(h.read_bytes()).get("data", [])]


def _team_ids(game: dict) -> list[int]:
    ids = []
    for side in ("home_team", "visitor_team", "away_team"):
        team = game.get(side)
        if isinstance(team, dict) and "id" in team:
            ids.append(team["id"])
    return ids


def _bdl_asset(name: str, endpoint: str, description: str, deps=()):
    def decorator(fetch):
        @dg.asset(name=name, **_common, deps=list(deps), check_specs=bronze_check_specs(name), pool="balldontlie",
                  description=description)
        def _asset(context: dg.AssetExecutionContext, lake: LakeResource, balldontlie: BallDontLieResource) -> Iterator:
            def slate(s: BronzeSession) -> dg.MaterializeResult:
                _skip_unserved(s)
                if not s.skipped:
                    client = balldontlie.client()
                    try:
                        fetch(s, client, balldontlie.now())
                    finally:
                        client.close()
                return s.finish()

            yield from bronze_slates(context, lake, "balldontlie", balldontlie.source, endpoint, slate)

        return _asset

    return decorator


@_bdl_asset("balldontlie_teams", "teams", "BALLDONTLIE teams as of the slate (reference data).")
def balldontlie_teams(s: BronzeSession, client, now: datetime) -> None:
    try:
        s.writer("teams").add_response(client.teams(s.sport), snapshot_timestamp=now)
    except ProviderError as err:
        s.record_failure("teams", err)


@_bdl_asset("balldontlie_games", "games", "BALLDONTLIE games of the slate date: schedule, status and final scores.")
def balldontlie_games(s: BronzeSession, client, now: datetime) -> None:
    _collect_pages(s, "games", client.games(s.sport, dates=[s.day_str]), now)


@_bdl_asset("balldontlie_players", "players", "Rosters of the teams playing on the slate.", deps=["balldontlie_games"])
def balldontlie_players(s: BronzeSession, client, now: datetime) -> None:
    team_ids = sorted({t for g in _held_games(s) for t in _team_ids(g)})
    if not team_ids:
        s.skip("no games held for this slate")
        return
    _collect_pages(s, "players", client.players(s.sport, team_ids=team_ids), now)


@_bdl_asset("balldontlie_stats", "stats", "Player box-score lines of the slate's games.")
def balldontlie_stats(s: BronzeSession, client, now: datetime) -> None:
    start, _ = s.league.slate_bounds_utc(s.day)
    if now < start:
        s.skip("slate has not started")
        return
    _collect_pages(s, "stats", client.stats(s.sport, dates=[s.day_str]), now)


@_bdl_asset("balldontlie_injuries", "injuries", "The injury report as of now (the endpoint has no history).")
def balldontlie_injuries(s: BronzeSession, client, now: datetime) -> None:
    _, end = s.league.slate_bounds_utc(s.day)
    if now >= end:
        s.skip("injuries are current-state only: a past slate cannot be backfilled truthfully")
        return
    _collect_pages(s, "injuries", client.injuries(s.sport), now)


@_bdl_asset("balldontlie_lineups", "lineups", "Starting lineups of the slate's games that have begun.",
            deps=["balldontlie_games"])
def balldontlie_lineups(s: BronzeSession, client, now: datetime) -> None:
    if s.league.league != "nba":
        s.skip("lineups exist for NBA only")
        return
    started = [g["id"] for g in _held_games(s) if g.get("datetime") and parse_ts(g["datetime"]) <= now]
    if not started:
        s.skip("no game of the slate has begun")
        return
    _collect_pages(s, "lineups", client.lineups(s.sport, game_ids=started), now)


assets = [balldontlie_teams, balldontlie_games, balldontlie_players, balldontlie_stats, balldontlie_injuries,
          balldontlie_lineups]
