"""Raw Polymarket bodies to the silver frames `prediction_market` and `prediction_price`.

Pure functions over decoded JSON: Gamma `/events` (game markets, one row per outcome token), CLOB
`/prices-history` and `/book`. Bad provider input never raises here: a market, point or level that
cannot be read becomes a `Rejected` record (or a `BookIssue`) with a one-line reason, and the rest
is kept. Only the low-level readers (`decode_json_list`, `parse_pm_time`) raise, with the typed
`PolymarketParseError`, and the row builders turn that into a reason.

Classification reads, in this order, `sportsMarketType`/`line`, then `groupItemTitle`, then the
question; a lower source only adds a line when it agrees on the market type, and sources that
disagree on the line are rejected rather than picked between. Home/away comes from the ticker
(`{league}-{away}-{home}-{US date}`), else from the title "Away vs. Home" (Polymarket lists the away
team first for NBA, NFL, MLB and NHL); legacy "Will the X beat the Y …" markets carry no orientation,
so their selections stay null until matching takes it from the canonical event.
"""

from __future__ import annotations

import json
import math
import re
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from linelogic_assets.providers.polymarket.schemas import (
    PREDICTION_MARKET,
    PREDICTION_PRICE,
    conform_frame,
    empty_frame,
)
from linelogic_assets.registry.teams import Team, TeamIndex, normalise_name
from linelogic_assets.sports import BY_LEAGUE, league_for
from linelogic_assets.timeutil import TimestampError, parse_ts, shown

PROVIDER = "polymarket"
MARKET_TYPES = {"moneyline": "h2h", "spreads": "spreads", "totals": "totals"}
# history points outside these years are not Polymarket's (it opened in 2020): a unit or sign error
_T_MIN = datetime(2015, 1, 1, tzinfo=UTC).timestamp()
_T_MAX = datetime(2100, 1, 1, tzinfo=UTC).timestamp()
_MS_THRESHOLD = 1e11  # a unix time above this is milliseconds (1e11 s is the year 5138)

_NUM = r"[+-]?\d+(?:\.\d+)?"
_TICKER = re.compile(r"^(?P<league>[a-z]+)-(?P<away>[a-z0-9]+)-(?P<home>[a-z0-9]+)-(?P<day>\d{4}-\d{2}-\d{2})"
                     r"(?:-(?P<n>\d))?$")
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_LEAGUE_PREFIX = re.compile(r"^\s*(?:\((?:in-game trading)\)|(?:nba|nfl|mlb|nhl):)\s*", re.IGNORECASE)
# the line is read from the parentheses only: team names hold digits ("76ers", "49ers")
_Q_SPREAD = re.compile(rf"^Spread:\s*(?P<team>.+?)\s*\(\s*(?P<line>{_NUM})\s*\)$", re.IGNORECASE)
_Q_TOTAL = re.compile(rf"^(?P<a>.+?)\s+vs\.?\s+(?P<b>.+?):\s*O/U\s*(?P<line>{_NUM})$", re.IGNORECASE)
_Q_H2H = re.compile(r"^(?P<a>.+?)\s+vs\.?\s+(?P<b>.+?)$", re.IGNORECASE)
_Q_BEAT = re.compile(rf"^Will (?:the )?(?P<a>.+?) beat (?:the )?(?P<b>.+?)"
                     rf"(?: by more than (?P<line>{_NUM}) points?)?(?: in (?:their|the) .*)?\?$", re.IGNORECASE)
_G_H2H = re.compile(r"^(?:winner|moneyline)$", re.IGNORECASE)
_G_SPREAD = re.compile(rf"^Spread\s*(?P<line>{_NUM})$", re.IGNORECASE)
_G_SPREAD_TEAM = re.compile(rf"^(?P<team>.+?)\s*\(\s*(?P<line>{_NUM})\s*\)$")
_G_TOTAL = re.compile(rf"^O/U\s*(?P<line>{_NUM})$", re.IGNORECASE)
_DIGITS = re.compile(r"^\d+$")


class PolymarketParseError(ValueError):
    """A Polymarket value that cannot be read; the message is one line naming the value."""


