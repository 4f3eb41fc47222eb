"""Book lines and consensus: every book's market devigged at each as-of point, then aggregated.

`book_lines` puts each book's quotes of one market at one as-of point into a row of a price matrix
(home/over, away/under, draw) and devigs all rows at once per method (`odds_math.devig_many`). A
market is *complete* when every selection is quoted (spreads: home point = −away point; totals:
one point); only complete markets get fair probabilities, so each book's fair vector sums to 1.

`consensus` aggregates across books per event × as-of point × market × selection: price and point
mean/median/dispersion, the mean fair probability per method over complete books (it sums to 1
because every book contributes to every selection), an outlier-trimmed consensus and a sharp-only
one (Pinnacle / Circa).

Outliers: a book is an outlier in a cell when its fair probability of the first selection lies more
than `trim_mads` × max(1.4826·MAD, `trim_floor`) from the books' median — an illiquid exchange
quote of 1.01 is dropped whole (both sides), so the trimmed vector still sums to 1.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd

from linelogic_assets.config import GoldSettings
from linelogic_assets.gold.asof import quotes_asof, snapshot_points
from linelogic_assets.gold.keys import key_codes, sorted_codes
from linelogic_assets.gold.schemas import GOLD_SCHEMAS
from linelogic_assets.odds_math import METHODS, devig_groups
from linelogic_assets.registry.books import SHARP_BOOKS, is_exchange

POSITION = {"home": 0, "over": 0, "away": 1, "under": 1, "draw": 2}
FAIR_COLS = [f"fair_prob_{m}" for m in METHODS]
POINT_KEY = ["canonical_event_id", "bucket", "asof_time_utc"]
BOOK_KEY = [*POINT_KEY, "bookmaker", "market"]
CELL_KEY = [*POINT_KEY, "market"]


def line_key(df: pd.DataFrame) -> pd.Series:
    """The line a quote belongs to: its point, with a spread's away point negated (home −3.5 ↔ away +3.5);
    NaN for h2h. + 0.0 turns a pick'em's −0.0 into 0.0 so both sides share one line."""
    point = df["point"].astype(float)
    market = df["market"]
    spread = market.isin([m for m in market.unique() if isinstance(m, str) and "spread" in m])  # per name, not row
    flip = spread & df["selection"].eq("away")
    return point.where(~flip, -point) + 0.0


def book_lines(quotes: pd.DataFrame, settings: GoldSettings) -> pd.DataFrame:
    """Quotes as of points (`asof.quotes_asof`) → one row per book × market × selection with fair probabilities."""
    q = quotes[quotes["market"].isin(settings.markets) & quotes["participant"].isna()
               & quotes["selection"].isin(list(POSITION))]
    # one line per book and market: a book listing alternate lines in a main market keeps the line
    # closest to even money (its main line), both sides from that same line
    # one integer per book × market × as-of point, in the key's sort order: the grouping, sorting and joins below
    # then work on a number instead of five columns (three of them strings), in the same order
    q = q.assign(_book=sorted_codes(q[BOOK_KEY]), _line=line_key(q).fillna(0.0), _tilt=(1.0 / q["price"] - 0.5).abs())
    tilt = q.groupby(["_book", "_line"], sort=False)["_tilt"].transform("max")
    q = q.assign(_tilt=tilt).sort_values(["_book", "_tilt", "_line", "selection"])
    main = q.drop_duplicates("_book")[["_book", "_line"]]
    q = q.merge(main, on=["_book", "_line"]).drop_duplicates(["_book", "selection"])
    q = q.drop(columns=["_line", "_tilt"]).reset_index(drop=True)
    if q.empty:
        return _empty_lines(q.drop(columns="_book"))
    group = pd.factorize(q["_book"])[0]  # markets numbered in order of appearance
    pos = q["selection"].map(POSITION).to_numpy()
    # two-way, or h2h with a draw; both sides share one line already, but a spread or total needs its point
    h2h = q["market"].eq("h2h").groupby(group).first().to_numpy()
    draw = q["selection"].eq("draw").groupby(group).any().to_numpy()
    pointless = (q["point"].isna() & q["market"].isin(["spreads", "totals"])).groupby(group).any().to_numpy()
    width = np.where(pointless, 0, np.where(h2h & draw, 3, 2))

    out = q[[*BOOK_KEY, "commence_time_utc", "selection", "point", "price", "snapshot_time_utc"]].copy()
    out["implied_prob"] = 1.0 / out["price"]
    price = q["price"].to_numpy(float)
    fair = {m: devig_groups(group, pos, price, width, m) for m in METHODS}
    out["overround"] = fair[METHODS[0]][1]  # a complete market's overround, NaN otherwise
    for m in METHODS:
        out[f"fair_prob_{m}"] = fair[m][0]
    out["fair_prob"] = out[f"fair_prob_{settings.fair_method}"]
    out["quote_age_seconds"] = (out["asof_time_utc"] - out["snapshot_time_utc"]).dt.total_seconds()
    out["is_sharp"] = out["bookmaker"].isin(SHARP_BOOKS)
    books = out["bookmaker"].unique()
    out["is_exchange"] = out["bookmaker"].map(dict(zip(books, map(is_exchange, books), strict=True))).astype(bool)
    out["complete"] = out["overround"].notna()
    out["outlier"] = _outliers(out, group, settings)
    return out


def lines_asof(odds: pd.DataFrame, points: pd.DataFrame, settings: GoldSettings) -> pd.DataFrame:
    """Book lines at as-of points: `asof.quotes_asof` (stale quotes dropped) → `book_lines`."""
    return book_lines(quotes_asof(odds, points, max_age=timedelta(minutes=settings.max_quote_age_minutes)), settings)


def series_lines(odds: pd.DataFrame, settings: GoldSettings) -> pd.DataFrame:
    """Every book's line as of every pregame snapshot time of its event: the consensus path."""
    return lines_asof(odds, snapshot_points(odds), settings)


