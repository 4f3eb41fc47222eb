"""The Odds API v4: odds snapshots (live and historical), events and scores, paid in credits."""

from __future__ import annotations

from linelogic_assets.providers.base import Provider
from linelogic_assets.providers.oddsapi import contracts, importing
from linelogic_assets.providers.oddsapi.settings import OddsApiConfig, OddsApiSimulatorSettings


def _assets():
    from linelogic_assets.providers.oddsapi.assets import assets

    return assets


def _resource():
    from linelogic_assets.providers.oddsapi.resource import OddsApiResource

    return OddsApiResource()


def _simulator(settings, monotonic):
    from linelogic_assets.providers.oddsapi.simulator import OddsApi

    return OddsApi(settings, monotonic)


def _sightings(store, league, day, index, window, quarantine):
    from linelogic_assets.providers.oddsapi.events import sightings

    return sightings(store, league, day, index, window, quarantine)


def _odds(parts, contents=None, now=None):
    from linelogic_assets.providers.oddsapi.normalise import normalise_partitions

    return normalise_partitions(parts, contents, now)


def _sensors():
    from linelogic_assets.providers.oddsapi.sensors import build_pregame_sensor
    from linelogic_assets.sports import SPORT_KEYS

    return [build_pregame_sensor(s) for s in SPORT_KEYS]


def _backfill_plan(cfg, root, league, days, schedule, budget, now):
    from linelogic_assets.providers.oddsapi.backfill import backfill_plan

    return backfill_plan(cfg, root, league, days, schedule, budget, now)


def _ledger(root, cfg):
    from linelogic_assets.providers.oddsapi.resource import ledger

    return ledger(root, cfg)


PROVIDER = Provider(
    name="oddsapi",
    title="The Odds API",
    sensors=_sensors,
    pregame_assets=("oddsapi_events", "oddsapi_odds"),
    results_assets=("oddsapi_scores",),
    reference_assets=("oddsapi_events",),
    backfill_plan=_backfill_plan,
    ledger=_ledger,
    slate_dates=importing.slate_dates,
    snapshot_time=importing.snapshot_time,
    sport_keys=importing.sport_keys,
    endpoints=contracts.ODDSAPI_ENDPOINTS,
    problems=contracts.problems,
    classify=contracts.classify,
    bronze_assets=_assets,
    resource=_resource,
    simulator=_simulator,
    secret_env=("ODDS_API_KEY",),
    schedule_rank=1,
    config=OddsApiConfig,
    simulator_settings=OddsApiSimulatorSettings,
    live_needs_key=True,
    sightings=_sightings,
    odds=_odds,
    odds_endpoints=("historical_odds", "odds", "historical_event_odds", "event_odds"),
    silver_deps={"silver_events": ("oddsapi_events", "oddsapi_odds", "oddsapi_scores"),
                 "odds_snapshot": ("oddsapi_odds",)},
    routes="/v4/...",
)
