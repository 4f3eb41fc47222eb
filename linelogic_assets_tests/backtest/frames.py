"""Hand-made silver-shaped frames for backtest tests, and two user strategies loaded by dotted path.

A test lists its games (`event`, `result`) and each book's quotes (`h2h`, `spread`, `total`); `market`
turns them into `MarketData` through gold's own functions (`data.from_frames`). Every quote is published a
minute before the decision point it is meant for (T-60m by default), well inside gold's staleness limit.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pandas as pd

from linelogic_assets.backtest.data import MarketData, from_frames
from linelogic_assets.backtest.spec import BacktestSpec, parse_spec
from linelogic_assets.backtest.strategies import Pick
from linelogic_assets.backtest.views import DecisionView
from linelogic_assets.sports import league_for

SPORT = "basketball_nba"
LEAGUE = league_for(SPORT)
GAME_MINUTES = LEAGUE.max_game_minutes
T0 = datetime(2025, 1, 7, 0, 0, tzinfo=UTC)  # 19:00 in New York, on the 6 January slate
DECISIONS: tuple[tuple[str, int], ...] = (("T-60m", -60),)
CLOSE = ("CLOSE", 0)
LEAD = 61  # minutes before commence a quote is published: just before the T-60m decision
_TS = "datetime64[us, UTC]"


def at(hours: float = 0.0, minutes: float = 0.0) -> datetime:
    """T0 shifted: a readable way to write commence times."""
    return T0 + timedelta(hours=hours, minutes=minutes)


def event(eid: str, commence: datetime, status: str = "final", actual_start: datetime | None = None) -> dict:
    """A silver `event` row; each game has its own two teams so team form never links games."""
    return {"canonical_event_id": eid, "sport": SPORT, "league": LEAGUE.league,
            "slate_date": LEAGUE.slate_date(commence), "season": 2024, "home_team_id": f"{eid}-home",
            "away_team_id": f"{eid}-away", "commence_time_utc": commence, "actual_start_utc": actual_start,
            "status": status}


def result(eid: str, home_score: int, away_score: int) -> dict:
    """A silver `event_result` row."""
    return {"canonical_event_id": eid, "home_score": home_score, "away_score": away_score,
            "winner": "home" if home_score > away_score else "away" if away_score > home_score else "draw",
            "margin": home_score - away_score, "total": home_score + away_score}


def quote(eid: str, commence: datetime, book: str, market: str, selection: str, price: float,
          point: float | None = None, lead: float = LEAD) -> dict:
    """A silver `odds_snapshot` row published `lead` minutes before commence."""
    return {"canonical_event_id": eid, "bookmaker": book, "market": market, "selection": selection,
            "participant": None, "point": math.nan if point is None else float(point), "price": float(price),
            "snapshot_time_utc": commence - timedelta(minutes=lead), "commence_time_utc": commence,
            "is_live": False}


def h2h(eid: str, commence: datetime, book: str, home: float, away: float, draw: float | None = None,
        lead: float = LEAD) -> list[dict]:
    rows = [quote(eid, commence, book, "h2h", "home", home, lead=lead),
            quote(eid, commence, book, "h2h", "away", away, lead=lead)]
    if draw is not None:
        rows.append(quote(eid, commence, book, "h2h", "draw", draw, lead=lead))
    return rows


def spread(eid: str, commence: datetime, book: str, home_point: float, home: float, away: float,
           lead: float = LEAD) -> list[dict]:
    return [quote(eid, commence, book, "spreads", "home", home, home_point, lead),
            quote(eid, commence, book, "spreads", "away", away, -home_point, lead)]


def total(eid: str, commence: datetime, book: str, point: float, over: float, under: float,
          lead: float = LEAD) -> list[dict]:
    return [quote(eid, commence, book, "totals", "over", over, point, lead),
            quote(eid, commence, book, "totals", "under", under, point, lead)]


def frames(events: Sequence[dict], results: Sequence[dict], quotes: Iterable[dict]
           ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(odds, events, results) with silver's dtypes."""
    odds = pd.DataFrame(list(quotes), columns=["canonical_event_id", "bookmaker", "market", "selection",
                                                "participant", "point", "price", "snapshot_time_utc",
                                                "commence_time_utc", "is_live"])
    for c in ("snapshot_time_utc", "commence_time_utc"):
        odds[c] = pd.to_datetime(odds[c], utc=True).astype(_TS)
    odds["point"] = odds["point"].astype(float)
    odds["is_live"] = odds["is_live"].astype(bool)
    ev = pd.DataFrame(list(events), columns=list(event("x", T0)))
    for c in ("commence_time_utc", "actual_start_utc"):
        ev[c] = pd.to_datetime(ev[c], utc=True).astype(_TS)
    ev["season"] = ev["season"].astype("int32")
    res = pd.DataFrame(list(results), columns=list(result("x", 0, 0)))
    for c in ("home_score", "away_score", "margin", "total"):
        res[c] = res[c].astype("int32")
    return odds, ev, res


def market(events: Sequence[dict], results: Sequence[dict], quotes: Iterable[dict],
           decisions: Sequence[tuple[str, int]] = DECISIONS) -> MarketData:
    """MarketData of the games through gold's functions; CLOSE is the closing reference."""
    odds, ev, res = frames(events, results, quotes)
    return from_frames(SPORT, odds, ev, res, list(decisions), CLOSE)


def spec(strategy: str = "flat", **kw: Any) -> BacktestSpec:
    """A backtest over the test slates; no bootstrap or permutations (they are metrics' tests, and slow)."""
    raw: dict[str, Any] = {"name": "t", "sport": SPORT, "start": date(2025, 1, 1), "end": date(2025, 1, 31),
                           "strategy": strategy, "statistics": {"bootstrap_samples": 0, "permutations": 0}}
    raw.update(kw)
    return parse_spec(raw)


# ---------------------------------------------------------------- user strategies (loaded by dotted path)


@dataclass(frozen=True)
class BackSelection:
    """Back `selection` of `market` at every book matching `bookmaker` (exact name or "*"), with the win
    probability `probs[event]`, else `prob`, else the quote's reference probability."""

    market: str = "h2h"
    selection: str = "home"
    bookmaker: str = "*"
    prob: float | None = None
    probs: Mapping[str, float] = field(default_factory=dict)

    def decide(self, view: DecisionView) -> list[Pick]:
        p = self.probs.get(view.event.canonical_event_id, self.prob)
        return [Pick.of(q, prob=p) for q in view.quotes_for(self.market, self.selection)
                if self.bookmaker in ("*", q.bookmaker)]


def back_home(view: DecisionView) -> list[Pick]:
    """A plain-function strategy: the home side of h2h at every book."""
    return [Pick.of(q) for q in view.quotes_for("h2h", "home")]
