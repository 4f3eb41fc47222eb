"""BALLDONTLIE: teams, players, games and results, box scores, injuries and lineups (the schedule truth)."""

from __future__ import annotations

from linelogic_assets.providers.balldontlie import contracts
from linelogic_assets.providers.balldontlie.client import PATH_PREFIX
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


PROVIDER = Provider(
    name="balldontlie",
    title="BALLDONTLIE",
    endpoints=contracts.BALLDONTLIE_ENDPOINTS,
    problems=contracts.problems,
    classify=contracts.classify,
    bronze_assets=_assets,
    resource=_resource,
    simulator=_simulator,
    secret_env=("BALLDONTLIE_API_KEY",),
    schedule_rank=0,
    leagues=frozenset(PATH_PREFIX),
)
