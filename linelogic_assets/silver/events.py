"""Bronze schedules, odds headers, scores and games → `event`, `event_result` and the provider maps."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pandas as pd

from linelogic_assets.bronze.store import BronzeStore
from linelogic_assets.registry.events import CanonicalEvent, MatchResult, Sighting, match_events
from linelogic_assets.registry.overrides import Overrides
from linelogic_assets.registry.teams import TeamIndex
from linelogic_assets.silver.odds import HEAD_SCHEMA, ODDS_ENDPOINTS, EventKey, event_heads, parse_responses
from linelogic_assets.silver.quarantine import Quarantine
from linelogic_assets.silver.raw import decoded, partition_responses
from linelogic_assets.silver.schemas import SCHEMAS, typed
from linelogic_assets.sports import League
from linelogic_assets.timeutil import parse_ts

ODDSAPI_EVENT_ENDPOINTS = ("historical_events", "events", *ODDS_ENDPOINTS)
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


def bdl_start(game: dict, league: League) -> datetime | None:
    """A game's scheduled start: `datetime`, an ISO `date` with a time, or legacy tip-off text ("7:00 PM ET")."""
    if game.get("datetime"):
        return parse_ts(game["datetime"])
    raw = str(game.get("date") or "")
    if len(raw) > 10 and raw[10:19] != "T00:00:00":
        return parse_ts(raw)
    m = _TIPOFF.match(str(game.get("status") or ""))
    if m and raw:
        hour = int(m.group(1)) % 12 + (12 if m.group(3).lower() == "pm" else 0)
        local = datetime.combine(date.fromisoformat(raw[:10]), time(hour, int(m.group(2))), tzinfo=league.tz)
        return parse_ts(local.isoformat())
    return None


def bdl_game_sighting(game: dict, league: League, index: TeamIndex, raw_ref: str,
                      observed_at: datetime | None) -> Sighting:
    home, home_name, home_pid = index.balldontlie(game.get("home_team"), game.get("home_team_id"))
    away_obj = game.get("visitor_team") or game.get("away_team")
    away, away_name, away_pid = index.balldontlie(away_obj, game.get("visitor_team_id") or game.get("away_team_id"))
    status = bdl_status(game.get("status"))
    hs = game.get("home_team_score", (game.get("home_team_data") or {}).get("runs"))
    vs = game.get("visitor_team_score", (game.get("away_team_data") or {}).get("runs"))
    return Sighting(
        provider="balldontlie", provider_event_id=str(game["id"]), home_name=home_name, away_name=away_name,
        start=bdl_start(game, league), observed_at=observed_at, raw_ref=raw_ref, status=status,
        home_score=int(hs) if status == "final" and hs is not None else None,
        away_score=int(vs) if status == "final" and vs is not None else None,
        home_provider_team_id=home_pid, away_provider_team_id=away_pid, home_hint=home, away_hint=away,
        season=game.get("season"),
    )


@dataclass
class EventBuild:
    result: MatchResult
    frames: dict[str, pd.DataFrame]
    keys: dict[str, EventKey]  # oddsapi provider id → what odds rows need
    stats: dict[str, int]


def collect_sightings(store: BronzeStore, league: League, day: date, index: TeamIndex,
                      quarantine: Quarantine) -> list[Sighting]:
    sport = league.sport_key
    start, end = league.slate_bounds_utc(day)
    sightings: list[Sighting] = []

    odds_like = partition_responses(store, "oddsapi", sport, day, ODDSAPI_EVENT_ENDPOINTS)
    table, kept = parse_responses(odds_like, quarantine, HEAD_SCHEMA, window=(start, end))
    heads = event_heads(table, kept) if kept else pd.DataFrame()
    for row in heads.itertuples(index=False) if len(heads) else ():
        if pd.isna(row.commence) or not start <= row.commence < end:
            continue
        observed = None if pd.isna(row.snapshot_time) else row.snapshot_time.to_pydatetime()
        commence = row.commence.to_pydatetime()
        sightings.append(Sighting(
            provider="oddsapi", provider_event_id=row.provider_event_id, home_name=row.home_team,
            away_name=row.away_team, start=commence, observed_at=observed, raw_ref=row.raw_ref,
            status="live" if observed and observed >= commence else "scheduled"))

    scores = partition_responses(store, "oddsapi", sport, day, ("scores",))
    for r, bodies in decoded(scores, quarantine):
        for ev in bodies[0]:
            commence = parse_ts(ev["commence_time"])
            if not start <= commence < end:
                continue
            by_name = {s.get("name"): s.get("score") for s in ev.get("scores") or []}
            completed = bool(ev.get("completed"))
            status = "final" if completed else ("live" if ev.get("scores") else "scheduled")
            observed = parse_ts(ev["last_update"]) if ev.get("last_update") else r.snapshot_time
            hs, as_ = by_name.get(ev["home_team"]), by_name.get(ev["away_team"])
            sightings.append(Sighting(
                provider="oddsapi", provider_event_id=ev["id"], home_name=ev["home_team"], away_name=ev["away_team"],
                start=commence, observed_at=observed, raw_ref=r.raw_ref, status=status,
                home_score=int(hs) if completed and hs is not None else None,
                away_score=int(as_) if completed and as_ is not None else None))

    if league.has_balldontlie:
        games = partition_responses(store, "balldontlie", sport, day, ("games", "stats"))
        for r, bodies in decoded(games, quarantine):
            for body in bodies:
                rows = body["data"] if isinstance(body["data"], list) else [body["data"]]
                for row in rows:
                    game = row if r.endpoint == "games" else row.get("game")
                    if not isinstance(game, dict) or "id" not in game:
                        continue
                    s = bdl_game_sighting(game, league, index, r.raw_ref, r.snapshot_time or r.ingested_at)
                    if s.start is not None and not start <= s.start < end:
                        continue
                    sightings.append(s)
    return sightings


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
