"""Closing line value: every book's price at every bucket against the closing fair probability.

The closing reference is the sharp close (devigged Pinnacle / Circa at the CLOSE bucket) when a sharp
book quoted the market, else the consensus close. CLV % = price × closing fair probability − 1, the
expected return of the bet priced at the close; it is only defined at the closing point (h2h always).
For spreads and totals `clv_points` measures the line instead: points gained on the closing line
for that selection (a home bet at −3.5 that closes −5.5 gained 2; an over at 220 that closes 224
gained 4).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

KEY = ["canonical_event_id", "market", "selection"]


def closing_reference(cons: pd.DataFrame, close_bucket: str) -> pd.DataFrame:
    close = cons[cons["bucket"] == close_bucket]
    sharp = close["sharp_fair_prob"].notna()
    return pd.DataFrame({
        **{k: close[k] for k in KEY},
        "close_source": np.where(sharp, "sharp", "consensus"),
        "close_fair_prob": close["sharp_fair_prob"].where(sharp, close["fair_prob"]),
        "close_point": close["sharp_point"].where(sharp, close["point_median"]),
    }).dropna(subset=["close_fair_prob"])


def clv_columns(rows: pd.DataFrame) -> pd.DataFrame:
    """`rows` (market, selection, point, price, close_fair_prob, close_point) with same_point, clv_pct,
    clv_points and beat_close added: the one CLV rule, for gold's table and for the bets a backtest placed."""
    rows = rows.copy()
    h2h = rows["market"].eq("h2h")
    rows["same_point"] = h2h | rows["point"].eq(rows["close_point"])
    rows["clv_pct"] = (rows["price"] * rows["close_fair_prob"] - 1.0).where(rows["same_point"])
    gained = np.where(rows["selection"].eq("over"), rows["close_point"] - rows["point"],
                      rows["point"] - rows["close_point"])
    rows["clv_points"] = pd.Series(gained, index=rows.index, dtype=float).where(~h2h)
    beat = rows["clv_pct"].gt(0).where(rows["same_point"], rows["clv_points"].gt(0))
    rows["beat_close"] = beat.where(rows["close_fair_prob"].notna() & (rows["same_point"] | rows["clv_points"].notna()))
    return rows


def clv_evaluation(lines: pd.DataFrame, cons: pd.DataFrame, close_bucket: str) -> pd.DataFrame:
    """Book lines at the buckets → one CLV row per bucket × book × market × selection."""
    cols = ["canonical_event_id", "bucket", "asof_time_utc", "bookmaker", "market", "selection", "point", "price",
            "implied_prob", "fair_prob"]
    rows = lines[cols].merge(closing_reference(cons, close_bucket), on=KEY)
    rows["close_fair_price"] = 1.0 / rows["close_fair_prob"]
    return clv_columns(rows)
