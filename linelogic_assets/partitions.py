"""The one partitioning of every layer: sport × slate date (the league's local calendar date)."""

from __future__ import annotations

import warnings
from datetime import date, timedelta

import dagster as dg

from linelogic_assets.sports import SPORT_KEYS

SLATE_TIMEZONE = "America/New_York"  # every league we carry plays its slates on US Eastern dates
FIRST_DATE = "2020-06-06"  # The Odds API's historical featured markets start here

# end_offset=8: the next week's slates exist, so a game's opening line (NFL lines hang a week ahead)
# has a partition the pregame sensor can write to
slate_dates = dg.DailyPartitionsDefinition(start_date=FIRST_DATE, timezone=SLATE_TIMEZONE, end_offset=8)
sport_date_partitions = dg.MultiPartitionsDefinition(
    {"date": slate_dates, "sport": dg.StaticPartitionsDefinition(list(SPORT_KEYS))}
)

# Every layer takes a partition range as one run; sensors and schedules still launch one slate per run.
# Silver and gold: a UI backfill of a season is one run per sport (a backfill groups a multi-partition range by
# its smaller dimension), since a range is computed at once.
RANGE_POLICY = dg.BackfillPolicy.single_run()
# Bronze: at most a month of slates per run, walked in date order. A bronze run holds its provider pools while
# it runs (the whole run, under the production instance's run granularity), and the pregame sensors' runs need
# the same pools: a month bounds how long a backfill can keep them waiting (a month of an NBA season's odds is
# about 450 historical calls, under a minute at 20 requests/s), and what a killed run has to redo.
BRONZE_SLATES_PER_RUN = 31
BRONZE_POLICY = dg.BackfillPolicy.multi_run(max_partitions_per_run=BRONZE_SLATES_PER_RUN)
# `backfill_policy=` is Beta in 1.13 and warns at every decorated asset; used knowingly
warnings.filterwarnings("ignore", message="Parameter `backfill_policy`", category=dg.BetaWarning)


def last_slate_date() -> date | None:
    """The latest slate date with a partition (cheap: the time dimension alone, not the cross product)."""
    last = slate_dates.get_last_partition_key()
    return date.fromisoformat(last) if last else None


def slate_date_range() -> tuple[date, date]:
    """The first and last slate date a real response can carry: FIRST_DATE to the real today plus the
    horizon (`end_offset`). A date outside would make a bronze partition no asset can process."""
    first = date.fromisoformat(FIRST_DATE)
    last = last_slate_date()
    return first, last if last is not None else first - timedelta(days=1)


def slate_date_in_range(day: date) -> bool:
    first, last = slate_date_range()
    return first <= day <= last


def partition_key(sport: str, day: date | str) -> dg.MultiPartitionKey:
    """Build keys by dimension name; the string form orders dimensions alphabetically (date|sport)."""
    return dg.MultiPartitionKey({"sport": sport, "date": str(day)})


def dims_of(key: str | dg.MultiPartitionKey) -> dict[str, str]:
    """A partition key's values by dimension name; a plain string key is in dimension-name order (date|sport)."""
    return key.keys_by_dimension if isinstance(key, dg.MultiPartitionKey) else dict(
        zip(("date", "sport"), str(key).split("|"), strict=True))
