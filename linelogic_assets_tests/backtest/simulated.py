"""A simulated season as silver-shaped frames, and the true probability of any bet on it.

The quotes come straight from the simulator's books (the same prices its HTTP API serves) at the
collector's snapshots, so a whole season fits in a test; `true_outcome` knows the hidden model, so a
backtest's expected value can be checked against the truth rather than against noisy results.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache

import numpy as np
import pandas as pd

from linelogic_assets.simulator.books import BOOKS, BY_KEY, Book
from linelogic_assets.simulator.lines import DEFAULT_MARKET, book_outcomes, book_quote, game_path, tracks
from linelogic_assets.simulator.model import MODELS, NormalDist, phi
from linelogic_assets.simulator.schedule import Game, season_schedule
from linelogic_assets.simulator.settings import MarketScenario
from linelogic_assets.sports import BY_LEAGUE

MARKETS = ("h2h", "spreads", "totals")
ODDS_COLS = ["canonical_event_id", "bookmaker", "market", "selection", "participant", "point", "price",
             "snapshot_time_utc", "commence_time_utc", "is_live"]
EVENT_COLS = ["canonical_event_id", "sport", "league", "slate_date", "season", "home_team_id", "away_team_id",
              "home_team", "away_team", "commence_time_utc", "actual_start_utc", "status", "providers",
              "home_away_swapped", "first_seen_utc", "last_seen_utc"]
RESULT_COLS = ["canonical_event_id", "sport", "home_score", "away_score", "winner", "margin", "total", "source",
               "raw_ref", "observed_at_utc", "providers_agree"]
_SELECTION = {"home": "home", "away": "away", "Over": "over", "Under": "under"}
_TS = "datetime64[us, UTC]"


@dataclass(frozen=True, eq=False)
class SimulatedMarket:
    """A simulated season as silver would hold it, with the hidden world behind it (`true_outcome`)."""

    odds: pd.DataFrame  # silver odds_snapshot shape (ODDS_COLS)
    events: pd.DataFrame  # silver `event` columns (EVENT_COLS), status final | postponed
    results: pd.DataFrame  # silver `event_result` columns (RESULT_COLS); none for postponed games
    games: dict[str, Game]  # canonical_event_id → simulator Game
    seed: int
    scenario: MarketScenario


def event_id(g: Game) -> str:
    return f"{g.league}-sim-{g.index:05d}"


def default_books(day: date) -> list[Book]:
    """Every non-exchange book active on the slate date, plus Betfair's UK exchange."""
    return [b for b in BOOKS if (not b.is_exchange or b.key == "betfair_ex_uk") and b.active_on(day)]


@lru_cache(maxsize=100_000)
def _rows(league: str, market: str, x: float, t: float, margin: float) -> tuple[tuple[str, float, float], ...]:
    """(selection, decimal price, point) of one book state, exactly as the simulator serves them."""
    [(_, outcomes)] = book_outcomes(league, (market,), x, t, 1.0, 0, 0, margin, False, False, "home", "away")
    return tuple((_SELECTION[o["name"]], float(o["price"]), float(o.get("point", math.nan))) for o in outcomes)


def simulated_market(league: str = "nba", season: int = 2025, seed: int = 1,
                     scenario: MarketScenario = DEFAULT_MARKET, snapshot_minutes: Sequence[int] = (61, 16, 1),
                     books: Sequence[str] | None = None, first_days: int | None = None) -> SimulatedMarket:
    """A season's events, results and pregame quotes at `snapshot_minutes` before each commence.

    One snapshot per game and offset (61 → the collector's T-60m, 16 → T-15m, 1 → CLOSE) from every listed
    book active on the slate date (`books`, default `default_books`), each market the book offers on the
    event. `first_days` keeps only the first N slate dates.
    """
    sched = season_schedule(league, season, seed)
    lg = BY_LEAGUE[league]
    normal = MODELS[league].kind == "normal"
    games = list(sched.games)
    if first_days is not None:
        keep = set(sorted(sched.by_slate)[:first_days])
        games = [g for g in games if g.slate_date in keep]
    chosen = None if books is None else [BY_KEY[k] for k in books]
    events, results, by_id = [], [], {}
    # one entry per quoted book market, column-wise: appending references allocates no container the
    # garbage collector would keep re-scanning (a tuple per quote made it the biggest cost of a season)
    quotes: dict[str, list] = {c: [] for c in ("eid", "book", "market", "snap", "commence", "rows")}
    q_eid, q_book, q_market, q_snap, q_commence, q_rows = (quotes[c].append for c in quotes)
    for g in games:
        eid = event_id(g)
        by_id[eid] = g
        path = game_path(seed, league, season, g.index, scenario)
        res = path.result
        last_seen = g.end_ts if g.postponed_at is None else int(g.postponed_at.timestamp())
        events.append((eid, lg.sport_key, league, g.slate_date, season, g.home.id, g.away.id, g.home_team,
                       g.away_team, g.commence_ts, None, "postponed" if g.postponed else "final",
                       "balldontlie,oddsapi", False, g.open_ts, last_seen))
        if not g.postponed:
            h, a = res.home_score, res.away_score
            results.append((eid, lg.sport_key, h, a, "home" if h > a else "away" if a > h else "draw", h - a,
                            h + a, "balldontlie", None, g.end_ts, True))
        active = [b for b in chosen if b.active_on(g.slate_date)] if chosen is not None else default_books(
            g.slate_date)
        for book, tr in zip(active, tracks(path, active, cache=False), strict=True):
            if not tr.listed:
                continue
            offered = [mk for mk in MARKETS if mk in tr.markets]
            for minutes in snapshot_minutes:
                ts = g.commence_ts - minutes * 60
                if not g.listed_at(ts):
                    continue
                q = book_quote(path, book, ts, tr)
                if q is None:
                    continue
                for mk in offered:
                    # the normal family prices h2h/spreads from x alone and totals from t alone: dropping
                    # the other coordinate from the cache key changes no price and makes the cache hit
                    x = q.x if mk != "totals" or not normal else 0.0
                    t = q.t if mk == "totals" or not normal else 0.0
                    q_eid(eid)
                    q_book(book.key)
                    q_market(mk)
                    q_snap(ts)
                    q_commence(g.commence_ts)
                    q_rows(_rows(league, mk, x, t, book.margin))
    odds = _odds_frame(quotes)
    ev = pd.DataFrame(events, columns=EVENT_COLS)
    for c in ("commence_time_utc", "actual_start_utc", "first_seen_utc", "last_seen_utc"):
        ev[c] = _utc(ev[c])
    ev["season"] = ev["season"].astype("int32")
    rs = pd.DataFrame(results, columns=RESULT_COLS)
    rs["observed_at_utc"] = _utc(rs["observed_at_utc"])
    for c in ("home_score", "away_score", "margin", "total"):
        rs[c] = rs[c].astype("int32")
    return SimulatedMarket(odds[ODDS_COLS], ev, rs, by_id, seed, scenario)


