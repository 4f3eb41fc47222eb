"""The gold tables' Arrow schemas: every column's name, type and order, as stored in DuckDB.

Every gold table carries `sport` and `slate_date`, the two partition dimensions the DuckDB IO
manager replaces a partition by.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from linelogic_assets.odds_math import METHODS
from linelogic_assets.silver.schemas import conform

TS = pa.timestamp("us", tz="UTC")
S, F, INT, B = pa.string(), pa.float64(), pa.int32(), pa.bool_()
FAIR = [(f"fair_prob_{m}", F) for m in METHODS]
PARTITION = [("sport", S), ("slate_date", pa.date32())]

GOLD_SCHEMAS: dict[str, pa.Schema] = {
    "book_lines": pa.schema([
        ("canonical_event_id", S), *PARTITION, ("bucket", S), ("asof_time_utc", TS), ("commence_time_utc", TS),
        ("bookmaker", S), ("market", S), ("selection", S), ("point", F), ("price", F), ("implied_prob", F),
        ("overround", F), *FAIR, ("fair_prob", F), ("snapshot_time_utc", TS), ("quote_age_seconds", F),
        ("is_sharp", B), ("is_exchange", B), ("complete", B), ("outlier", B),
    ]),
    "consensus_lines": pa.schema([
        ("canonical_event_id", S), *PARTITION, ("bucket", S), ("asof_time_utc", TS), ("commence_time_utc", TS),
        ("market", S), ("selection", S), ("n_books", INT),
        ("price_mean", F), ("price_median", F), ("price_std", F), ("price_iqr", F), ("price_best", F),
        ("point_mean", F), ("point_median", F), ("point_std", F), ("point_iqr", F), ("implied_prob_mean", F),
        *FAIR, ("fair_prob", F), ("fair_price", F),
        ("trimmed_n_books", INT), ("trimmed_price_mean", F), ("trimmed_fair_prob", F),
        ("sharp_books", S), ("sharp_point", F), ("sharp_fair_prob", F), ("sharp_fair_price", F),
        ("oldest_snapshot_utc", TS), ("latest_snapshot_utc", TS),
    ]),
    "odds_movement_features": pa.schema([
        ("canonical_event_id", S), *PARTITION, ("commence_time_utc", TS), ("market", S), ("selection", S),
        ("bookmaker", S), ("n_obs", INT), ("open_time_utc", TS), ("close_time_utc", TS),
        ("open_price", F), ("close_price", F), ("price_delta", F),
        ("open_point", F), ("close_point", F), ("point_delta", F),
        ("open_prob", F), ("close_prob", F), ("prob_delta", F),
        ("price_std", F), ("price_range", F), ("prob_std", F), ("prob_range", F), ("point_range", F),
        ("t60_price", F), ("t60_point", F), ("t60_prob", F),
        ("late_move_price", F), ("late_move_point", F), ("late_move_prob", F),
        ("slope_prob_per_hour", F), ("slope_point_per_hour", F), ("reversals", INT), ("late_reversal", B),
    ]),
    "pregame_training_rows": pa.schema([
        ("canonical_event_id", S), *PARTITION, ("season", INT), ("bucket", S), ("asof_time_utc", TS),
        ("commence_time_utc", TS), ("home_team_id", S), ("away_team_id", S),
        # labels
        ("status", S), ("home_score", INT), ("away_score", INT), ("home_win", B), ("margin", INT), ("total", INT),
        # market features, from quotes at or before asof_time_utc only
        ("h2h_n_books", INT), ("h2h_home_fair_prob", F), ("h2h_home_trimmed_fair_prob", F),
        ("h2h_home_sharp_fair_prob", F), ("spread_home_point", F), ("spread_home_fair_prob", F),
        ("total_point", F), ("total_over_fair_prob", F),
        ("h2h_home_prob_open", F), ("h2h_home_prob_delta", F), ("h2h_home_prob_std", F),
        ("spread_point_delta", F), ("total_point_delta", F), ("n_snapshots", INT),
        ("features_latest_snapshot_utc", TS),
        # team form, from games that ended before asof_time_utc only
        ("home_form_games", INT), ("home_win_pct", F), ("home_pts_for", F), ("home_pts_against", F),
        ("home_rest_days", F),
        ("away_form_games", INT), ("away_win_pct", F), ("away_pts_for", F), ("away_pts_against", F),
        ("away_rest_days", F), ("form_latest_game_end_utc", TS),
    ]),
    "clv_evaluation": pa.schema([
        ("canonical_event_id", S), *PARTITION, ("bucket", S), ("asof_time_utc", TS), ("bookmaker", S),
        ("market", S), ("selection", S), ("point", F), ("price", F), ("implied_prob", F), ("fair_prob", F),
        ("close_source", S), ("close_point", F), ("close_fair_prob", F), ("close_fair_price", F),
        ("same_point", B), ("clv_pct", F), ("clv_points", F), ("beat_close", B),
    ]),
    "market_opportunities": pa.schema([
        ("canonical_event_id", S), *PARTITION, ("snapshot_time_utc", TS), ("minutes_to_commence", F),
        ("market", S), ("kind", S), ("line", F), ("selection", S), ("point", F), ("bookmaker", S),
        ("price", F), ("fair_prob", F), ("fair_source", S), ("edge", F), ("stake_share", F),
        ("books_compared", INT),
    ]),
    # a prediction-market venue's probability against the sportsbooks' fair price, per consensus cell (venues.py)
    "venue_divergence": pa.schema([
        ("canonical_event_id", S), *PARTITION, ("bucket", S), ("asof_time_utc", TS), ("commence_time_utc", TS),
        ("market", S), ("selection", S), ("point", F), ("venue", S), ("provider_market_id", S), ("token_id", S),
        ("venue_prob", F), ("venue_price_time_utc", TS), ("venue_age_seconds", F), ("venue_bid", F),
        ("venue_bid_size", F), ("venue_ask", F), ("venue_ask_size", F), ("venue_fee_rate", F), ("venue_taker_odds", F),
        ("fair_prob", F), ("fair_source", S), ("divergence", F),
    ]),
}

# what a column means, shown in the Dagster UI's column schema (tables without an entry show types only)
GOLD_DESCRIPTIONS: dict[str, dict[str, str]] = {
    "venue_divergence": {
        "canonical_event_id": "canonical event",
        "sport": "sport key",
        "slate_date": "league-local slate date of the game",
        "bucket": "as-of bucket (OPEN, T-6h, T-60m, T-15m, CLOSE)",
        "asof_time_utc": "the bucket's as-of time; nothing later is read",
        "commence_time_utc": "scheduled start",
        "market": "h2h, spreads or totals",
        "selection": "home, away, over or under",
        "point": "the token's line on the sportsbook convention (home -1.5 = home gives 1.5); null for h2h",
        "venue": "prediction-market venue",
        "provider_market_id": "the venue's market id",
        "token_id": "the venue's outcome token",
        "venue_prob": "the token's last history price or book mid at or before the as-of time",
        "venue_price_time_utc": "time of that price",
        "venue_age_seconds": "as-of time minus the price's time",
        "venue_bid": "best bid of the last book read at or before the as-of time",
        "venue_bid_size": "shares at the best bid",
        "venue_ask": "best ask of the last book read at or before the as-of time",
        "venue_ask_size": "shares at the best ask",
        "venue_fee_rate": "the venue's taker fee rate (fee per share = rate x p x (1 - p))",
        "venue_taker_odds": "decimal odds a taker gets at the best ask, fee included",
        "fair_prob": "the sportsbooks' devigged fair probability: sharp at the same point, else the trimmed consensus",
        "fair_source": "sharp or consensus",
        "divergence": "venue_prob - fair_prob",
    },
}

GOLD_SORT_KEYS: dict[str, list[str]] = {
    "book_lines": ["canonical_event_id", "asof_time_utc", "bucket", "market", "bookmaker", "selection"],
    "consensus_lines": ["canonical_event_id", "asof_time_utc", "bucket", "market", "selection"],
    "odds_movement_features": ["canonical_event_id", "market", "bookmaker", "selection"],
    "pregame_training_rows": ["canonical_event_id", "asof_time_utc", "bucket"],
    "clv_evaluation": ["canonical_event_id", "asof_time_utc", "bucket", "market", "bookmaker", "selection"],
    "market_opportunities": ["canonical_event_id", "snapshot_time_utc", "market", "kind", "selection", "bookmaker"],
    "venue_divergence": ["canonical_event_id", "asof_time_utc", "bucket", "market", "selection", "venue", "token_id"],
}
GOLD_TABLES = tuple(GOLD_SCHEMAS)


def gold_table(table: str, frame: pd.DataFrame | pa.Table) -> pa.Table:
    """The frame as exactly the gold table's columns, types and row order (what DuckDB stores)."""
    return conform(table, frame, GOLD_SCHEMAS, GOLD_SORT_KEYS)
