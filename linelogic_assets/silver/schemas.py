"""The silver tables' Arrow schemas: one place that fixes every column's name, type and order.

Every silver write goes through `conform`, so a partition's file always has this schema (also
when it is empty) and DuckDB/pyarrow can read the whole table across partitions.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from linelogic_assets.providers.registry import PROVIDERS

TS = pa.timestamp("us", tz="UTC")
S = pa.string()
# the provider whose ids the team and player tables carry, and that column's name (named after it)
ID_PROVIDER, ID_COLUMN = next((p.name, p.id_column) for p in PROVIDERS if p.id_column)

SCHEMAS: dict[str, pa.Schema] = {
    "event": pa.schema([
        ("canonical_event_id", S), ("sport", S), ("league", S), ("slate_date", pa.date32()), ("season", pa.int32()),
        ("home_team_id", S), ("away_team_id", S), ("home_team", S), ("away_team", S),
        ("commence_time_utc", TS), ("actual_start_utc", TS), ("status", S), ("providers", S),
        ("home_away_swapped", pa.bool_()), ("first_seen_utc", TS), ("last_seen_utc", TS),
    ]),
    "event_result": pa.schema([
        ("canonical_event_id", S), ("sport", S), ("home_score", pa.int32()), ("away_score", pa.int32()),
        ("winner", S), ("margin", pa.int32()), ("total", pa.int32()), ("source", S), ("raw_ref", S),
        ("observed_at_utc", TS), ("providers_agree", pa.bool_()),
    ]),
    "event_provider_map": pa.schema([
        ("provider", S), ("provider_event_id", S), ("canonical_event_id", S), ("sport", S),
        ("match_confidence", pa.float64()), ("match_method", S), ("home_away_swapped", pa.bool_()),
        ("provider_start_utc", TS), ("created_at", TS),
    ]),
    "team": pa.schema([
        ("canonical_team_id", S), ("sport", S), ("league", S), ("full_name", S), ("location", S), ("name", S),
        ("abbreviation", S), ("conference", S), ("division", S), (ID_COLUMN, pa.int64()),
    ]),
    "team_provider_map": pa.schema([
        ("provider", S), ("provider_team_id", S), ("canonical_team_id", S), ("sport", S),
        ("provider_team_name", S), ("match_method", S), ("created_at", TS),
    ]),
    "player": pa.schema([
        ("canonical_player_id", S), ("sport", S), ("first_name", S), ("last_name", S), ("position", S),
        ("height", S), ("weight", S), ("jersey_number", S), ("college", S), ("country", S),
        ("draft_year", pa.int32()), ("draft_round", pa.int32()), ("draft_number", pa.int32()),
        ("team_id", S), (ID_COLUMN, pa.int64()), ("raw_ref", S),
    ]),
    "player_provider_map": pa.schema([
        ("provider", S), ("provider_player_id", S), ("canonical_player_id", S), ("sport", S), ("created_at", TS),
    ]),
    "odds_snapshot": pa.schema([
        ("provider", S), ("sport", S), ("canonical_event_id", S), ("provider_event_id", S),
        ("commence_time_utc", TS), ("snapshot_time_utc", TS), ("is_live", pa.bool_()), ("bookmaker", S),
        ("market", S), ("selection", S), ("price", pa.float64()), ("point", pa.float64()),
        ("ingest_run_id", S), ("ingested_at_utc", TS), ("record_hash", S), ("raw_ref", S),
        ("participant", S), ("price_american", pa.float64()), ("bookmaker_last_update_utc", TS),
    ]),
    "injuries": pa.schema([
        ("sport", S), ("canonical_player_id", S), ("team_id", S), ("status", S), ("return_date", S),
        ("description", S), ("observed_at_utc", TS), ("raw_ref", S),
    ]),
    "lineups": pa.schema([
        ("sport", S), ("canonical_event_id", S), ("team_id", S), ("canonical_player_id", S),
        ("starter", pa.bool_()), ("position", S), ("raw_ref", S),
    ]),
    "game_player_stats": pa.schema([
        ("sport", S), ("canonical_event_id", S), ("canonical_player_id", S), ("team_id", S),
        ("minutes", pa.float64()), ("pts", pa.int32()), ("reb", pa.int32()), ("ast", pa.int32()),
        ("stl", pa.int32()), ("blk", pa.int32()), ("turnover", pa.int32()), ("pf", pa.int32()),
        ("fgm", pa.int32()), ("fga", pa.int32()), ("fg3m", pa.int32()), ("fg3a", pa.int32()),
        ("ftm", pa.int32()), ("fta", pa.int32()), ("oreb", pa.int32()), ("dreb", pa.int32()),
        ("plus_minus", pa.int32()), ("raw_ref", S),
    ]),
    "game_team_stats": pa.schema([
        ("sport", S), ("canonical_event_id", S), ("team_id", S), ("is_home", pa.bool_()), ("players", pa.int32()),
        ("pts", pa.int32()), ("reb", pa.int32()), ("ast", pa.int32()), ("stl", pa.int32()), ("blk", pa.int32()),
        ("turnover", pa.int32()), ("fgm", pa.int32()), ("fga", pa.int32()), ("fg3m", pa.int32()),
        ("fg3a", pa.int32()), ("ftm", pa.int32()), ("fta", pa.int32()), ("oreb", pa.int32()), ("dreb", pa.int32()),
        ("fg_pct", pa.float64()), ("fg3_pct", pa.float64()), ("ft_pct", pa.float64()),
    ]),
    "quarantine": pa.schema([
        ("sport", S), ("table", S), ("kind", S), ("reason", S), ("provider", S), ("endpoint", S),
        ("raw_ref", S), ("column", S), ("rows", pa.int64()), ("detail", S),
    ]),
}

# the columns that order a table's rows, so a rebuilt partition is byte-for-byte the same
SORT_KEYS: dict[str, list[str]] = {
    "event": ["commence_time_utc", "canonical_event_id"],
    "event_result": ["canonical_event_id"],
    "event_provider_map": ["provider", "provider_event_id"],
    "team": ["canonical_team_id"],
    "team_provider_map": ["provider", "provider_team_id"],
    "player": ["canonical_player_id"],
    "player_provider_map": ["provider", "provider_player_id"],
    "odds_snapshot": ["canonical_event_id", "snapshot_time_utc", "bookmaker", "market", "selection", "participant",
                      "point", "record_hash"],
    "injuries": ["canonical_player_id", "observed_at_utc"],
    "lineups": ["canonical_event_id", "team_id", "canonical_player_id"],
    "game_player_stats": ["canonical_event_id", "team_id", "canonical_player_id"],
    "game_team_stats": ["canonical_event_id", "team_id"],
    "quarantine": ["table", "kind", "raw_ref", "reason"],
}


class SchemaError(ValueError):
    """A frame that cannot be written as its silver table."""


def conform(table: str, data: pd.DataFrame | pa.Table, schemas: dict[str, pa.Schema] = SCHEMAS,
            sort_keys: dict[str, list[str]] = SORT_KEYS) -> pa.Table:
    """The frame as exactly the table's schema, rows in the canonical order (gold passes its own schemas)."""
    schema = schemas[table]
    if isinstance(data, pd.DataFrame) and data.empty:  # no row: nothing to lose, whatever columns it built
        return schema.empty_table()
    if isinstance(data, pd.DataFrame):
        missing = [c for c in schema.names if c not in data.columns]
        extra = [c for c in data.columns if c not in schema.names]
        if missing or extra:
            raise SchemaError(f"{table}: missing columns {missing}, unexpected columns {extra}")
        data = pa.Table.from_pandas(data[schema.names], preserve_index=False)
    try:
        data = data.select(schema.names).cast(schema)
    except (pa.ArrowInvalid, pa.ArrowTypeError, KeyError) as err:
        raise SchemaError(f"{table}: {err}") from err
    if data.num_rows:
        data = data.sort_by([(k, "ascending") for k in sort_keys[table]])
    return data


def empty(table: str) -> pa.Table:
    return SCHEMAS[table].empty_table()


def typed(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """A frame built row by row, with the exact column types (and order) the table is stored with."""
    return conform(table, frame).to_pandas()


def _provider_tables() -> None:
    """Tables a provider brings of its own (a prediction venue's markets and prices) join the silver tables.
    Run last: a provider's schema module builds on `conform` above."""
    for provider in PROVIDERS:
        for table, (schema, keys, _descriptions) in (provider.silver_tables() if provider.silver_tables else {}).items():
            SCHEMAS[table], SORT_KEYS[table] = schema, keys


_provider_tables()
SILVER_TABLES = tuple(t for t in SCHEMAS if t != "quarantine")
