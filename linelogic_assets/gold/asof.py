"""The one as-of rule of LineLogic: a book's market as of time t is its last snapshot at or before t.

Never the nearest snapshot, never a later one: a backtest that decides at t cannot know a price
published after t. Gold buckets, the consensus series, opportunities and the backtester read quotes
through `quotes_asof` (many events × many as-of points, a merge); the query API through `quotes_asof_at`,
the same rule for one event at one time (a single numpy pass over an Arrow table, for latency).
`linelogic_assets_tests/gold/test_asof.py` proves the two return the same rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from linelogic_assets.bronze.planning import CLOSE_EPSILON
from linelogic_assets.gold.keys import key_codes
from linelogic_assets.timeutil import micros, require_aware

MARKET_KEY = ["canonical_event_id", "bookmaker", "market"]


def asof_points(events: pd.DataFrame, odds: pd.DataFrame, windows: Sequence[tuple[str, int]],
                now: datetime | None) -> pd.DataFrame:
    """One row per event × configured window: (canonical_event_id, bucket, asof_time_utc, commence_time_utc).

    A window's as-of time is commence + its offset, except OPEN, which is "first seen": the event's
    first pregame snapshot (its nominal offset only tells the collector when to look). Buckets later
    than `now` (the data's horizon) are not emitted yet; a rebuild after that time adds them.
    """
    ev = events[["canonical_event_id", "commence_time_utc"]].drop_duplicates("canonical_event_id")
    pre = odds.loc[~odds["is_live"].astype(bool), ["canonical_event_id", "snapshot_time_utc"]]
    first = pre.groupby("canonical_event_id")["snapshot_time_utc"].min().rename("first_seen")
    ev = ev.merge(first, on="canonical_event_id", how="left")
    rows = []
    for name, offset in windows:
        at = ev["commence_time_utc"] + pd.Timedelta(minutes=offset)
        if name == "OPEN":  # the opening line: the event's first pregame snapshot, whenever it was
            at = ev["first_seen"].fillna(at)
        rows.append(pd.DataFrame({"canonical_event_id": ev["canonical_event_id"], "bucket": name,
                                  "asof_time_utc": at, "commence_time_utc": ev["commence_time_utc"]}))
    points = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(
        columns=["canonical_event_id", "bucket", "asof_time_utc", "commence_time_utc"])
    if now is not None:
        points = points[points["asof_time_utc"] <= pd.Timestamp(now)]
    return points.reset_index(drop=True)


def close_source(points: pd.DataFrame, lines: pd.DataFrame, bucket: str, staleness: timedelta,
                 examples: int = 10) -> dict:
    """Where each event's CLOSE bucket came from. The as-of rule gives a book's last pregame quote at or
    before commence, so when the CLOSE window's own snapshot is missing (a missed window, a failed run)
    CLOSE falls back to an earlier snapshot, T-15m's or older, without a gap to show it. Per event, by its
    freshest CLOSE quote: `close_snapshot` when that lies within the window's `staleness` of the CLOSE
    target (commence − 1 s), else `earlier_snapshot`; `no_quote` when no book quoted at all. With the
    oldest such quote's age (`max_age_minutes`) and some fallback event ids."""
    due = points.loc[points["bucket"] == bucket, "canonical_event_id"].drop_duplicates()
    close = lines[lines["bucket"] == bucket]
    g = close.groupby("canonical_event_id")
    age = pd.to_timedelta(g["asof_time_utc"].max() - g["snapshot_time_utc"].max()).dt.total_seconds()
    on_time = age <= (staleness + CLOSE_EPSILON).total_seconds()
    return {
        "close_snapshot": int(on_time.sum()),
        "earlier_snapshot": int((~on_time).sum()),
        "no_quote": int((~due.isin(age.index)).sum()),
        "max_age_minutes": round(float(age.max()) / 60, 1) if len(age) else 0.0,
        "fallback_events": sorted(age.index[~on_time])[:examples],
    }


def snapshot_points(odds: pd.DataFrame) -> pd.DataFrame:
    """Every distinct pregame snapshot time of every event as an as-of point (the consensus series)."""
    pre = odds.loc[~odds["is_live"].astype(bool), ["canonical_event_id", "snapshot_time_utc", "commence_time_utc"]]
    pts = pre.drop_duplicates(["canonical_event_id", "snapshot_time_utc"]).rename(
        columns={"snapshot_time_utc": "asof_time_utc"})
    pts.insert(1, "bucket", "SNAPSHOT")
    return pts.sort_values(["canonical_event_id", "asof_time_utc"]).reset_index(drop=True)


def quotes_asof(odds: pd.DataFrame, points: pd.DataFrame, *, max_age: timedelta | None = None,
                pregame_only: bool = True) -> pd.DataFrame:
    """Each book's market as of each point: the rows of its last snapshot at or before `asof_time_utc`.

    `points` has canonical_event_id and asof_time_utc (plus any label columns, e.g. bucket, which are
    carried through). A quote older than `max_age` at the point is stale and left out. Pregame only by
    default: an in-play price is another market.
    """
    if pregame_only:
        odds = odds[~odds["is_live"].astype(bool)]
    carried = [c for c in points.columns if c not in ("canonical_event_id", "asof_time_utc")]
    out_cols = [*points.columns, *[c for c in odds.columns if c not in points.columns]]
    if odds.empty or points.empty:
        return pd.DataFrame(columns=out_cols)
    # one integer per book × market of an event: the joins below then match on a number, not on three strings
    odds = odds.assign(_market=key_codes([odds], MARKET_KEY)[0])
    snaps = odds[["_market", "snapshot_time_utc"]].drop_duplicates()
    points = points.assign(asof_time_utc=points["asof_time_utc"].astype(snaps["snapshot_time_utc"].dtype))
    markets = odds[["canonical_event_id", "_market"]].drop_duplicates("_market")
    combos = points[["canonical_event_id", "asof_time_utc", *carried]].merge(markets, on="canonical_event_id")
    found = pd.merge_asof(
        combos.sort_values("asof_time_utc"), snaps.sort_values("snapshot_time_utc"),
        left_on="asof_time_utc", right_on="snapshot_time_utc", by="_market",
        direction="backward", allow_exact_matches=True)  # at or before, never after
    found = found.dropna(subset=["snapshot_time_utc"])
    if max_age is not None:
        found = found[found["asof_time_utc"] - found["snapshot_time_utc"] <= max_age]
    rows = found.merge(odds.drop(columns=[c for c in (*carried, "canonical_event_id") if c in odds.columns]),
                       on=["_market", "snapshot_time_utc"])
    return rows[out_cols].reset_index(drop=True)


def prices_asof(cells: pd.DataFrame, prices: pd.DataFrame, sources: tuple[str, ...], max_age: timedelta,
          columns: dict[str, str]) -> pd.DataFrame:
    """The as-of rule for a token's price series, row-aligned with `cells` (token_id, asof_time_utc): each
    cell's last price row of `sources` at or before its as-of time (never a later one) and no older than
    `max_age`, as `columns` (price column → output name); NaN where there is none."""
    src = prices.loc[prices["source"].isin(sources), list(dict.fromkeys(["token_id", "ts_utc", *columns]))]
    out = pd.DataFrame({name: pd.Series(pd.NaT, index=cells.index, dtype="datetime64[ns, UTC]")
                        if name.endswith("_utc") else pd.Series(np.nan, index=cells.index, dtype=float)
                        for name in columns.values()}, index=cells.index)
    if src.empty or cells.empty:
        return out
    key = "datetime64[ns, UTC]"  # one resolution both sides: silver Parquet reads as us, gold DuckDB as us or ns
    left = pd.DataFrame({"token_id": cells["token_id"].to_numpy(), "row": np.arange(len(cells)),
                         "asof": pd.to_datetime(cells["asof_time_utc"], utc=True).astype(key).array})
    right = src.assign(asof=pd.to_datetime(src["ts_utc"], utc=True).astype(key)).sort_values("asof", kind="stable")
    got = pd.merge_asof(left.sort_values("asof", kind="stable"), right, on="asof", by="token_id",
                        direction="backward", tolerance=pd.Timedelta(max_age))
    got = got.set_index("row").sort_index()[list(columns)].rename(columns=columns)  # keeps the UTC dtype
    got.index = cells.index
    return got


def string_codes(col: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, int]:
    """Integer codes of a string (or dictionary) column and how many there can be (nulls get their own)."""
    if isinstance(col, pa.ChunkedArray):
        if col.num_chunks != 1 and pa.types.is_dictionary(col.type):
            col = pc.cast(col, col.type.value_type)  # chunks may carry different dictionaries
        col = col.combine_chunks()
    if not pa.types.is_dictionary(col.type):
        col = pc.dictionary_encode(col)
    n = len(col.dictionary)
    return pc.fill_null(col.indices, n).to_numpy(zero_copy_only=False).astype(np.int64), n + 1


def quotes_asof_at(odds: pa.Table, at: datetime | None = None, *, pregame_only: bool = False) -> pa.Table:
    """`quotes_asof` for one event at one time: the rows of each bookmaker × market's last snapshot at or before
    `at` (no bound when None), all rows of that one snapshot, never a later row whatever its distance.

    A single numpy pass over the event's rows, about 40× faster than the general merge for a latency-bound
    query. A row without a snapshot time is never "as of" anything."""
    if at is not None:
        at = require_aware(at)
    if odds.num_rows == 0:
        return odds
    snap = odds["snapshot_time_utc"]
    if snap.type != pa.timestamp("us", tz="UTC"):
        snap = pc.cast(snap, pa.timestamp("us", tz="UTC"))
    keep = pc.is_valid(snap).to_numpy(zero_copy_only=False)
    times = pc.fill_null(pc.cast(snap, pa.int64()), 0).to_numpy()
    if at is not None:
        keep &= times <= micros(at)
    if pregame_only:
        keep &= ~pc.fill_null(odds["is_live"], False).to_numpy(zero_copy_only=False)
    cand = np.flatnonzero(keep)
    if len(cand) == 0:
        return odds.slice(0, 0)
    book, n_book = string_codes(odds["bookmaker"])
    market, n_market = string_codes(odds["market"])
    key = book[cand] * n_market + market[cand]
    last = np.full(n_book * n_market, np.iinfo(np.int64).min, np.int64)
    np.maximum.at(last, key, times[cand])
    return odds.take(pa.array(cand[times[cand] == last[key]], pa.int64()))
