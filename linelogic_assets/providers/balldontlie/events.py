"""BALLDONTLIE's event sightings: game rows of /games and the games of /stats rows, with their results.

A game whose identity (id, teams, date) cannot be read is dropped and quarantined as kind `rows`; a
status, season or score that cannot be read keeps the game and is quarantined as kind `value`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from typing import Any

from linelogic_assets.bronze.store import BronzeStore
from linelogic_assets.lake.quarantine import Quarantine, decoded
from linelogic_assets.lake.raw import RawResponse, partition_responses
from linelogic_assets.providers.balldontlie.client import game_slate_date
from linelogic_assets.providers.balldontlie.rows import bdl_rows
from linelogic_assets.providers.balldontlie.settings import PATH_PREFIX  # the leagues it covers
from linelogic_assets.providers.balldontlie.teams import team_of
from linelogic_assets.registry.events import Sighting
from linelogic_assets.registry.teams import TeamIndex
from linelogic_assets.silver.coerce import (
    BadValue,
    OnBad,
    as_date,
    as_id,
    as_int,
    as_object,
    as_text,
    as_ts,
    or_none,
    quarantine_value,
)
from linelogic_assets.silver.events import SEASONS, Window, event_detail
from linelogic_assets.sports import League

_TIPOFF = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*([ap]m)\s*(et)?\s*$", re.IGNORECASE)


def bdl_status(raw: object) -> str:
    """scheduled | live | final | postponed | cancelled from any league's BALLDONTLIE status text."""
    s = str(raw or "").strip().lower()
    if s.startswith("final") or s == "status_final":
        return "final"
    if "postpon" in s:
        return "postponed"
    if "cancel" in s:
        return "cancelled"
    if s in ("", "scheduled", "status_scheduled") or _TIPOFF.match(s) or re.match(r"^\d{4}-\d{2}-\d{2}t", s):
        return "scheduled"
    return "live"


def bdl_start(game: Mapping[str, Any], league: League) -> datetime | None:
    """A game's scheduled start: `datetime`, an ISO `date` with a time, or legacy tip-off text ("7:00 PM ET").

    None when the game gives only its date; BadValue when what it gives cannot be read.
    """
    if game.get("datetime"):
        return as_ts(game["datetime"], "datetime")
    raw = game.get("date") or ""
    if not isinstance(raw, str):
        raise BadValue("date", raw, "a date or an ISO datetime")
    if len(raw) > 10 and raw[10:19] != "T00:00:00":
        return as_ts(raw, "date")
    status = game.get("status")
    m = _TIPOFF.match(status) if isinstance(status, str) else None
    if m and raw:
        hour, minute = int(m.group(1)), int(m.group(2))
        if not (1 <= hour <= 12 and minute < 60):
            raise BadValue("status", status, "a tip-off time (h:mm am/pm)")
        hour = hour % 12 + (12 if m.group(3).lower() == "pm" else 0)
        local = datetime.combine(as_date(raw, "date"), time(hour, minute), tzinfo=league.tz)
        return local.astimezone(UTC)
    return None


def bdl_game_day(game: Mapping[str, Any], league: League) -> date:
    """The slate date of a BALLDONTLIE game (or a stat row's flat game), or BadValue naming the field."""
    column = "datetime" if game.get("datetime") else "date"
    try:
        day = game_slate_date(dict(game), league)
    except (ValueError, OverflowError, TypeError, AttributeError):
        raise BadValue(column, game.get(column), "a date or a timestamp") from None
    if day is None:
        raise BadValue("date", game.get("date"), "a date (the game names none)")
    return day


def _bdl_team(game: Mapping[str, Any], index: TeamIndex, side: str) -> tuple[Any, str, str | None]:
    obj_keys = ("home_team",) if side == "home" else ("visitor_team", "away_team")
    flat_keys = ("home_team_id",) if side == "home" else ("visitor_team_id", "away_team_id")
    obj = next((game[k] for k in obj_keys if game.get(k) is not None), None)
    flat = next((game[k] for k in flat_keys if game.get(k) is not None), None)
    team, name, pid = team_of(index, as_object(obj, obj_keys[0], optional=True), flat)
    if team is None and not name:
        raise BadValue(obj_keys[0], obj if obj is not None else flat, "a team (an object or a team id)")
    return team, name, pid


def bdl_game_sighting(game: Mapping[str, Any], league: League, index: TeamIndex, raw_ref: str,
                      observed_at: datetime | None, on_bad: OnBad = lambda err: None) -> Sighting:
    """One BALLDONTLIE game as a sighting; BadValue when its identity cannot be read, `on_bad` for lost values."""
    pid = as_id(game.get("id"), "id")
    start = bdl_start(game, league)
    home, home_name, home_pid = _bdl_team(game, index, "home")
    away, away_name, away_pid = _bdl_team(game, index, "away")
    status = bdl_status(or_none(on_bad, as_text, game.get("status"), "status"))
    season = or_none(on_bad, as_int, game.get("season"), "season", lo=SEASONS[0], hi=SEASONS[1])
    home_score = away_score = None
    if status == "final":
        hs, vs = game.get("home_team_score"), game.get("visitor_team_score")
        if hs is None and vs is None:  # MLB: runs per side
            hs, vs = ((or_none(on_bad, as_object, game.get(k), k, optional=True) or {}).get("runs")
                      for k in ("home_team_data", "away_team_data"))
        home_score = or_none(on_bad, as_int, hs, "home_team_score")
        away_score = or_none(on_bad, as_int, vs, "visitor_team_score")
    return Sighting(
        provider="balldontlie", provider_event_id=pid, home_name=home_name, away_name=away_name,
        start=start, observed_at=observed_at, raw_ref=raw_ref, status=status,
        home_score=home_score, away_score=away_score,
        home_provider_team_id=home_pid, away_provider_team_id=away_pid, home_hint=home, away_hint=away,
        season=season,
    )


def sightings(store: BronzeStore, league: League, day: date, index: TeamIndex, window: Window,
              quarantine: Quarantine) -> list[Sighting]:
    """The partition's game sightings, from /games and /stats responses (none for a league it does not cover)."""
    found: list[Sighting] = []
    if league.league in PATH_PREFIX:
        games = partition_responses(store, "balldontlie", league.sport_key, day, ("games", "stats"))
        for r, bodies in decoded(games, quarantine):
            for body in bodies:
                for row in bdl_rows(body):
                    s = _bdl_sighting(r, row, league, day, index, quarantine)
                    if s is not None:
                        found.append(s)
    return found


def _bdl_sighting(r: RawResponse, row: object, league: League, day: date, index: TeamIndex,
                  quarantine: Quarantine) -> Sighting | None:
    """A game row (or a stat row's game) of this slate as a sighting; stat rows without a game are left to the
    box-score normaliser, which quarantines them."""
    game = row if r.endpoint == "games" else row.get("game") if isinstance(row, Mapping) else None
    if r.endpoint == "stats" and not isinstance(game, Mapping):
        return None
    detail = event_detail(game)

    def on_bad(err: BadValue) -> None:
        quarantine_value(quarantine, r, err, row_kept=True, detail=detail)

    try:
        game = as_object(game, "game")
        if bdl_game_day(game, league) != day:
            return None  # another slate's game
        return bdl_game_sighting(game, league, index, r.raw_ref, r.snapshot_time or r.ingested_at, on_bad)
    except BadValue as err:
        quarantine_value(quarantine, r, err, row_kept=False, detail=detail)
        return None
