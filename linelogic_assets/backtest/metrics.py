"""Backtest metrics: a bet ledger (schema.BET_COLUMNS) → equity curve, daily returns, the summary fields
(schema.SUMMARY_COLUMNS) and the breakdown rows (schema.BREAKDOWN_COLUMNS).

Pure functions of the ledger. Every random draw comes from `np.random.default_rng(settings.seed)`, so the same
ledger, pool and settings give the same numbers. A ratio with a zero or empty denominator is None, never NaN or inf,
so the summary serialises to JSON null. Open bets (no result yet) count in `bets` and `open_bets` only: never
as losses, never in turnover or profit.

Settled means a result of win, loss, push or void with a settlement time; settlement order is
(settled_at_utc, bet_id).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from linelogic_assets.backtest.schema import BREAKDOWN_COLUMNS, SUMMARY_COLUMNS

SETTLED = ("win", "loss", "push", "void")
TURNOVER = ("win", "loss", "push")  # voids hand the stake back untouched: nothing was risked
CURVE_COLUMNS = ["settled_at_utc", "bet_id", "profit", "bankroll", "peak", "drawdown", "drawdown_pct"]
DIMENSIONS = ("market", "bookmaker", "bucket", "month")
# summary fields the caller knows from the run's configuration, not from the ledger
CALLER_FIELDS = ("backtest", "sport", "strategy", "start_date", "end_date", "buckets", "sizing")
LEDGER_FIELDS = [name for name, _, _ in SUMMARY_COLUMNS if name not in CALLER_FIELDS]

MAX_PRICE_BINS = 20
MIN_POOL_PER_BIN = 10  # fewer bins on a small pool, so every bin holds enough candidates to draw from
_DRAWS_PER_CHUNK = 1 << 21  # permutation draws held in memory at once (~16 MB of float64)


@dataclass(frozen=True)
class MetricsSettings:
    bootstrap_samples: int = 2000
    permutations: int = 1000
    confidence: float = 0.95
    seed: int = 0
    annualisation_days: int = 365


def _num(s: pd.Series) -> np.ndarray:
    return pd.to_numeric(s, errors="coerce").to_numpy(dtype=float)


def _utc(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s, utc=True)


def _settled_in_order(bets: pd.DataFrame) -> pd.DataFrame:
    """Settled bets in settlement order, with `_t` (aware UTC settlement time), `_day` (its UTC midnight) and
    `_profit` (float, 0 if null)."""
    s = bets.loc[bets["result"].isin(SETTLED).to_numpy() & bets["settled_at_utc"].notna().to_numpy()]
    t = _utc(s["settled_at_utc"])
    s = s.assign(_t=t, _day=t.dt.floor("D"), _profit=np.nan_to_num(_num(s["profit"]), nan=0.0))
    # mergesort: stable, so equal (time, bet_id) keep ledger order and the curve never depends on the sort
    return s.sort_values(["_t", "bet_id"], kind="mergesort")


def _curve(s: pd.DataFrame, starting_bankroll: float) -> pd.DataFrame:
    # bets that settle at one instant (a slate's games ending together) move the bankroll once: there is no
    # moment between them, so no drawdown made of their order
    s = s.groupby("_t", sort=True).agg(_profit=("_profit", "sum"), bet_id=("bet_id", "max")).reset_index()
    profit = s["_profit"].to_numpy(dtype=float)
    bankroll = starting_bankroll + np.cumsum(profit)
    peak = np.maximum.accumulate(np.maximum(bankroll, starting_bankroll))
    drawdown = peak - bankroll
    drawdown_pct = np.divide(drawdown, peak, out=np.full_like(drawdown, np.nan), where=peak > 0)
    return pd.DataFrame({
        "settled_at_utc": s["_t"].to_numpy(),
        "bet_id": s["bet_id"].to_numpy(),
        "profit": profit,
        "bankroll": bankroll,
        "peak": peak,
        "drawdown": drawdown,
        "drawdown_pct": drawdown_pct,
    })[CURVE_COLUMNS].astype({"settled_at_utc": "datetime64[us, UTC]"})


def equity_curve(bets: pd.DataFrame, starting_bankroll: float) -> pd.DataFrame:
    """One row per settlement instant, in order: the profit settled then (every bet settling at that instant;
    bet_id is the last of them) and the bankroll, running peak (the starting bankroll included) and drawdown
    after it. drawdown_pct is NaN while the peak is not positive."""
    return _curve(_settled_in_order(bets), starting_bankroll)


def _daily(s: pd.DataFrame, starting_bankroll: float) -> pd.Series:
    if s.empty:
        return pd.Series([], dtype=float, index=pd.DatetimeIndex([], tz="UTC", name="day"), name="return")
    per_day = s.groupby("_day")["_profit"].sum()
    days = pd.date_range(per_day.index.min(), per_day.index.max(), freq="D", name="day")
    per_day = per_day.reindex(days, fill_value=0.0)
    before = starting_bankroll + per_day.cumsum().shift(1, fill_value=0.0)
    # a bankroll at or below zero has no return to speak of: NaN, and the ratios skip such days
    r = np.divide(per_day.to_numpy(), before.to_numpy(), out=np.full(len(days), np.nan), where=before.to_numpy() > 0)
    return pd.Series(r, index=days, name="return")


def daily_returns(bets: pd.DataFrame, starting_bankroll: float, annualisation_days: int = 365) -> pd.Series:
    """Return of each UTC calendar day from the first to the last settlement day (idle days 0): the day's
    settled profit over the bankroll at the start of the day. Indexed by the day's midnight, aware UTC.

    `annualisation_days` does not change the daily values; it is kept on `attrs` for whoever annualises them.
    """
    r = _daily(_settled_in_order(bets), starting_bankroll)
    r.attrs["annualisation_days"] = annualisation_days
    return r


def _finite(x: float) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def _ratio(num: float, den: float) -> float | None:
    return _finite(num / den) if den != 0 and math.isfinite(den) else None


def _sharpe(r: np.ndarray, days: int) -> float | None:
    if len(r) < 2:
        return None
    mean, std = float(np.mean(r)), float(np.std(r, ddof=1))
    # a constant series leaves rounding noise in std, which would pass for a huge Sharpe
    if not std > 1e-12 * max(abs(mean), 1e-300):
        return None
    return _finite(mean / std * math.sqrt(days))


def _sortino(r: np.ndarray, days: int) -> float | None:
    if len(r) == 0:
        return None
    downside = math.sqrt(float(np.mean(np.minimum(r, 0.0) ** 2)))
    return _finite(float(np.mean(r)) / downside * math.sqrt(days)) if downside > 0 else None


def _calmar(final: float, start: float, n_days: int, max_dd_pct: float | None, days: int) -> float | None:
    if not max_dd_pct or n_days == 0 or start <= 0:
        return None
    growth = final / start
    if growth <= 0:
        annualised = -1.0  # ruined: the whole bankroll is gone, whatever the horizon
    else:
        exponent = math.log(growth) * days / n_days
        if exponent > 700:  # exp would overflow: no finite answer
            return None
        annualised = math.expm1(exponent)
    return _finite(annualised / max_dd_pct)


def _longest_run(flags: np.ndarray) -> int:
    if not flags.any():
        return 0
    edges = np.diff(np.concatenate(([0], flags.astype(np.int8), [0])))
    return int((np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)).max())


def _bootstrap(s: pd.DataFrame, start: float, settings: MetricsSettings, rng: np.random.Generator) -> list:
    """Day-block percentile intervals [roi_low, roi_high, yield_low, yield_high].

    The unit resampled is a settlement day: bets on one day share news, weather and line moves, so resampling
    them one by one would understate the spread.
    """
    if s.empty or settings.bootstrap_samples <= 0:
        return [None] * 4
    turnover = np.where(s["result"].isin(TURNOVER).to_numpy(), np.nan_to_num(_num(s["stake"]), nan=0.0), 0.0)
    day_sums = s.assign(_turnover=turnover).groupby("_day")[["_profit", "_turnover"]].sum()
    n = len(day_sums)
    counts = rng.multinomial(n, np.full(n, 1.0 / n), size=settings.bootstrap_samples)
    profit, turn = counts @ day_sums["_profit"].to_numpy(), counts @ day_sums["_turnover"].to_numpy()
    tail = (1.0 - settings.confidence) / 2.0
    q = [tail, 1.0 - tail]

    def interval(samples: np.ndarray) -> list:
        samples = samples[np.isfinite(samples)]
        return [_finite(v) for v in np.quantile(samples, q)] if len(samples) else [None, None]

    roi = interval(profit / start) if start != 0 else [None, None]
    return roi + interval(profit[turn > 0] / turn[turn > 0])


def _unit_return(result: np.ndarray, price: np.ndarray) -> np.ndarray:
    """Return per unit staked before commission: price − 1 on a win, −1 on a loss, 0 on a push or void."""
    return np.where(result == "win", price - 1.0, np.where(result == "loss", -1.0, 0.0))


def _p_value(s: pd.DataFrame, pool: pd.DataFrame | None, settings: MetricsSettings,
             rng: np.random.Generator) -> float | None:
    """Share of random same-odds bet sets (with the placed stakes) whose profit is at least the strategy's."""
    if pool is None or pool.empty or s.empty:
        return None
    pool_price = _num(pool["price"])
    keep = pool["result"].isin(SETTLED).to_numpy() & np.isfinite(pool_price) & (pool_price > 0)
    bet_price = _num(s["price"])
    placed = np.isfinite(bet_price) & (bet_price > 0)
    if not keep.any() or not placed.any():
        return None
    pool_price, pool_result = pool_price[keep], pool["result"].to_numpy()[keep]
    bet_price, bet_result = bet_price[placed], s["result"].to_numpy()[placed]
    stake = np.nan_to_num(_num(s["stake"]), nan=0.0)[placed]

    # price bins: quantiles of log price over the pool; each edge is a pool value, so no bin is empty
    pool_log, bet_log = np.log(pool_price), np.log(bet_price)
    n_bins = int(np.clip(len(pool_log) // MIN_POOL_PER_BIN, 1, MAX_PRICE_BINS))
    ordered = np.sort(pool_log)
    edges = np.unique(ordered[(np.arange(n_bins) * len(ordered)) // n_bins])
    pool_bin = np.searchsorted(edges, pool_log, side="right") - 1
    bet_bin = np.clip(np.searchsorted(edges, bet_log, side="right") - 1, 0, len(edges) - 1)

    # group key (bin, bucket) with the bin major, so sorting by key keeps each bin contiguous too
    n_codes, pool_code, bet_code = 1, np.zeros(len(pool_bin), np.int64), np.zeros(len(bet_bin), np.int64)
    if "bucket" in pool.columns and "bucket" in s.columns:
        pool_code, labels = pd.factorize(pool["bucket"].to_numpy()[keep], use_na_sentinel=False)
        # a bucket the pool lacks gets a code of its own, so it matches no candidate
        bet_code = pd.Index(labels).get_indexer(s["bucket"].to_numpy()[placed])
        n_codes = len(labels) + 1
        bet_code = np.where(bet_code < 0, len(labels), bet_code)
    # numpy sorts small integers by radix, several times faster than int64 keys
    key_type = np.int16 if len(edges) * n_codes < np.iinfo(np.int16).max else np.int64
    pool_key = (pool_bin * n_codes + pool_code).astype(key_type)
    bet_key, bin_low, bin_high = ((k * n_codes).astype(key_type) for k in (bet_bin, bet_bin, bet_bin + 1))
    bet_key += bet_code.astype(key_type)
    by_key = np.argsort(pool_key, kind="stable")
    sorted_key, candidates = pool_key[by_key], _unit_return(pool_result, pool_price)[by_key]
    first = np.searchsorted(sorted_key, bet_key, side="left")
    size = np.searchsorted(sorted_key, bet_key, side="right") - first
    # a bucket the pool never offers in that price bin falls back to the whole bin rather than to nothing
    bin_first = np.searchsorted(sorted_key, bin_low, side="left")
    bin_size = np.searchsorted(sorted_key, bin_high, side="left") - bin_first
    first, size = np.where(size > 0, first, bin_first), np.where(size > 0, size, bin_size)

    observed = float(stake @ _unit_return(bet_result, bet_price))
    tolerance = 1e-9 * max(1.0, abs(observed))  # equal sums added in another order still count as ties
    m = len(stake)
    rows = max(1, min(settings.permutations, _DRAWS_PER_CHUNK // m))
    u, pick = np.empty((rows, m)), np.empty((rows, m), dtype=np.int64)  # reused: big fresh arrays cost page faults
    last = size - 1
    at_least = 0
    for done in range(0, settings.permutations, rows):
        k = min(rows, settings.permutations - done)
        rng.random(out=u[:k])
        np.multiply(u[:k], size, out=u[:k])
        pick[:k] = u[:k]  # truncation toward zero: floor of a non-negative draw
        np.minimum(pick[:k], last, out=pick[:k])
        pick[:k] += first
        at_least += int(np.count_nonzero(np.take(candidates, pick[:k]) @ stake >= observed - tolerance))
    return (1 + at_least) / (settings.permutations + 1)


def summarise(bets: pd.DataFrame, starting_bankroll: float, pool: pd.DataFrame | None = None,
              settings: MetricsSettings = MetricsSettings()) -> dict[str, object]:
    """Every summary field computable from the ledger (LEDGER_FIELDS), as plain Python values or None.

    `pool` is every candidate bet the strategy could have placed (price, result, optionally bucket), for the
    permutation p-value; without it p_value is None.
    """
    start = float(starting_bankroll)
    result = bets["result"].to_numpy()
    n = {r: int(np.count_nonzero(result == r)) for r in (*SETTLED, "open")}
    s = _settled_in_order(bets)
    curve = _curve(s, start)
    daily = _daily(s, start)
    r = daily.to_numpy()
    r = r[np.isfinite(r)]
    days = settings.annualisation_days

    profits = s["_profit"].to_numpy()
    profit = float(profits.sum())
    final = start + profit
    turnover = float(np.nansum(np.where(s["result"].isin(TURNOVER).to_numpy(), _num(s["stake"]), 0.0)))
    dd_pct = curve["drawdown_pct"].to_numpy()
    dd_pct = dd_pct[np.isfinite(dd_pct)]
    max_dd_pct = float(dd_pct.max()) if len(dd_pct) else (0.0 if start > 0 else None)
    gross_loss = float(-profits[profits < 0].sum())

    price = _num(bets["price"])
    price = price[np.isfinite(price)]
    clv = _num(bets["clv"])
    clv = clv[np.isfinite(clv)]
    beat = bets["beat_close"].dropna()
    not_open = result != "open"
    decided = s["result"].to_numpy()[s["result"].isin(("win", "loss")).to_numpy()]  # pushes, voids skipped
    expected = np.nansum(_num(bets["stake"])[not_open] * _num(bets["edge"])[not_open])

    # two streams of the one seeded generator: the p-value does not move when the bootstrap's sample count does
    rng_boot, rng_perm = np.random.default_rng(settings.seed).spawn(2)
    roi_lo, roi_hi, yield_lo, yield_hi = _bootstrap(s, start, settings, rng_boot)
    values: dict[str, object] = {
        "starting_bankroll": start,
        "final_bankroll": final,
        "bets": len(bets),
        "wins": n["win"],
        "losses": n["loss"],
        "pushes": n["push"],
        "voids": n["void"],
        "open_bets": n["open"],
        "turnover": turnover,
        "profit": profit,
        "roi": _ratio(profit, start),
        "yield": _ratio(profit, turnover),
        "hit_rate": _ratio(n["win"], n["win"] + n["loss"]),
        "avg_odds": _finite(price.mean()) if len(price) else None,
        "max_drawdown": float(curve["drawdown"].max()) if len(curve) else 0.0,
        "max_drawdown_pct": max_dd_pct,
        "sharpe": _sharpe(r, days),
        "sortino": _sortino(r, days),
        "calmar": _calmar(final, start, len(daily), max_dd_pct, days),
        "profit_factor": _ratio(float(profits[profits > 0].sum()), gross_loss) if gross_loss > 0 else None,
        "longest_losing_streak": _longest_run(decided == "loss"),
        "clv_mean": _finite(clv.mean()) if len(clv) else None,
        "beat_close_share": _finite(beat.astype(bool).mean()) if len(beat) else None,
        "roi_ci_low": roi_lo,
        "roi_ci_high": roi_hi,
        "yield_ci_low": yield_lo,
        "yield_ci_high": yield_hi,
        "p_value": _p_value(s, pool, settings, rng_perm),
        "expected_profit": _finite(expected),
    }
    return {name: values[name] for name in LEDGER_FIELDS}


def _empty_breakdown() -> pd.DataFrame:
    return pd.DataFrame({
        "backtest": pd.Series([], dtype=object), "dimension": pd.Series([], dtype=object),
        "value": pd.Series([], dtype=object), "bets": pd.Series([], dtype="int64"),
        **{c: pd.Series([], dtype=float) for c in ("turnover", "profit", "yield", "hit_rate", "clv_mean")},
    })[[name for name, _, _ in BREAKDOWN_COLUMNS]]


def breakdowns(bets: pd.DataFrame, backtest: str) -> pd.DataFrame:
    """BREAKDOWN_COLUMNS rows per market, bookmaker, bucket and month (YYYY-MM of slate_date), sorted by
    dimension then value. Undefined ratios are NaN (null once written through the Arrow schema)."""
    if bets.empty:
        return _empty_breakdown()
    result = bets["result"].to_numpy()
    settled = bets["result"].isin(SETTLED).to_numpy() & bets["settled_at_utc"].notna().to_numpy()
    frame = pd.DataFrame({
        "market": bets["market"].to_numpy(dtype=object),
        "bookmaker": bets["bookmaker"].to_numpy(dtype=object),
        "bucket": bets["bucket"].to_numpy(dtype=object),
        "month": pd.to_datetime(bets["slate_date"]).dt.strftime("%Y-%m").to_numpy(dtype=object),
        "turnover": np.where(settled & bets["result"].isin(TURNOVER).to_numpy(),
                             np.nan_to_num(_num(bets["stake"]), nan=0.0), 0.0),
        "profit": np.where(settled, np.nan_to_num(_num(bets["profit"]), nan=0.0), 0.0),
        "wins": (settled & (result == "win")).astype(np.int64),
        "losses": (settled & (result == "loss")).astype(np.int64),
        "clv": _num(bets["clv"]),
    })
    parts = []
    for dim in DIMENSIONS:
        g = frame.groupby(dim, dropna=False, sort=False).agg(
            bets=("turnover", "size"), turnover=("turnover", "sum"), profit=("profit", "sum"),
            wins=("wins", "sum"), losses=("losses", "sum"), clv_mean=("clv", "mean"),
        )
        decided = (g["wins"] + g["losses"]).to_numpy()
        turn = g["turnover"].to_numpy()
        parts.append(pd.DataFrame({
            "backtest": backtest,
            "dimension": dim,
            "value": [None if pd.isna(v) else str(v) for v in g.index],
            "bets": g["bets"].to_numpy(dtype=np.int64),
            "turnover": turn,
            "profit": g["profit"].to_numpy(),
            "yield": np.divide(g["profit"].to_numpy(), turn, out=np.full(len(g), np.nan), where=turn != 0),
            "hit_rate": np.divide(g["wins"].to_numpy(), decided, out=np.full(len(g), np.nan), where=decided > 0),
            "clv_mean": g["clv_mean"].to_numpy(dtype=float),
        }))
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values(["dimension", "value"], kind="mergesort", na_position="last", ignore_index=True)[
        [name for name, _, _ in BREAKDOWN_COLUMNS]
    ]
