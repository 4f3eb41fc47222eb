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

import pandas as pd

from linelogic_assets.gold.asof import prices_asof
from linelogic_assets.gold.opportunities import CELL_KEY, reference_fair
from linelogic_assets.odds_math import taker_decimal_odds

MID_SOURCES = ("history", "mid")  # what a venue's probability is read from (a trade-history price or a book mid)


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
    mid = prices_asof(cells, prices, MID_SOURCES, max_age,
                {"price": "venue_prob", "ts_utc": "venue_price_time_utc"})
    cells = cells.join(mid)
    for side in ("bid", "ask"):
        book = prices_asof(cells, prices, (side,), max_age, {"price": f"venue_{side}", "size": f"venue_{side}_size"})
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