def _odds_frame(quotes: dict[str, list]) -> pd.DataFrame:
    """One row per outcome of each quoted market, built column-wise (a season is ~400k rows)."""
    if not quotes["rows"]:
        kinds = {"point": float, "price": float, "is_live": bool, "snapshot_time_utc": _TS, "commence_time_utc": _TS}
        return pd.DataFrame({c: pd.Series(dtype=kinds.get(c, object)) for c in ODDS_COLS})
    eid, book, market, snap, commence, rows = quotes.values()
    counts = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
    flat = list(itertools.chain.from_iterable(rows))

    def rep(values: list) -> np.ndarray:
        return np.repeat(np.array(values, dtype=object), counts)

    return pd.DataFrame({
        "canonical_event_id": rep(eid), "bookmaker": rep(book), "market": rep(market),
        "selection": np.array([r[0] for r in flat], dtype=object), "participant": None,
        "point": np.array([r[2] for r in flat], dtype=float), "price": np.array([r[1] for r in flat], dtype=float),
        "snapshot_time_utc": _utc(np.repeat(np.array(snap, dtype=np.int64), counts)),
        "commence_time_utc": _utc(np.repeat(np.array(commence, dtype=np.int64), counts)), "is_live": False})


def _utc(seconds: Sequence[int | None]) -> pd.Series:
    """Whole unix seconds (or all None → NaT) as datetime64[us, UTC], exactly (no float on the way)."""
    s = pd.Series(seconds)
    if s.isna().all():
        return pd.Series(pd.NaT, index=s.index, dtype=_TS)
    return pd.to_datetime(s.astype("int64"), unit="s", utc=True).astype(_TS)


# ---------------------------------------------------------------- the truth of a bet


