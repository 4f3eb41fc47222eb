"""Regular-season calendars: who plays whom, when (UTC), generated lazily per (league, season, seed)."""

from __future__ import annotations

import bisect
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache

from linelogic_assets.registry.teams import Team, teams_for
from linelogic_assets.sports import BY_LEAGUE, League

from .rng import hex_id, rng_for

GAMES_PER_TEAM = {"nba": 82, "nhl": 82, "mlb": 162, "nfl": 17}
DURATION_MIN = {"nba": 150, "nfl": 195, "mlb": 180, "nhl": 150}
# Odds open this long before commence (NFL lines hang a week ahead).
LEAD_MIN = {"nba": 48 * 60, "nhl": 48 * 60, "mlb": 48 * 60, "nfl": 6 * 24 * 60}
POSTPONE_RATE = 0.003

_DAY = timedelta(days=1)
_WEEKDAY_WEIGHT = {  # Mon..Sun relative slate sizes
    "nba": (0.9, 1.05, 1.2, 0.65, 1.2, 1.05, 0.85),
    "nhl": (0.7, 1.2, 0.7, 1.25, 0.9, 1.4, 0.85),
    "mlb": (0.75, 1.05, 1.05, 0.75, 1.1, 1.15, 1.15),
}
_EVENING = {
    "nba": ([(19, 0), (19, 30), (20, 0), (20, 30), (21, 0), (22, 0), (22, 30)], [5, 5, 3, 1, 2, 1.5, 1.5]),
    "nhl": ([(19, 0), (19, 30), (20, 0), (21, 0), (22, 0), (22, 30)], [6, 3, 2, 1.5, 1.5, 1]),
    "mlb": (
        [(18, 40), (18, 45), (19, 5), (19, 10), (19, 40), (20, 10), (21, 40), (21, 45), (22, 10)],
        [2, 1, 4, 3, 2, 2, 1.5, 1, 2],
    ),
}
_AFTERNOON = {
    "nba": ([(12, 0), (15, 30)], 0.25),
    "nhl": ([(13, 0), (15, 0), (17, 0)], 0.3),
    "mlb": ([(13, 5), (13, 10), (13, 35), (16, 5), (16, 10)], 0.45),
}
# NFL week: (weekday offset from Thursday, local time, games); the 1 pm window absorbs byes.
_NFL_SLOTS = ((0, (20, 15), 1), (3, (16, 5), 2), (3, (16, 25), 2), (3, (20, 20), 1), (4, (20, 15), 1))


@dataclass(frozen=True)
class Game:
    """Ground truth of one scheduled game (scores and prices live in `model`/`lines`)."""

    league: str
    season: int
    index: int  # its place in the season's schedule: a provider derives its own game ids from it
    event_id: str
    home: Team
    away: Team
    commence_time: datetime  # aware UTC
    slate_date: date  # league-local date
    week: int | None = None  # NFL week
    game_number: int = 0  # MLB doubleheader game 1/2, else 0
    postponed_at: datetime | None = None  # when the postponement was announced
    open_ts: int = field(init=False)
    commence_ts: int = field(init=False)
    end_ts: int = field(init=False)

    def __post_init__(self) -> None:
        c = int(self.commence_time.timestamp())
        object.__setattr__(self, "commence_ts", c)
        object.__setattr__(self, "open_ts", c - LEAD_MIN[self.league] * 60)
        object.__setattr__(self, "end_ts", c + DURATION_MIN[self.league] * 60)

    @property
    def home_team(self) -> str:
        return self.home.full_name

    @property
    def away_team(self) -> str:
        return self.away.full_name

    @property
    def end_time(self) -> datetime:
        return datetime.fromtimestamp(self.end_ts, UTC)

    @property
    def postponed(self) -> bool:
        return self.postponed_at is not None

    def listed_at(self, ts: int) -> bool:
        """Whether The Odds API lists the event at unix time `ts` (open, not final, not postponed)."""
        if self.postponed_at is not None and ts >= self.postponed_at.timestamp():
            return False
        return self.open_ts <= ts < self.end_ts


