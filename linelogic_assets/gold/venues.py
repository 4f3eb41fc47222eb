"""Cross-venue gold: how a prediction-market venue's price differs from the sportsbooks' fair price.

`venue_divergence`: for each consensus cell (event × as-of bucket × market × selection) and each venue token
quoting that selection, the venue's probability as of the bucket (its last price at or before the as-of time,
never a later one, and no older than `max_quote_age_minutes`) minus the reference fair probability of the
same cell, by the rule `market_opportunities` judges a quote with (`opportunities.reference_fair`: the devigged
sharp price at the token's own point, else the outlier-trimmed consensus).

The venue's tradable decimal odds at the best ask are `odds_math.taker_decimal_odds` with the market's own taker
fee rate (`prediction_market.fee_rate`).

`venue_odds` turns a venue's book snapshots into sportsbook-shaped quotes (the `odds_snapshot` columns), so
`market_opportunities`, the query API and the backtester price a venue by the same rules as a book: the
bookmaker is the venue, the price is the taker odds at the best ask, and the reads of one event's markets of
one type within `SWEEP_GAP` of each other are one snapshot (until a token is read again: that starts the next),
stamped at the sweep's last read, so both sides of a market are one quote, as a book's are, and no quote is
seen before all of its reads were made.
"""

from __future__ import annotations

from datetime import timedelta

import pandas as pd

from linelogic_assets.config import GoldSettings
from linelogic_assets.gold.asof import prices_asof
from linelogic_assets.gold.consensus import lines_asof
from linelogic_assets.gold.opportunities import CELL_KEY, reference_fair
from linelogic_assets.odds_math import decimal_to_american, taker_decimal_odds

SWEEP_GAP = pd.Timedelta(seconds=60)  # a venue's book reads closer than this are one snapshot (one collector sweep)
VENUE_ODDS_COLUMNS = ["provider", "sport", "canonical_event_id", "provider_event_id", "commence_time_utc",
                      "snapshot_time_utc", "is_live", "bookmaker", "market", "selection", "price", "point",
                      "participant", "price_american"]
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
    if cells.empty:  # no venue price at or before any bucket (none collected yet, or all stale)
        return pd.DataFrame()
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


def venue_odds(markets: pd.DataFrame, prices: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """A venue's best asks as quotes in the `odds_snapshot` shape (see the module): one row per sweep × token,
    the price the taker decimal odds, `is_live` from the canonical event's commence time."""
    out = pd.DataFrame({c: pd.Series(dtype=object) for c in VENUE_ODDS_COLUMNS})
    need = {"token_id", "canonical_event_id", "selection", "venue", "fee_rate"}
    if markets.empty or prices.empty or not need <= set(markets.columns):
        return out
    tokens = markets.dropna(subset=["canonical_event_id", "selection"])[
        ["venue", "sport", "canonical_event_id", "provider_market_id", "market", "selection", "point", "token_id",
         "fee_rate"]].drop_duplicates("token_id")
    asks = prices.loc[prices["source"].eq("ask"), ["token_id", "ts_utc", "price"]]
    q = asks.merge(tokens, on="token_id")
    commence = events.drop_duplicates("canonical_event_id").set_index("canonical_event_id")["commence_time_utc"]
    q = q[q["canonical_event_id"].isin(commence.index)]
    if q.empty:
        return out
    q = q.assign(ts_utc=pd.to_datetime(q["ts_utc"], utc=True))
    sweep_key = ["canonical_event_id", "venue", "market"]
    q = q.sort_values([*sweep_key, "ts_utc", "token_id"], kind="stable").reset_index(drop=True)
    gap = q.groupby(sweep_key, sort=False)["ts_utc"].diff()
    run = (gap.isna() | (gap > SWEEP_GAP)).cumsum()  # reads chained within the gap: a run of sweeps
    # within a run, a token's n-th read belongs to the run's n-th sweep (a collector reading every few
    # seconds chains its sweeps; a token read again starts the next one)
    nth = q.groupby([run, q["token_id"]], sort=False).cumcount()
    q = q.assign(snapshot_time_utc=q.groupby([run, nth])["ts_utc"].transform("max"))
    price = taker_decimal_odds(q["price"].to_numpy(float), q["fee_rate"].fillna(0.0).to_numpy(float))
    start = pd.to_datetime(q["canonical_event_id"].map(commence), utc=True)
    q = q.assign(price=price, commence_time_utc=start)[price > 1.0]  # an ask of 1 (or none) wins nothing
    frame = pd.DataFrame({
        "provider": q["venue"], "sport": q["sport"], "canonical_event_id": q["canonical_event_id"],
        "provider_event_id": q["provider_market_id"], "commence_time_utc": q["commence_time_utc"],
        "snapshot_time_utc": q["snapshot_time_utc"], "is_live": q["snapshot_time_utc"] >= q["commence_time_utc"],
        "bookmaker": q["venue"], "market": q["market"], "selection": q["selection"], "price": q["price"],
        "point": q["point"].astype(float), "participant": None,
        "price_american": decimal_to_american(q["price"].to_numpy(float)),
    })
    return frame.sort_values(["canonical_event_id", "snapshot_time_utc", "market", "selection"],
                             kind="stable").reset_index(drop=True)


def venue_lines(markets: pd.DataFrame, prices: pd.DataFrame, events: pd.DataFrame, points: pd.DataFrame,
                settings: GoldSettings) -> pd.DataFrame:
    """The venues' taker quotes (`venue_odds`) as book lines at as-of `points`, by the books' one as-of rule.

    They join a search for the best price; they never enter the consensus they are judged by."""
    return lines_asof(venue_odds(markets, prices, events), points, settings)
