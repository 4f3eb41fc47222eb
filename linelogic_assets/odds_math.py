"""Odds formats, and de-vigging: a bookmaker's prices → fair outcome probabilities.

Prices are decimal odds o_i > 1 unless a name says otherwise. With q_i = 1/o_i (the implied
probabilities), S = Σ q_i (the booksum) and n outcomes, S - 1 is the overround. A de-vig method
decides how that margin is taken back out of the q_i:

multiplicative
    p_i = q_i / S: the margin is charged in proportion to each implied probability.
additive
    p_i = q_i - (S - 1)/n: every outcome gives up the same absolute amount. On a big margin a long
    shot's p_i can reach ≤ 0; that book is refused (DevigError), never clipped.
power
    p_i = q_i^k, with k solved from Σ q_i^k = 1 (k > 1 when S > 1), so long shots give up
    relatively more (the favourite–long-shot bias). Bracket: k ∈ [1, 1 + ln S / -ln max q_i]; at
    the top every q_i^k ≤ q_i / S, so the sum is ≤ 1.
shin
    Shin (1993): a share z of the money comes from insiders who know the result, and the book
    prices to cover them. Jullien & Salanié (1994) invert his prices to
        p_i(z) = (sqrt(z² + 4(1 - z) q_i²/S) - z) / (2(1 - z)),
    with z the root in [0, 1) of Σ p_i(z) = 1. It is evaluated as 2a_i / (sqrt(z² + 4(1 - z)a_i) + z),
    a_i = q_i²/S: the same value without the cancellation, and finite at z = 1, so the bracket is
    [0, 1] (Σ p_i(0) = sqrt S > 1, Σ p_i(1) = Σ q_i²/S < 1). For n = 2 it has a closed form:
    p_i = q_i - (S - 1)/2 (the additive probabilities) and z = (S - 1)(D² - S) / (S(D² - 1)) with
    D = q_1 - q_2 (summing q_i²/S = z p_i + (1 - z) p_i² over both outcomes with p_1 - p_2 = D).
odds_ratio
    Cheung (2015): each fair odds ratio is the implied one divided by one constant c,
    p_i/(1 - p_i) = q_i / (c(1 - q_i)), i.e. p_i = q_i / (c + q_i - c q_i), with c solved from
    Σ p_i = 1 (c > 1 when S > 1). Bracket: c ∈ [1, max_i (S - q_i)/(1 - q_i)]; at the top every
    p_i ≤ q_i / S.

Books with S ≤ 1 (exchange back prices, a no-margin book) have no margin to apportion, so every
method returns the proportional normalisation q_i / S. Shin's model needs a positive insider share
(z = 0 is exactly proportional pricing, and shin_z reports 0), and power, odds ratio and additive
would run their margin models backwards, outside the domain they describe, adding distortion to
prices that carry no margin.

Root finding (power, odds ratio, Shin for n ≥ 3) is vectorised over rows: Newton steps kept inside
the bracket, bisection when a step leaves it (or after 30 steps). A row has converged when
|Σ p_i - 1| ≤ 1e-13; a bracket without a sign change, or no convergence within the iteration limit,
is a DevigError for that row (an all-NaN row with errors="nan"), never a returned value. The final
division by Σ p_i therefore moves a converged row by < 1e-12.

Conversions: American +150 → 2.5 and -200 → 1.5; fractional "5/2" → 3.5 and "evens" → 2.0. On
arrays the two American conversions are elementwise and unchecked: silver computes both branches
for every row and picks one with np.where, so they must not raise on rows the other branch owns.
Scalars are checked and raise OddsError.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Literal, overload

import numpy as np

METHODS: tuple[str, ...] = ("multiplicative", "additive", "power", "shin", "odds_ratio")

_TOL = 1e-13  # |Σ p - 1| for a converged row: a few hundred ulps, far inside the 1e-12 promise
_MAX_ITER = 100
_NEWTON_ITER = 30  # then bisection only: < 64 halvings collapse any float bracket, so _MAX_ITER ends it
_EVENS = frozenset({"evens", "evs", "even"})
_FRACTIONAL = re.compile(r"(\d+)\s*/\s*(\d+)")

# per-row outcome codes of the solver
_OK, _INVALID, _NONPOSITIVE, _NO_CONVERGENCE, _NO_BRACKET = range(5)
_REASONS = {
    _NONPOSITIVE: "gives a probability ≤ 0 (the margin to remove exceeds a long shot's implied probability)",
    _NO_CONVERGENCE: f"did not converge: |sum(p) - 1| > {_TOL:g} after the iteration limit",
    _NO_BRACKET: "did not converge: the bracket does not contain a sign change",
}


class OddsError(ValueError):
    """Invalid odds input: a price ≤ 1 or not finite, a malformed fractional price, < 2 outcomes."""


class DevigError(ArithmeticError):
    """A method cannot produce probabilities for this book (a probability ≤ 0, no convergence)."""

    def __init__(self, method: str, prices: Sequence[float], reason: str, row: int | None = None) -> None:
        self.method = method
        self.prices = tuple(float(x) for x in prices)
        self.reason = reason
        self.row = row
        where = "" if row is None else f" (row {row})"
        super().__init__(f"{method} devig of prices {list(self.prices)}{where} {reason}")

    def __reduce__(self) -> tuple[type[DevigError], tuple[str, tuple[float, ...], str, int | None]]:
        # the default would rebuild from the message alone, and the attributes would be lost
        return type(self), (self.method, self.prices, self.reason, self.row)


# --- formats ---------------------------------------------------------------------------------------


@overload
def american_to_decimal(a: float) -> float: ...
@overload
def american_to_decimal(a: np.ndarray) -> np.ndarray: ...
def american_to_decimal(a: float | np.ndarray) -> float | np.ndarray:
    """+150 → 2.5, -200 → 1.5. Arrays elementwise and unchecked; a scalar must be finite with |a| ≥ 100."""
    if isinstance(a, np.ndarray):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(a > 0, 1 + a / 100.0, 1 + 100.0 / np.abs(a))
    a = _finite(a, "American price")
    if abs(a) < 100:
        raise OddsError(f"American odds have magnitude ≥ 100, got {a:g}")
    return 1 + a / 100.0 if a > 0 else 1 + 100.0 / -a


@overload
def decimal_to_american(d: float) -> float: ...
@overload
def decimal_to_american(d: np.ndarray) -> np.ndarray: ...
def decimal_to_american(d: float | np.ndarray) -> float | np.ndarray:
    """(d - 1)·100 for d ≥ 2, else -100/(d - 1), to 2 dp. Arrays elementwise and unchecked."""
    if isinstance(d, np.ndarray):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.round(np.where(d >= 2, (d - 1) * 100.0, -100.0 / (d - 1)), 2)
    d = _decimal(d)
    # np.round, not round(): a scalar must give exactly what the array path gives
    return float(np.round((d - 1) * 100.0 if d >= 2 else -100.0 / (d - 1), 2))


def fractional_to_decimal(frac: str | tuple[int, int] | Fraction) -> float:
    """"5/2", (5, 2) or Fraction(5, 2) → 3.5; "evens"/"evs" → 2.0."""
    if isinstance(frac, str):
        text = frac.strip().lower()
        if text in _EVENS:
            return 2.0
        match = _FRACTIONAL.fullmatch(text)
        if match is None:
            raise OddsError(f"not a fractional price: {frac!r}")
        num, den = int(match[1]), int(match[2])
    elif isinstance(frac, Fraction):
        num, den = frac.numerator, frac.denominator
    elif (isinstance(frac, tuple) and len(frac) == 2
          and all(isinstance(x, int | np.integer) and not isinstance(x, bool) for x in frac)):
        num, den = int(frac[0]), int(frac[1])
    else:
        raise OddsError(f"not a fractional price: {frac!r}")
    if num <= 0 or den <= 0:
        raise OddsError(f"a fractional price needs a positive numerator and denominator, got {frac!r}")
    return 1 + num / den


def decimal_to_fractional(d: float, max_denominator: int = 100) -> str:
    """3.5 → "5/2", 2.0 → "1/1": the nearest fraction with denominator ≤ max_denominator."""
    if max_denominator < 1:
        raise ValueError(f"max_denominator must be ≥ 1, got {max_denominator}")
    # Fraction(d) is the float's exact value; subtracting 1 in floats would add a rounding step
    frac = (Fraction(_decimal(d)) - 1).limit_denominator(max_denominator)
    if frac == 0:
        frac = Fraction(1, max_denominator)  # "0/1" would be a price of 1: keep the shortest real one
    return f"{frac.numerator}/{frac.denominator}"


@overload
def implied_probability(d: float) -> float: ...
@overload
def implied_probability(d: np.ndarray) -> np.ndarray: ...
def implied_probability(d: float | np.ndarray) -> float | np.ndarray:
    """1/d. Unlike the American conversions an array is checked too: any price ≤ 1 raises."""
    if isinstance(d, np.ndarray):
        arr = d.astype(np.float64, copy=False)
        bad = ~(np.isfinite(arr) & (arr > 1))
        if bad.any():
            raise OddsError(f"{int(bad.sum())} decimal price(s) not finite and > 1, first {arr[bad][0]!r}")
        return 1.0 / arr
    return 1.0 / _decimal(d)


def overround(prices_decimal: Sequence[float] | np.ndarray) -> float:
    """Σ 1/o_i - 1: the margin built into the book (0.0338 for [2.6, 2.4, 4.3])."""
    return float(np.sum(1.0 / _book(prices_decimal)) - 1.0)


# --- de-vig ----------------------------------------------------------------------------------------


def devig(prices_decimal: Sequence[float], method: str = "multiplicative") -> list[float]:
    """Fair probabilities of one book: devig_many's one-row case, raising OddsError/DevigError."""
    book = _book(prices_decimal)
    p, _, code = _devig(book[None, :], _method(method))
    _raise_first(book[None, :], code, method, with_row=False)
    return p[0].tolist()