@dataclass(frozen=True)
class Season:
    league: str
    season: int
    games: tuple[Game, ...]  # sorted by commence time
    commence: tuple[int, ...]  # unix seconds, parallel to games
    by_event_id: dict[str, Game]
    by_slate: dict[date, tuple[Game, ...]]

    def between(self, lo_ts: int, hi_ts: int) -> list[Game]:
        """Games with lo <= commence <= hi."""
        i = bisect.bisect_left(self.commence, lo_ts)
        j = bisect.bisect_right(self.commence, hi_ts)
        return list(self.games[i:j])


def season_bounds(lg: League, season: int) -> tuple[date, date]:
    start = date(season, *lg.season_start)
    end_year = season if lg.season_end > lg.season_start else season + 1
    return start, date(end_year, *lg.season_end)


def _matchups(
    rng: random.Random, n: int, rounds: int, byes: list[set[int]] | None = None
) -> list[list[tuple[int, int]]]:
    """Rounds of random pairings; home side balances each team's home count."""
    homes = [0] * n
    out = []
    for r in range(rounds):
        order = [t for t in range(n) if not (byes and t in byes[r])]
        rng.shuffle(order)
        rnd = []
        for i in range(0, len(order) - 1, 2):
            a, b = order[i], order[i + 1]
            if homes[a] > homes[b] or (homes[a] == homes[b] and rng.random() < 0.5):
                a, b = b, a
            homes[a] += 1
            rnd.append((a, b))
        out.append(rnd)
    return out


def _off_days(league: str, season: int) -> set[date]:
    days = {date(season, 12, 24)}
    nov1 = date(season, 11, 1)
    thanksgiving = nov1 + timedelta(days=(3 - nov1.weekday()) % 7 + 21)
    if league in ("nba", "nhl"):
        days.add(thanksgiving)
    if league == "nba":  # All-Star break
        days |= {date(season + 1, 2, d) for d in range(13, 19)}
    if league == "mlb":
        days = {date(season, 7, d) for d in range(14, 18)}
    return days


def _local(day: date, hm: tuple[int, int], lg: League) -> datetime:
    return datetime.combine(day, time(*hm), tzinfo=lg.tz).astimezone(UTC)


