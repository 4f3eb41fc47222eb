"""The jobs: one per layer, the end-to-end ingest, and the narrow jobs the sensors and schedules launch."""

from __future__ import annotations

import dagster as dg

from linelogic_assets.providers.registry import PROVIDERS

# each narrow job runs the assets the providers name for its role
PREGAME_ASSETS = tuple(a for p in PROVIDERS for a in p.pregame_assets)
RESULTS_ASSETS = tuple(a for p in PROVIDERS for a in p.results_assets)
REFERENCE_ASSETS = tuple(a for p in PROVIDERS for a in p.reference_assets)

bronze_job = dg.define_asset_job(
    "bronze_job",
    selection=dg.AssetSelection.groups("bronze"),
    description="Collect every raw provider response of one sport × slate date.",
)
silver_job = dg.define_asset_job(
    "silver_job",
    selection=dg.AssetSelection.groups("silver"),
    description="Rebuild the silver tables of one sport × slate date from all of its bronze runs (replay).",
)
gold_job = dg.define_asset_job(
    "gold_job",
    selection=dg.AssetSelection.groups("gold"),
    description="Rebuild the gold datasets of one sport × slate date from its silver tables.",
)
rebuild_job = dg.define_asset_job(
    "rebuild_job",
    selection=dg.AssetSelection.groups("silver", "gold"),
    description="Rebuild silver and gold from held bronze, for one slate or a partition range in one run "
    "(each partition still gets its own materialization and check results).",
)
ingest_job = dg.define_asset_job(
    "ingest_job",
    selection=dg.AssetSelection.groups("bronze", "silver", "gold"),
    description="Collect one sport × slate date end to end: bronze, silver and gold, with their checks. "
    "Launch it as a partition backfill for history: held snapshots are never bought again.",
)
pregame_odds_job = dg.define_asset_job(
    "pregame_odds_job",
    selection=dg.AssetSelection.assets(*PREGAME_ASSETS),
    description="One pregame snapshot of a slate (launched by the pregame sensors): the free /events listing "
    "and a live /odds snapshot, plus history for any window target no held snapshot serves.",
)
results_job = dg.define_asset_job(
    "results_job",
    selection=dg.AssetSelection.assets(*RESULTS_ASSETS),
    description="Scores, results and box scores of a slate's started games (launched by the results sensors).",
)
reference_job = dg.define_asset_job(
    "reference_job",
    selection=dg.AssetSelection.assets(*REFERENCE_ASSETS),
    description="Reference data and the schedule of a slate: teams, rosters, injuries, games and events (free "
    "endpoints only; launched daily by the schedules).",
)

backtest_job = dg.define_asset_job(
    "backtest_job",
    selection=dg.AssetSelection.groups("backtest"),
    description="Replay every configured backtest (config/backtests.yaml) over the gold tables it reads.",
)

JOBS = [backtest_job, bronze_job, silver_job, gold_job, rebuild_job, ingest_job, pregame_odds_job, results_job, reference_job]
