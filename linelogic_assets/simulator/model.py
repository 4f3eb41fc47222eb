"""The hidden true model: per-season team strengths, and the result distribution prices are made from.

Two families, both parameterised by (x, t) so lines and results share one code path:
- "normal" (NBA, NFL): x = expected home margin, t = expected total; margin ~ N(x, sd) rounded, a
  regulation tie goes to overtime (winner 50/50 by 1..OT_MAX points).
- "poisson" (MLB, NHL): x = log(home rate / away rate), t = expected total; runs/goals ~ Poisson,
  a tie goes to extra innings / OT where the home side wins with its share of the scoring rate, by 1.
Probabilities below are exactly those of the drawing in `draw_result`.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from functools import cache, lru_cache

import numpy as np

from linelogic_assets.registry.teams import teams_for

from .rng import rng_for

OT_MAX = 6


@dataclass(frozen=True)
class LeagueModel:
    kind: str  # normal | poisson
    hfa: float
    rating_sd: float
    pace_sd: float
    total_mean: float
    margin_sd: float  # normal only
    total_sd: float  # normal only
    walk_x: float  # sd of the open->close drift of x
    walk_t: float
    shock_x: float  # sd of a news shock on x
    x_quantum: float  # books re-price when x moves a quantum
    t_quantum: float
    periods: int


MODELS: dict[str, LeagueModel] = {
    "nba": LeagueModel("normal", 2.5, 4.5, 4.0, 224.0, 12.5, 18.0, 1.0, 2.0, 1.0, 0.1, 0.1, 4),
    "nfl": LeagueModel("normal", 1.8, 4.0, 3.0, 44.5, 13.5, 10.0, 1.0, 1.2, 1.0, 0.1, 0.1, 4),
    "mlb": LeagueModel("poisson", 0.06, 0.15, 0.4, 8.8, 0, 0, 0.05, 0.25, 0.06, 0.01, 0.02, 9),
    "nhl": LeagueModel("poisson", 0.08, 0.15, 0.25, 6.1, 0, 0, 0.05, 0.15, 0.06, 0.01, 0.02, 3),
}

_SQRT2 = math.sqrt(2.0)


def phi(z: float) -> float:
    return 0.5 * (1.0 + math.erf(z / _SQRT2))


@cache
def ratings(league: str, season: int, seed: int) -> dict[str, tuple[float, float]]:
    """team id -> (strength, pace); strength in points (normal) or log-rate (poisson)."""
    m = MODELS[league]
    rng = rng_for(seed, league, season, "ratings")
    return {t.id: (rng.gauss(0, m.rating_sd), rng.gauss(0, m.pace_sd)) for t in teams_for(league)}


def opening_xt(
    league: str, season: int, seed: int, home_id: str, away_id: str, rng: random.Random
) -> tuple[float, float]:
    m = MODELS[league]
    r = ratings(league, season, seed)
    (sh, ph), (sa, pa) = r[home_id], r[away_id]
    x = sh - sa + m.hfa + rng.gauss(0, m.rating_sd * 0.2)  # matchup-specific form
    t = m.total_mean + ph + pa + rng.gauss(0, m.pace_sd * 0.5)
    return x, t


def rates(x: float, t: float) -> tuple[float, float]:
    share = 1.0 / (1.0 + math.exp(-x))
    return t * share, t * (1.0 - share)


# ---------------------------------------------------------------- normal family (NBA, NFL)


_OT_MARGINS = [d for d in range(1, OT_MAX + 1)] + [-d for d in range(1, OT_MAX + 1)]
_OT_GE = {n: sum(1 for d in _OT_MARGINS if d >= n) / len(_OT_MARGINS) for n in range(-OT_MAX - 1, OT_MAX + 2)}


def _ot_ge(n: int) -> float:
    """P(overtime margin >= n) for the uniform +-1..OT_MAX overtime margin."""
    if n < -OT_MAX:
        return 1.0
    return _OT_GE.get(n, 0.0)


class NormalDist:
    """Final integer margin D and total T given live offset (margin so far, total so far)."""

    __slots__ = ("mu", "sd", "t", "sdt", "p0")

    def __init__(self, mu: float, sd: float, t: float, sdt: float) -> None:
        self.mu, self.sd, self.t, self.sdt = mu, sd, t, sdt
        self.p0 = phi((0.5 - mu) / sd) - phi((-0.5 - mu) / sd)

    def p_margin_ge(self, n: int) -> float:
        reg = 1.0 - phi((n - 0.5 - self.mu) / self.sd)
        if n <= 0:
            reg -= self.p0
        return reg + self.p0 * _ot_ge(n)

    def p_margin_eq(self, k: int) -> float:
        if k == 0:
            return 0.0
        p = phi((k + 0.5 - self.mu) / self.sd) - phi((k - 0.5 - self.mu) / self.sd)
        return p + (self.p0 / (2 * OT_MAX) if abs(k) <= OT_MAX else 0.0)

    def p_home_win(self) -> float:
        return self.p_margin_ge(1)

    def p_cover(self, home_point: float) -> float:
        """P(home covers home_point | no push)."""
        x = -home_point
        n = math.floor(x) + 1
        push = self.p_margin_eq(int(x)) if x == int(x) else 0.0
        return self.p_margin_ge(n) / max(1e-9, 1.0 - push)

    def p_over(self, point: float) -> float:
        n = math.floor(point) + 1
        over = 1.0 - phi((n - 0.5 - self.t) / self.sdt)
        if point == int(point):
            push = phi((point + 0.5 - self.t) / self.sdt) - phi((point - 0.5 - self.t) / self.sdt)
            return over / max(1e-9, 1.0 - push)
        return over


# ---------------------------------------------------------------- poisson family (MLB, NHL)

_N = 30
_IDX = np.arange(_N)
_LOGFACT = np.array([math.lgamma(k + 1) for k in range(_N)])
_DIFF = _IDX[:, None] - _IDX[None, :]
_SUM = _IDX[:, None] + _IDX[None, :]


class PoissonDist:
    """Final margin/total pmfs for Poisson scoring from a live offset, tie-break by one."""

    __slots__ = ("m_lo", "m_cum", "t_cum", "win")

    def __init__(self, lh: float, la: float, d0: int, c0: int, w: float) -> None:
        ph = np.exp(_IDX * math.log(max(lh, 1e-9)) - lh - _LOGFACT)
        pa = np.exp(_IDX * math.log(max(la, 1e-9)) - la - _LOGFACT)
        mat = ph[:, None] * pa[None, :]
        margins = _DIFF + d0
        tie = margins == 0
        ptie = float(mat[tie].sum())
        self.m_lo = int(margins.min())
        mpmf = np.bincount(
            (margins - self.m_lo).ravel(), weights=np.where(tie, 0.0, mat).ravel(), minlength=2 * _N + 2
        )
        mpmf[1 - self.m_lo] += ptie * w
        mpmf[-1 - self.m_lo] += ptie * (1 - w)
        tot = _SUM + c0
        tpmf = np.bincount(tot.ravel(), weights=np.where(tie, 0.0, mat).ravel(), minlength=int(tot.max()) + 3)
        tpmf += np.bincount((tot + 1).ravel(), weights=np.where(tie, mat, 0.0).ravel(), minlength=len(tpmf))[
            : len(tpmf)
        ]
        # tail sums: m_cum[i] = P(margin >= m_lo + i)
        self.m_cum = np.cumsum(mpmf[::-1])[::-1].tolist() + [0.0]
        self.t_cum = np.cumsum(tpmf[::-1])[::-1].tolist() + [0.0]
        self.win = self.p_margin_ge(1)

    def p_margin_ge(self, n: int) -> float:
        i = n - self.m_lo
        if i <= 0:
            return 1.0
        return self.m_cum[i] if i < len(self.m_cum) else 0.0

    def p_home_win(self) -> float:
        return self.win

    def p_cover(self, home_point: float) -> float:
        return self.p_margin_ge(math.floor(-home_point) + 1)  # points are always x.5: no push

    def p_over(self, point: float) -> float:
        n = math.floor(point) + 1
        if n <= 0:
            return 1.0
        return self.t_cum[n] if n < len(self.t_cum) else 0.0


@lru_cache(maxsize=200_000)
def dist(
    league: str, x: float, t: float, frac_left: float = 1.0, d0: int = 0, c0: int = 0
) -> NormalDist | PoissonDist:
    """The final-result distribution given model (x, t), the share of the game left and the score so far."""
    m = MODELS[league]
    if m.kind == "normal":
        s = math.sqrt(max(frac_left, 0.002))
        return NormalDist(d0 + x * frac_left, m.margin_sd * s, c0 + t * frac_left, m.total_sd * s)
    lh, la = rates(x, t)
    return PoissonDist(lh * frac_left, la * frac_left, d0, c0, lh / (lh + la))


# ---------------------------------------------------------------- drawing the result


@dataclass(frozen=True)
class Result:
    home_score: int
    away_score: int
    periods: int  # periods played (NBA 4, 5+ with OT; MLB innings; NHL 3, 4 OT, 5 shootout)
    home_by_period: tuple[int, ...]
    away_by_period: tuple[int, ...]


def _poisson(rng: random.Random, lam: float) -> int:
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def _split(rng: random.Random, total: int, parts: int) -> list[int]:
    """Split a score into per-period scores (non-negative, summing to total)."""
    w = [rng.uniform(0.7, 1.3) for _ in range(parts)]
    raw = [total * x / sum(w) for x in w]
    out = [int(r) for r in raw]
    for i in sorted(range(parts), key=lambda i: raw[i] - out[i], reverse=True)[: total - sum(out)]:
        out[i] += 1
    return out


def draw_result(league: str, x: float, t: float, rng: random.Random) -> Result:
    m = MODELS[league]
    if m.kind == "normal":
        margin = round(rng.gauss(x, m.margin_sd))
        total = max(abs(margin) + 2, round(rng.gauss(t, m.total_sd)))
        ot = 0
        if margin == 0:  # overtime decides, by 1..OT_MAX
            ot = 1
            margin = rng.randint(1, OT_MAX) * (1 if rng.random() < 0.5 else -1)
        if (total + margin) % 2:  # scores must be integers: nudge the total by one, unbiased
            total += 1 if rng.random() < 0.5 else -1
        h, a = (total + margin) // 2, (total - margin) // 2
        if ot:  # regulation ended level; the OT period holds the whole margin
            loser = min(rng.randint(4, 12) if league == "nba" else 0, (total - abs(margin)) // 2)
            winner = loser + abs(margin)
            ot_h, ot_a = (winner, loser) if margin > 0 else (loser, winner)
            hp = [*_split(rng, h - ot_h, m.periods), ot_h]
            ap = [*_split(rng, a - ot_a, m.periods), ot_a]
        else:
            hp, ap = _split(rng, h, m.periods), _split(rng, a, m.periods)
        return Result(h, a, m.periods + ot, tuple(hp), tuple(ap))
    lh, la = rates(x, t)
    h, a = _poisson(rng, lh), _poisson(rng, la)
    hp, ap = _split(rng, h, m.periods), _split(rng, a, m.periods)
    periods = m.periods
    if h == a:  # extra innings / OT: home wins with its share of the scoring rate
        home_wins = rng.random() < lh / (lh + la)
        hp.append(1 if home_wins else 0)
        ap.append(0 if home_wins else 1)
        h, a = h + hp[-1], a + ap[-1]
        periods += 1 if league == "nhl" else rng.choice((1, 1, 1, 2, 3))
        while len(hp) < periods:
            hp.insert(-1, 0)
            ap.insert(-1, 0)
    return Result(h, a, periods, tuple(hp), tuple(ap))
