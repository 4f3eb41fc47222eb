"""Bronze schedules, odds headers, scores and games → `event`, `event_result` and the provider maps.

Provider values are read through `silver.coerce`; what cannot be read is quarantined (table `event`)
with the reason, raw_ref and column, and the rest of the response goes on:

* identity (the event id, either team, the start time, a BALLDONTLIE game's date): the sighting is
  dropped, quarantined as kind `rows`, since a game cannot be placed or matched without it;
* a result or an attribute (a score, `scores` that is not a list, `completed`, `last_update`, a
  game's `status` or `season`): the game is still an event, only that value is lost, quarantined
  as kind `value`; a final game whose score is unreadable has no result (the results check says so).

A game belongs to the partition of its own slate date. A game elsewhere in a response (an odds
snapshot lists other slates) is not this partition's, and is neither read nor quarantined here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pandas as pd

from linelogic_assets.bronze.store import BronzeStore
from linelogic_assets.lake.quarantine import Quarantine, decoded
from linelogic_assets.lake.raw import RawResponse, bdl_rows, partition_responses
from linelogic_assets.providers.balldontlie.client import game_slate_date
from linelogic_assets.providers.registry import PROVIDERS_BY_NAME
from linelogic_assets.registry.events import CanonicalEvent, MatchResult, Sighting, match_events
from linelogic_assets.registry.overrides import Overrides
from linelogic_assets.registry.teams import TeamIndex
from linelogic_assets.silver.coerce import (
    BadValue,
    OnBad,
    as_bool,
    as_date,
    as_id,
    as_int,
    as_list,
    as_name,
    as_object,
    as_text,
    as_ts,
    or_none,
    quarantine_value,
)
from linelogic_assets.silver.odds import HEAD_SCHEMA, ODDS_ENDPOINTS, EventKey, event_heads, parse_responses
from linelogic_assets.silver.schemas import SCHEMAS, typed
from linelogic_assets.sports import League

ODDSAPI_EVENT_ENDPOINTS = ("historical_events", "events", *ODDS_ENDPOINTS)
_TIPOFF = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*([ap]m)\s*(et)?\s*$", re.IGNORECASE)
SEASONS = (1850, 2200)  # the range a season label can take

Window = tuple[datetime, datetime]


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
    team, name, pid = index.balldontlie(as_object(obj, obj_keys[0], optional=True), flat)
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


@dataclass
class EventBuild:
    result: MatchResult
    frames: dict[str, pd.DataFrame]
    keys: dict[str, EventKey]  # oddsapi provider id → what odds rows need
    stats: dict[str, int]


def _detail(ev: object) -> dict[str, Any]:
    """What a quarantine record keeps of a row it drops: its id as the provider wrote it, and its teams."""
    if not isinstance(ev, Mapping):
        return {"provider_event_id": None, "row": ev}
    return {"provider_event_id": ev.get("id"), "home": ev.get("home_team"), "away": ev.get("away_team")}


def oddsapi_sighting(r: RawResponse, ev: object, window: Window, observed: datetime | None,
                     quarantine: Quarantine) -> Sighting | None:
    """An Odds API event (a header in any response) as a sighting: None when it is on another slate or was
    quarantined (its start, id or teams unreadable)."""
    try:
        row = as_object(ev, "event")
        commence = as_ts(row.get("commence_time"), "commence_time")
        if not window[0] <= commence < window[1]:
            return None  # another slate's game
        sighting = Sighting(
            provider="oddsapi", provider_event_id=as_id(row.get("id"), "id"),
            home_name=as_name(row.get("home_team"), "home_team"), away_name=as_name(row.get("away_team"), "away_team"),
            start=commence, observed_at=observed, raw_ref=r.raw_ref,
            status="live" if observed and observed >= commence else "scheduled")
    except BadValue as err:
        quarantine_value(quarantine, r, err, row_kept=False, detail=_detail(ev))
        return None
    return sighting


def scores_sighting(r: RawResponse, ev: object, window: Window, quarantine: Quarantine) -> Sighting | None:
    """A /scores event: its header as any event's, then its status and result; a bad result keeps the event."""
    def on_bad(err: BadValue) -> None:
        quarantine_value(quarantine, r, err, row_kept=True, detail=_detail(ev))

    head = oddsapi_sighting(r, ev, window, r.snapshot_time, quarantine)
    if head is None:
        return None
    row: Mapping[str, Any] = ev  # type: ignore[assignment]  # a sighting was read from it: an object
    observed = or_none(on_bad, as_ts, row.get("last_update"), "last_update", optional=True) or r.snapshot_time
    completed = or_none(on_bad, as_bool, row.get("completed"), "completed", default=False) or False
    listed = or_none(on_bad, as_list, row.get("scores"), "scores")  # None: unreadable, and so no result
    by_name: dict[str, object] = {}
    for s in listed or ():
        if isinstance(s, Mapping) and isinstance(s.get("name"), str):
            by_name[s["name"]] = s.get("score")
        else:
            on_bad(BadValue("scores", s, "a {name, score} object"))
    status = "final" if completed else "live" if listed else "scheduled"
    home_score = away_score = None
    if completed and listed is not None:
        home_score, away_score = (or_none(on_bad, _score, by_name, "scores", team=team)
                                  for team in (head.home_name, head.away_name))
    return replace(head, status=status, observed_at=observed, home_score=home_score, away_score=away_score)


