"""The one entry point: every asset, check, job and resource of LineLogic."""

from __future__ import annotations

import dagster as dg

from linelogic_assets.bronze.assets import bronze_assets
from linelogic_assets.resources import BallDontLieResource, LakeResource, OddsApiResource

bronze_job = dg.define_asset_job(
    "bronze_job",
    selection=dg.AssetSelection.groups("bronze"),
    description="Collect every raw provider response of one sport × slate date.",
)

defs = dg.Definitions(
    assets=bronze_assets,
    jobs=[bronze_job],
    resources={
        "lake": LakeResource(),
        "oddsapi": OddsApiResource(),
        "balldontlie": BallDontLieResource(),
    },
)