def _empty_lines(q: pd.DataFrame) -> pd.DataFrame:
    cols = [*BOOK_KEY, "commence_time_utc", "selection", "point", "price", "snapshot_time_utc", "implied_prob",
            "overround", *FAIR_COLS, "fair_prob", "quote_age_seconds", "is_sharp", "is_exchange", "complete",
            "outlier"]
    return pd.DataFrame(columns=cols)


def _outliers(lines: pd.DataFrame, book: np.ndarray, settings: GoldSettings) -> np.ndarray:
    """Per line, whether its book's market is an outlier in its cell; `book` numbers the lines' BOOK_KEY."""
    is_first = (lines["complete"] & lines["selection"].map(POSITION).eq(0)).to_numpy()
    first = lines[is_first]
    x = first["fair_prob"]
    cell = first.groupby(CELL_KEY, sort=False).ngroup().to_numpy()  # -1: a key with a gap, in no cell
    med = x.groupby(cell, sort=False).transform("median").where(cell >= 0)
    mad = (x - med).abs().groupby(cell, sort=False).transform("median")
    limit = settings.trim_mads * np.maximum(1.4826 * mad, settings.trim_floor)
    bad = book[is_first][((x - med).abs() > limit).to_numpy()]  # a book's market is dropped whole, both sides
    return np.isin(book, bad)


def _iqr(s: pd.core.groupby.SeriesGroupBy) -> pd.Series:
    return s.quantile(0.75) - s.quantile(0.25)


def consensus(lines: pd.DataFrame) -> pd.DataFrame:
    """Book lines → one row per event × as-of point × market × selection (see the module docstring)."""
    key = [*CELL_KEY, "commence_time_utc", "selection"]
    if lines.empty:  # a slate with no quote yet: every column, no row
        return pd.DataFrame(columns=GOLD_SCHEMAS["consensus_lines"].names)
    # one integer per consensus row (in order of appearance): the aggregations group on it, not on six columns
    lines = lines.assign(_cell=key_codes([lines], key)[0])
    g = lines.groupby("_cell", sort=False)
    out = pd.DataFrame({
        "n_books": g["bookmaker"].nunique(),
        "price_mean": g["price"].mean(), "price_median": g["price"].median(), "price_std": g["price"].std(),
        "price_iqr": _iqr(g["price"]), "price_best": g["price"].max(),
        "point_mean": g["point"].mean(), "point_median": g["point"].median(), "point_std": g["point"].std(),
        "point_iqr": _iqr(g["point"]), "implied_prob_mean": g["implied_prob"].mean(),
        "oldest_snapshot_utc": g["snapshot_time_utc"].min(), "latest_snapshot_utc": g["snapshot_time_utc"].max(),
    })
    done = lines[lines["complete"]]
    fair = done.groupby("_cell", sort=False)[[*FAIR_COLS, "fair_prob"]].mean()
    kept = done[~done["outlier"]].groupby("_cell", sort=False)
    trimmed = pd.DataFrame({"trimmed_n_books": kept["bookmaker"].nunique(),
                            "trimmed_price_mean": kept["price"].mean(), "trimmed_fair_prob": kept["fair_prob"].mean()})
    sharp_rows = done[done["is_sharp"]]
    sharp_g = sharp_rows.groupby("_cell", sort=False)
    books = sharp_rows[["_cell", "bookmaker"]].drop_duplicates().sort_values(["_cell", "bookmaker"])  # names sorted
    sharp = pd.DataFrame({"sharp_books": books.groupby("_cell", sort=False)["bookmaker"].agg(",".join),
                          "sharp_point": sharp_g["point"].median(), "sharp_fair_prob": sharp_g["fair_prob"].mean()})
    stats = out.join(fair).join(trimmed).join(sharp)
    keys = lines.drop_duplicates("_cell")[key]  # each row's key, in the same order of appearance
    out = pd.concat([keys.reset_index(drop=True), stats.reset_index(drop=True)], axis=1)
    out["fair_price"] = 1.0 / out["fair_prob"]
    out["sharp_fair_price"] = 1.0 / out["sharp_fair_prob"]
    out["trimmed_n_books"] = out["trimmed_n_books"].fillna(0)
    return out
