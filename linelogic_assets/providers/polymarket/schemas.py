"""Arrow schemas, sort keys and column descriptions of the two Polymarket silver tables.

`prediction_market`: one row per (Gamma market, outcome token) of a full-game moneyline, spread or
total. `prediction_price`: prices of one outcome token over time (CLOB history points, and the best
bid, best ask and mid of a /book snapshot). Frames are built through `conform` with these schemas,
so an empty frame still has every column with its type.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

TS = pa.timestamp("us", tz="UTC")
S = pa.string()

PREDICTION_MARKET = pa.schema([
    ("provider_market_id", S), ("provider_event_id", S), ("ticker", S), ("sport", S), ("canonical_event_id", S),
    ("market", S), ("selection", S), ("point", pa.float64()), ("token_id", S), ("outcome", S), ("question", S),
    ("game_start_utc", TS), ("closed", pa.bool_()), ("closed_time_utc", TS), ("volume", pa.float64()),
    ("classified_by", S), ("team_id", S), ("home_team_id", S), ("away_team_id", S), ("game_date", pa.date32()),
    ("outcome_price", pa.float64()), ("venue", S), ("fee_rate", pa.float64()), ("match_method", S),
    ("match_confidence", pa.float64()),
])

PREDICTION_PRICE = pa.schema([
    ("token_id", S), ("ts_utc", TS), ("price", pa.float64()), ("size", pa.float64()), ("source", S),
])

SCHEMAS: dict[str, pa.Schema] = {"prediction_market": PREDICTION_MARKET, "prediction_price": PREDICTION_PRICE}
SORT_KEYS: dict[str, list[str]] = {
    "prediction_market": ["provider_event_id", "provider_market_id", "token_id"],
    "prediction_price": ["token_id", "source", "ts_utc"],
}

DESCRIPTIONS: dict[str, dict[str, str]] = {
    "prediction_market": {
        "provider_market_id": "Gamma market id",
        "provider_event_id": "Gamma event id (the game)",
        "ticker": "Gamma event ticker, `{league}-{away}-{home}-{YYYY-MM-DD}` for current game events",
        "sport": "sport key of the partition, e.g. basketball_nba",
        "canonical_event_id": "the matched canonical event; null before matching",
        "market": "h2h | spreads | totals",
        "selection": "home | away | over | under; null until the home/away orientation is known (legacy "
                     "markets take it from the matched canonical event)",
        "point": "the selection's line on the sportsbook convention (favourite negative, underdog the opposite "
                 "sign; totals: the total on both selections); null for h2h",
        "token_id": "CLOB outcome token id, a decimal string (too long for any float or int64)",
        "outcome": "the outcome label as Gamma wrote it (team short name, Over/Under, Yes/No)",
        "question": "the market question as Gamma wrote it",
        "game_start_utc": "scheduled start (`gameStartTime`); null when Gamma gives none (legacy markets)",
        "closed": "Gamma's `closed` flag",
        "closed_time_utc": "when the market closed; null while open",
        "volume": "the market's traded volume in USDC",
        "classified_by": "what decided the market type: sportsMarketType | groupItemTitle | question",
        "team_id": "canonical team id the outcome backs (h2h, spreads); null for totals",
        "home_team_id": "canonical home team as the provider orients the game; null when it does not",
        "away_team_id": "canonical away team as the provider orients the game; null when it does not",
        "game_date": "US (America/New_York) date of the game: the ticker's date, else the slate date of the start, "
                     "else the legacy market's end date",
        "outcome_price": "Gamma's `outcomePrices` entry: roughly the midpoint, not a tradable price",
        "venue": "the prediction-market venue (provider) the market trades on",
        "fee_rate": "the venue's taker fee rate: a buy at p pays fee_rate·p·(1−p) per share on top",
        "match_method": "how the market was matched to its canonical event (ticker_teams_date: the ticker's teams "
                        "within ±24 h of noon UTC on its date; question_teams_date for legacy questions)",
        "match_confidence": "1.0, or 0.8 when the venue's home/away orientation was the reverse of the event's",
    },
    "prediction_price": {
        "token_id": "CLOB outcome token id, a decimal string",
        "ts_utc": "time of the price: the history point's `t`, or the book's `timestamp`",
        "price": "price in [0, 1]",
        "size": "shares at the best level (bid, ask); null for history points and the mid",
        "source": "history | bid | ask | mid",
    },
}


def conform_frame(table: str, data: pd.DataFrame | pa.Table) -> pd.DataFrame:
    """The frame with exactly the table's columns, types and canonical row order (empty frames included)."""
    from linelogic_assets.silver.schemas import (
        conform,  # silver's schemas register these tables: no import cycle
    )

    return conform(table, data, schemas=SCHEMAS, sort_keys=SORT_KEYS).to_pandas()


def empty_frame(table: str) -> pd.DataFrame:
    return SCHEMAS[table].empty_table().to_pandas()