def true_outcome(sim: SimulatedMarket, event_id: str, market: str, selection: str, point: float | None,
                 decision_time: datetime) -> tuple[float, float]:
    """(p_win, p_push) of a bet placed at `decision_time` (pregame), given everything the model knows then.

    The result is drawn from the close, and between the decision and the close the model still moves by
    the rest of its random walk and the news shocks still to come (`GamePath.drift_var`). That remaining
    move is treated as normal (it is a normal walk plus a compound Poisson of normal shocks): h2h is exact
    up to that approximation, spreads too (pushes on whole-number points, overtime margins included).
    Totals follow the simulator's drawing exactly too (`_totals`: its floor and parity nudge). A postponed
    game's bet is void: (0, 1). Normal-family leagues (NBA, NFL) only.
    """
    if market not in MARKETS:
        raise ValueError(f"unknown market {market!r}: h2h, spreads or totals")
    g = sim.games[event_id]
    m = MODELS[g.league]
    if m.kind != "normal":
        raise NotImplementedError(f"true_outcome covers the normal family (NBA, NFL), not {g.league}")
    if decision_time.tzinfo is None:
        raise ValueError(f"naive decision time {decision_time!r}: timestamps must be timezone-aware")
    ts = int(decision_time.timestamp())
    if ts > g.commence_ts:
        raise ValueError(f"decision at {decision_time.isoformat()} is after the start of {event_id}: pregame only")
    if g.postponed:
        return 0.0, 1.0
    path = game_path(sim.seed, g.league, g.season, g.index, sim.scenario)
    x, t = path.true_xt(ts)
    vx, vt = path.drift_var(ts)
    # rounded as Simulator.truth rounds, so with nothing left to move the two agree to the last bit
    d = NormalDist(round(x, 6), math.hypot(m.margin_sd, math.sqrt(vx)), round(t, 6),
                   math.hypot(m.total_sd, math.sqrt(vt)))
    if market == "h2h":
        p = d.p_home_win()
        return {"home": (p, 0.0), "away": (1.0 - p, 0.0)}[_side(selection, ("home", "away"))]
    if point is None or not math.isfinite(point):
        raise ValueError(f"{market} needs a point")
    whole = float(point).is_integer()
    if market == "spreads":  # home covers when margin + point > 0, away when margin < its point
        if _side(selection, ("home", "away")) == "home":
            push = d.p_margin_eq(int(-point)) if whole else 0.0
            return d.p_margin_ge(math.floor(-point) + 1), push
        push = d.p_margin_eq(int(point)) if whole else 0.0
        return 1.0 - d.p_margin_ge(math.ceil(point)), push
    if market == "totals":
        over, pmf = _totals(d.mu, d.sd, d.t, d.sdt)

        def ge(n: int) -> float:  # P(total >= n)
            return 1.0 if n <= 0 else float(over[n]) if n < len(over) else 0.0

        push = float(pmf[int(point)]) if whole and 0 <= point < len(pmf) else 0.0
        if _side(selection, ("over", "under")) == "over":
            return ge(math.floor(point) + 1), push
        return 1.0 - ge(math.ceil(point)), push
    raise AssertionError(market)  # MARKETS checked above


def _side(selection: str, sides: tuple[str, str]) -> str:
    if selection not in sides:
        raise ValueError(f"selection {selection!r}: one of {', '.join(sides)}")
    return selection


def _phi(z: np.ndarray) -> np.ndarray:
    return np.array([phi(v) for v in z.tolist()])


@lru_cache(maxsize=50_000)
def _totals(mu: float, sd: float, t: float, sdt: float) -> tuple[np.ndarray, np.ndarray]:
    """(P(final total >= j), P(final total == j)) for j = 0, 1, ... as `draw_result` makes the total.

    The regulation margin R and the rounded total T0 are independent; the total is floored at |R| + 2
    (an NFL blowout in a low-scoring game moves it), then a total whose parity differs from the final
    margin's moves one point up or down, 50/50 (a regulation tie's overtime margin is odd half the time).
    """
    k = np.arange(math.floor(mu - 10 * sd), math.ceil(mu + 10 * sd) + 1)
    p_reg = _phi((k + 0.5 - mu) / sd) - _phi((k - 0.5 - mu) / sd)
    w = np.bincount(np.abs(k), weights=p_reg)  # P(|R| = a)
    a_max = len(w) - 1
    j = np.arange(max(math.ceil(t + 10 * sdt), a_max + 3) + 2)
    cdf = _phi((j + 0.5 - t) / sdt)  # P(T0 <= j)
    pmf0 = np.diff(cdf, prepend=0.0)
    odd_total = j % 2 == 1

    def nudged(t1: np.ndarray, odd_margin: np.ndarray) -> np.ndarray:
        """Rows of P(T1 = j) → rows of P(final total = j), given P(final margin odd) per row."""
        p_move = np.where(odd_total, 1.0 - odd_margin[:, None], odd_margin[:, None])
        move = t1 * p_move
        return t1 - move + 0.5 * (np.roll(move, 1, axis=1) + np.roll(move, -1, axis=1))  # T1 >= 2: no wrap

    # without the floor a row depends only on the margin's parity; the floor matters only on the rows
    # where T0 <= |R| + 2 has any weight, and those are recomputed in full (none at NBA totals)
    odd_of = (np.arange(a_max + 1) % 2).astype(float)
    odd_of[0] = 0.5  # a regulation tie: overtime margins +-1..6, odd half the time
    even, odd, tie = nudged(np.vstack([pmf0, pmf0, pmf0]), np.array([0.0, 1.0, 0.5]))
    by_parity = np.vstack([even, odd, tie])[np.where(odd_of == 0.5, 2, odd_of.astype(int))]
    floors = np.arange(a_max + 1) + 2
    near = np.flatnonzero(w * cdf[floors] > 1e-17)
    pmf = w @ by_parity
    if len(near):
        f = floors[near][:, None]
        t1 = np.where(j > f, pmf0, 0.0) + np.where(j == f, cdf[f], 0.0)
        pmf += w[near] @ (nudged(t1, odd_of[near]) - by_parity[near])
    pmf = np.maximum(pmf, 0.0)  # rounding leaves -1e-22 where nothing can happen
    over = np.cumsum(pmf[::-1])[::-1]
    return np.append(over, 0.0), pmf


def decision(g: Game, minutes_before: int) -> datetime:
    """The aware UTC time `minutes_before` the game's commence."""
    return datetime.fromtimestamp(g.commence_ts - minutes_before * 60, UTC)
