"""The one entry point: every asset, check, job, sensor, schedule and resource of LineLogic."""

from __future__ import annotations

import dagster as dg

from linelogic_assets.automation import automation_sensor, follow_upstream
from linelogic_assets.backtest.assets import backtest_assets
from linelogic_assets.bronze.assets import bronze_assets
from linelogic_assets.catalog import catalogued
from linelogic_assets.gold.assets import gold_assets
from linelogic_assets.gold.io_manager import GoldIOManager
from linelogic_assets.jobs import JOBS
from linelogic_assets.pool_slots import install_slot_wait
from linelogic_assets.providers.registry import PROVIDERS
from linelogic_assets.resources import AlertWebhookResource, ClockResource, LakeResource
from linelogic_assets.schedules import daily_schedules
from linelogic_assets.sensors.alerts import alert_sensors
from linelogic_assets.sensors.form import form_staleness
from linelogic_assets.sensors.results import build_results_sensor
from linelogic_assets.silver.assets import silver_assets
from linelogic_assets.silver.io_manager import SilverIOManager
from linelogic_assets.sports import SPORT_KEYS

install_slot_wait()  # a run waiting for a pool slot sleeps, says for what, and stops on SIGTERM (pool_slots.py)
lake = LakeResource()
defs = dg.Definitions(
    assets=[*dg.map_asset_specs(catalogued, bronze_assets),
            *dg.map_asset_specs(lambda spec: catalogued(follow_upstream(spec)), [*silver_assets, *gold_assets]),
            *backtest_assets()],
    jobs=JOBS,
    sensors=[
        *(sensor for provider in PROVIDERS if provider.sensors for sensor in provider.sensors()),
        *(build_results_sensor(s) for s in SPORT_KEYS),
        automation_sensor,
        form_staleness,
        *alert_sensors,
    ],
    schedules=daily_schedules,
    # one process per run, steps in order: provider steps are serialised by their pools anyway, and a
    # process per step would cost a Python start (~3 s) each for no parallelism
    executor=dg.in_process_executor,
    resources={
        "lake": lake,
        "clock": ClockResource(),
        **{provider.name: provider.resource() for provider in PROVIDERS},
        "alerts": AlertWebhookResource(),
        "silver_io": SilverIOManager(lake=lake),
        "gold_io": GoldIOManager(lake=lake),
    },
)
