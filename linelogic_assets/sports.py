"""The leagues LineLogic knows: provider keys, slate timezone and season calendar.

A *slate date* is the calendar date of a game's start in the league's local timezone, so a
10:30 pm ET tip-off (03:30 UTC next day) belongs to the slate of the evening it is played.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class League:
    sport_key: str  # The Odds API sport key, also the `sport` partition key
    league: str  # short slug: nba, nfl, mlb, nhl
    title: str
    group: str
    description: str
    timezone: str
    season_start: tuple[int, int]  # (month, day) the regular season starts, in the season's first year
    season_end: tuple[int, int]  # (month, day) it ends, in the following year when before the start
    # a game is certainly over this long after its start (overtime, delays included): the earliest
    # time its result may feed a feature, so team form never uses a game still in progress
    max_game_minutes: int = 240

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def slate_date(self, ts: datetime) -> date:
        """The slate date of an aware timestamp."""
        if ts.tzinfo is None:
            raise ValueError(f"naive datetime {ts!r}: timestamps must be timezone-aware")
        try:
            return ts.astimezone(self.tz).date()
        except OverflowError:  # the calendar's first or last day, shifted past its edge
            raise ValueError(f"{ts.isoformat()} has no date in {self.timezone}: out of the calendar's range") from None

    def slate_bounds_utc(self, day: date) -> tuple[datetime, datetime]:
        """[start, end) of a slate date in UTC."""
        try:
            start = datetime.combine(day, time(0, 0), tzinfo=self.tz)
            end = datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=self.tz)
            return start.astimezone(UTC), end.astimezone(UTC)
        except OverflowError:
            raise ValueError(f"slate date {day} has no bounds in UTC: out of the calendar's range") from None

    def season_of(self, day: date) -> int:
        """The season label (its starting year) a date belongs to: the year its regular season starts."""
        if self.season_end > self.season_start:  # within one calendar year (MLB)
            return day.year
        return day.year if day.month >= 7 else day.year - 1


LEAGUES: dict[str, League] = {
    lg.sport_key: lg
    for lg in (
        League("basketball_nba", "nba", "NBA", "Basketball", "US Basketball", "America/New_York", (10, 21), (4, 12), 210),
        League("americanfootball_nfl", "nfl", "NFL", "American Football", "US Football", "America/New_York", (9, 4), (1, 5), 270),
        League("baseball_mlb", "mlb", "MLB", "Baseball", "Major League Baseball", "America/New_York", (3, 26), (9, 28), 330),
        League("icehockey_nhl", "nhl", "NHL", "Ice Hockey", "US Ice Hockey", "America/New_York", (10, 7), (4, 16), 210),
    )
}

SPORT_KEYS: tuple[str, ...] = tuple(LEAGUES)
BY_LEAGUE: dict[str, League] = {lg.league: lg for lg in LEAGUES.values()}


class UnknownSportError(KeyError):
    def __str__(self) -> str:  # KeyError quotes its message; keep it readable
        return str(self.args[0])


def league_for(sport: str) -> League:
    """Look a league up by Odds API sport key (`basketball_nba`) or slug (`nba`)."""
    found = LEAGUES.get(sport) or BY_LEAGUE.get(sport)
    if found is None:
        raise UnknownSportError(f"unknown sport {sport!r}; known: {', '.join(SPORT_KEYS)}")
    return found
