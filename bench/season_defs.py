"""The production assets, resources and executor without sensors, schedules or automation: the code location
bench/season.py runs its daemon on, so the backfill it launches is the only work the daemon does."""

import dagster as dg

from linelogic_assets import definitions as production  # the module: one Definitions here to discover
from linelogic_assets.jobs import rebuild_job

defs = dg.Definitions(
    assets=production.defs.assets,
    jobs=[rebuild_job],
    resources=production.defs.resources,
    executor=production.defs.executor,
)
