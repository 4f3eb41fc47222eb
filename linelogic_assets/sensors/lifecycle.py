"""An event's lifecycle as silver knows it: scheduled → live → final, or postponed / cancelled."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from linelogic_assets.silver.io_manager import read_range

TERMINAL = frozenset({"final", "postponed", "cancelled"})
CALLED_OFF = frozenset({"postponed", "cancelled"})


def silver_events(root: Path, sport: str, days: list[date]) -> pd.DataFrame:
    """The silver `event` rows of some slates, a row per The Odds API id of each (`oddsapi_id`, None where
    it has none)."""
    events = read_range(root, "event", sport, days)
    ids = read_range(root, "event_provider_map", sport, days)
    ids = ids.loc[ids["provider"] == "oddsapi", ["canonical_event_id", "provider_event_id"]]
    return events.merge(ids.rename(columns={"provider_event_id": "oddsapi_id"}), on="canonical_event_id", how="left")
