"""Per-game line paths (true model open -> close) and what each bookmaker quotes at a given instant.

Everything here is precomputed once per game (numpy, cached) so a request only does index lookups:
a book re-quotes every `cadence` minutes from the model as it was `lag` minutes earlier, but its
`last_update` moves only when its (quantised) view of the model changed. A `MarketScenario` sets how
much news moves the model and how much later retail books see it; it is part of the path cache key,
so every provider answers from the same world.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from .books import BOOK_INDEX, Book
from .model import MODELS, NormalDist, PoissonDist, Result, dist, draw_result, opening_xt
from .rng import rng_for, seed_of, unit
from .schedule import DURATION_MIN, LEAD_MIN, Game, season_schedule
from .settings import MarketScenario

LIVE_STEPS = 120  # in-play quotes use the game clock quantised to 1/120 of the game
DEFAULT_MARKET = MarketScenario()


@dataclass
class BookTrack:
    """One book's pre-game quotes on one game, per publishing slot (precomputed with numpy)."""

    offset: int  # minute (from the open) of the book's first quote
    lag: int  # minutes the book's view trails the model (its own lag plus the scenario's extra)
    second: int  # second within the minute the book publishes
    listed: bool  # whether the book lists this event at all
    markets: frozenset[str]  # priced markets it offers on this event
    xs: np.ndarray  # the book's view of x per slot (quantised true model + book noise)
    ts: np.ndarray
    x_upd: np.ndarray  # unix time of the last change of x (h2h/spreads last_update) per slot
    t_upd: np.ndarray


