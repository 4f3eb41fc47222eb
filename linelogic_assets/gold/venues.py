"""Cross-venue gold: how a prediction-market venue's price differs from the sportsbooks' fair price.

`venue_divergence`: for each consensus cell (event × as-of bucket × market × selection) and each venue token
quoting that selection, the venue's probability as of the bucket (its last price at or before the as-of time,
never a later one, and no older than `max_quote_age_minutes`) minus the reference fair probability of the
same cell, by the rule `market_opportunities` judges a quote with (`opportunities.reference_fair`: the devigged
sharp price at the token's own point, else the outlier-trimmed consensus).

The venue's tradable decimal odds at the best ask are `odds_math.taker_decimal_odds` with the market's own taker
fee rate (`prediction_market.fee_rate`).
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd

from linelogic_assets.gold.opportunities import CELL_KEY, reference_fair
from linelogic_assets.odds_math import taker_decimal_odds

MID_SOURCES = ("history", "mid")  # what a venue's probability is read from (a trade-history price or a book mid)


def _asof(cells: pd.DataFrame, prices: pd.DataFrame, sources: tuple[str, ...], max_age: timedelta,
          columns: dict[str, str]) -> pd.DataFrame:
    """Row-aligned with `cells`: each cell's last price row of `sources` at or before its as-of time and no
    older than `max_age`, as `columns` (price column → output name); NaN where there is none."""
    src = prices.loc[prices["source"].isin(sources), list(dict.fromkeys(["token_id", "ts_utc", *columns]))]
    out = pd.DataFrame({name: np.full(len(cells), np.nan, dtype=object if name.endswith("_utc") else float)
                        for name in columns.values()}, index=cells.index)
    if src.empty or cells.empty:
        return out
    key = "datetime64[ns, UTC]"  # one resolution both sides: silver Parquet reads as us, gold DuckDB as us or ns
    left = pd.DataFrame({"token_id": cells["token_id"].to_numpy(), "row": np.arange(len(cells)),
                         "asof": pd.to_datetime(cells["asof_time_utc"], utc=True).astype(key).to_numpy()})
    left["asof"] = left["asof"].astype(key)
    right = src.assign(asof=pd.to_datetime(src["ts_utc"], utc=True).astype(key)).sort_values("asof", kind="stable")
    got = pd.merge_asof(left.sort_values("asof", kind="stable"), right, on="asof", by="token_id",
                        direction="backward", tolerance=pd.Timedelta(max_age))
    got = got.set_index("row").sort_index()[list(columns)].rename(columns=columns)  # keeps the UTC dtype
    got.index = cells.index
    return got


def venue_divergence(markets: pd.DataFrame, prices: pd.DataFrame, consensus: pd.DataFrame,
                     max_age: timedelta) -> pd.DataFrame:
    """One row per consensus cell × venue token of the same event, market and selection (see the module)."""
    if markets.empty or consensus.empty:
        return pd.DataFrame()
    tokens = markets[["venue", "canonical_event_id", "market", "selection", "point", "token_id",
                      "provider_market_id", "fee_rate"]].dropna(subset=["canonical_event_id"])
    cells = consensus[[*CELL_KEY, "commence_time_utc"]].merge(tokens, on=["canonical_event_id", "market", "selection"])
    if cells.empty:
        return pd.DataFrame()
    mid = _asof(cells, prices, MID_SOURCES, max_age,
                {"price": "venue_prob", "ts_utc": "venue_price_time_utc"})
    cells = cells.join(mid)
    for side in ("bid", "ask"):
        book = _asof(cells, prices, (side,), max_age, {"price": f"venue_{side}", "size": f"venue_{side}_size"})
        cells = cells.join(book)
    cells = cells[cells["venue_prob"].notna()].reset_index(drop=True)
    ref = reference_fair(cells.assign(is_sharp=False, complete=True, bookmaker=cells["venue"],
                                      _h2h=cells["market"].eq("h2h")), consensus)
    age = (cells["asof_time_utc"] - cells["venue_price_time_utc"]).dt.total_seconds()
    return cells.assign(
        venue_age_seconds=age,
        fair_prob=ref["fair_prob"].to_numpy(),
        fair_source=ref["fair_source"].to_numpy(),
        divergence=cells["venue_prob"].to_numpy(float) - ref["fair_prob"].to_numpy(float),
        venue_taker_odds=taker_decimal_odds(cells["venue_ask"].to_numpy(float), cells["fee_rate"].fillna(0.0).to_numpy(float)),
    ).rename(columns={"fee_rate": "venue_fee_rate"})
