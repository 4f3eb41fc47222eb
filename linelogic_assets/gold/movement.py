"""Line movement: each book's and the consensus's pregame path per event × market × selection.

A path is a time series of (price, point, prob) where prob is the devigged fair probability
(the configured method). For a book it is the book's own observations; for the consensus it is the
consensus at every pregame snapshot time of the event (median price and point, mean fair prob).
Features: open and close, deltas, volatility (std, range), the late move (close − the last value
at or before T-60m), OLS slopes per hour, the number of direction reversals of the fair probability,
and a late-reversal flag (the move after T-60m goes against the move before it).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from linelogic_assets.gold.schemas import GOLD_SCHEMAS

SERIES_KEY = ["canonical_event_id", "market", "selection", "bookmaker"]
LATE = pd.Timedelta(minutes=60)


def book_series(lines: pd.DataFrame) -> pd.DataFrame:
    """Book lines at the snapshot points → each book's own observations (not its carried-forward quotes)."""
    own = lines[lines["snapshot_time_utc"] == lines["asof_time_utc"]]
    return own[[*SERIES_KEY, "commence_time_utc", "snapshot_time_utc", "price", "point", "fair_prob"]].rename(
        columns={"snapshot_time_utc": "time", "fair_prob": "prob"})


def consensus_series(cons: pd.DataFrame) -> pd.DataFrame:
    """Consensus at the snapshot points → the consensus path (bookmaker = "consensus")."""
    out = cons[["canonical_event_id", "market", "selection", "commence_time_utc", "asof_time_utc", "price_median",
                "point_median", "fair_prob"]].rename(columns={"asof_time_utc": "time", "price_median": "price",
                                                              "point_median": "point", "fair_prob": "prob"})
    return out.assign(bookmaker="consensus")[[*SERIES_KEY, "commence_time_utc", "time", "price", "point", "prob"]]


def _slope(s: pd.DataFrame, hours: pd.Series, y: str, key: list) -> pd.Series:
    d = pd.DataFrame({"h": hours, "y": s[y]}).dropna()
    d["hh"], d["hy"] = d["h"] * d["h"], d["h"] * d["y"]
    g = d.groupby([s.loc[d.index, k] for k in key], sort=False)
    n, sh, sy, shh, shy = g.size(), g["h"].sum(), g["y"].sum(), g["hh"].sum(), g["hy"].sum()
    den = n * shh - sh * sh
    return ((n * shy - sh * sy) / den.where(den.abs() > 1e-12)).rename(None)


def _reversals(s: pd.DataFrame, key: list) -> pd.Series:
    step = s.groupby(key, sort=False)["prob"].diff()
    moves = s.loc[step.abs() > 1e-9, key].assign(sign=np.sign(step[step.abs() > 1e-9]))
    prev = moves.groupby(key, sort=False)["sign"].shift()
    return (moves["sign"] != prev)[prev.notna()].groupby([moves.loc[prev.notna(), k] for k in key],
                                                         sort=False).sum()


def movement_features(series: pd.DataFrame) -> pd.DataFrame:
    """Path rows (SERIES_KEY, commence_time_utc, time, price, point, prob) → one feature row per path."""
    key = SERIES_KEY
    s = series[series["time"] < series["commence_time_utc"]].sort_values([*key, "time"]).reset_index(drop=True)
    if s.empty:  # no pregame quote yet: every column, no row
        return pd.DataFrame(columns=GOLD_SCHEMAS["odds_movement_features"].names)
    g = s.groupby(key, sort=False)
    head, tail = g.head(1).set_index(key), g.tail(1).set_index(key)
    out = pd.DataFrame({
        "commence_time_utc": head["commence_time_utc"], "n_obs": g.size(),
        "open_time_utc": head["time"], "close_time_utc": tail["time"],
        "open_price": head["price"], "close_price": tail["price"],
        "open_point": head["point"], "close_point": tail["point"],
        "open_prob": head["prob"], "close_prob": tail["prob"],
        "price_std": g["price"].std(), "price_range": g["price"].max() - g["price"].min(),
        "prob_std": g["prob"].std(), "prob_range": g["prob"].max() - g["prob"].min(),
        "point_range": g["point"].max() - g["point"].min(),
    })
    for col in ("price", "point", "prob"):
        out[f"{col}_delta"] = out[f"close_{col}"] - out[f"open_{col}"]
    before = s[s["time"] <= s["commence_time_utc"] - LATE]
    t60 = before.groupby(key, sort=False).tail(1).set_index(key)
    for col in ("price", "point", "prob"):
        out[f"t60_{col}"] = t60[col]
        out[f"late_move_{col}"] = out[f"close_{col}"] - out[f"t60_{col}"]
    hours = (s["time"] - s["commence_time_utc"]).dt.total_seconds() / 3600.0
    out["slope_prob_per_hour"] = _slope(s, hours, "prob", key)
    out["slope_point_per_hour"] = _slope(s, hours, "point", key)
    out["reversals"] = _reversals(s, key)
    out["reversals"] = out["reversals"].fillna(0).astype(int)
    early, late = np.sign(out["t60_prob"] - out["open_prob"]), np.sign(out["close_prob"] - out["t60_prob"])
    out["late_reversal"] = (early * late < 0).fillna(False)
    return out.reset_index()
