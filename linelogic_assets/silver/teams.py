"""The `team` table: the league's canonical teams from the registry, checked against BALLDONTLIE's team responses.

The table is the registry's; provider rows only confirm it. A provider row that matches no canonical
team (by BALLDONTLIE id, else by name), or is not a team object at all, is quarantined (kind `rows`,
column `id`: the id decides the match) and the rest of the response goes on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import pandas as pd

from linelogic_assets.bronze.store import BronzeStore
from linelogic_assets.lake.quarantine import Quarantine, decoded
from linelogic_assets.lake.raw import bdl_rows, partition_responses
from linelogic_assets.providers.registry import PROVIDERS_BY_NAME
from linelogic_assets.registry.teams import TeamIndex
from linelogic_assets.silver.coerce import shown
from linelogic_assets.silver.schemas import SCHEMAS, typed
from linelogic_assets.sports import League


@dataclass
class TeamBuild:
    frame: pd.DataFrame
    stats: dict[str, int]  # provider_rows read, matched to a canonical team


def build_teams(store: BronzeStore, league: League, day: date, index: TeamIndex, quarantine: Quarantine) -> TeamBuild:
    sport = league.sport_key
    responses = partition_responses(store, "balldontlie", sport, day, ("teams",)) if PROVIDERS_BY_NAME["balldontlie"].covers(league.league) else []
    rows = matched = 0
    for r, bodies in decoded(responses, quarantine):
        for body in bodies:
            for row in bdl_rows(body):
                rows += 1
                if not isinstance(row, Mapping):
                    quarantine.response(r, f"team row {shown(row)} is not an object", kind="rows", column="id",
                                        detail={"row": row})
                elif index.balldontlie(row)[0] is None:
                    name = row.get("full_name") or row.get("display_name") or row.get("name")
                    quarantine.response(r, f"BALLDONTLIE team {shown(row.get('id'))} {shown(name)} matches no "
                                           f"canonical {league.title} team", kind="rows", column="id", detail=row)
                else:
                    matched += 1
    frame = pd.DataFrame([{
        "canonical_team_id": t.id, "sport": sport, "league": t.league, "full_name": t.full_name,
        "location": t.location, "name": t.name, "abbreviation": t.abbreviation, "conference": t.conference,
        "division": t.division, "balldontlie_id": t.balldontlie_id} for t in index.teams],
        columns=SCHEMAS["team"].names)
    return TeamBuild(typed("team", frame), {"provider_rows": rows, "matched": matched})
