"""An event's lifecycle as silver knows it: scheduled → live → final, or postponed / cancelled."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from linelogic_assets.silver.io_manager import read_range

TERMINAL = frozenset({"final", "postponed", "cancelled"})
CALLED_OFF = frozenset({"postponed", "cancelled"})


def silver_events(root: Path, sport: str, days: list[date]) -> pd.DataFrame:
    """The silver `event` rows of some slates."""
    return read_range(root, "event", sport, days)


def with_provider_ids(events: pd.DataFrame, root: Path, sport: str, days: list[date], provider: str,
                      column: str) -> pd.DataFrame:
    """`events` with each one's id at `provider` in `column`: a row per id, None where it has none."""
    ids = read_range(root, "event_provider_map", sport, days)
    ids = ids.loc[ids["provider"] == provider, ["canonical_event_id", "provider_event_id"]]
    return events.merge(ids.rename(columns={"provider_event_id": column}), on="canonical_event_id", how="left")
