"""Bronze schedules, odds headers, scores and games → `event`, `event_result` and the provider maps.

Each provider reads its own responses into sightings (`Provider.sightings`); this module matches them
into canonical events and builds the tables.

Provider values are read through `silver.coerce`; what cannot be read is quarantined (table `event`)
with the reason, raw_ref and column, and the rest of the response goes on:

* identity (the event id, either team, the start time, a game's date): the sighting is
  dropped, quarantined as kind `rows`, since a game cannot be placed or matched without it;
* a result or an attribute (a score, `scores` that is not a list, `completed`, `last_update`, a
  game's `status` or `season`): the game is still an event, only that value is lost, quarantined
  as kind `value`; a final game whose score is unreadable has no result (the results check says so).

A game belongs to the partition of its own slate date. A game elsewhere in a response (an odds
snapshot lists other slates) is not this partition's, and is neither read nor quarantined here.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd

from linelogic_assets.bronze.store import BronzeStore
from linelogic_assets.lake.quarantine import Quarantine
from linelogic_assets.providers.registry import PROVIDERS, schedule_rank
from linelogic_assets.registry.events import CanonicalEvent, MatchResult, Sighting, match_events
from linelogic_assets.registry.overrides import Overrides
from linelogic_assets.registry.teams import TeamIndex
from linelogic_assets.silver.odds import EventKey
from linelogic_assets.silver.schemas import SCHEMAS, typed
from linelogic_assets.sports import League

SEASONS = (1850, 2200)  # the range a season label can take


Window = tuple[datetime, datetime]


@dataclass
class EventBuild:
    result: MatchResult
    frames: dict[str, pd.DataFrame]
    keys: dict[str, EventKey]  # an odds provider's event id → what its odds rows need
    stats: dict[str, int]


def event_detail(ev: object) -> dict[str, Any]:
    """What a quarantine record keeps of a row it drops: its id as the provider wrote it, and its teams."""
    if not isinstance(ev, Mapping):
        return {"provider_event_id": None, "row": ev}
    return {"provider_event_id": ev.get("id"), "home": ev.get("home_team"), "away": ev.get("away_team")}


def _odds_providers() -> set[str]:
    """The providers whose event ids odds rows carry."""
    return {p.name for p in PROVIDERS if p.odds is not None}


def collect_sightings(store: BronzeStore, league: League, day: date, index: TeamIndex,
                      quarantine: Quarantine) -> list[Sighting]:
    """Every provider's sightings of the slate, provider by provider in registry order (row order follows it)."""
    window = league.slate_bounds_utc(day)
    return [s for p in PROVIDERS if p.sightings is not None
            for s in p.sightings(store, league, day, index, window, quarantine)]


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
    links = [p.event_links(store, league, day, frames["event"], index) for p in PROVIDERS if p.event_links]
    links = [f for f in links if len(f)]
    if links:  # venues match their listings to the events just built: their rows follow the sightings'
        frames["event_provider_map"] = pd.concat([frames["event_provider_map"], *links], ignore_index=True)
    frames = {name: typed(name, frame) for name, frame in frames.items()}
    quoting = _odds_providers()
    keys = {
        m.provider_event.provider_event_id: EventKey(ev.canonical_event_id, ev.start, m.swapped)
        for ev in result.events for m in ev.members if m.provider_event.provider in quoting
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
        found.sort(key=lambda f: schedule_rank(f[0]))  # the results truth first
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


def load_event_keys(event_map: pd.DataFrame, events: pd.DataFrame, provider: str) -> dict[str, EventKey]:
    """An odds provider's event id → canonical keys, from stored silver tables (what the odds asset reads)."""
    starts = dict(zip(events["canonical_event_id"], events["commence_time_utc"], strict=True))
    out = {}
    for row in event_map[event_map["provider"] == provider].itertuples(index=False):
        start = starts.get(row.canonical_event_id)
        out[row.provider_event_id] = EventKey(row.canonical_event_id, None if pd.isna(start) else start.to_pydatetime(),
                                              bool(row.home_away_swapped))
    return out


RESULT_HASH = "result_hash"  # event_result's per-partition metadata: what later slates' team form read


def result_hash(results: pd.DataFrame) -> str:
    """A content hash of a slate's results: ids, scores and winners (not when they were observed)."""
    cols = ["canonical_event_id", "home_score", "away_score", "winner"]
    rows = results[cols].sort_values("canonical_event_id").astype(str).to_numpy().tolist()
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()[:16]
