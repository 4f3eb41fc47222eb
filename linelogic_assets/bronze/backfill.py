"""Backfill planning across providers: which provider's free schedule lists a league's games, and the
demo window's slates. What a backfill costs is the paying provider's (its `backfill_plan`)."""

from __future__ import annotations

from datetime import date, timedelta

from linelogic_assets.config import IngestConfig
from linelogic_assets.providers.base import Provider
from linelogic_assets.providers.registry import PROVIDERS, schedule_rank
from linelogic_assets.sports import League, league_for


class NoFreeScheduleError(RuntimeError):
    """The league's schedule for the range is not available without paying for it."""


def schedule_source(league: League) -> Provider | None:
    """The provider whose free schedule lists the league's games: the best-ranked one that offers one."""
    offering = [p for p in PROVIDERS if p.free_schedule is not None and p.covers(league.league)]
    return min(offering, key=lambda p: schedule_rank(p.name), default=None)


def demo_slates(cfg: IngestConfig, config_path: str | None = None, *, start: str | None = None,
                days: int | None = None, sports: list[str] | None = None) -> list[tuple[str, date]]:
    """The demo window's (sport, slate date) partitions (`demo` in the config unless overridden): the dates
    with games by a free schedule, every date for a league without one. `make run` materializes these;
    the deployment backfills them."""
    first = date.fromisoformat(start or cfg.demo.start)
    window = [first + timedelta(days=i) for i in range(days or cfg.demo.days)]
    leagues = [(sport, league_for(sport)) for sport in sports or cfg.demo.sports]
    sources = [schedule_source(league) for _, league in leagues]
    schedules: dict[int, dict] = {}
    for source in {s.name: s for s in sources if s is not None}.values():  # one batch (one client) per provider
        mine = [i for i, s in enumerate(sources) if s is source]
        for i, games in zip(mine, source.free_schedule(config_path, [(leagues[i][1], window) for i in mine]),
                            strict=True):
            schedules[i] = games
    out: list[tuple[str, date]] = []
    for i, (sport, _) in enumerate(leagues):
        slates = [d for d, games in schedules[i].items() if games] if i in schedules else list(window)
        out += [(sport, d) for d in slates]
    return out
