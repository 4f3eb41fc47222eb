"""The project's definitions plus a sensor that does nothing on the pregame sensors' interval: the baseline
of `bench/sensors.py --daemon-seconds`, ticked by the same daemon at the same time."""

from __future__ import annotations

import dagster as dg

from linelogic_assets import definitions as project
from linelogic_assets.providers.oddsapi.sensors import TICK_INTERVAL_SECONDS


@dg.sensor(minimum_interval_seconds=TICK_INTERVAL_SECONDS, default_status=dg.DefaultSensorStatus.RUNNING)
def baseline_noop(context: dg.SensorEvaluationContext) -> dg.SkipReason:
    return dg.SkipReason("baseline")


defs = dg.Definitions.merge(project.defs, dg.Definitions(sensors=[baseline_noop]))