def shin_z(prices_decimal: Sequence[float]) -> float:
    """Shin's insider share z for the book (0 when S ≤ 1: no margin, so no insiders to price for)."""
    book = _book(prices_decimal)
    _, z, code = _devig(book[None, :], "shin")
    _raise_first(book[None, :], code, "shin", with_row=False)
    return float(z[0])


def devig_many(prices: np.ndarray, method: str, *, errors: Literal["raise", "nan"] = "raise") -> np.ndarray:
    """(m, n) decimal prices → (m, n) fair probabilities, one book per row, vectorised over rows.

    errors="raise": the first invalid or failing row raises OddsError/DevigError. errors="nan": such
    rows come back all-NaN and the others are unaffected. A malformed array (not 2-D, n < 2) always
    raises.
    """
    method = _method(method)
    if errors not in ("raise", "nan"):
        raise ValueError(f'errors must be "raise" or "nan", got {errors!r}')
    try:
        arr = np.asarray(prices, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise OddsError(f"prices are not a numeric array: {exc}") from exc
    if arr.ndim != 2 or arr.shape[1] < 2:
        raise OddsError(f"devig_many needs an (m, n ≥ 2) array of books, got shape {arr.shape}")
    p, _, code = _devig(arr, method)
    if errors == "raise":
        _raise_first(arr, code, method, with_row=True)
    return p


def devig_groups(group: np.ndarray, pos: np.ndarray, price: np.ndarray, width: np.ndarray,
                 method: str) -> tuple[np.ndarray, np.ndarray]:
    """Devig many markets given as rows: row i is outcome `pos[i]` of market `group[i]` at `price[i]`.

    Market g is devigged when each of its outcomes 0..width[g]−1 is quoted exactly once and nothing
    else (width < 2: never). Returns, per row, the fair probability and its market's overround; NaN
    for rows of markets that are incomplete or fail (`devig_many(..., errors="nan")`).
    """
    group, pos = np.asarray(group, dtype=np.int64), np.asarray(pos, dtype=np.int64)
    width = np.asarray(width, dtype=np.int64)
    n, cols = len(width), int(max(width.max(initial=0), pos.max(initial=-1) + 1))
    quoted = np.zeros((n, cols), dtype=np.int64)
    np.add.at(quoted, (group, pos), 1)
    prices = np.full((n, cols), np.nan)
    prices[group, pos] = price
    wanted = np.arange(cols)[None, :] < width[:, None]
    complete = (width >= 2) & (quoted == wanted).all(axis=1)
    fair, over = np.full((n, cols), np.nan), np.full(n, np.nan)
    for w in np.unique(width[complete]):
        rows = complete & (width == w)
        fair[rows, :w] = devig_many(prices[rows, :w], method, errors="nan")
        over[rows] = (1.0 / prices[rows, :w]).sum(axis=1) - 1.0
    return fair[group, pos], over[group]


def _devig(o: np.ndarray, method: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(p, parameter, code) per row of o; failed rows are NaN. The parameter is Shin's z (else 0).

    Works on the transpose, (n outcomes, m books): reductions over a short trailing axis are an order
    of magnitude slower in numpy than adding n long rows.
    """
    ot = np.ascontiguousarray(o.T)
    m = ot.shape[1]
    valid = (np.isfinite(ot) & (ot > 1)).all(axis=0)
    # invalid books get a harmless stand-in so no warnings are raised; they are masked at the end
    q = np.divide(1.0, ot, out=np.full(ot.shape, 0.5), where=valid)
    s = _colsum(q)
    p = q / s  # multiplicative, and the rule for every method when S ≤ 1
    param = np.zeros(m)
    code = np.where(valid, _OK, _INVALID).astype(np.int8)
    cols = np.flatnonzero(valid & (s > 1)) if method != "multiplicative" else np.empty(0, np.intp)
    if cols.size:
        p[:, cols], param[cols], code[cols] = _SOLVERS[method](q[:, cols], s[cols])
    with np.errstate(invalid="ignore"):
        positive = (p > 0).all(axis=0) & np.isfinite(p).all(axis=0)
        code[(code == _OK) & ~positive] = _NONPOSITIVE
        total = _colsum(p)
        # a closed form sums to 1 up to rounding and a solved book converged to _TOL; anything else
        # is a failure to report, not something to normalise away
        code[(code == _OK) & ~(np.abs(total - 1) <= _TOL)] = _NO_CONVERGENCE
        p /= total
    failed = code != _OK
    p[:, failed] = np.nan
    param[failed] = np.nan
    return np.ascontiguousarray(p.T), param, code


# The solvers below take q as (n, k): one column per book with a margin (S > 1), s its booksums.
# They return (p, parameter, code) in the same layout.


def _additive(q: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # a p ≤ 0 is caught by _devig's positivity check
    return q - (s - 1) / q.shape[0], np.zeros(len(s)), np.zeros(len(s), np.int8)


def _power(q: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    lnq = np.log(q)
    k, code = _root(_power_f, np.ones(len(s)), 1 + np.log(s) / -lnq.max(axis=0), lnq)
    return np.exp(k * lnq), np.zeros(len(s)), code


def _power_f(k: np.ndarray, lnq: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    pk = np.exp(k * lnq)
    return _colsum(pk) - 1, _colsum(pk * lnq)


def _odds_ratio(q: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    c, code = _root(_odds_ratio_f, np.ones(len(s)), ((s - q) / (1 - q)).max(axis=0), q)
    return q / (q + c * (1 - q)), np.zeros(len(s)), code


def _odds_ratio_f(c: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    den = q + c * (1 - q)
    p = q / den
    return _colsum(p) - 1, -_colsum(p * (1 - q) / den)


def _shin(q: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if q.shape[0] != 2:
        return _shin_solved(q, s)
    # closed form (module docstring); |D| < 1 since both q_i < 1, so D² - 1 ≠ 0
    d2 = (q[0] - q[1]) ** 2
    z = (s - 1) * (d2 - s) / (s * (d2 - 1))
    return q - (s - 1) / 2, z, np.zeros(len(s), np.int8)


def _shin_solved(q: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shin by root finding on z ∈ [0, 1], for any n (n = 2 is only routed here by the tests)."""
    a = q**2 / s
    z, code = _root(_shin_f, np.zeros(len(s)), np.ones(len(s)), a)
    return _shin_p(z, a)[0], z, code


def _shin_p(z: np.ndarray, a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r = np.sqrt(z * z + 4 * (1 - z) * a)
    return 2 * a / (r + z), r


def _shin_f(z: np.ndarray, a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    p, r = _shin_p(z, a)
    return _colsum(p) - 1, -_colsum(p * (1 + (z - 2 * a) / r) / (r + z))


_SOLVERS: dict[str, Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]]] = {
    "additive": _additive, "power": _power, "shin": _shin, "odds_ratio": _odds_ratio,
}


def _colsum(a: np.ndarray) -> np.ndarray:
    """a.sum(axis=0) for a few long rows: numpy's reduction over a short axis is several times slower."""
    total = a[0].copy()
    for row in a[1:]:
        total += row
    return total


def _root(fn: Callable[..., tuple[np.ndarray, np.ndarray]], lo: np.ndarray, hi: np.ndarray,
          *args: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per book, x in [lo, hi] with |f(x)| ≤ _TOL, where fn(x, *args) → (f, f') for (n, k) args.

    Newton steps while they stay inside the bracket, bisection when one leaves it (and for every
    step after _NEWTON_ITER, so even a cycling Newton ends); every step narrows the bracket. A
    book's result is taken when it first finishes; the working set is compacted once half of it
    has, so a few slow books do not cost passes over all. Returns (x, code), x NaN where code ≠ _OK.
    """
    m = len(lo)
    x_out = np.full(m, np.nan)
    code = np.full(m, _NO_CONVERGENCE, np.int8)
    f_lo, df_lo = fn(lo, *args)
    f_hi, _ = fn(hi, *args)
    at_lo, at_hi = np.abs(f_lo) <= _TOL, np.abs(f_hi) <= _TOL
    for hit, end in ((at_hi, hi), (at_lo, lo)):
        x_out[hit], code[hit] = end[hit], _OK
    open_ = ~(at_lo | at_hi)
    code[open_ & ~(np.sign(f_lo) * np.sign(f_hi) < 0)] = _NO_BRACKET
    idx = np.flatnonzero(code == _NO_CONVERGENCE)
    lo, hi, x, f, df = lo[idx], hi[idx], lo[idx], f_lo[idx], df_lo[idx]
    args = tuple(a[:, idx] for a in args)
    up = f > 0  # which sign of f moves the lower end
    live = np.ones(idx.size, bool)  # finished books keep iterating harmlessly until a compaction
    tiny = 4 * np.finfo(np.float64).eps
    for it in range(_MAX_ITER if idx.size else 0):
        with np.errstate(divide="ignore", invalid="ignore"):
            step = f / df
            newton = x - step
        # NaN comparisons are False, so a bad derivative also falls back to bisection
        ok = (newton > lo) & (newton < hi) & (it < _NEWTON_ITER)
        x = np.where(ok, newton, 0.5 * (lo + hi))
        f, df = fn(x, *args)
        move_lo = (f > 0) == up
        lo, hi = np.where(move_lo, x, lo), np.where(move_lo, hi, x)
        done = live & (np.abs(f) <= _TOL)
        stuck = live & ~done & (hi - lo <= tiny * np.maximum(np.abs(lo), np.abs(hi)))
        x_out[idx[done]], code[idx[done]] = x[done], _OK
        live &= ~(done | stuck)
        if not live.any():
            break
        if 2 * np.count_nonzero(live) < live.size:
            idx, lo, hi, x, f, df, up = (v[live] for v in (idx, lo, hi, x, f, df, up))
            args = tuple(a[:, live] for a in args)
            live = live[live]
    return x_out, code


def _raise_first(o: np.ndarray, code: np.ndarray, method: str, *, with_row: bool) -> None:
    bad = np.flatnonzero(code != _OK)
    if bad.size == 0:
        return
    i = int(bad[0])
    row = i if with_row else None
    if code[i] == _INVALID:
        where = "" if row is None else f" (row {row})"
        raise OddsError(f"decimal prices must be finite and > 1, got {o[i].tolist()}{where}")
    raise DevigError(method, o[i], _REASONS[int(code[i])], row)


def _method(method: str) -> str:
    if method not in METHODS:
        raise ValueError(f"unknown devig method {method!r}; known: {', '.join(METHODS)}")
    return method


def _finite(x: float, what: str) -> float:
    try:
        value = float(x)
    except (TypeError, ValueError) as exc:
        raise OddsError(f"{what} is not a number: {x!r}") from exc
    if not math.isfinite(value):
        raise OddsError(f"{what} is not finite: {x!r}")
    return value


def _decimal(d: float) -> float:
    value = _finite(d, "decimal price")
    if value <= 1:
        raise OddsError(f"a decimal price must be > 1, got {value:g}")
    return value


def _book(prices_decimal: Sequence[float] | np.ndarray) -> np.ndarray:
    """One book as a checked 1-D float array: ≥ 2 outcomes, every price finite and > 1."""
    try:
        book = np.asarray(prices_decimal, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise OddsError(f"prices are not numbers: {prices_decimal!r}") from exc
    if book.ndim != 1 or book.size < 2:
        raise OddsError(f"a book is a 1-D sequence of ≥ 2 decimal prices, got shape {book.shape}")
    if not (np.isfinite(book) & (book > 1)).all():
        raise OddsError(f"decimal prices must be finite and > 1, got {book.tolist()}")
    return book


def taker_decimal_odds(ask: float | np.ndarray, fee_rate: float | np.ndarray = 0.03) -> float | np.ndarray:
    """Decimal odds of buying a prediction-market share at `ask` as a taker, who pays `fee_rate · p · (1 − p)`
    per share on top: 1 / (ask + fee_rate · ask · (1 − ask)). NaN where the ask is not a price in (0, 1].
    The one rule for a prediction market's tradable price (Polymarket's sports fee rate is 0.03)."""
    rate = np.asarray(fee_rate, dtype=float)
    if not np.all(np.isfinite(rate) & (rate >= 0)):
        raise ValueError(f"fee_rate must be finite and >= 0, got {fee_rate!r}")
    a = np.asarray(ask, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        odds = np.where((a > 0) & (a <= 1), 1.0 / (a + rate * a * (1.0 - a)), np.nan)
    return float(odds) if odds.ndim == 0 else odds
