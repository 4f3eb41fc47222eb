"""The Odds API's event sightings: event headers of events and odds responses, and /scores results.

A header whose identity (id, teams, start) cannot be read is dropped and quarantined as kind `rows`;
a /scores result or attribute that cannot be read keeps the event and is quarantined as kind `value`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import date, datetime
from typing import Any

import pandas as pd

from linelogic_assets.bronze.store import BronzeStore
from linelogic_assets.lake.quarantine import Quarantine, decoded
from linelogic_assets.lake.raw import RawResponse, partition_responses
from linelogic_assets.providers.oddsapi.normalise import (
    HEAD_SCHEMA,
    ODDS_ENDPOINTS,
    event_heads,
    parse_responses,
)
from linelogic_assets.registry.events import Sighting
from linelogic_assets.registry.teams import TeamIndex
from linelogic_assets.silver.coerce import (
    BadValue,
    as_bool,
    as_id,
    as_int,
    as_list,
    as_name,
    as_object,
    as_ts,
    or_none,
    quarantine_value,
)
from linelogic_assets.silver.events import Window, event_detail
from linelogic_assets.sports import League

ODDSAPI_EVENT_ENDPOINTS = ("historical_events", "events", *ODDS_ENDPOINTS)


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
        quarantine_value(quarantine, r, err, row_kept=False, detail=event_detail(ev))
        return None
    return sighting


def scores_sighting(r: RawResponse, ev: object, window: Window, quarantine: Quarantine) -> Sighting | None:
    """A /scores event: its header as any event's, then its status and result; a bad result keeps the event."""
    def on_bad(err: BadValue) -> None:
        quarantine_value(quarantine, r, err, row_kept=True, detail=event_detail(ev))

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


def sightings(store: BronzeStore, league: League, day: date, index: TeamIndex, window: Window,
              quarantine: Quarantine) -> list[Sighting]:
    """The partition's sightings: every events/odds header first, then every /scores event."""
    sport = league.sport_key
    odds_like = partition_responses(store, "oddsapi", sport, day, ODDSAPI_EVENT_ENDPOINTS)
    found = list(_odds_heads(odds_like, window, quarantine))

    scores = partition_responses(store, "oddsapi", sport, day, ("scores",))
    for r, bodies in decoded(scores, quarantine):
        for ev in bodies[0] if isinstance(bodies[0], list) else []:
            s = scores_sighting(r, ev, window, quarantine)
            if s is not None:
                found.append(s)
    return found
