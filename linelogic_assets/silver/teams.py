"""The `team` table: the league's canonical teams from the registry, checked against providers' team responses.

The table is the registry's; provider rows only confirm it. Each provider that lists teams
(`Provider.team_check`) quarantines a row that matches no canonical team, or is not a team object at
all, and the rest of the response goes on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from linelogic_assets.bronze.store import BronzeStore
from linelogic_assets.lake.quarantine import Quarantine
from linelogic_assets.providers.registry import PROVIDERS
from linelogic_assets.registry.teams import TeamIndex
from linelogic_assets.silver.schemas import ID_COLUMN, ID_PROVIDER, SCHEMAS, typed
from linelogic_assets.sports import League


@dataclass
class TeamBuild:
    frame: pd.DataFrame
    stats: dict[str, int]  # provider_rows read, matched to a canonical team


def build_teams(store: BronzeStore, league: League, day: date, index: TeamIndex, quarantine: Quarantine) -> TeamBuild:
    sport = league.sport_key
    stats = {"provider_rows": 0, "matched": 0}
    for p in PROVIDERS:
        if p.team_check is not None:
            for k, n in p.team_check(store, league, day, index, quarantine).items():
                stats[k] += n
    frame = pd.DataFrame([{
        "canonical_team_id": t.id, "sport": sport, "league": t.league, "full_name": t.full_name,
        "location": t.location, "name": t.name, "abbreviation": t.abbreviation, "conference": t.conference,
        "division": t.division, ID_COLUMN: t.provider_ids.get(ID_PROVIDER)} for t in index.teams],
        columns=SCHEMAS["team"].names)
    return TeamBuild(typed("team", frame), stats)