@dataclass(frozen=True)
class Rejected:
    """Something that could not be normalised, with its reason (goes to silver's quarantine)."""

    table: str  # prediction_market | prediction_price
    kind: str  # body | event | market | other_league | not_game | price_point
    reason: str
    provider_event_id: str | None = None
    provider_market_id: str | None = None
    endpoint: str = "/events"
    rows: int = 1
    detail: Mapping[str, Any] | None = None

    def to_quarantine(self, quarantine: Any, raw_ref: str | None = None) -> None:
        """Append to a `silver.quarantine.Quarantine`, traced to the raw file it was read from."""
        detail = {"provider_event_id": self.provider_event_id, "provider_market_id": self.provider_market_id,
                  **(self.detail or {})}
        quarantine.add(self.kind, self.reason, provider=PROVIDER, endpoint=self.endpoint, raw_ref=raw_ref,
                       rows=self.rows, detail=detail)


@dataclass(frozen=True)
class BookIssue:
    """Something wrong with (or fixed in) a /book snapshot."""

    kind: str  # body | token | timestamp | bad_level | unsorted | empty_side | crossed
    reason: str
    token_id: str | None = None


@dataclass(frozen=True)
class Ticker:
    league: str
    away: str  # lowercase abbreviation
    home: str
    day: date  # US (America/New_York) date of the game
    game_number: int = 0  # 2 for the second game of a doubleheader (suffix `-2`), else 0


@dataclass(frozen=True)
class Side:
    """One outcome of a classified market, index-aligned with Gamma's `outcomes`."""

    outcome: str
    selection: str | None  # home | away | over | under; None while the orientation is unknown
    point: float | None  # sportsbook convention; None for h2h
    team: Team | None  # the team the outcome backs; None for totals


@dataclass(frozen=True)
class Classified:
    market: str  # h2h | spreads | totals
    line: float | None  # spreads: the line of the team it names (favourite negative); totals: the total
    classified_by: str  # sportsMarketType | groupItemTitle | question
    league: str
    sides: tuple[Side, ...]
    away: Team | None = None  # the provider's orientation, None when it gives none
    home: Team | None = None
    orientation: str | None = None  # ticker | title | None
    game_date: date | None = None
    game_start: datetime | None = None
    ticker: Ticker | None = field(default=None, compare=False)


# -- low-level readers ---------------------------------------------------------------------------

def decode_json_list(value: object) -> list:
    """A JSON-ENCODED list field (`outcomes`, `outcomePrices`, `clobTokenIds`), or a real list, as a list."""
    if isinstance(value, list):
        return value
    if isinstance(value, str):
        try:
            decoded = json.loads(value)
        except (ValueError, RecursionError):
            raise PolymarketParseError(f"not a JSON-encoded list: {shown(value)}") from None
        if isinstance(decoded, list):
            return decoded
    raise PolymarketParseError(f"expected a JSON-encoded list, got {shown(value)} ({type(value).__name__})")


def parse_pm_time(value: object) -> datetime | None:
    """Any Polymarket time as aware UTC: ISO "…Z", "2021-12-05 20:37:01+00", date-only (midnight UTC), unix s/ms.

    None or blank is None; anything else unreadable (or naive) raises PolymarketParseError.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise PolymarketParseError(f"not a time: {shown(value)} ({type(value).__name__})")
    if isinstance(value, str):
        text = value.strip()
        if _DIGITS.match(text):
            value = int(text)
        elif _DATE_ONLY.match(text):
            try:
                return datetime.combine(date.fromisoformat(text), time(0), tzinfo=UTC)
            except ValueError:
                raise PolymarketParseError(f"not a date: {shown(value)}") from None
        else:
            value = text
    if isinstance(value, int | float) and math.isfinite(value) and abs(value) >= _MS_THRESHOLD:
        value = value / 1000
    try:
        return parse_ts(value)
    except TimestampError as err:
        raise PolymarketParseError(str(err)) from None


def _number(value: object, what: str) -> float | None:
    """A finite number from a number or numeric string; None when absent; else PolymarketParseError."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise PolymarketParseError(f"{what} is not a number: {shown(value)}")
    try:
        number = float(value)
    except (ValueError, OverflowError):
        raise PolymarketParseError(f"{what} is not a number: {shown(value)}") from None
    if not math.isfinite(number):
        raise PolymarketParseError(f"{what} is not finite: {shown(value)}")
    return number


