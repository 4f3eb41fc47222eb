"""Polymarket game-market names: event tickers/slugs, titles and market questions, both ways.

Tickers are `{league}-{away}-{home}-{US date}`: lowercase team abbreviations and the game's date in
America/New_York, so a 7:10 pm ET game on 2026-01-20 (00:10Z on the 21st) is dated 2026-01-20.
Titles and questions use the teams' short names (away first): "Suns vs. 76ers".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from linelogic_assets.registry.teams import Team, teams_for

US_TZ = ZoneInfo("America/New_York")
LEAGUES = ("nba", "nfl", "mlb", "nhl")

# Where Polymarket's ticker abbreviation differs from the registry's (league, registry abbr) -> ticker abbr.
# None is known to differ for the simulated leagues; real tickers that do go here.
ABBR_OVERRIDES: dict[tuple[str, str], str] = {}

_SLUG = re.compile(r"^(?P<league>[a-z]+)-(?P<away>[a-z0-9]+)-(?P<home>[a-z0-9]+)-(?P<day>\d{4}-\d{2}-\d{2})(?:-(?P<n>\d))?$")
# "Spread: 76ers (-1.5)": the team name may hold digits, so the line is read from the parentheses only
_SPREAD_Q = re.compile(r"^\s*Spread:\s*(?P<team>.+?)\s*\(\s*(?P<line>[+-]?\d+(?:\.\d+)?)\s*\)\s*$")
_TOTAL_Q = re.compile(r"^\s*(?P<away>.+?)\s+vs\.?\s+(?P<home>.+?):\s*O/U\s+(?P<line>\d+(?:\.\d+)?)\s*$")
_SPREAD_G = re.compile(r"^\s*Spread\s+(?P<line>[+-]?\d+(?:\.\d+)?)\s*$")
_TOTAL_G = re.compile(r"^\s*O/U\s+(?P<line>\d+(?:\.\d+)?)\s*$")


def ticker_abbr(team: Team) -> str:
    """The team's abbreviation as written in Polymarket tickers (lowercase)."""
    return ABBR_OVERRIDES.get((team.league, team.abbreviation), team.abbreviation.lower())


def team_for_abbr(league: str, abbr: str) -> Team | None:
    """The registry team behind a ticker abbreviation, or None (never a guess)."""
    want = abbr.lower()
    return next((t for t in teams_for(league) if ticker_abbr(t) == want), None)


def us_date(start: datetime) -> date:
    """The calendar date of an aware start time in America/New_York (the ticker's date)."""
    if start.tzinfo is None:
        raise ValueError(f"naive datetime {start!r}: timestamps must be timezone-aware")
    return start.astimezone(US_TZ).date()


def event_slug(league: str, away: Team, home: Team, start: datetime, game_number: int = 0) -> str:
    """`nba-phx-phi-2026-01-20`; the second game of a doubleheader gets `-2` (no other way to tell them apart)."""
    base = f"{league}-{ticker_abbr(away)}-{ticker_abbr(home)}-{us_date(start).isoformat()}"
    return f"{base}-2" if game_number == 2 else base


@dataclass(frozen=True)
class ParsedSlug:
    league: str
    away_abbr: str
    home_abbr: str
    day: date  # US (America/New_York) date
    game_number: int  # 2 for a doubleheader's second game, else 0


def parse_slug(slug: object) -> ParsedSlug | None:
    """The parts of a game ticker/slug, or None for anything else (futures, legacy AMM slugs)."""
    if not isinstance(slug, str):
        return None
    m = _SLUG.match(slug.strip().lower())
    if m is None or m["league"] not in LEAGUES:
        return None
    try:
        day = date.fromisoformat(m["day"])
    except ValueError:
        return None
    return ParsedSlug(m["league"], m["away"], m["home"], day, int(m["n"] or 0))


def fmt_line(line: float) -> str:
    """1.5 -> "1.5", 224.5 -> "224.5", 7.0 -> "7"."""
    return f"{line:g}"


def signed(line: float) -> str:
    return f"{line:+g}"


def title(away: Team, home: Team) -> str:
    """Event title and moneyline question: "Suns vs. 76ers" (away vs. home)."""
    return f"{away.name} vs. {home.name}"


def spread_question(favourite: Team, line: float) -> str:
    """"Spread: 76ers (-1.5)": `line` is the favourite's (negative) handicap."""
    return f"Spread: {favourite.name} ({signed(line)})"


def spread_group_title(line: float) -> str:
    return f"Spread {signed(line)}"


def total_question(away: Team, home: Team, line: float) -> str:
    return f"{title(away, home)}: O/U {fmt_line(line)}"


def total_group_title(line: float) -> str:
    return f"O/U {fmt_line(line)}"


def parse_spread_question(question: object) -> tuple[str, float] | None:
    """("76ers", -1.5) from "Spread: 76ers (-1.5)"; None if it is not a spread question."""
    if not isinstance(question, str):
        return None
    m = _SPREAD_Q.match(question)
    return (m["team"], float(m["line"])) if m else None


def parse_total_question(question: object) -> tuple[str, str, float] | None:
    """("Suns", "76ers", 224.5) from "Suns vs. 76ers: O/U 224.5"; None otherwise."""
    if not isinstance(question, str):
        return None
    m = _TOTAL_Q.match(question)
    return (m["away"], m["home"], float(m["line"])) if m else None


def parse_group_title(group_item_title: object) -> tuple[str, float | None] | None:
    """("moneyline", None) for "Winner", ("spreads", -1.5) for "Spread -1.5", ("totals", 224.5) for "O/U 224.5"."""
    if not isinstance(group_item_title, str):
        return None
    if group_item_title.strip() == "Winner":
        return "moneyline", None
    if m := _SPREAD_G.match(group_item_title):
        return "spreads", float(m["line"])
    if m := _TOTAL_G.match(group_item_title):
        return "totals", float(m["line"])
    return None


def game_start_time(start: datetime) -> str:
    """Gamma's `gameStartTime` form: "2026-02-06 03:00:00+00" (space-separated, not ISO)."""
    return start.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S+00")


def closed_time(ts: datetime) -> str:
    """Gamma's market `closedTime` form: "2025-11-12 04:37:01+00"."""
    return game_start_time(ts)


def parse_space_time(value: object) -> datetime | None:
    """"2026-02-06 03:00:00+00" (or ISO) -> aware UTC datetime; None if unreadable."""
    if not isinstance(value, str) or not value.strip():
        return None
    v = value.strip().replace(" ", "T", 1)
    if v.endswith(("Z", "z")):
        v = v[:-1] + "+00:00"
    elif re.search(r"[+-]\d{2}$", v):
        v += ":00"
    try:
        dt = datetime.fromisoformat(v)
    except ValueError:
        return None
    return dt.astimezone(UTC) if dt.tzinfo is not None else None
