"""BALLDONTLIE's teams: which canonical team an id or a team object names, and the check of its /teams rows.

A /teams row that matches no canonical team (by BALLDONTLIE id, else by name), or is not a team
object at all, is quarantined (kind `rows`, column `id`: the id decides the match).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from linelogic_assets.bronze.store import BronzeStore
from linelogic_assets.lake.quarantine import Quarantine, decoded
from linelogic_assets.lake.raw import partition_responses
from linelogic_assets.providers.balldontlie.rows import bdl_rows
from linelogic_assets.providers.balldontlie.settings import PATH_PREFIX  # the leagues it covers
from linelogic_assets.registry.teams import Team, TeamIndex
from linelogic_assets.silver.coerce import shown
from linelogic_assets.sports import League

NAME = "balldontlie"


def team_of(index: TeamIndex, obj: object, flat_id: object = None) -> tuple[Team | None, str, str | None]:
    """(team, BALLDONTLIE's name for it, its BALLDONTLIE id) from a team object or a bare id.

    The id decides; the name is tried when the id is unknown (another league's numbering). An id
    that is not a whole number, or a name that is not text, is ignored: ("", None) when nothing is left.
    """
    by_id = index.by_provider_id.get(NAME, {})
    if isinstance(obj, dict):
        tid = _team_id(obj.get("id"))
        names = (obj.get(k) for k in ("full_name", "display_name", "name"))
        name = next((n for n in names if isinstance(n, str) and n.strip()), None)
        team = by_id.get(tid) if tid is not None else None
        shown = name or ("" if tid is None else str(tid))
        return team or index.resolve(name), shown, None if tid is None else str(tid)
    tid = _team_id(flat_id)
    if tid is not None:
        team = by_id.get(tid)
        return team, team.full_name if team else f"balldontlie team {tid}", str(tid)
    return None, "", None


def _team_id(value: object) -> int | None:
    """A BALLDONTLIE team id: a whole number (never a bool, a float, text or an object)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def check_teams(store: BronzeStore, league: League, day: date, index: TeamIndex, quarantine: Quarantine
                ) -> dict[str, int]:
    """Read the partition's /teams rows against the registry: {provider_rows read, matched}."""
    sport = league.sport_key
    responses = partition_responses(store, "balldontlie", sport, day, ("teams",)) if league.league in PATH_PREFIX else []
    rows = matched = 0
    for r, bodies in decoded(responses, quarantine):
        for body in bodies:
            for row in bdl_rows(body):
                rows += 1
                if not isinstance(row, Mapping):
                    quarantine.response(r, f"team row {shown(row)} is not an object", kind="rows", column="id",
                                        detail={"row": row})
                elif team_of(index, row)[0] is None:
                    name = row.get("full_name") or row.get("display_name") or row.get("name")
                    quarantine.response(r, f"BALLDONTLIE team {shown(row.get('id'))} {shown(name)} matches no "
                                           f"canonical {league.title} team", kind="rows", column="id", detail=row)
                else:
                    matched += 1
    return {"provider_rows": rows, "matched": matched}
