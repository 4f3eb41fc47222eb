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

# the devig methods behind the fair_prob_{method} columns (odds_math); fair_prob is the configured one
_DEVIG = {
    "multiplicative": "multiplicative devig (implied / booksum)",
    "additive": "additive devig (implied - overround / n)",
    "power": "power devig (implied^k, summing to 1)",
    "shin": "Shin devig (insider-share model)",
    "odds_ratio": "odds-ratio devig (Cheung)",
}
_SHARED = {  # columns that mean the same in every gold table that has them
    "canonical_event_id": "canonical event",
    "sport": "sport key",
    "slate_date": "league-local slate date of the game",
    "market": "h2h, spreads or totals",
    "commence_time_utc": "scheduled start",
    "selection": "home, away, draw (h2h), over or under",
    "bucket": "as-of bucket (OPEN, T-6h, T-60m, T-15m, CLOSE)",
    "asof_time_utc": "commence + bucket offset (OPEN: the first pregame snapshot); nothing later is read",
    "implied_prob": "1 / price (vig included)",
}
# what each table's own columns mean (a table's entry wins over the shared one)
_OWN: dict[str, dict[str, str]] = {
    "book_lines": {
        "bookmaker": "bookmaker key (sportsbook or exchange)",
        "point": "the book's main line (spreads: home -3.5 = home gives 3.5, away +3.5; totals: the total); "
                 "null for h2h",
        "price": "decimal odds of the book's last pregame snapshot at or before the as-of time",
        "overround": "booksum - 1 of the book's market (its margin; can be < 0 on an exchange); null if "
                     "incomplete",
        **{f"fair_prob_{m}": f"fair probability by {_DEVIG[m]}; "
                             "null for an incomplete market or a failed devig" for m in METHODS},
        "fair_prob": "fair probability by the configured devig method (gold.fair_method, default shin)",
        "snapshot_time_utc": "the book's last pregame snapshot at or before the as-of time (the quote's own)",
        "quote_age_seconds": "as-of time minus snapshot time (quotes older than max_quote_age_minutes are "
                             "dropped)",
        "is_sharp": "the book is a sharp book (pinnacle, circasports)",
        "is_exchange": "the book is a betting exchange (Betfair, Matchbook, Smarkets, Novig, ProphetX)",
        "complete": "every selection of the book's market is quoted at one line; only then is it devigged",
        "outlier": "the market's fair_prob lies > trim_mads x max(1.4826 MAD, trim_floor) from the books' "
                   "median",
    },
    "consensus_lines": {
        "n_books": "books quoting the selection at the as-of time (complete market or not)",
        "price_mean": "mean decimal price across the books",
        "price_median": "median decimal price across the books",
        "price_std": "sample standard deviation of the books' prices; null with one book",
        "price_iqr": "interquartile range (p75 - p25) of the books' prices",
        "price_best": "highest decimal price among the books (each at its own line)",
        "point_mean": "mean of the books' points (spreads: home -3.5 = home gives 3.5; totals: the total); "
                      "null for h2h",
        "point_median": "median of the books' points; null for h2h",
        "point_std": "sample standard deviation of the books' points; null for h2h or with one book",
        "point_iqr": "interquartile range (p75 - p25) of the books' points; null for h2h",
        "implied_prob_mean": "mean of the books' implied probabilities (1 / price, vig included)",
        **{f"fair_prob_{m}": f"mean fair probability by {_DEVIG[m]} over the complete books"
           for m in METHODS},
        "fair_prob": "mean fair probability (gold.fair_method) over the complete books; null if none",
        "fair_price": "1 / fair_prob: the consensus fair decimal odds",
        "trimmed_n_books": "complete books not flagged outlier; 0 when none",
        "trimmed_price_mean": "mean decimal price of those books",
        "trimmed_fair_prob": "mean fair_prob of those books: the outlier-trimmed consensus",
        "sharp_books": "comma-separated sharp books (pinnacle, circasports) with a complete market; null if "
                       "none",
        "sharp_point": "median point of those sharp books; null for h2h or without a sharp book",
        "sharp_fair_prob": "mean fair_prob of the sharp books' complete markets; null without one",
        "sharp_fair_price": "1 / sharp_fair_prob: the sharp fair decimal odds",
        "oldest_snapshot_utc": "earliest snapshot time among the books' quotes",
        "latest_snapshot_utc": "latest snapshot time among the books' quotes (never after the as-of time)",
    },
    "odds_movement_features": {
        "bookmaker": "the book, or consensus: the consensus path (median price and point, mean fair_prob)",
        "n_obs": "pregame observations (the book's own snapshots; consensus: every snapshot time)",
        "open_time_utc": "time of the first pregame observation",
        "close_time_utc": "time of the last observation before commence",
        "open_price": "decimal price at the first observation",
        "close_price": "decimal price at the last pregame observation",
        "price_delta": "close_price - open_price",
        "open_point": "point at the first observation (spreads: home -3.5 = home gives 3.5); null for h2h",
        "close_point": "point at the last pregame observation; null for h2h",
        "point_delta": "close_point - open_point; null for h2h",
        "open_prob": "fair probability (gold.fair_method) at the first observation; null if the market was "
                     "incomplete",
        "close_prob": "fair probability at the last pregame observation",
        "prob_delta": "close_prob - open_prob",
        "price_std": "sample std of the price along the path; null with one observation",
        "price_range": "max - min price along the path",
        "prob_std": "sample std of the fair probability along the path; null with one observation",
        "prob_range": "max - min fair probability along the path",
        "point_range": "max - min point along the path; null for h2h",
        "t60_price": "last price at or before T-60m (commence - 60 min); null when the path starts later",
        "t60_point": "last point at or before T-60m; null for h2h or when the path starts later",
        "t60_prob": "last fair probability at or before T-60m; null when the path starts later",
        "late_move_price": "close_price - t60_price: the move in the last hour",
        "late_move_point": "close_point - t60_point",
        "late_move_prob": "close_prob - t60_prob",
        "slope_prob_per_hour": "least-squares slope of the fair probability over time, per hour; null with "
                               "one observation time",
        "slope_point_per_hour": "least-squares slope of the point over time, per hour; null for h2h or one "
                                "observation time",
        "reversals": "direction flips of the fair probability along the path (flat steps skipped)",
        "late_reversal": "the fair probability's move after T-60m opposes its move from open to T-60m "
                         "(false if either is flat)",
    },
    "pregame_training_rows": {
        "season": "the event's season",
        "asof_time_utc": "the bucket's as-of time; every feature uses only data available then",
        "home_team_id": "canonical home team",
        "away_team_id": "canonical away team",
        "status": "event status when built (scheduled, live, final, postponed, cancelled); not a feature",
        "home_score": "label: home final score; null without a result",
        "away_score": "label: away final score; null without a result",
        "home_win": "label: the home team won (a draw is false); null without a result",
        "margin": "label: home_score - away_score",
        "total": "label: home_score + away_score",
        "h2h_n_books": "books quoting the h2h home price at the as-of time",
        "h2h_home_fair_prob": "consensus fair probability of a home win (mean over complete books)",
        "h2h_home_trimmed_fair_prob": "outlier-trimmed consensus fair probability of a home win",
        "h2h_home_sharp_fair_prob": "sharp books' (pinnacle, circasports) fair probability of a home win; "
                                    "null if none",
        "spread_home_point": "consensus median home spread (home -3.5 = home gives 3.5)",
        "spread_home_fair_prob": "consensus fair probability that home covers (each book at its own line)",
        "total_point": "consensus median total",
        "total_over_fair_prob": "consensus fair probability of the over (each book at its own line)",
        "h2h_home_prob_open": "consensus h2h home fair probability at the event's first pregame snapshot "
                              "that has one",
        "h2h_home_prob_delta": "change of the consensus h2h home fair probability from that snapshot to the "
                               "as-of time",
        "h2h_home_prob_std": "standard deviation of the consensus h2h home fair probability over snapshots "
                             "to date",
        "spread_point_delta": "change of the consensus median home spread from the first snapshot to the "
                              "as-of time",
        "total_point_delta": "change of the consensus median total from the first snapshot to the as-of time",
        "n_snapshots": "the event's pregame snapshot times at or before the as-of time",
        "features_latest_snapshot_utc": "latest quote snapshot behind any market feature (never after the "
                                        "as-of time)",
        "home_form_games": "home team's games in its form: the last form_games (default 10) ended before "
                           "the as-of time",
        "home_win_pct": "share of those games the home team won; null with none",
        "home_pts_for": "home team's mean points scored in those games; null with none",
        "home_pts_against": "home team's mean points conceded in those games; null with none",
        "home_rest_days": "days from the home team's last form game's scheduled start to this one's; null "
                          "with none",
        "away_form_games": "away team's games in its form: the last form_games (default 10) ended before "
                           "the as-of time",
        "away_win_pct": "share of those games the away team won; null with none",
        "away_pts_for": "away team's mean points scored in those games; null with none",
        "away_pts_against": "away team's mean points conceded in those games; null with none",
        "away_rest_days": "days from the away team's last form game's scheduled start to this one's; null "
                          "with none",
        "form_latest_game_end_utc": "latest end (start + the league's max game length) of a game in either "
                                    "team's form",
    },
    "clv_evaluation": {
        "bucket": "as-of bucket of the evaluated quote (OPEN, T-6h, T-60m, T-15m, CLOSE)",
        "asof_time_utc": "the bucket's as-of time",
        "bookmaker": "the book whose quote is evaluated",
        "point": "the quote's line (spreads: home -3.5 = home gives 3.5; totals: the total); null for h2h",
        "price": "the quote's decimal odds at the bucket",
        "fair_prob": "the book's own devigged fair probability at the bucket (gold.fair_method); null if "
                     "incomplete",
        "close_source": "sharp (devigged pinnacle/circasports at CLOSE) when one had a complete market, "
                        "else consensus",
        "close_point": "closing line: the sharp books' median point, else the consensus median; null for h2h",
        "close_fair_prob": "closing fair probability of the selection (sharp, else the consensus fair_prob)",
        "close_fair_price": "1 / close_fair_prob: the fair closing decimal odds",
        "same_point": "the quote is at the closing point (always true for h2h)",
        "clv_pct": "price x close_fair_prob - 1: expected return at the close; null when not at the closing "
                   "point",
        "clv_points": "points gained on the closing line (home -3.5 closing -5.5: +2; over 220 closing 224: "
                      "+4); null for h2h",
        "beat_close": "clv_pct > 0 at the closing point, else clv_points > 0; null when neither is defined",
    },
    "market_opportunities": {
        "snapshot_time_utc": "the as-of point, a pregame snapshot time of the event (not the quote's own)",
        "minutes_to_commence": "minutes from the as-of point to the scheduled start",
        "kind": "arbitrage (one row per leg) or ev (a +EV quote)",
        "line": "the line: spreads the home point (away +5.5 is line -5.5), totals the total; null for h2h",
        "point": "the quote's own point (spreads: home -3.5 = home gives 3.5); null for h2h",
        "bookmaker": "the book or prediction-market venue quoting the price",
        "price": "decimal odds; a venue's are its taker odds at the best ask, fee included",
        "fair_prob": "ev: the fair probability the price is judged against; null for arbitrage",
        "fair_source": "ev: sharp (sharp books at this point) or consensus (trimmed, at its median point); "
                       "null for arbitrage",
        "edge": "arbitrage: guaranteed return 1/S - 1 (S = sum of 1/best price); ev: price x fair_prob - 1",
        "stake_share": "arbitrage: the leg's share of the total stake, (1/price) / S; null for ev",
        "books_compared": "arbitrage: books quoting that line; ev: books in the consensus cell (n_books)",
    },
    "venue_divergence": {
        "asof_time_utc": "the bucket's as-of time; nothing later is read",
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

# what each gold table's columns mean, shown in the Dagster UI's column schema (every gold table has an entry)
GOLD_DESCRIPTIONS: dict[str, dict[str, str | None]] = {
    table: {c: own[c] if c in own else _SHARED.get(c) for c in GOLD_SCHEMAS[table].names}
    for table, own in _OWN.items()}

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
