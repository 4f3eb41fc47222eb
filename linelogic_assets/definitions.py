"""The one entry point: every asset, check, job and resource of LineLogic."""

from __future__ import annotations

import dagster as dg

from linelogic_assets.bronze.assets import bronze_assets
from linelogic_assets.gold.assets import gold_assets
from linelogic_assets.gold.io_manager import GoldIOManager
from linelogic_assets.resources import BallDontLieResource, LakeResource, OddsApiResource
from linelogic_assets.silver.assets import silver_assets
from linelogic_assets.silver.io_manager import SilverIOManager

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
ingest_job = dg.define_asset_job(
    "ingest_job",
    selection=dg.AssetSelection.groups("bronze", "silver", "gold"),
    description="Collect one sport × slate date end to end: bronze, silver and gold, with their checks.",
)

lake = LakeResource()
defs = dg.Definitions(
    assets=[*bronze_assets, *silver_assets, *gold_assets],
    jobs=[bronze_job, silver_job, gold_job, ingest_job],
    resources={
        "lake": lake,
        "oddsapi": OddsApiResource(),
        "balldontlie": BallDontLieResource(),
        "silver_io": SilverIOManager(lake=lake),
        "gold_io": GoldIOManager(lake=lake),
    },
)