def _score(by_name: Mapping[str, object], column: str, *, team: str) -> int:
    if team not in by_name:
        raise BadValue(column, None, f"a score for {team!r} (the game is completed)")
    score = as_int(by_name[team], column, optional=False)
    assert score is not None
    return score


def _odds_events(r: RawResponse, body: Any, quarantine: Quarantine) -> tuple[list, datetime | None]:
    """The events of an Odds API events/odds response and the time it was observed (historical: its envelope)."""
    observed = r.snapshot_time
    if r.endpoint.startswith("historical_") and isinstance(body, Mapping):
        try:
            observed = as_ts(body.get("timestamp"), "timestamp", optional=True) or observed
        except BadValue as err:
            quarantine_value(quarantine, r, err, row_kept=True)
        body = body.get("data")
    return ([body] if isinstance(body, Mapping) else body if isinstance(body, list) else []), observed


def _odds_heads(responses: list[RawResponse], window: Window, quarantine: Quarantine) -> Iterator[Sighting]:
    """Event headers of events and odds responses: the columnar reader first, then row by row in Python for
    every response it could not read whole (one bad value must not cost the response's other events)."""
    scratch = Quarantine(quarantine.sport, quarantine.table)
    table, kept = parse_responses(responses, scratch, HEAD_SCHEMA, window=window)
    heads = event_heads(table, kept) if kept else None
    slow = {rec["raw_ref"] for rec in scratch.records}
    if heads is not None:  # a header the reader left null is read again from the response, for its real value
        incomplete = heads[["provider_event_id", "commence", "home_team", "away_team"]].isna().any(axis=1)
        slow |= set(heads.loc[incomplete, "raw_ref"])
        heads = heads[~heads["raw_ref"].isin(slow)]
    by_ref = {r.raw_ref: r for r in kept if r.raw_ref not in slow}
    columns = ("raw_ref", "provider_event_id", "commence", "home_team", "away_team", "snapshot_time")
    rows = zip(*(heads[c].tolist() for c in columns), strict=True) if heads is not None else ()
    for ref, pid, commence, home, away, snap in rows:
        head = {"id": pid, "commence_time": _py_ts(commence), "home_team": home, "away_team": away}
        s = oddsapi_sighting(by_ref[ref], head, window, _py_ts(snap), quarantine)
        if s is not None:
            yield s
    again = [r for r in responses if r.raw_ref in slow or r.raw_ref not in by_ref]
    for r, bodies in decoded(again, quarantine):
        events, observed = _odds_events(r, bodies[0], quarantine)
        for ev in events:
            s = oddsapi_sighting(r, ev, window, observed, quarantine)
            if s is not None:
                yield s


