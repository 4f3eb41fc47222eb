"""BALLDONTLIE players, injuries, lineups and box scores → the player and game-stat silver tables.

Provider values are read through `silver.coerce`; what cannot be read is quarantined (table
`player`) with the reason, raw_ref and column, and the rest of the response goes on:

* identity (a row that is not an object, no player object or a player id that is not a whole
  number, a box-score line's or lineup's game or team): the row is dropped, kind `rows`;
* a value (a stat, the minutes, a player's name, draft year or team, a lineup's starter flag):
  the value is nulled and the row kept, kind `value`. A box-score line with one unreadable stat
  is still the line of a player who played, so it stays, and the team total it feeds becomes
  unknown (null) rather than short: the box-score check counts that game as unverifiable, not as
  a mismatch.

A box-score line belongs to the partition of its game's slate date: a response holding lines of
two games lands in both slates, and each reads its own lines only. Lines whose game has no readable
date, or is not among the slate's events, are quarantined.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import pandas as pd

from linelogic_assets.bronze.store import BronzeStore
from linelogic_assets.lake.quarantine import Quarantine, decoded
from linelogic_assets.lake.raw import RawResponse, partition_responses
from linelogic_assets.providers.balldontlie.events import bdl_game_day
from linelogic_assets.providers.balldontlie.rows import bdl_rows
from linelogic_assets.providers.balldontlie.settings import PATH_PREFIX  # the leagues it covers
from linelogic_assets.providers.balldontlie.teams import team_of
from linelogic_assets.registry.teams import TeamIndex
from linelogic_assets.silver.coerce import (
    MAX_COUNT,
    BadValue,
    OnBad,
    as_bool,
    as_id,
    as_int,
    as_int_id,
    as_minutes,
    as_object,
    as_text,
    or_none,
    quarantine_value,
)
from linelogic_assets.silver.events import SEASONS
from linelogic_assets.silver.people import SIGNED, STAT_COLUMNS, UNKNOWN, PeopleBuild, frame, team_stats
from linelogic_assets.silver.schemas import SCHEMAS, typed
from linelogic_assets.sports import League


def canonical_player_id(league: str, balldontlie_id: int) -> str:
    """BALLDONTLIE is the only player source; the map table exists so a second provider can join later."""
    return f"{league}-p{balldontlie_id}"


class _Reader:
    """The rows of one partition's BALLDONTLIE people responses, read into table rows or quarantined."""

    def __init__(self, league: League, day: date, index: TeamIndex, game_map: dict[str, str],
                 quarantine: Quarantine) -> None:
        self.league, self.day, self.index, self.game_map, self.quarantine = league, day, index, game_map, quarantine
        self.players: dict[int, dict] = {}
        self.injuries: list[dict] = []
        self.lineups: list[dict] = []
        self.stat_rows: list[dict] = []
        self.duplicate_players = 0
        self._readers = {"players": self._player_row, "injuries": self._injury, "lineups": self._lineup,
                         "stats": self._stat_line}

    def read(self, r: RawResponse, row: object) -> None:
        kept: list[BadValue] = []
        try:
            self._readers[r.endpoint](r, as_object(row, "row"), kept.append)
        except BadValue as err:
            quarantine_value(self.quarantine, r, err, row_kept=False, detail=_detail(row))
            return
        for err in kept:
            quarantine_value(self.quarantine, r, err, row_kept=True, detail=_detail(row))

    def _team(self, obj: object, flat: object, on_bad: OnBad | None) -> str | None:
        """The canonical team of a team object or id. Required (on_bad None): BadValue; else null, recorded."""
        team, name, _ = team_of(self.index, obj, flat)
        if team is not None:
            return team.id
        err = BadValue("team", obj if obj is not None else flat, f"a {self.league.title} team")
        if on_bad is None:
            raise err
        if obj is not None or flat is not None:  # no team at all is allowed (a free agent); a wrong one is recorded
            on_bad(err)
        return None

    def _see(self, r: RawResponse, p: object, primary: bool, on_bad: OnBad) -> dict[str, Any]:
        """The player row of a player object (kept when it is the best sighting so far); BadValue without an id."""
        p = as_object(p, "player")
        pid = as_int_id(p.get("id"), "id" if r.endpoint == "players" else "player.id")

        def text(*keys: str) -> str | None:
            return or_none(on_bad, as_text, next((p[k] for k in keys if p.get(k) not in (None, "")), None), keys[0])

        row = {
            "canonical_player_id": canonical_player_id(self.league.league, pid), "sport": self.league.sport_key,
            "first_name": text("first_name"), "last_name": text("last_name"), "position": text("position"),
            "height": text("height") or _imperial(p, on_bad), "weight": text("weight", "weight_pounds"),
            "jersey_number": text("jersey_number"), "college": text("college"), "country": text("country"),
            "draft_year": or_none(on_bad, as_int, p.get("draft_year"), "draft_year", lo=SEASONS[0], hi=SEASONS[1]),
            "draft_round": or_none(on_bad, as_int, p.get("draft_round"), "draft_round"),
            "draft_number": or_none(on_bad, as_int, p.get("draft_number"), "draft_number"),
            "team_id": self._team(p.get("team"), p.get("team_id"), on_bad), "balldontlie_id": pid, "raw_ref": r.raw_ref,
            "_primary": primary, "_observed": r.snapshot_time,
        }
        old = self.players.get(pid)
        if primary and old is not None and old["_primary"]:
            self.duplicate_players += 1
        if old is None or (primary, str(r.snapshot_time)) >= (old["_primary"], str(old["_observed"])):
            self.players[pid] = row
        return row

    def _player_row(self, r: RawResponse, row: Mapping[str, Any], on_bad: OnBad) -> None:
        self._see(r, row, True, on_bad)

    def _injury(self, r: RawResponse, row: Mapping[str, Any], on_bad: OnBad) -> None:
        player = self._see(r, row.get("player"), False, on_bad)
        entry = {
            "sport": self.league.sport_key, "canonical_player_id": player["canonical_player_id"],
            "team_id": player["team_id"],
            "status": or_none(on_bad, as_text, row.get("status"), "status"),
            "return_date": or_none(on_bad, as_text, row.get("return_date"), "return_date"),
            "description": or_none(on_bad, as_text, row.get("description") or row.get("comment")
                                 or row.get("long_comment"), "description"),
            "observed_at_utc": r.snapshot_time, "raw_ref": r.raw_ref,
        }
        self.injuries.append(entry)

    def _event(self, game_id: object, game: Mapping[str, Any] | None) -> str | None:
        """The canonical event of a line's game; None for a game of another slate; BadValue when it has none here."""
        gid = as_id(game_id, "game.id" if game is not None else "game_id")
        event = self.game_map.get(gid)
        if game is not None and bdl_game_day(game, self.league) != self.day:
            return None
        if event is None:
            raise BadValue("game" if game is not None else "game_id", game_id,
                           "a game among the slate's events (it was quarantined there, or never sighted)")
        return event

    def _lineup(self, r: RawResponse, row: Mapping[str, Any], on_bad: OnBad) -> None:
        player = as_object(row.get("player"), "player")
        event = self._event(row.get("game_id"), None)
        team = self._team(row.get("team"), player.get("team_id"), None)
        self.lineups.append({
            "sport": self.league.sport_key, "canonical_event_id": event, "team_id": team,
            "canonical_player_id": self._see(r, player, False, on_bad)["canonical_player_id"],
            "starter": or_none(on_bad, as_bool, row.get("starter"), "starter", default=False),
            "position": or_none(on_bad, as_text, row.get("position"), "position"), "raw_ref": r.raw_ref,
        })

    def _stat_line(self, r: RawResponse, row: Mapping[str, Any], on_bad: OnBad) -> None:
        player = as_object(row.get("player"), "player")
        event = self._event((game := as_object(row.get("game"), "game")).get("id"), game)
        if event is None:
            return  # another slate's line: read there
        team = self._team(row.get("team"), player.get("team_id"), None)
        unknown: list[str] = []  # the stats it gave that could not be read: their team totals are unknown

        def unreadable(err: BadValue) -> None:
            on_bad(err)
            unknown.append(err.column)

        stats = {c: or_none(unreadable, as_int, row.get(c), c, lo=-MAX_COUNT if c in SIGNED else 0)
                 for c in STAT_COLUMNS}
        self.stat_rows.append({
            "sport": self.league.sport_key, "canonical_event_id": event,
            "canonical_player_id": self._see(r, player, False, on_bad)["canonical_player_id"], "team_id": team,
            "minutes": or_none(on_bad, as_minutes, row.get("min"), "min"), **stats, "raw_ref": r.raw_ref,
            UNKNOWN: tuple(unknown),
        })


