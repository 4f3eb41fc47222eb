"""BALLDONTLIE players, injuries, lineups and box scores → the player and game-stat silver tables."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from linelogic_assets.bronze.store import BronzeStore
from linelogic_assets.registry.teams import TeamIndex
from linelogic_assets.silver.quarantine import Quarantine
from linelogic_assets.silver.raw import decoded, partition_responses
from linelogic_assets.silver.schemas import SCHEMAS, typed
from linelogic_assets.sports import League

STAT_COLUMNS = ("pts", "reb", "ast", "stl", "blk", "turnover", "pf", "fgm", "fga", "fg3m", "fg3a", "ftm", "fta",
                "oreb", "dreb", "plus_minus")
TEAM_SUMS = ("pts", "reb", "ast", "stl", "blk", "turnover", "fgm", "fga", "fg3m", "fg3a", "ftm", "fta", "oreb", "dreb")


def canonical_player_id(league: str, balldontlie_id: int) -> str:
    """BALLDONTLIE is the only player source; the map table exists so a second provider can join later."""
    return f"{league}-p{balldontlie_id}"


def minutes(raw: object) -> float | None:
    """'34', '34:12', '01' or 34 → minutes as a float."""
    if raw is None or raw == "":
        return None
    text = str(raw)
    if ":" in text:
        m, s = text.split(":", 1)
        return int(m) + int(s) / 60
    return float(text)


def _int(v: object) -> int | None:
    return None if v is None or v == "" else int(v)


@dataclass
class PeopleBuild:
    frames: dict[str, pd.DataFrame]
    stats: dict[str, int]


def build_people(store: BronzeStore, league: League, day: date, index: TeamIndex, game_map: dict[str, str],
                 home_of: dict[str, str], quarantine: Quarantine) -> PeopleBuild:
    """`game_map`: BALLDONTLIE game id → canonical event id; `home_of`: canonical event → home team id."""
    sport, slug = league.sport_key, league.league
    players: dict[int, dict] = {}
    injuries, lineups, stat_rows = [], [], []

    def team_of(obj: object, flat: object) -> str | None:
        team = index.balldontlie(obj, flat)[0]
        return team.id if team else None

    def see_player(p: dict, ref: str, observed, primary: bool) -> str:
        pid = int(p["id"])
        team_id = team_of(p.get("team"), p.get("team_id"))
        row = {
            "canonical_player_id": canonical_player_id(slug, pid), "sport": sport,
            "first_name": p.get("first_name"), "last_name": p.get("last_name"), "position": p.get("position"),
            "height": p.get("height") or _imperial(p), "weight": _str(p.get("weight") or p.get("weight_pounds")),
            "jersey_number": _str(p.get("jersey_number")), "college": p.get("college"), "country": p.get("country"),
            "draft_year": _int(p.get("draft_year")), "draft_round": _int(p.get("draft_round")),
            "draft_number": _int(p.get("draft_number")), "team_id": team_id, "balldontlie_id": pid, "raw_ref": ref,
            "_primary": primary, "_observed": observed,
        }
        old = players.get(pid)
        if old is None or (primary, str(observed)) >= (old["_primary"], str(old["_observed"])):
            players[pid] = row
        return row["canonical_player_id"]

    def event_of(game_id: object, endpoint: str, ref: str) -> str | None:
        event = game_map.get(str(game_id))
        if event is None:
            quarantine.add("rows", f"{endpoint} row of BALLDONTLIE game {game_id} not in the event map",
                           provider="balldontlie", endpoint=endpoint, raw_ref=ref)
        return event

    endpoints = ("players", "stats", "injuries", "lineups")
    responses = partition_responses(store, "balldontlie", sport, day, endpoints) if league.has_balldontlie else []
    for r, bodies in decoded(responses, quarantine):
        for body in bodies:
            rows = body["data"] if isinstance(body["data"], list) else [body["data"]]
            for row in rows:
                if r.endpoint == "players":
                    see_player(row, r.raw_ref, r.snapshot_time, True)
                elif r.endpoint == "injuries":
                    player = see_player(row["player"], r.raw_ref, r.snapshot_time, False)
                    injuries.append({
                        "sport": sport, "canonical_player_id": player,
                        "team_id": team_of(row["player"].get("team"), row["player"].get("team_id")),
                        "status": row.get("status"), "return_date": _str(row.get("return_date")),
                        "description": row.get("description") or row.get("comment") or row.get("long_comment"),
                        "observed_at_utc": r.snapshot_time, "raw_ref": r.raw_ref,
                    })
                elif r.endpoint == "lineups":
                    event = event_of(row.get("game_id"), "lineups", r.raw_ref)
                    if event is None:
                        continue
                    lineups.append({
                        "sport": sport, "canonical_event_id": event,
                        "team_id": team_of(row.get("team"), row["player"].get("team_id")),
                        "canonical_player_id": see_player(row["player"], r.raw_ref, r.snapshot_time, False),
                        "starter": bool(row.get("starter")), "position": row.get("position"), "raw_ref": r.raw_ref,
                    })
                else:  # stats
                    event = event_of((row.get("game") or {}).get("id"), "stats", r.raw_ref)
                    if event is None:
                        continue
                    stat_rows.append({
                        "sport": sport, "canonical_event_id": event,
                        "canonical_player_id": see_player(row["player"], r.raw_ref, r.snapshot_time, False),
                        "team_id": team_of(row.get("team"), row["player"].get("team_id")),
                        "minutes": minutes(row.get("min")),
                        **{c: _int(row.get(c)) for c in STAT_COLUMNS}, "raw_ref": r.raw_ref,
                    })

    frames = {
        "player": _frame("player", [{k: v for k, v in p.items() if not k.startswith("_")} for p in players.values()]),
        "player_provider_map": _frame("player_provider_map", [
            {"provider": "balldontlie", "provider_player_id": str(pid), "canonical_player_id": p["canonical_player_id"],
             "sport": sport, "created_at": p["_observed"]} for pid, p in players.items()]),
        "injuries": _frame("injuries", injuries),
        "lineups": _frame("lineups", lineups).drop_duplicates(["canonical_event_id", "canonical_player_id"]),
        "game_player_stats": _frame("game_player_stats", stat_rows).drop_duplicates(
            ["canonical_event_id", "canonical_player_id"], keep="last"),
    }
    frames["game_team_stats"] = team_stats(frames["game_player_stats"], home_of, sport)
    frames = {name: typed(name, frame) for name, frame in frames.items()}
    return PeopleBuild(frames, {"players": len(players), "injuries": len(injuries), "lineups": len(lineups),
                                "player_stat_rows": len(stat_rows)})


def team_stats(player_stats: pd.DataFrame, home_of: dict[str, str], sport: str) -> pd.DataFrame:
    if player_stats.empty:
        return _frame("game_team_stats", [])
    g = player_stats.groupby(["canonical_event_id", "team_id"], as_index=False)
    out = g[list(TEAM_SUMS)].sum(min_count=1)
    out["players"] = g.size()["size"].to_numpy()
    out["sport"] = sport
    out["is_home"] = [home_of.get(e) == t for e, t in zip(out["canonical_event_id"], out["team_id"], strict=True)]
    for made, att, pct in (("fgm", "fga", "fg_pct"), ("fg3m", "fg3a", "fg3_pct"), ("ftm", "fta", "ft_pct")):
        out[pct] = (out[made] / out[att].where(out[att] > 0)).astype("float64")
    return out[SCHEMAS["game_team_stats"].names]


def _frame(table: str, rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=SCHEMAS[table].names)


def _str(v: object) -> str | None:
    return None if v is None else str(v)


def _imperial(p: dict) -> str | None:
    feet, inches = p.get("height_feet"), p.get("height_inches")
    return f"{feet}-{inches}" if feet is not None and inches is not None else None
