"""How `linelogic import` reads a recorded Odds API body: its games' slate dates, when it was observed,
and the sport keys its events name (a file of another sport is rejected)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from linelogic_assets.timeutil import TimestampError, parse_ts

if TYPE_CHECKING:
    from linelogic_assets.sports import League


def _oddsapi_events(endpoint: str, body: Any) -> list[dict]:
    data = body.get("data") if endpoint.startswith("historical_") else body
    if isinstance(data, dict):
        return [data]
    return data if isinstance(data, list) else []


def _when(value: Any, what: str) -> datetime:
    """parse_ts, its error naming the field it came from."""
    try:
        return parse_ts(value)
    except ValueError as err:
        raise TimestampError(f"{what}: {err}") from None


def _slate_of(league: League, value: Any, what: str) -> date:
    try:
        return league.slate_date(_when(value, what))
    except TimestampError:
        raise
    except ValueError as err:
        raise TimestampError(f"{what}: {err}") from None


def _max_last_update(events: Iterable[dict]) -> datetime | None:
    stamps = []
    for ev in events:
        for book in ev.get("bookmakers", []) or []:
            what = f"bookmaker {book.get('key')!r} of event {ev.get('id')!r}"
            if book.get("last_update"):
                stamps.append(_when(book["last_update"], f"{what} last_update"))
            stamps += [_when(m["last_update"], f"{what} market {m.get('key')!r} last_update")
                       for m in book.get("markets", []) if m.get("last_update")]
    return max(stamps) if stamps else None


def slate_dates(endpoint: str, body: Any, league: League) -> set[date]:
    """The slate dates of the events' commence times (the sports list has none)."""
    if endpoint == "sports":
        return set()
    return {_slate_of(league, ev["commence_time"], f"event {ev.get('id')!r} commence_time")
            for ev in _oddsapi_events(endpoint, body)}


def snapshot_time(endpoint: str, body: Any) -> tuple[datetime | None, str | None]:
    """When the response was observed, and how we know; a timestamp it cannot read raises TimestampError."""
    if endpoint.startswith("historical_"):
        return _when(body["timestamp"], "historical timestamp"), "historical_timestamp"
    if endpoint in ("odds", "event_odds"):
        latest = _max_last_update(_oddsapi_events(endpoint, body))
        return latest, "max_last_update" if latest else None
    if endpoint == "scores":
        stamps = [_when(ev["last_update"], f"event {ev.get('id')!r} last_update") for ev in body if ev.get("last_update")]
        return (max(stamps), "max_last_update") if stamps else (None, None)
    return None, None


def sport_keys(endpoint: str, body: Any) -> list[Any] | None:
    """The sport_key of every event in the body; None for the sports list, which spans every sport."""
    if endpoint == "sports":
        return None
    return [ev.get("sport_key") for ev in _oddsapi_events(endpoint, body)]