def _py_ts(value: object) -> datetime | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).to_pydatetime()


def collect_sightings(store: BronzeStore, league: League, day: date, index: TeamIndex,
                      quarantine: Quarantine) -> list[Sighting]:
    sport = league.sport_key
    window = league.slate_bounds_utc(day)
    odds_like = partition_responses(store, "oddsapi", sport, day, ODDSAPI_EVENT_ENDPOINTS)
    sightings = list(_odds_heads(odds_like, window, quarantine))

    scores = partition_responses(store, "oddsapi", sport, day, ("scores",))
    for r, bodies in decoded(scores, quarantine):
        for ev in bodies[0] if isinstance(bodies[0], list) else []:
            s = scores_sighting(r, ev, window, quarantine)
            if s is not None:
                sightings.append(s)

    if PROVIDERS_BY_NAME["balldontlie"].covers(league.league):
        games = partition_responses(store, "balldontlie", sport, day, ("games", "stats"))
        for r, bodies in decoded(games, quarantine):
            for body in bodies:
                for row in bdl_rows(body):
                    s = _bdl_sighting(r, row, league, day, index, quarantine)
                    if s is not None:
                        sightings.append(s)
    return sightings


def _bdl_sighting(r: RawResponse, row: object, league: League, day: date, index: TeamIndex,
                  quarantine: Quarantine) -> Sighting | None:
    """A game row (or a stat row's game) of this slate as a sighting; stat rows without a game are left to the
    box-score normaliser, which quarantines them."""
    game = row if r.endpoint == "games" else row.get("game") if isinstance(row, Mapping) else None
    if r.endpoint == "stats" and not isinstance(game, Mapping):
        return None
    detail = _detail(game)

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


def build_events(store: BronzeStore, league: League, day: date, overrides: Overrides, tolerance: timedelta,
                 quarantine: Quarantine) -> EventBuild:
    index = TeamIndex(league.sport_key, overrides.aliases(league.sport_key))
    sightings = collect_sightings(store, league, day, index, quarantine)
    result = match_events(league, day, sightings, index, overrides, tolerance)
    for q in result.quarantined:
        pe = q.provider_event
        quarantine.add("event", q.reason, provider=pe.provider, endpoint=None, raw_ref=pe.raw_refs[0],
                       detail={"provider_event_id": pe.provider_event_id, "home": pe.home_name, "away": pe.away_name,
                               "start": pe.scheduled_start, "raw_refs": pe.raw_refs})
    sport = league.sport_key
    frames = {
        "event": _event_frame(result.events, league, day),
        "event_result": _result_frame(result.events, sport),
        "event_provider_map": _event_map_frame(result.events, sport),
        "team_provider_map": _team_map_frame(result.events, sport),
    }
    frames = {name: typed(name, frame) for name, frame in frames.items()}
    keys = {
        m.provider_event.provider_event_id: EventKey(ev.canonical_event_id, ev.start, m.swapped)
        for ev in result.events for m in ev.members if m.provider_event.provider == "oddsapi"
    }
    stats = {
        "sightings": len(sightings),
        "events": len(result.events),
        "quarantined_events": len(result.quarantined),
        "low_confidence_matches": sum(1 for ev in result.events for m in ev.members if m.confidence < 0.9),
        "swapped_home_away": sum(1 for ev in result.events for m in ev.members if m.swapped),
    }
    return EventBuild(result, frames, keys, stats)


def _event_frame(events: list[CanonicalEvent], league: League, day: date) -> pd.DataFrame:
    rows = []
    for ev in events:
        seen_first = [m.provider_event.first_seen for m in ev.members if m.provider_event.first_seen]
        seen_last = [m.provider_event.last_seen for m in ev.members if m.provider_event.last_seen]
        season = next((m.provider_event.season for m in ev.members if m.provider_event.season is not None), None)
        rows.append({
            "canonical_event_id": ev.canonical_event_id, "sport": league.sport_key, "league": league.league,
            "slate_date": day, "season": season if season is not None else league.season_of(day),
            "home_team_id": ev.home.id, "away_team_id": ev.away.id,
            "home_team": ev.home.full_name, "away_team": ev.away.full_name,
            "commence_time_utc": ev.start, "actual_start_utc": ev.actual_start, "status": ev.status,
            "providers": ",".join(sorted({m.provider_event.provider for m in ev.members})),
            "home_away_swapped": any(m.swapped for m in ev.members),
            "first_seen_utc": min(seen_first) if seen_first else None,
            "last_seen_utc": max(seen_last) if seen_last else None,
        })
    return pd.DataFrame(rows, columns=list(_columns("event")))


