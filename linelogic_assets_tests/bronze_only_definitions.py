"""The production bronze assets, job, resources and executor without the sensors and automation: a code
location for tests that launch real daemons and want only the runs they queue."""

import dagster as dg

from linelogic_assets import definitions as production  # the module: one Definitions here to discover
from linelogic_assets.bronze.assets import bronze_assets
from linelogic_assets.jobs import bronze_job, pregame_odds_job
from linelogic_assets.providers.registry import PROVIDERS

defs = dg.Definitions(
    assets=bronze_assets,
    jobs=[bronze_job, pregame_odds_job],
    resources={k: production.defs.resources[k] for k in ("lake", *(p.name for p in PROVIDERS))},
    executor=production.defs.executor,
)