def _detail(row: object) -> dict[str, Any]:
    """What a quarantine record keeps of a row: the ids that name it, as the provider wrote them."""
    if not isinstance(row, Mapping):
        return {"row": row}
    player, game = row.get("player"), row.get("game")
    return {"id": row.get("id"), "player_id": player.get("id") if isinstance(player, Mapping) else player,
            "game_id": game.get("id") if isinstance(game, Mapping) else row.get("game_id", game)}


def build_people(store: BronzeStore, league: League, day: date, index: TeamIndex, game_map: dict[str, str],
                 home_of: dict[str, str], quarantine: Quarantine) -> PeopleBuild:
    """`game_map`: BALLDONTLIE game id → canonical event id; `home_of`: canonical event → home team id."""
    sport = league.sport_key
    reader = _Reader(league, day, index, game_map, quarantine)
    endpoints = ("players", "stats", "injuries", "lineups")
    responses = partition_responses(store, "balldontlie", sport, day, endpoints) if league.league in PATH_PREFIX else []
    for r, bodies in decoded(responses, quarantine):
        for body in bodies:
            for row in bdl_rows(body):
                reader.read(r, row)

    players = reader.players
    lineups = frame("lineups", reader.lineups)
    lines = pd.DataFrame(reader.stat_rows, columns=[*SCHEMAS["game_player_stats"].names, UNKNOWN])
    unique_lineups = lineups.drop_duplicates(["canonical_event_id", "canonical_player_id"])
    unique_lines = lines.drop_duplicates(["canonical_event_id", "canonical_player_id"], keep="last")
    frames = {
        "player": frame("player", [{k: v for k, v in p.items() if not k.startswith("_")} for p in players.values()]),
        "player_provider_map": frame("player_provider_map", [
            {"provider": "balldontlie", "provider_player_id": str(pid), "canonical_player_id": p["canonical_player_id"],
             "sport": sport, "created_at": p["_observed"]} for pid, p in players.items()]),
        "injuries": frame("injuries", reader.injuries),
        "lineups": unique_lineups,
        "game_team_stats": team_stats(unique_lines, home_of, sport),
        "game_player_stats": unique_lines.drop(columns=[UNKNOWN]),
    }
    frames = {name: typed(name, frame) for name, frame in frames.items()}
    return PeopleBuild(frames, {
        "players": len(players), "injuries": len(reader.injuries), "lineups": len(reader.lineups),
        "player_stat_rows": len(reader.stat_rows), "duplicate_players": reader.duplicate_players,
        "duplicate_lineups": len(lineups) - len(unique_lineups),
        "duplicate_stat_lines": len(lines) - len(unique_lines)})


def _imperial(p: Mapping[str, Any], on_bad: OnBad) -> str | None:
    """Legacy payloads give the height as feet and inches."""
    feet = or_none(on_bad, as_int, p.get("height_feet"), "height_feet", hi=9)
    inches = or_none(on_bad, as_int, p.get("height_inches"), "height_inches", hi=11)
    return f"{feet}-{inches}" if feet is not None and inches is not None else None

