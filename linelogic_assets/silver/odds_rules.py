"""What a stored odds row may hold: one vectorised rule, `odds_problems`, for the normaliser and the checks.

The normaliser moves every row with a problem to quarantine before the table is written; the ERROR checks
of `odds_snapshot` apply the same rule to the stored table, so they can only fail on a platform bug.
Columns may be Arrow arrays (the normaliser) or pandas series (the checks).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from linelogic_assets.sports import league_for

TS = pa.timestamp("us", tz="UTC")

# No book posts a price beyond ±10000 American (a 1-in-101 long shot); past that a value is a feed
# error (1e308, a price typed in the wrong format), so decimal prices live in [1.01, 101].
MAX_AMERICAN = 10_000.0
DECIMAL_RANGE = (1 + 100 / MAX_AMERICAN, 1 + MAX_AMERICAN / 100)
FUTURE_SLACK = timedelta(minutes=5)  # clock skew between a book's feed and ours
# per league: |spread| bound and (low, high) total bounds; alternate lines get half as much again
POINT_BOUNDS = {
    "nba": (40.0, (150.0, 320.0)),
    "nfl": (35.0, (20.0, 80.0)),
    "mlb": (5.5, (3.0, 20.0)),
    "nhl": (5.5, (3.0, 12.0)),
}
ALTERNATE_LOOSEN = 1.5
SPREADS, TOTALS = ("spreads", "alternate_spreads"), ("totals", "alternate_totals")
ALTERNATES = ("alternate_spreads", "alternate_totals")
IDENTITY = ("canonical_event_id", "provider_event_id", "bookmaker", "market", "selection", "snapshot_time_utc",
            "commence_time_utc")


@dataclass(frozen=True)
class Problem:
    """Something that keeps an odds row out of the table: its one-line reason and the column at fault."""

    check: str | None  # the ERROR check that guards the stored table against it (None: found by the normaliser only)
    column: str
    reason: str


# in order of precedence: a quarantined row is recorded under the first one it has
PROBLEMS: dict[str, Problem] = {
    "unreadable": Problem(None, "", "a value that is not of its column's type"),
    "null_canonical_event_id": Problem("ids_and_times", "canonical_event_id",
                                       "event not in the canonical event map (its teams were quarantined or it was "
                                       "never matched)"),
    "null_provider_event_id": Problem("ids_and_times", "provider_event_id", "event without an id"),
    "null_bookmaker": Problem("ids_and_times", "bookmaker", "bookmaker without a key"),
    "null_market": Problem("ids_and_times", "market", "market without a key"),
    "null_selection": Problem("ids_and_times", "selection", "outcome name matches neither team nor over/under/draw"),
    "null_snapshot_time_utc": Problem("ids_and_times", "snapshot_time_utc",
                                      "odds response without a snapshot time (no envelope timestamp, none recorded)"),
    "null_commence_time_utc": Problem("ids_and_times", "commence_time_utc", "event without a start time"),
    "price_missing": Problem("price_bounds", "price", "outcome without a price"),
    "price_not_finite": Problem("price_bounds", "price", "price is NaN or infinite"),
    "decimal_price_not_above_1": Problem("price_bounds", "price", "decimal price not above 1.0"),
    "american_missing": Problem("price_bounds", "price_american", "no American price"),
    "american_beyond_10000": Problem("price_bounds", "price_american",
                                     f"price beyond American ±{MAX_AMERICAN:.0f} (decimal outside "
                                     f"{DECIMAL_RANGE[0]:g}–{DECIMAL_RANGE[1]:g})"),
    "american_below_100": Problem("price_bounds", "price_american", "American price of magnitude below 100"),
    "point_not_finite": Problem("price_bounds", "point", "point is NaN or infinite"),
    "point_missing": Problem("price_bounds", "point", "spreads/totals outcome without a point"),
    "spread_points_out_of_bounds": Problem("price_bounds", "point", "pregame spread point beyond the league's bound"),
    "total_points_out_of_bounds": Problem("price_bounds", "point", "pregame total point outside the league's bounds"),
    "snapshot_time_in_future": Problem("no_future_times", "snapshot_time_utc", "snapshot time after now"),
    "last_update_in_future": Problem("no_future_times", "bookmaker_last_update_utc", "bookmaker last_update after now"),
    "conflicting_duplicate": Problem(None, "price", "conflicting duplicates: one line of one book at one snapshot "
                                                    "time quoted at different prices (every copy quarantined)"),
}
PROBLEM_CODES = list(PROBLEMS)  # a row's problem code is 1 + its index here; 0 is no problem


def point_bounds(league: str) -> tuple[float, float, float]:
    """(|spread| max, total min, total max) of a league (slug or sport key); unbounded when none are set."""
    try:
        league = league_for(league).league
    except KeyError:
        pass
    spread, (lo, hi) = POINT_BOUNDS.get(league, (math.inf, (-math.inf, math.inf)))
    return spread, lo, hi


def _arrow(x: Any) -> pa.Array:
    return x.combine_chunks() if isinstance(x, pa.ChunkedArray) else x


def _nulls(x: Any) -> np.ndarray:
    if isinstance(x, pd.Series):
        return x.isna().to_numpy()
    x = _arrow(x)
    if isinstance(x, pa.DictionaryArray) and x.dictionary.null_count:  # a null in the dictionary, not the indices
        return np.append(_nulls(x.dictionary), True)[pc.fill_null(x.indices, len(x.dictionary)).to_numpy(
            zero_copy_only=False)]
    return x.is_null().to_numpy(zero_copy_only=False) if x.null_count else np.zeros(len(x), bool)


def as_floats(x: Any) -> tuple[np.ndarray, np.ndarray]:
    """(values with NaN for null, null mask); pandas cannot tell null from NaN, so there NaN is null."""
    if isinstance(x, pd.Series):
        v = pd.to_numeric(x, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        return v, np.isnan(v)
    x = _arrow(x)
    v = pc.fill_null(x, np.nan) if x.null_count else x
    return v.to_numpy(zero_copy_only=False).astype(float, copy=False), _nulls(x)


_LINES = (*SPREADS, *TOTALS)
_LINE_KEYS = pa.array(_LINES, pa.string())
_ALTERNATE = np.array([k in ALTERNATES for k in _LINES] + [False])


def _market_kinds(market: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(a spreads market, a totals market, an alternate line) per row, from one hash lookup per row."""
    if isinstance(market, pd.Series):
        at = pd.Index(_LINES).get_indexer(market)
        at[at < 0] = len(_LINES)
    else:
        market = _arrow(market)
        keys = market.dictionary if isinstance(market, pa.DictionaryArray) else market  # dictionary: judge each key once
        at = pc.fill_null(pc.index_in(keys, value_set=_LINE_KEYS), len(_LINES)).to_numpy(zero_copy_only=False)
        if isinstance(market, pa.DictionaryArray):
            at = np.append(at, len(_LINES))[pc.fill_null(market.indices, len(keys)).to_numpy(zero_copy_only=False)]
    return at < len(SPREADS), (at >= len(SPREADS)) & (at < len(_LINES)), _ALTERNATE[at]


