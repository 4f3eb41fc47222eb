"""How `linelogic import` reads a recorded BALLDONTLIE body: the slate dates of the games it holds."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from linelogic_assets.providers.balldontlie.rows import bdl_rows
from linelogic_assets.timeutil import TimestampError

if TYPE_CHECKING:
    from linelogic_assets.sports import League


def slate_dates(endpoint: str, body: Any, league: League) -> set[date]:
    """The slate dates of the games of a games or stats body (other endpoints name no game)."""
    from linelogic_assets.providers.balldontlie.client import game_slate_date  # the registry stays light

    found: set[date] = set()
    for row in bdl_rows(body):
        game = row if endpoint == "games" else row.get("game") if endpoint == "stats" and isinstance(row, dict) else None
        if not isinstance(game, dict):
            continue
        try:
            d = game_slate_date(game, league)
        except ValueError as err:
            raise TimestampError(f"game {game.get('id')!r} date: {err}") from None
        if d:
            found.add(d)
    return found