def _token(value: object) -> str:
    """A CLOB token id as its decimal string; a float has already lost digits, so it is refused."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return str(value)
    if isinstance(value, str) and _DIGITS.match(value.strip()):
        return value.strip()
    raise PolymarketParseError(f"token id is not a decimal string: {shown(value)}")


def _id(value: object, what: str) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    raise PolymarketParseError(f"{what} is missing or not an id: {shown(value)}")


def parse_ticker(value: object) -> Ticker | None:
    """`nba-phx-phi-2026-01-20` (optionally `-2` for a doubleheader's second game); None for anything else."""
    if not isinstance(value, str):
        return None
    m = _TICKER.match(value.strip().lower())
    if m is None or m["league"] not in BY_LEAGUE:
        return None
    try:
        day = date.fromisoformat(m["day"])
    except ValueError:
        return None
    return Ticker(m["league"], m["away"], m["home"], day, int(m["n"] or 0))


# -- teams -----------------------------------------------------------------------------------------

_NICKNAMES: weakref.WeakKeyDictionary[TeamIndex, dict[str, Team]] = weakref.WeakKeyDictionary()


@cache
def default_index(league: str) -> TeamIndex:
    return TeamIndex(league)


def resolve_team(index: TeamIndex, name: object) -> Team | None:
    """A team by any registry spelling, or by its exact nickname ("Suns", "76ers"), which Polymarket uses.

    Nicknames are unique within a league, so this is an exact lookup, never a guess.
    """
    team = index.resolve(name)
    if team is None and isinstance(name, str):
        if index not in _NICKNAMES:
            _NICKNAMES[index] = {normalise_name(t.name): t for t in index.teams}
        team = _NICKNAMES[index].get(normalise_name(name))
    return team


def event_league(event: Mapping[str, Any]) -> str | None:
    """nba/nfl/mlb/nhl from the ticker's prefix, else the event's series slug; None for anything else."""
    ticker = event.get("ticker") or event.get("slug")
    if isinstance(ticker, str) and (prefix := ticker.split("-", 1)[0].lower()) in BY_LEAGUE:
        return prefix
    slugs = [event.get("seriesSlug")]
    series = event.get("series")
    if isinstance(series, list):
        slugs += [s.get(k) for s in series if isinstance(s, dict) for k in ("slug", "ticker")]
    return next((s.lower() for s in slugs if isinstance(s, str) and s.lower() in BY_LEAGUE), None)


def _orientation(event: Mapping[str, Any], index: TeamIndex, league: str
                 ) -> tuple[Team | None, Team | None, str | None, Ticker | None]:
    ticker = parse_ticker(event.get("ticker")) or parse_ticker(event.get("slug"))
    if ticker is not None and ticker.league != league:
        ticker = None
    if ticker is not None:
        away, home = index.resolve(ticker.away), index.resolve(ticker.home)
        if away and home and away != home:
            return away, home, "ticker", ticker
    title = event.get("title")
    if isinstance(title, str) and (m := _Q_H2H.match(_LEAGUE_PREFIX.sub("", title.strip()))):
        away, home = resolve_team(index, m["a"]), resolve_team(index, m["b"])
        if away and home and away != home:
            return away, home, "title", ticker
    return None, None, None, ticker


# -- classification --------------------------------------------------------------------------------

@dataclass
class _Reading:
    """What one source says about the market."""

    source: str
    market: str
    line: float | None = None
    team: str | None = None  # the team the line belongs to, and the one Yes backs, as written
    pair: tuple[str, str] | None = None  # the two teams as written (legacy "Will A beat B")


def _read_type(market: Mapping[str, Any]) -> _Reading | str | None:
    smt = market.get("sportsMarketType")
    if smt is None or smt == "":
        return None
    if not isinstance(smt, str) or smt.strip().lower() not in MARKET_TYPES:
        return f"sportsMarketType {shown(smt)} is not a full-game moneyline, spreads or totals market"
    try:
        line = _number(market.get("line"), "line")
    except PolymarketParseError as err:
        return str(err)
    kind = MARKET_TYPES[smt.strip().lower()]
    return _Reading("sportsMarketType", kind, line if kind != "h2h" else None)


def _read_group(value: object) -> _Reading | str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        return f"groupItemTitle is not text: {shown(value)}"
    text = value.strip()
    if _G_H2H.match(text):
        return _Reading("groupItemTitle", "h2h")
    if m := _G_SPREAD.match(text):
        return _Reading("groupItemTitle", "spreads", float(m["line"]))
    if m := _G_TOTAL.match(text):
        return _Reading("groupItemTitle", "totals", float(m["line"]))
    if m := _G_SPREAD_TEAM.match(text):
        return _Reading("groupItemTitle", "spreads", float(m["line"]), team=m["team"])
    return f"groupItemTitle {shown(value)} is not a full-game moneyline, spread or total"


def _read_question(value: object) -> _Reading | str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    text = _LEAGUE_PREFIX.sub("", value.strip())
    if m := _Q_SPREAD.match(text):
        return _Reading("question", "spreads", float(m["line"]), team=m["team"])
    if m := _Q_TOTAL.match(text):
        return _Reading("question", "totals", float(m["line"]), pair=(m["a"], m["b"]))
    if m := _Q_BEAT.match(text):
        if m["line"] is None:
            return _Reading("question", "h2h", team=m["a"], pair=(m["a"], m["b"]))
        # "by more than N" wins on a margin of floor(N)+1 or more: the half-point line -(floor(N) + 0.5)
        line = -(math.floor(float(m["line"])) + 0.5)
        return _Reading("question", "spreads", line, team=m["a"], pair=(m["a"], m["b"]))
    if m := _Q_H2H.match(text):
        return _Reading("question", "h2h", pair=(m["a"], m["b"]))
    return f"question {shown(value)} is not a game moneyline, spread or total"


def classify_reason(market: Mapping[str, Any], event: Mapping[str, Any], index: TeamIndex | None = None
                    ) -> tuple[Classified | None, str | None]:
    """`classify`, with the one-line reason when the market is not a classifiable game market."""
    result = _classify(market, event, index)
    return (result, None) if isinstance(result, Classified) else (None, result)


def classify(market: Mapping[str, Any], event: Mapping[str, Any], index: TeamIndex | None = None
             ) -> Classified | None:
    """Market type, line, and which outcome is which selection; None for a non-game or unreadable market."""
    return classify_reason(market, event, index)[0]


def _classify(market: Mapping[str, Any], event: Mapping[str, Any], index: TeamIndex | None) -> Classified | str:
    league = event_league(event)
    if league is None:
        return (f"not a game market: no NBA/NFL/MLB/NHL league in ticker {shown(event.get('ticker'))} "
                f"or series {shown(event.get('seriesSlug'))}")
    index = index or default_index(league)
    if index.teams and index.teams[0].league != league:
        return f"event is {league}, not {index.teams[0].league}"
    try:
        outcomes = decode_json_list(market.get("outcomes"))
    except PolymarketParseError as err:
        return f"outcomes: {err}"
    if len(outcomes) != 2 or not all(isinstance(o, str) and o.strip() for o in outcomes):
        return f"outcomes {shown(outcomes)} are not two labels"

    readings: list[_Reading] = []
    for read in (_read_type(market), _read_group(market.get("groupItemTitle")),
                 _read_question(market.get("question"))):
        if isinstance(read, str):
            if not readings:  # a higher source that decided the type makes a lower one's oddity harmless
                return read
            continue
        if read is not None and (not readings or read.market == readings[0].market):
            readings.append(read)
    if not readings:
        return "not a game market: no sportsMarketType, groupItemTitle or question to classify"
    kind, by = readings[0].market, readings[0].source
    lines = {r.source: r.line for r in readings if r.line is not None}
    if len(set(lines.values())) > 1:
        return f"{kind} line disagrees between sources: {lines}"
    line = next(iter(lines.values()), None)
    line_team = next((r.team for r in readings if r.team), None)
    pair = next((r.pair for r in readings if r.pair), None)

    away, home, orientation, ticker = _orientation(event, index, league)
    try:
        start = parse_pm_time(market.get("gameStartTime")) or parse_pm_time(event.get("startTime"))
        if ticker is not None:
            day = ticker.day
        elif start is not None:
            day = league_for(league).slate_date(start)
        else:  # legacy markets end at midnight UTC of the game's (US) date
            ended = parse_pm_time(market.get("endDateIso") or market.get("endDate") or event.get("endDate"))
            day = ended.date() if ended else None
    except (PolymarketParseError, ValueError) as err:
        return f"game time: {err}"

    sides = _sides(kind, line, line_team, pair, [o.strip() for o in outcomes], index, away, home)
    if isinstance(sides, str):
        return sides
    return Classified(kind, line, by, league, sides, away, home, orientation, day, start, ticker)


def _sides(kind: str, line: float | None, line_team: str | None, pair: tuple[str, str] | None, labels: list[str],
           index: TeamIndex, away: Team | None, home: Team | None) -> tuple[Side, ...] | str:
    def selection(team: Team) -> str | None:
        return "home" if team == home else "away" if team == away else None

    if kind == "totals":
        if line is None or line <= 0:
            return f"totals market without a positive line ({line})"
        picks = [label.lower() for label in labels]
        if sorted(picks) != ["over", "under"]:
            return f"totals outcomes {labels} are not Over/Under"
        return tuple(Side(label, pick, line, None) for label, pick in zip(labels, picks, strict=True))

    if kind == "spreads" and line is None:
        return "spreads market without a line"
    if [label.lower() for label in labels] == ["yes", "no"]:
        # Yes backs the team the question is about ("Spread: X (-1.5)", "Will the X beat the Y"), No the other
        first = resolve_team(index, line_team)
        other = None
        if pair:
            a, b = resolve_team(index, pair[0]), resolve_team(index, pair[1])
            other = b if first == a else a if first == b else None
        if other is None and first is not None and away and home and first in (away, home):
            other = home if first == away else away
        if first is None or other is None:
            return (f"Yes/No {kind} market: cannot tell which teams Yes and No back "
                    f"(team {shown(line_team)}, pair {shown(pair)})")
        teams = [first, other]
    else:
        teams = [resolve_team(index, label) for label in labels]
        unknown = [label for label, t in zip(labels, teams, strict=True) if t is None]
        if unknown:
            return f"unknown team {', '.join(map(repr, unknown))}: no registry spelling or nickname"
    if teams[0] == teams[1]:
        return f"both outcomes back {teams[0].id}"
    if away and home and set(teams) != {away, home}:
        return f"outcome teams {[t.id for t in teams]} are not the event's {away.id} @ {home.id}"
    if kind == "h2h":
        return tuple(Side(label, selection(t), None, t) for label, t in zip(labels, teams, strict=True))

    # the line belongs to the team the question names, else to the first outcome (Gamma lists the favourite first)
    named = resolve_team(index, line_team) if line_team else teams[0]
    if named not in teams:
        return f"spread names {shown(line_team)}, which is neither outcome's team"
    return tuple(Side(label, selection(t), line if t == named else -line, t)
                 for label, t in zip(labels, teams, strict=True))


# -- Gamma /events ---------------------------------------------------------------------------------

def market_rows(events_body: object, sport: str, index: TeamIndex | None = None
                ) -> tuple[pd.DataFrame, list[Rejected]]:
    """`prediction_market` rows (one per market outcome token) of a Gamma /events body, and what was rejected.

    Every market in the body ends as rows or as one `Rejected` record with its reason.
    """
    league = league_for(sport)
    index = index or default_index(league.league)
    if not isinstance(events_body, list):
        return empty_frame("prediction_market"), [Rejected("prediction_market", "body",
                                                           f"/events body is not a JSON array: {shown(events_body)}")]
    rows: list[dict[str, Any]] = []
    rejected: list[Rejected] = []
    seen_markets: set[str] = set()
    seen_tokens: set[str] = set()
    for event in events_body:
        eid = event.get("id") if isinstance(event, dict) else None
        eid = str(eid) if isinstance(eid, str | int) and not isinstance(eid, bool) else None
        markets = event.get("markets") if isinstance(event, dict) else None
        if not isinstance(markets, list):
            rejected.append(Rejected("prediction_market", "event", f"event has no markets list: {shown(event)}", eid))
            continue
        for market in markets:
            mid = market.get("id") if isinstance(market, dict) else None
            mid = str(mid) if isinstance(mid, str | int) and not isinstance(mid, bool) else None
            built = _market(market, event, sport, league.league, index)
            if isinstance(built, Rejected):
                rejected.append(Rejected("prediction_market", built.kind, built.reason, eid, mid))
                continue
            tokens = {r["token_id"] for r in built}
            if mid in seen_markets or tokens & seen_tokens:
                rejected.append(Rejected("prediction_market", "market", "market id or token id repeated in the body; "
                                         "the first occurrence is kept", eid, mid))
                continue
            seen_markets.add(mid)
            seen_tokens |= tokens
            rows.extend(built)
    if not rows:
        return empty_frame("prediction_market"), rejected
    return conform_frame("prediction_market", pa.Table.from_pylist(rows, schema=PREDICTION_MARKET)), rejected


def _market(market: object, event: Mapping[str, Any], sport: str, league: str, index: TeamIndex
            ) -> list[dict[str, Any]] | Rejected:
    def reject(kind: str, reason: str) -> Rejected:
        return Rejected("prediction_market", kind, reason)

    if not isinstance(market, dict):
        return reject("market", f"market is not an object: {shown(market)}")
    found = event_league(event)
    if found is not None and found != league:
        return reject("other_league", f"event is {found}, not {league} ({sport})")
    classified, reason = classify_reason(market, event, index)
    if classified is None:
        return reject("not_game" if reason and reason.startswith("not a game") else "market", reason or "")
    try:
        mid = _id(market.get("id"), "market id")
        eid = _id(event.get("id"), "event id")
        tokens = [_token(t) for t in decode_json_list(market.get("clobTokenIds"))]
        raw_prices = market.get("outcomePrices")
        prices = [_number(p, "outcome price") for p in decode_json_list(raw_prices)] if raw_prices else None
        volume = _number(market.get("volume"), "volume")
        if volume is None:
            volume = _number(market.get("volumeNum"), "volumeNum")
        closed_time = parse_pm_time(market.get("closedTime"))
    except PolymarketParseError as err:
        return reject("market", str(err))
    n = len(classified.sides)
    if len(tokens) != n or len(set(tokens)) != n:
        return reject("market", f"{len(tokens)} distinct clobTokenIds for {n} outcomes")
    if prices is not None and (len(prices) != n or any(p is None or not 0 <= p <= 1 for p in prices)):
        return reject("market", f"outcomePrices {shown(raw_prices)} are not {n} prices in [0, 1]")
    if volume is not None and volume < 0:
        return reject("market", f"negative volume {volume}")
    closed = market.get("closed", False)
    if isinstance(closed, str) and closed.strip().lower() in ("true", "false"):
        closed = closed.strip().lower() == "true"
    if not isinstance(closed, bool):
        return reject("market", f"closed is not a boolean: {shown(closed)}")
    ticker = event.get("ticker") if isinstance(event.get("ticker"), str) else event.get("slug")
    question = market.get("question")
    c = classified
    return [{
        "provider_market_id": mid, "provider_event_id": eid, "ticker": ticker if isinstance(ticker, str) else None,
        "sport": sport, "canonical_event_id": None, "market": c.market, "selection": side.selection,
        "point": side.point, "token_id": token, "outcome": side.outcome,
        "question": question if isinstance(question, str) else None, "game_start_utc": c.game_start,
        "closed": closed, "closed_time_utc": closed_time, "volume": volume, "classified_by": c.classified_by,
        "team_id": side.team.id if side.team else None, "home_team_id": c.home.id if c.home else None,
        "away_team_id": c.away.id if c.away else None, "game_date": c.game_date,
        "outcome_price": prices[i] if prices is not None else None,
    } for i, (side, token) in enumerate(zip(c.sides, tokens, strict=True))]


# -- CLOB /prices-history and /book ----------------------------------------------------------------

def _field(items: pd.Series, key: str) -> pd.Series:
    """`items[i][key]` for dict items (NaN for anything else), as floats (NaN where not a number)."""
    try:
        raw = items.str.get(key)
    except AttributeError:  # no item is a dict or a string: nothing to read
        return pd.Series(np.nan, index=items.index, dtype=float)
    # through text, so bools, lists and objects become NaN instead of 1.0 or an error
    return pd.to_numeric(raw.astype(str), errors="coerce").astype(float)


def history_rows(token_id: str, body: object) -> tuple[pd.DataFrame, list[Rejected]]:
    """`prediction_price` history rows of one token's /prices-history body, and the points rejected.

    Vectorised over the points; a repeated `t` keeps its last point; rows sorted by time.
    """
    token = _token(token_id)
    history = body.get("history") if isinstance(body, dict) else None
    if not isinstance(history, list):
        return empty_frame("prediction_price"), [Rejected(
            "prediction_price", "body", f"/prices-history body has no history list: {shown(body)}",
            endpoint="/prices-history", detail={"token_id": token})]
    if not history:
        return empty_frame("prediction_price"), []
    plain = _plain_points(history)
    if plain is None:  # some point is not the API's {t: number, p: number}: read each field through text
        items = pd.Series(history, dtype=object)
        t, p = _field(items, "t").to_numpy(), _field(items, "p").to_numpy()
    else:
        t, p = plain
    with np.errstate(invalid="ignore"):
        reasons = np.select(
            [np.isnan(t), ~np.isfinite(t) | (t < _T_MIN) | (t >= _T_MAX), ~np.isfinite(p), (p < 0) | (p > 1)],
            ["t missing or not a number", "t is not a unix time in 2015..2100", "p missing or not a number",
             "p outside [0, 1]"], default="")
    rejected = []
    for reason in sorted(set(reasons) - {""}):
        where = np.flatnonzero(reasons == reason)
        rejected.append(Rejected("prediction_price", "price_point", f"{len(where)} history point(s): {reason}",
                                 endpoint="/prices-history", rows=len(where),
                                 detail={"token_id": token, "first_indices": where[:5].tolist()}))
    ok = reasons == ""
    t, p = t[ok], p[ok]
    order = np.argsort(t, kind="stable")  # by time; among equal times the last point read is the last one
    t, p = t[order], p[order]
    last = np.append(t[1:] != t[:-1], True) if len(t) else np.zeros(0, dtype=bool)
    t, p = t[last], p[last]
    n = len(t)
    table = pa.table({  # already the table's order (one token, one source, by time): no conform pass needed
        "token_id": pa.array([token] * n, pa.string()),
        "ts_utc": pa.array(np.round(t * 1e6).astype("int64"), pa.int64()).cast(PREDICTION_PRICE.field("ts_utc").type),
        "price": pa.array(p, pa.float64()), "size": pa.nulls(n, pa.float64()),
        "source": pa.array(["history"] * n, pa.string()),
    }, schema=PREDICTION_PRICE)
    return table.to_pandas(), rejected


def _plain_points(history: list) -> tuple[np.ndarray, np.ndarray] | None:
    """(t, p) as floats when every point is a dict of plain numbers, the API's form; None otherwise (a bool,
    a string or a missing key anywhere sends the body through the field-by-field path)."""
    try:
        ts = [point["t"] for point in history]
        ps = [point["p"] for point in history]
        if not ({*map(type, ts)} <= {int, float} and {*map(type, ps)} <= {int, float}):
            return None
        return np.array(ts, dtype=float), np.array(ps, dtype=float)
    except (TypeError, KeyError, IndexError, OverflowError):
        return None


def book_rows(body: object) -> tuple[pd.DataFrame, list[BookIssue]]:
    """Best bid, best ask (price and size) and mid of a /book snapshot as `prediction_price` rows, and its issues.

    Levels are sorted here whatever order they came in; a side with no usable level gives no row,
    and a crossed book (best bid >= best ask) no mid.
    """
    if not isinstance(body, dict):
        return empty_frame("prediction_price"), [BookIssue("body", f"/book body is not an object: {shown(body)}")]
    try:
        token = _token(body.get("asset_id"))
    except PolymarketParseError as err:
        return empty_frame("prediction_price"), [BookIssue("token", f"asset_id: {err}")]
    try:  # the book's timestamp is unix milliseconds, as a string
        ms = _number(body.get("timestamp"), "timestamp")
        if ms is None:
            raise PolymarketParseError("book has no timestamp")
        if not _T_MIN <= ms / 1000 < _T_MAX:
            raise PolymarketParseError(f"{ms!r} is not unix milliseconds in 2015..2100")
        ts = parse_pm_time(ms / 1000)
    except PolymarketParseError as err:
        return empty_frame("prediction_price"), [BookIssue("timestamp", f"timestamp: {err}", token)]
    issues: list[BookIssue] = []
    best: dict[str, tuple[float, float]] = {}
    for side, pick in (("bids", np.argmax), ("asks", np.argmin)):
        levels = body.get(side)
        if not isinstance(levels, list):
            levels = []
            issues.append(BookIssue("empty_side", f"{side} is not a list of levels", token))
        items = pd.Series(levels, dtype=object)
        price, size = _field(items, "price").to_numpy(), _field(items, "size").to_numpy()
        with np.errstate(invalid="ignore"):
            ok = np.isfinite(price) & (price >= 0) & (price <= 1) & np.isfinite(size) & (size > 0)
        if (~ok).any():
            issues.append(BookIssue("bad_level", f"{int((~ok).sum())} {side} level(s) without a price in [0, 1] "
                                    "and a positive size, dropped", token))
        price, size = price[ok], size[ok]
        if len(price) > 1 and not (np.all(np.diff(price) >= 0) or np.all(np.diff(price) <= 0)):
            issues.append(BookIssue("unsorted", f"{side} levels were not sorted by price; sorted here", token))
        if not len(price):
            issues.append(BookIssue("empty_side", f"no usable {side}", token))
            continue
        top = price[pick(price)]
        best[side] = (float(top), float(size[price == top].sum()))  # levels repeated at one price add up
    rows = [{"token_id": token, "ts_utc": ts, "price": best[s][0], "size": best[s][1], "source": src}
            for s, src in (("bids", "bid"), ("asks", "ask")) if s in best]
    if "bids" in best and "asks" in best:
        bid, ask = best["bids"][0], best["asks"][0]
        if bid >= ask:
            issues.append(BookIssue("crossed", f"crossed book: best bid {bid} >= best ask {ask}; no mid", token))
        else:
            rows.append({"token_id": token, "ts_utc": ts, "price": (bid + ask) / 2, "size": None, "source": "mid"})
    if not rows:
        return empty_frame("prediction_price"), issues
    return conform_frame("prediction_price", pd.DataFrame(rows)), issues


# -- Gamma /sports ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class SportMeta:
    sport: str  # Polymarket's sport code: nba, nfl, mlb, nhl, epl, …
    series_id: str  # the series to list its events with (`/events?series_id=`)
    tag_ids: tuple[str, ...]  # from the comma-joined `tags` string
    ordering: str | None  # which team titles list first: away | home


def sports_rows(body: object) -> tuple[list[SportMeta], list[Rejected]]:
    """The sports of a Gamma /sports body; entries without a sport code or series are rejected."""
    if not isinstance(body, list):
        return [], [Rejected("sports", "body", f"/sports body is not a JSON array: {shown(body)}", endpoint="/sports")]
    out, rejected = [], []
    for entry in body:
        sport = entry.get("sport") if isinstance(entry, dict) else None
        series = entry.get("series") if isinstance(entry, dict) else None
        if not isinstance(sport, str) or not sport.strip() or not isinstance(series, str | int) or isinstance(
                series, bool):
            rejected.append(Rejected("sports", "sport", f"sport entry without a sport code and series: {shown(entry)}",
                                     endpoint="/sports"))
            continue
        tags = entry.get("tags")
        tag_ids = tuple(t.strip() for t in tags.split(",") if t.strip()) if isinstance(tags, str) else ()
        ordering = entry.get("ordering") if entry.get("ordering") in ("away", "home") else None
        out.append(SportMeta(sport.strip(), str(series), tag_ids, ordering))
    return out, rejected
