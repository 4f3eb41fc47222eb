"""How `linelogic import` reads a recorded Polymarket body: the slate dates of its games, and when it was seen.

- Gamma `/events`: the slate date (league-local) of every market of the league's games, by its
  `gameStartTime`, or for a legacy market without one, its `endDate` (the game's day). Another league's
  events in the same page name no slate of this one.
- CLOB `/book`: the book's own `timestamp` (unix milliseconds) is its snapshot time and slate date.
- `/prices-history` names neither its token nor a date: pass `--date` (and `--token`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from linelogic_assets.timeutil import TimestampError

if TYPE_CHECKING:
    from linelogic_assets.sports import League


def slate_dates(endpoint: str, body: Any, league: League) -> set[date]:
    from linelogic_assets.providers.polymarket.normalise import (  # the registry stays light
        event_league,
        parse_pm_time,
    )

    found: set[date] = set()
    if endpoint == "book":
        snap, _ = snapshot_time(endpoint, body)
        return {league.slate_date(snap)} if snap else found
    if endpoint != "events" or not isinstance(body, list):
        return found
    for event in body:
        if not isinstance(event, dict) or event_league(event) != league.league:
            continue
        for market in event.get("markets") or []:
            if not isinstance(market, dict):
                continue
            raw = market.get("gameStartTime") or market.get("endDate")
            try:
                when = parse_pm_time(raw)
            except ValueError as err:
                raise TimestampError(f"market {market.get('id')!r} time {raw!r}: {err}") from None
            if when is not None:
                found.add(league.slate_date(when))
    return found


def snapshot_time(endpoint: str, body: Any) -> tuple[datetime | None, str | None]:
    if endpoint != "book" or not isinstance(body, dict) or body.get("timestamp") in (None, ""):
        return None, None
    try:
        ms = int(str(body["timestamp"]))
        return datetime.fromtimestamp(ms / 1000, UTC), "book timestamp"
    except (ValueError, OverflowError, OSError) as err:
        raise TimestampError(f"book timestamp {body['timestamp']!r}: {err}") from None
