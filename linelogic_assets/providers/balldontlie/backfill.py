"""BALLDONTLIE's free schedule: each slate's games, for backfill plans and the demo window."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from linelogic_assets.sports import League


def bdl_schedule(client, league: League, days: list[date], chunk: int = 31) -> dict[date, list[tuple[str, datetime]]]:
    """Slate → [(game id, start)] from BALLDONTLIE's games endpoint (free). Postponed and cancelled games stay
    in: The Odds API still lists a game called off after the slate began, and a plan must not undercount."""
    from linelogic_assets.providers.balldontlie.client import game_slate_date
    from linelogic_assets.providers.balldontlie.events import bdl_start

    wanted = set(days)
    out: dict[date, list[tuple[str, datetime]]] = {d: [] for d in days}
    for i in range(0, len(days), chunk):
        for page in client.games(league.sport_key, dates=[d.isoformat() for d in days[i:i + chunk]]):
            for g in page.json().get("data", []):
                day, start = game_slate_date(g, league), bdl_start(g, league)
                if day in wanted and start is not None:
                    out[day].append((str(g["id"]), start))
    return out


def free_schedule(config_path: str | None, wanted: Sequence[tuple[League, list[date]]]
                  ) -> list[dict[date, list[tuple[str, datetime]]]]:
    """`bdl_schedule` of each (league, days), through one client."""
    from linelogic_assets.providers.balldontlie.resource import BallDontLieResource

    client = BallDontLieResource(config_path=config_path).client()
    try:
        return [bdl_schedule(client, league, days) for league, days in wanted]
    finally:
        client.close()
