"""Per-game line paths (true model open -> close) and what each bookmaker quotes at a given instant.

Everything here is precomputed once per game (numpy, cached) so a request only does index lookups:
a book re-quotes every `cadence` minutes from the model as it was `lag` minutes earlier, but its
`last_update` moves only when its (quantised) view of the model changed.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from .books import BOOK_INDEX, Book
from .model import MODELS, Result, dist, draw_result, opening_xt
from .rng import centred, rng_for, seed_of, unit
from .schedule import DURATION_MIN, LEAD_MIN, Game, season_schedule

LIVE_STEPS = 120  # in-play quotes use the game clock quantised to 1/120 of the game


@dataclass
class BookTrack:
    offset: int  # minute of the first quote after the open
    second: int  # second within the minute the book publishes
    slot_minutes: list[int]  # minute (from open) of each pre-game slot
    qx: list[int]
    qt: list[int]
    chg_x: list[int]  # slot indices where the book's view of x changed
    chg_t: list[int]


@dataclass
class GamePath:
    game: Game
    gseed: int
    x: np.ndarray  # true x per minute since the open (index lead = commence)
    t: np.ndarray
    result: Result
    tracks: dict[int, BookTrack] = field(default_factory=dict)

    @property
    def x_close(self) -> float:
        return float(self.x[-1])

    @property
    def t_close(self) -> float:
        return float(self.t[-1])

    def true_xt(self, ts: int) -> tuple[float, float]:
        """The true model at unix time `ts` (clamped to the open..close window)."""
        i = min(max((ts - self.game.open_ts) // 60, 0), len(self.x) - 1)
        return float(self.x[i]), float(self.t[i])


@lru_cache(maxsize=16_384)
def game_path(seed: int, league: str, season: int, index: int) -> GamePath:
    g = season_schedule(league, season, seed).games[index]
    m = MODELS[league]
    n = LEAD_MIN[league]
    x0, t0 = opening_xt(league, season, seed, g.home.id, g.away.id, rng_for(seed, league, season, index, "open"))
    gen = np.random.default_rng(seed_of(seed, league, season, index, "path"))
    sx = gen.normal(0.0, m.walk_x / math.sqrt(n), n)
    st = gen.normal(0.0, m.walk_t / math.sqrt(n), n)
    k = int(gen.poisson(0.6 * n / 1440))  # news shocks (injury reports, lineup news)
    at = gen.integers(0, n, k)
    np.add.at(sx, at, gen.normal(0.0, m.shock_x, k))
    np.add.at(st, at, gen.normal(0.0, m.walk_t * 0.5, k))
    x = np.concatenate(([x0], x0 + np.cumsum(sx)))
    t = np.concatenate(([t0], t0 + np.cumsum(st)))
    if m.kind == "poisson":
        t = np.maximum(t, 2.0)
    result = draw_result(league, float(x[-1]), float(t[-1]), rng_for(seed, league, season, index, "result"))
    return GamePath(g, seed_of(seed, league, season, index, "book"), x, t, result)


def path_of(seed: int, g: Game) -> GamePath:
    return game_path(seed, g.league, g.season, g.index)


def _track(path: GamePath, book: Book, bidx: int) -> BookTrack:
    tr = path.tracks.get(bidx)
    if tr is not None:
        return tr
    m = MODELS[path.game.league]
    n = len(path.x) - 1
    k = book.cadence_minutes
    offset = int(unit(path.gseed, bidx, 11) * k) + int(unit(path.gseed, bidx, 13) * 20)  # books open late
    slots = np.arange(offset, n, k)
    mm = np.clip(slots - book.lag_minutes, 0, n)
    qx = np.rint(path.x[mm] / m.x_quantum).astype(np.int64)
    qt = np.rint(path.t[mm] / m.t_quantum).astype(np.int64)
    chg_x = np.concatenate(([0], np.flatnonzero(np.diff(qx)) + 1)) if len(qx) else np.zeros(0, np.int64)
    chg_t = np.concatenate(([0], np.flatnonzero(np.diff(qt)) + 1)) if len(qt) else np.zeros(0, np.int64)
    tr = BookTrack(
        offset, int(unit(path.gseed, bidx, 12) * 60), slots.tolist(), qx.tolist(), qt.tolist(),
        chg_x.tolist(), chg_t.tolist(),
    )
    path.tracks[bidx] = tr
    return tr


@dataclass(frozen=True)
class Quote:
    """A book's view at one instant: model coordinates (quantised, with book noise) and update times."""

    x: float
    t: float
    frac_left: float  # 1.0 pre-game
    d0: int  # live margin so far
    c0: int  # live total so far
    x_updated: int  # unix seconds of the last change of h2h/spreads
    t_updated: int  # ... of totals