@dataclass
class GamePath:
    game: Game
    gseed: int
    x: np.ndarray  # true x per minute since the open (index lead = commence)
    t: np.ndarray
    result: Result
    market: MarketScenario = DEFAULT_MARKET
    tracks: dict[int, BookTrack] = field(default_factory=dict)

    def _minute(self, ts: int) -> int:
        return min(max((ts - self.game.open_ts) // 60, 0), len(self.x) - 1)

    def true_xt(self, ts: int) -> tuple[float, float]:
        """The true model at unix time `ts` (clamped to the open..close window)."""
        i = self._minute(ts)
        return float(self.x[i]), float(self.t[i])

    def drift_var(self, ts: int) -> tuple[float, float]:
        """Variance of the moves of (x, t) still to come between `ts` and the close.

        The walk's steps and the news shocks fall uniformly over the window's minutes, so the share
        left of both is the share of minutes left; the shocks still to come are Poisson with that share
        of the rate (independent of those already seen), each adding its size squared.
        """
        n = len(self.x) - 1
        left = (n - self._minute(ts)) / n
        m = MODELS[self.game.league]
        sx, st = shock_sd(self.game.league, self.market)
        rate = self.market.news_per_game
        return (m.walk_x**2 + rate * sx**2) * left, (m.walk_t**2 + rate * st**2) * left

    def lag_of(self, book: Book) -> int:
        """Minutes `book` trails the model under this path's scenario."""
        extra = self.market.retail_extra_lag_minutes if book.kind == "retail" else 0
        return book.lag_minutes + extra


def shock_sd(league: str, market: MarketScenario) -> tuple[float, float]:
    """Standard deviations of one news shock on (x, t)."""
    m = MODELS[league]
    return m.shock_x * market.news_scale, m.walk_t * 0.5 * market.news_scale


@lru_cache(maxsize=16_384)
def game_path(
    seed: int, league: str, season: int, index: int, market: MarketScenario = DEFAULT_MARKET
) -> GamePath:
    g = season_schedule(league, season, seed).games[index]
    m = MODELS[league]
    n = LEAD_MIN[league]
    x0, t0 = opening_xt(
        league, season, seed, g.home.id, g.away.id, rng_for(seed, league, season, index, "open")
    )
    gen = np.random.default_rng(seed_of(seed, league, season, index, "path"))
    sx = gen.normal(0.0, m.walk_x / math.sqrt(n), n)
    st = gen.normal(0.0, m.walk_t / math.sqrt(n), n)
    # occasional news shocks (injury reports, lineup news); the default scenario draws exactly what a
    # fixed Poisson(1) with the league's shock sizes did, so default worlds stay byte-identical
    k = int(gen.poisson(market.news_per_game))
    at = gen.integers(0, n, k)
    shock_x, shock_t = shock_sd(league, market)
    np.add.at(sx, at, gen.normal(0.0, shock_x, k))
    np.add.at(st, at, gen.normal(0.0, shock_t, k))
    x = np.concatenate(([x0], x0 + np.cumsum(sx)))
    t = np.concatenate(([t0], t0 + np.cumsum(st)))
    if m.kind == "poisson":
        t = np.maximum(t, 2.0)
    result = draw_result(league, float(x[-1]), float(t[-1]), rng_for(seed, league, season, index, "result"))
    return GamePath(g, seed_of(seed, league, season, index, "book"), x, t, result, market)


def path_of(seed: int, g: Game, market: MarketScenario = DEFAULT_MARKET) -> GamePath:
    return game_path(seed, g.league, g.season, g.index, market)


_MARKET_COVER = {"h2h": (0.97, 0.98), "spreads": (0.95, 0.5), "totals": (0.93, 0.5)}


def _last_change(q: np.ndarray, first: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(index of the slot where the current value began, segment number) for each slot; a segment
    always begins where `first` is set (each book's first slot, when several books are stacked)."""
    change = first.copy()
    change[1:] |= q[1:] != q[:-1]
    idx = np.where(change, np.arange(len(q)), 0)
    return np.maximum.accumulate(idx), np.cumsum(change) - 1


def _build_tracks(path: GamePath, todo: Sequence[tuple[Book, int]], into: dict[int, BookTrack]) -> None:
    """Compute the tracks of `todo` (book, index) on one game at once into `into`: the books' slots are
    stacked into one array so the numpy work is done once per game, not once per book. Each track is
    exactly what it would be on its own."""
    g = path.game
    m = MODELS[g.league]
    n = len(path.x) - 1
    gseed = path.gseed
    heads, parts = [], []
    for book, bidx in todo:
        k = book.cadence_minutes
        offset = int(unit(gseed, bidx, 11) * k) + int(unit(gseed, bidx, 13) * 20)  # books open late
        second = int(unit(gseed, bidx, 12) * 60)
        slots = np.arange(offset, n, k)
        if len(slots) == 0:
            slots = np.array([max(0, n - 1)])
        parts.append(slots)
        # a retail book's extra lag delays its whole feed: it publishes what it would have published
        # that many minutes earlier (same quotes, same book noise), so it sits on a stale price after news
        delay = path.lag_of(book) - book.lag_minutes
        heads.append((offset, second, delay))
    lengths = np.array([len(p) for p in parts])
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    ends = starts + lengths - 1
    slots = np.concatenate(parts)
    first = np.zeros(len(slots), dtype=bool)
    first[starts] = True
    mm = np.clip(slots - np.repeat([b.lag_minutes for b, _ in todo], lengths), 0, n)
    qx = np.rint(path.x[mm] / m.x_quantum).astype(np.int64)
    qt = np.rint(path.t[mm] / m.t_quantum).astype(np.int64)
    lx, segx = _last_change(qx, first)
    lt, segt = _last_change(qt, first)
    # book-specific error, redrawn only when the book's view changes (so last_update stays honest)
    noise_x, noise_t = [], []
    for (book, bidx), nsx, nst in zip(todo, segx[ends] - segx[starts] + 1, segt[ends] - segt[starts] + 1,
                                      strict=True):
        gen = np.random.default_rng([gseed & 0xFFFFFFFF, bidx])
        noise_x.append(gen.normal(0.0, book.noise, int(nsx)))
        noise_t.append(gen.normal(0.0, book.noise, int(nst)))
    nx = np.rint(np.concatenate(noise_x))[segx]
    nt = np.rint(np.concatenate(noise_t))[segt]
    xs = ((qx + nx) * m.x_quantum).round(6)
    ts = ((qt + nt) * m.t_quantum).round(6)
    base = np.repeat([g.open_ts + second + delay * 60 for _, second, delay in heads], lengths)
    x_upd = base + slots[lx] * 60
    t_upd = base + slots[lt] * 60
    for (book, bidx), (_, second, delay), a, b in zip(todo, heads, starts, ends + 1, strict=True):
        exch = book.is_exchange
        markets = frozenset(
            mk
            for i, (mk, (retail, exchange)) in enumerate(_MARKET_COVER.items())
            if unit(gseed, bidx, 31 + i) < (exchange if exch else retail)
        )
        into[bidx] = BookTrack(
            offset=int(slots[a]) + delay,
            lag=book.lag_minutes + delay,
            second=second,
            listed=unit(gseed, bidx, 30) < book.coverage,
            markets=markets,
            xs=xs[a:b],
            ts=ts[a:b],
            x_upd=x_upd[a:b],
            t_upd=t_upd[a:b],
        )


def track(path: GamePath, book: Book) -> BookTrack:
    bidx = BOOK_INDEX[book.key]
    tr = path.tracks.get(bidx)
    if tr is None:
        _build_tracks(path, [(book, bidx)], path.tracks)
        tr = path.tracks[bidx]
    return tr


def tracks(path: GamePath, books: Sequence[Book], cache: bool = True) -> list[BookTrack]:
    """The tracks of several books on one game, those not cached yet computed together (much faster).

    `cache=False` leaves new tracks off the path: a whole season of every book's tracks is ~0.5 GB, more
    than a one-pass reader should pin in the path cache.
    """
    store = path.tracks if cache else dict(path.tracks)
    todo = {BOOK_INDEX[b.key]: b for b in books if BOOK_INDEX[b.key] not in store}
    if todo:
        _build_tracks(path, [(b, i) for i, b in todo.items()], store)
    return [store[BOOK_INDEX[b.key]] for b in books]


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


def book_quote(path: GamePath, book: Book, ts: int, tr: BookTrack | None = None) -> Quote | None:
    """What `book` shows at unix time `ts`, or None if it has not priced the game yet."""
    g = path.game
    tr = tr or track(path, book)
    rel = (ts - g.open_ts - tr.second) // 60
    if rel < tr.offset:
        return None
    j = min((rel - tr.offset) // book.cadence_minutes, len(tr.xs) - 1)
    x, t = float(tr.xs[j]), float(tr.ts[j])
    if ts < g.commence_ts:
        return Quote(x, t, 1.0, 0, 0, int(tr.x_upd[j]), int(tr.t_upd[j]))
    # in play: re-quote every minute or two from the live score (seen `lag` minutes late)
    step = max(1, book.cadence_minutes // 5) * 60
    slot = g.commence_ts + ((ts - g.commence_ts - tr.second) // step) * step + tr.second
    if slot < g.commence_ts:
        return Quote(x, t, 1.0, 0, 0, int(tr.x_upd[j]), int(tr.t_upd[j]))
    seen = max(g.commence_ts, slot - tr.lag * 60)
    dur = DURATION_MIN[g.league] * 60
    steps = min(LIVE_STEPS - 1, (seen - g.commence_ts) * LIVE_STEPS // dur)
    frac = steps / LIVE_STEPS
    h, a, _, _ = progress(path.result, frac)
    return Quote(x, t, 1.0 - frac, h - a, h + a, slot, slot)


# ---------------------------------------------------------------- prices


def _priced(
    league: str,
    market: str,
    d: NormalDist | PoissonDist,
    x: float,
    t: float,
    frac_left: float,
    d0: int,
    c0: int,
    margin: float,
) -> tuple[tuple[str, float, float | None], ...]:
    if market in ("h2h", "h2h_lay"):
        p = min(max(d.p_home_win(), 0.004), 0.996)
        home, away = _pair(p, margin, market)
        return (("home", home, None), ("away", away, None))
    normal = isinstance(d, NormalDist)
    if market == "spreads":
        hp = -round((x * frac_left + d0) * 2) / 2 if normal else (-1.5 if d.p_home_win() >= 0.5 else 1.5)
        home, away = _pair(min(max(d.p_cover(hp), 0.004), 0.996), margin, market)
        return (("home", home, hp), ("away", away, -hp))
    if market == "totals":
        mean_total = t * frac_left + c0
        pt = round(mean_total * 2) / 2 if normal else math.floor(mean_total) + 0.5
        over, under = _pair(min(max(d.p_over(pt), 0.004), 0.996), margin, market)
        return (("Over", over, pt), ("Under", under, pt))
    raise KeyError(market)


MIN_PRICE = 1.01


def _pair(p: float, margin: float, market: str) -> tuple[float, float]:
    """Both sides' decimal prices. A book keeps its margin on a near-certain outcome: the favourite
    stops at 1.01 and the longshot absorbs the rest (no 1.01 / 250.0 pairs summing below 100 %)."""
    if market == "h2h_lay":  # lay odds sit just above fair
        return max(MIN_PRICE, 1.0 / (p * (1.0 - margin))), max(MIN_PRICE, 1.0 / ((1 - p) * (1.0 - margin)))
    cap = 1.0 / MIN_PRICE
    q = (p * (1.0 + margin), (1.0 - p) * (1.0 + margin))
    if q[0] > cap:
        q = (cap, 1.0 + margin - cap)
    elif q[1] > cap:
        q = (1.0 + margin - cap, cap)
    return 1.0 / q[0], 1.0 / q[1]


def quoted(dec: float) -> float:
    """Books round decimal prices down (in their favour) to 2 dp."""
    return max(MIN_PRICE, math.floor(dec * 100 + 1e-9) / 100)


def american(dec: float) -> int:
    return int(round((dec - 1.0) * 100)) if dec >= 2.0 else int(round(-100.0 / (dec - 1.0)))


@lru_cache(maxsize=200_000)
def book_outcomes(
    league: str,
    markets: tuple[str, ...],
    x: float,
    t: float,
    frac_left: float,
    d0: int,
    c0: int,
    margin: float,
    american_odds: bool,
    int_points: bool,
    home: str,
    away: str,
) -> tuple[tuple[str, list[dict[str, object]]], ...]:
    """Wire-ready (market key, outcomes) for one book state: 2-dp decimals or American ints, outcomes
    alphabetical (totals: Over, Under). Cached as shared, never-mutated dicts."""
    names = {"home": home, "away": away, "Over": "Over", "Under": "Under"}
    swap = home > away
    d = dist(league, x, t, frac_left, d0, c0)
    out = []
    for key in markets:
        rows = []
        for side, dec, point in _priced(league, key, d, x, t, frac_left, d0, c0, margin):
            o: dict[str, object] = {
                "name": names[side],
                "price": american(dec) if american_odds else quoted(dec),
            }
            if point is not None:
                o["point"] = int(point) if int_points and point == int(point) else point
            rows.append(o)
        if key != "totals" and swap:
            rows.reverse()
        out.append((key, rows))
    return tuple(out)
