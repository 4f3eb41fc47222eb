"""Declarative automation: silver and gold follow bronze partition by partition, with no manual step.

Dagster's `eager()` only looks at the latest time window, but the partition that changed is whatever
slate a sensor, a results poll or a backfill just wrote (the simulator's clock runs in 2025). So the
condition is eager's core without that restriction: a partition is requested once any of its upstream
partitions updated, after nothing upstream of it is still running, and never while it runs itself.
A missing parent does not block: silver reads whatever bronze holds for the slate.
"""

from __future__ import annotations

import dagster as dg

FOLLOW_UPSTREAM = (
    dg.AutomationCondition.any_deps_updated().since_last_handled()
    & ~dg.AutomationCondition.any_deps_in_progress()
    & ~dg.AutomationCondition.in_progress()
).with_label("follow_upstream")

DERIVED = dg.AssetSelection.groups("silver", "gold")


def follow_upstream(spec: dg.AssetSpec) -> dg.AssetSpec:
    return spec.replace_attributes(automation_condition=FOLLOW_UPSTREAM)


automation_sensor = dg.AutomationConditionSensorDefinition(
    "linelogic_automation",
    target=DERIVED,
    default_status=dg.DefaultSensorStatus.RUNNING,  # Dagster's implicit one starts stopped
    minimum_interval_seconds=30,
    description="Rebuilds a slate's silver tables and gold datasets after any of its bronze partitions lands.",
)
