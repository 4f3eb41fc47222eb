"""The daily schedule per sport: reference data and the slate schedule, from free endpoints only."""

from __future__ import annotations

from datetime import timedelta

import dagster as dg

from linelogic_assets.jobs import reference_job
from linelogic_assets.partitions import partition_key
from linelogic_assets.resources import ClockResource, LakeResource
from linelogic_assets.sports import SPORT_KEYS, league_for

DAILY_CRON = "0 6 * * *"  # early morning in the league's timezone: before any slate's first window


def build_daily_schedule(sport: str) -> dg.ScheduleDefinition:
    league = league_for(sport)

    @dg.schedule(
        name=f"daily_reference_{league.league}",
        cron_schedule=DAILY_CRON,
        execution_timezone=league.timezone,
        job=reference_job,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=f"{league.title}: teams, rosters, injuries, games and events of today's and tomorrow's "
        "slates (the provider's today: the simulator's clock in demo mode).",
    )
    def _schedule(context: dg.ScheduleEvaluationContext, lake: LakeResource, clock: ClockResource):
        if sport not in lake.config.enabled_sports:
            return dg.SkipReason(f"{sport} is disabled in config")
        today = league.slate_date(clock.now())
        return [
            dg.RunRequest(
                run_key=f"daily:{sport}:{day}",
                partition_key=partition_key(sport, day),
                tags={"linelogic/trigger": "daily"},
            )
            for day in (today, today + timedelta(days=1))
        ]

    return _schedule


daily_schedules = [build_daily_schedule(s) for s in SPORT_KEYS]