def _daily_schedule(
    rng: random.Random, lg: League, season: int, n: int
) -> list[tuple[date, int, int, datetime, int]]:
    """(slate date, home idx, away idx, commence UTC, doubleheader game no.) for daily leagues."""
    league = lg.league
    queue = [m for rnd in _matchups(rng, n, GAMES_PER_TEAM[league]) for m in rnd]
    start, end = season_bounds(lg, season)
    off = _off_days(league, season)
    weights = _WEEKDAY_WEIGHT[league]
    ev_times, ev_w = _EVENING[league]
    aft_times, aft_share = _AFTERNOON[league]
    out = []
    d = start
    while queue:
        if d in off and d <= end:
            d += _DAY
            continue
        remaining_days = max(1, (end - d).days + 1 - sum(1 for x in off if d <= x <= end))
        avg = len(queue) / remaining_days
        target = min(n // 2, max(0, round(avg * weights[d.weekday()] * rng.uniform(0.55, 1.45))))
        if d >= end:
            target = n // 2
        busy: set[int] = set()
        picks: list[tuple[int, int, int]] = []
        i = 0
        while i < len(queue) and len(picks) < target and i < 120:
            h, a = queue[i]
            if h in busy or a in busy:
                i += 1
                continue
            queue.pop(i)
            busy.update((h, a))
            if league == "mlb" and rng.random() < 0.012:  # doubleheader: pull a later game of this pair
                j = next((k for k in range(i, len(queue)) if set(queue[k]) == {h, a}), None)
                if j is not None:
                    queue.pop(j)
                    picks.append((h, a, 1))
                    picks.append((h, a, 2))
                    continue
            picks.append((h, a, 0))
        weekend = d.weekday() >= 5
        for h, a, gno in picks:
            if gno == 1:
                hm = (13, 5)
            elif gno == 2:
                hm = (18, 40)
            elif weekend and rng.random() < aft_share:
                hm = rng.choice(aft_times)
            else:
                hm = rng.choices(ev_times, ev_w)[0]
            out.append((d, h, a, _local(d, hm, lg), gno))
        d += _DAY
    return out


def _nfl_schedule(
    rng: random.Random, lg: League, season: int, n: int
) -> list[tuple[date, int, int, datetime, int]]:
    start, _ = season_bounds(lg, season)
    thursday = start + timedelta(days=(3 - start.weekday()) % 7)
    teams = list(range(n))
    rng.shuffle(teams)
    byes = [set() for _ in range(18)]
    for g in range(8):  # weeks 5..12 each rest four teams: 17 games per team, 272 in all
        byes[4 + g] = set(teams[4 * g : 4 * g + 4])
    out = []
    for week, rnd in enumerate(_matchups(rng, n, 18, byes), start=1):
        base = thursday + timedelta(weeks=week - 1)
        slots = []
        for offset, hm, count in _NFL_SLOTS:
            slots += [(offset, hm)] * count
        slots += [(3, (13, 0))] * (len(rnd) - len(slots))
        rng.shuffle(rnd)
        for (h, a), (offset, hm) in zip(rnd, slots, strict=True):
            day = base + timedelta(days=offset)
            out.append((day, h, a, _local(day, hm, lg), week))
    return out


@cache
def season_schedule(league: str, season: int, seed: int) -> Season:
    lg = BY_LEAGUE[league]
    teams = teams_for(league)
    rng = rng_for(seed, league, season, "schedule")
    n = len(teams)
    rows = _nfl_schedule(rng, lg, season, n) if league == "nfl" else _daily_schedule(rng, lg, season, n)
    rows.sort(key=lambda r: (r[3], teams[r[1]].full_name))
    prng = rng_for(seed, league, season, "postponed")
    games = []
    for idx, (day, h, a, commence, extra) in enumerate(rows):
        postponed_at = None
        if prng.random() < POSTPONE_RATE:
            postponed_at = commence - timedelta(minutes=prng.randint(60, 30 * 60))
        games.append(
            Game(
                league=league,
                season=season,
                index=idx,
                event_id=hex_id(seed, league, season, idx, "event"),
                home=teams[h],
                away=teams[a],
                commence_time=commence,
                slate_date=day,
                week=extra if league == "nfl" else None,
                game_number=0 if league == "nfl" else extra,
                postponed_at=postponed_at,
            )
        )
    by_slate: dict[date, list[Game]] = {}
    for g in games:
        by_slate.setdefault(g.slate_date, []).append(g)
    return Season(
        league=league,
        season=season,
        games=tuple(games),
        commence=tuple(g.commence_ts for g in games),
        by_event_id={g.event_id: g for g in games},
        by_slate={d: tuple(v) for d, v in by_slate.items()},
    )


def games_between(league: str, lo_ts: int, hi_ts: int, seed: int) -> list[Game]:
    """All games of a league with lo <= commence <= hi (unix seconds), across season boundaries."""
    lg = BY_LEAGUE[league]
    lo_d = datetime.fromtimestamp(lo_ts, UTC).date() - _DAY
    hi_d = datetime.fromtimestamp(hi_ts, UTC).date() + _DAY
    seasons = {lg.season_of(lo_d), lg.season_of(hi_d)}
    seasons |= {lg.season_of(lo_d + timedelta(days=k)) for k in range(0, (hi_d - lo_d).days, 30)}
    out: list[Game] = []
    for s in sorted(seasons):
        out += season_schedule(league, s, seed).between(lo_ts, hi_ts)
    out.sort(key=lambda g: (g.commence_ts, g.event_id))
    return out


def listed_games(league: str, ts: int, seed: int) -> list[Game]:
    """Games The Odds API lists at `ts`: opened, not yet final, not postponed."""
    lo = ts - DURATION_MIN[league] * 60
    hi = ts + LEAD_MIN[league] * 60
    return [g for g in games_between(league, lo, hi, seed) if g.listed_at(ts)]