def _flag(x: Any) -> np.ndarray:
    if isinstance(x, pd.Series):
        return x.fillna(False).astype(bool).to_numpy()
    return pc.fill_null(_arrow(x), False).to_numpy(zero_copy_only=False)


def _after(x: Any, limit: datetime) -> np.ndarray:
    if isinstance(x, pd.Series):  # naive times are read as UTC (ids_and_times reports them as not UTC)
        if not isinstance(x.dtype, pd.DatetimeTZDtype):  # a stored table's times are UTC already: no parse
            x = pd.to_datetime(x, utc=True)
        return (x > pd.Timestamp(limit)).to_numpy()
    x = _arrow(x)
    if x.type != TS:
        x = pc.cast(x, TS, safe=False)
    return pc.fill_null(pc.greater(x, pa.scalar(limit, TS)), False).to_numpy(zero_copy_only=False)


def odds_problems(cols: Mapping[str, Any], bounds: tuple[Any, Any, Any], now: datetime | None = None,
                  check: str | None = None) -> dict[str, np.ndarray]:
    """Per odds row, which PROBLEMS it has: name → boolean mask, vectorised (no Python per row).

    `cols` maps odds_snapshot columns to Arrow arrays (the normaliser, before anything is stored) or
    pandas Series (the checks, on the stored table); `bounds` is `point_bounds(league)`, as scalars or
    per-row arrays. Only the problems guarded by `check` when one is named; time problems need `now`.
    """
    out: dict[str, np.ndarray] = {}
    if check in (None, "ids_and_times"):
        out |= {f"null_{c}": _nulls(cols[c]) for c in IDENTITY}
    if check in (None, "price_bounds"):
        price, missing = as_floats(cols["price"])
        american, _ = as_floats(cols["price_american"])
        finite = np.isfinite(price)
        priced = finite & (price > 1)
        magnitude = np.abs(american)
        out |= {"price_missing": missing, "price_not_finite": ~missing & ~finite,
                "decimal_price_not_above_1": finite & (price <= 1),
                "american_missing": priced & np.isnan(american),
                "american_beyond_10000": priced & (magnitude > MAX_AMERICAN),
                "american_below_100": priced & (magnitude < 100)}
        point, no_point = as_floats(cols["point"])
        spread, total, alternate = _market_kinds(cols["market"])
        loosen = np.where(alternate, ALTERNATE_LOOSEN, 1.0)
        pregame = ~_flag(cols["is_live"])  # in play, spreads and totals run with the score
        spread_max, total_lo, total_hi = bounds
        real = np.isfinite(point)
        out |= {"point_not_finite": ~no_point & ~real, "point_missing": (spread | total) & no_point,
                "spread_points_out_of_bounds": pregame & spread & real & (np.abs(point) > spread_max * loosen),
                "total_points_out_of_bounds": pregame & total & real & ((point < total_lo / loosen)
                                                                        | (point > total_hi * loosen))}
    if check in (None, "no_future_times") and now is not None:
        limit = now + FUTURE_SLACK
        out |= {"snapshot_time_in_future": _after(cols["snapshot_time_utc"], limit),
                "last_update_in_future": _after(cols["bookmaker_last_update_utc"], limit)}
    return out


def first_problem(masks: Mapping[str, np.ndarray], n: int) -> np.ndarray:
    """Per row, 1 + the index in PROBLEMS of the first problem it has, 0 for none."""
    code = np.zeros(n, np.int8)
    for name in reversed(PROBLEM_CODES):
        mask = masks.get(name)
        if mask is not None and mask.any():
            code[mask] = PROBLEM_CODES.index(name) + 1
    return code