def progress(result: Result, frac: float) -> tuple[int, int, int, float]:
    """(home, away, current period index, share of that period played) at a share of the game clock."""
    n = len(result.home_by_period)
    pos = min(max(frac, 0.0), 1.0) * n
    c = min(int(pos), n)
    g = pos - c
    h = sum(result.home_by_period[:c])
    a = sum(result.away_by_period[:c])
    if c < n:
        h += int(result.home_by_period[c] * g)
        a += int(result.away_by_period[c] * g)
    return h, a, c, g


def book_quote(path: GamePath, book: Book, ts: int) -> Quote | None:
    """What `book` shows at unix time `ts`, or None if it has not priced the game yet."""
    g = path.game
    bidx = BOOK_INDEX[book.key]
    m = MODELS[g.league]
    tr = _track(path, book, bidx)
    rel = (ts - g.open_ts - tr.second) // 60
    if not tr.slot_minutes or rel < tr.offset:
        return None
    j = min((rel - tr.offset) // book.cadence_minutes, len(tr.slot_minutes) - 1)
    qx, qt = tr.qx[j], tr.qt[j]
    nx = round(centred(path.gseed, bidx, qx) * book.noise)
    nt = round(centred(path.gseed, bidx, qt, 7) * book.noise)
    x = (qx + nx) * m.x_quantum
    t = (qt + nt) * m.t_quantum
    cx = tr.chg_x[bisect.bisect_right(tr.chg_x, j) - 1]
    ct = tr.chg_t[bisect.bisect_right(tr.chg_t, j) - 1]
    x_upd = g.open_ts + tr.slot_minutes[cx] * 60 + tr.second
    t_upd = g.open_ts + tr.slot_minutes[ct] * 60 + tr.second
    if ts < g.commence_ts:
        return Quote(x, t, 1.0, 0, 0, x_upd, t_upd)
    # in play: re-quote every minute or two from the live score (seen `lag` minutes late)
    step = max(1, book.cadence_minutes // 5) * 60
    slot = g.commence_ts + ((ts - g.commence_ts - tr.second) // step) * step + tr.second
    if slot < g.commence_ts:
        return Quote(x, t, 1.0, 0, 0, x_upd, t_upd)
    seen = max(g.commence_ts, slot - book.lag_minutes * 60)
    dur = DURATION_MIN[g.league] * 60
    steps = min(LIVE_STEPS - 1, (seen - g.commence_ts) * LIVE_STEPS // dur)
    frac = steps / LIVE_STEPS
    h, a, _, _ = progress(path.result, frac)
    return Quote(x, t, 1.0 - frac, h - a, h + a, slot, slot)


# ---------------------------------------------------------------- prices


def quote_prices(league: str, market: str, q: Quote, margin: float) -> tuple[tuple[str, float, float | None], ...]:
    return market_prices(league, market, q.x, q.t, q.frac_left, q.d0, q.c0, margin)


@lru_cache(maxsize=500_000)
def market_prices(
    league: str, market: str, x: float, t: float, frac_left: float, d0: int, c0: int, margin: float
) -> tuple[tuple[str, float, float | None], ...]:
    """Priced outcomes as (side, unrounded decimal price, point); side is home/away/Over/Under."""
    d = dist(league, x, t, frac_left, d0, c0)
    kind = MODELS[league].kind
    if market in ("h2h", "h2h_lay"):
        p = min(max(d.p_home_win(), 0.004), 0.996)
        return (("home", _price(p, margin, market), None), ("away", _price(1 - p, margin, market), None))
    if market == "spreads":
        if kind == "normal":
            hp = -round((x * frac_left + d0) * 2) / 2
        else:
            hp = -1.5 if d.p_home_win() >= 0.5 else 1.5
        p = min(max(d.p_cover(hp), 0.004), 0.996)
        return (("home", _price(p, margin, market), hp), ("away", _price(1 - p, margin, market), -hp))
    if market == "totals":
        mean_total = t * frac_left + c0
        pt = round(mean_total * 2) / 2 if kind == "normal" else math.floor(mean_total) + 0.5
        p = min(max(d.p_over(pt), 0.004), 0.996)
        return (("Over", _price(p, margin, market), pt), ("Under", _price(1 - p, margin, market), pt))
    raise KeyError(market)


def _price(p: float, margin: float, market: str) -> float:
    if market == "h2h_lay":  # lay odds sit just above fair
        return max(1.01, 1.0 / (p * (1.0 - margin)))
    return max(1.01, 1.0 / (p * (1.0 + margin)))