def _result_frame(events: list[CanonicalEvent], sport: str) -> pd.DataFrame:
    rows = []
    for ev in events:
        found = []  # (provider, home, away, raw_ref, observed) in the canonical orientation
        for m in sorted(ev.members, key=lambda m: (m.provider_event.provider, m.provider_event.provider_event_id)):
            r = m.provider_event.result
            if r is None:
                continue
            h, a = (r[1], r[0]) if m.swapped else (r[0], r[1])
            found.append((m.provider_event.provider, h, a, r[2], r[3]))
        if not found:
            continue
        found.sort(key=lambda f: 0 if f[0] == "balldontlie" else 1)  # the results truth first
        provider, h, a, ref, observed = found[0]
        agree = None if len(found) < 2 else all((f[1], f[2]) == (h, a) for f in found)
        rows.append({
            "canonical_event_id": ev.canonical_event_id, "sport": sport, "home_score": h, "away_score": a,
            "winner": "home" if h > a else "away" if a > h else "draw", "margin": h - a, "total": h + a,
            "source": provider, "raw_ref": ref, "observed_at_utc": observed, "providers_agree": agree,
        })
    return pd.DataFrame(rows, columns=list(_columns("event_result")))


def _event_map_frame(events: list[CanonicalEvent], sport: str) -> pd.DataFrame:
    rows = [{
        "provider": m.provider_event.provider, "provider_event_id": m.provider_event.provider_event_id,
        "canonical_event_id": ev.canonical_event_id, "sport": sport, "match_confidence": m.confidence,
        "match_method": m.method, "home_away_swapped": m.swapped,
        "provider_start_utc": m.provider_event.scheduled_start, "created_at": m.provider_event.first_seen,
    } for ev in events for m in ev.members]
    return pd.DataFrame(rows, columns=list(_columns("event_provider_map")))


def _team_map_frame(events: list[CanonicalEvent], sport: str) -> pd.DataFrame:
    found: dict[tuple[str, str], dict] = {}
    for ev in events:
        for m in ev.members:
            pe = m.provider_event
            pairs = ((pe.home_name, pe.home, pe.home_provider_team_id, pe.home_method),
                     (pe.away_name, pe.away, pe.away_provider_team_id, pe.away_method))
            for name, team, pid, method in pairs:
                key = (pe.provider, pid or name)
                row = found.get(key)
                if row is None or (pe.first_seen and row["created_at"] and pe.first_seen < row["created_at"]):
                    found[key] = {"provider": pe.provider, "provider_team_id": pid or name,
                                  "canonical_team_id": team.id, "sport": sport, "provider_team_name": name,
                                  "match_method": method, "created_at": pe.first_seen}
    return pd.DataFrame(list(found.values()), columns=list(_columns("team_provider_map")))


def _columns(table: str) -> list[str]:
    return SCHEMAS[table].names


def load_event_keys(event_map: pd.DataFrame, events: pd.DataFrame) -> dict[str, EventKey]:
    """The oddsapi → canonical keys from stored silver tables (what the odds asset reads)."""
    starts = dict(zip(events["canonical_event_id"], events["commence_time_utc"], strict=True))
    out = {}
    for row in event_map[event_map["provider"] == "oddsapi"].itertuples(index=False):
        start = starts.get(row.canonical_event_id)
        out[row.provider_event_id] = EventKey(row.canonical_event_id, None if pd.isna(start) else start.to_pydatetime(),
                                              bool(row.home_away_swapped))
    return out
