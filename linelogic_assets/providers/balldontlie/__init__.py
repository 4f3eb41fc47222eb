"""BALLDONTLIE: teams, players, games and results, box scores, injuries and lineups (the schedule truth)."""

from __future__ import annotations

from linelogic_assets.providers.balldontlie import contracts, importing
from linelogic_assets.providers.balldontlie.settings import (
    PATH_PREFIX,
    BallDontLieConfig,
    BallDontLieSimulatorSettings,
)
from linelogic_assets.providers.base import Provider


def _assets():
    from linelogic_assets.providers.balldontlie.assets import assets

    return assets


def _resource():
    from linelogic_assets.providers.balldontlie.resource import BallDontLieResource

    return BallDontLieResource()


def _simulator(settings, monotonic):
    from linelogic_assets.providers.balldontlie.simulator import BallDontLie

    return BallDontLie(settings, monotonic)


def _sightings(store, league, day, index, window, quarantine):
    from linelogic_assets.providers.balldontlie.events import sightings

    return sightings(store, league, day, index, window, quarantine)


def _people(store, league, day, index, game_map, home_of, quarantine):
    from linelogic_assets.providers.balldontlie.people import build_people

    return build_people(store, league, day, index, game_map, home_of, quarantine)


def _team_check(store, league, day, index, quarantine):
    from linelogic_assets.providers.balldontlie.teams import check_teams

    return check_teams(store, league, day, index, quarantine)


def _free_schedule(config_path, wanted):
    from linelogic_assets.providers.balldontlie.backfill import free_schedule

    return free_schedule(config_path, wanted)


PROVIDER = Provider(
    name="balldontlie",
    title="BALLDONTLIE",
    results_assets=("balldontlie_games", "balldontlie_stats", "balldontlie_lineups"),
    reference_assets=("balldontlie_teams", "balldontlie_games", "balldontlie_players", "balldontlie_injuries"),
    free_schedule=_free_schedule,
    slate_dates=importing.slate_dates,
    endpoints=contracts.BALLDONTLIE_ENDPOINTS,
    problems=contracts.problems,
    classify=contracts.classify,
    bronze_assets=_assets,
    resource=_resource,
    simulator=_simulator,
    secret_env=("BALLDONTLIE_API_KEY",),
    schedule_rank=0,
    leagues=frozenset(PATH_PREFIX),
    config=BallDontLieConfig,
    simulator_settings=BallDontLieSimulatorSettings,
    sightings=_sightings,
    people=_people,
    team_check=_team_check,
    id_column="balldontlie_id",
    silver_deps={"silver_events": ("balldontlie_games", "balldontlie_stats", "balldontlie_teams"),
                 "team": ("balldontlie_teams",),
                 "silver_people": ("balldontlie_players", "balldontlie_stats", "balldontlie_injuries",
                                   "balldontlie_lineups")},
    routes="/v1, /nba/v1, /nfl/v1, /mlb/v1",
)
