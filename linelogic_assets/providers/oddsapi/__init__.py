"""The Odds API v4: odds snapshots (live and historical), events and scores, paid in credits."""

from __future__ import annotations

from linelogic_assets.providers.base import Provider
from linelogic_assets.providers.oddsapi import contracts


def _assets():
    from linelogic_assets.providers.oddsapi.assets import assets

    return assets


def _resource():
    from linelogic_assets.providers.oddsapi.resource import OddsApiResource

    return OddsApiResource()


def _simulator(settings, monotonic):
    from linelogic_assets.providers.oddsapi.simulator import OddsApi

    return OddsApi(settings, monotonic)


PROVIDER = Provider(
    name="oddsapi",
    title="The Odds API",
    endpoints=contracts.ODDSAPI_ENDPOINTS,
    problems=contracts.problems,
    classify=contracts.classify,
    bronze_assets=_assets,
    resource=_resource,
    simulator=_simulator,
    secret_env=("ODDS_API_KEY",),
    schedule_rank=1,
)
