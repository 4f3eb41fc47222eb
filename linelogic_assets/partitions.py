"""The one partitioning of every layer: sport × slate date (the league's local calendar date)."""

from __future__ import annotations

from datetime import date

import dagster as dg

from linelogic_assets.sports import SPORT_KEYS

SLATE_TIMEZONE = "America/New_York"  # every league we carry plays its slates on US Eastern dates
FIRST_DATE = "2020-06-06"  # The Odds API's historical featured markets start here

sport_date_partitions = dg.MultiPartitionsDefinition(
    {
        # end_offset=2: today's and tomorrow's slates exist, so pregame snapshots have a partition
        "date": dg.DailyPartitionsDefinition(start_date=FIRST_DATE, timezone=SLATE_TIMEZONE, end_offset=2),
        "sport": dg.StaticPartitionsDefinition(list(SPORT_KEYS)),
    }
)


def partition_key(sport: str, day: date | str) -> dg.MultiPartitionKey:
    """Build keys by dimension name; the string form orders dimensions alphabetically (date|sport)."""
    return dg.MultiPartitionKey({"sport": sport, "date": str(day)})


def sport_and_date(context: dg.AssetExecutionContext) -> tuple[str, date]:
    keys = context.partition_key.keys_by_dimension
    return keys["sport"], date.fromisoformat(keys["date"])
