"""Polymarket: a prediction-market venue (Gamma for events and markets, the CLOB for prices and books).

Public endpoints, no key. Its game markets are matched to the sportsbooks' canonical events, never the
schedule truth themselves."""

from __future__ import annotations

from linelogic_assets.providers.base import Provider
from linelogic_assets.providers.polymarket import contracts, importing
from linelogic_assets.providers.polymarket.settings import PolymarketConfig


def _assets():
    from linelogic_assets.providers.polymarket.assets import assets

    return assets


def _resource():
    from linelogic_assets.providers.polymarket.resource import PolymarketResource

    return PolymarketResource()


def _sensors():
    from linelogic_assets.providers.polymarket.retention import build_retention_sensor

    return [build_retention_sensor()]


def _silver_assets():
    from linelogic_assets.providers.polymarket.silver import assets

    return assets


def _silver_tables():
    from linelogic_assets.providers.polymarket.schemas import DESCRIPTIONS, SCHEMAS, SORT_KEYS

    return {t: (SCHEMAS[t], SORT_KEYS[t], DESCRIPTIONS[t]) for t in SCHEMAS}


def _event_links(store, league, day, events, index):
    from linelogic_assets.providers.polymarket.silver import event_links

    return event_links(store, league, day, events, index)


def _simulator(settings, monotonic):
    from linelogic_assets.providers.polymarket.simulator import PolymarketSim

    return PolymarketSim(settings, monotonic)


PROVIDER = Provider(
    name="polymarket",
    title="Polymarket",
    endpoints=contracts.ENDPOINTS,
    problems=contracts.problems,
    classify=contracts.classify,
    bronze_assets=_assets,
    resource=_resource,
    simulator=_simulator,
    config=PolymarketConfig,
    sensors=_sensors,
    pregame_assets=("polymarket_books",),  # book snapshots at the pregame windows
    results_assets=("polymarket_prices_history",),  # each game's history once it has ended
    reference_assets=("polymarket_events",),  # the day's listings, with the other reference data
    silver_assets=_silver_assets,
    event_links=_event_links,
    silver_deps={"silver_events": ("polymarket_events",)},  # its links into event_provider_map
    silver_tables=_silver_tables,
    slate_dates=importing.slate_dates,
    snapshot_time=importing.snapshot_time,
    routes="/polymarket/gamma/..., /polymarket/clob/...",
)
