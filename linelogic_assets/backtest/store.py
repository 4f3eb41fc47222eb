"""Where a backtest's outputs live: the gold DuckDB (`backtest_bets`, `backtest_summary`, `backtest_breakdown`)
and, per backtest, `<lake>/gold/backtests/<name>/` with the ledger as Parquet, the summary as JSON and the
equity curve as PNG.

A backtest replaces its own rows only (delete + insert of `backtest = name` in one transaction), so backtests
rebuild independently; files are written to a temporary name and renamed. The same lake and config give
the same ledger bytes.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from linelogic_assets.backtest.engine import BacktestResult
from linelogic_assets.backtest.schema import SUMMARY, TABLES
from linelogic_assets.gold.io_manager import SCHEMA, gold_database

LOCK_RETRIES = 20  # another process (a gold writer) may hold DuckDB's file lock for a moment


def backtest_dir(root: Path, name: str) -> Path:
    return root / "gold" / "backtests" / name


def _atomic(path: Path, data: bytes | pa.Table) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    if isinstance(data, pa.Table):
        pq.write_table(data, tmp, compression="zstd")
    else:
        tmp.write_bytes(data)
    os.replace(tmp, path)
    return path


def _json_default(v: Any) -> Any:
    if isinstance(v, date):
        return v.isoformat()
    raise TypeError(type(v).__name__)


def summary_json(summary: dict[str, Any]) -> str:
    return json.dumps({k: summary.get(k) for k in SUMMARY.names}, default=_json_default, sort_keys=False,
                      allow_nan=False)


@contextmanager
def warehouse(root: Path, *, read_only: bool) -> Iterator[duckdb.DuckDBPyConnection]:
    db = gold_database(root)
    db.parent.mkdir(parents=True, exist_ok=True)
    for attempt in range(LOCK_RETRIES):
        try:
            con = duckdb.connect(str(db), read_only=read_only)
            break
        except duckdb.IOException as err:  # "Could not set lock on file": a writer has it right now
            if "lock" not in str(err).lower() or attempt == LOCK_RETRIES - 1:
                raise
            time.sleep(min(0.05 * 2 ** attempt, 2.0))
    try:
        yield con
    finally:
        con.close()


def _replace_rows(con: duckdb.DuckDBPyConnection, table: str, name: str, data: pa.Table) -> None:
    full = f"{SCHEMA}.{table}"
    cols = con.execute("SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND "
                       "table_name = ? ORDER BY ordinal_position", [SCHEMA, table]).fetchall()
    if cols and [c[0] for c in cols] != data.schema.names:  # an older layout: the table is derived, rebuild it
        con.execute(f"DROP TABLE {full}")
    con.execute(f"CREATE TABLE IF NOT EXISTS {full} AS SELECT * FROM data LIMIT 0")
    con.execute(f"DELETE FROM {full} WHERE backtest = ?", [name])
    con.execute(f"INSERT INTO {full} SELECT * FROM data")


def write_result(root: Path, result: BacktestResult, png: bytes) -> dict[str, Path]:
    """The result into the warehouse and the backtest's folder; returns the files written."""
    name = result.spec.name
    tables = {
        "backtest_bets": result.ledger_table(),
        "backtest_summary": pa.Table.from_pylist([{k: result.summary.get(k) for k in SUMMARY.names}], schema=SUMMARY),
        "backtest_breakdown": result.breakdown_table(),
    }
    with warehouse(root, read_only=False) as con:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        con.execute("BEGIN TRANSACTION")
        try:
            for table, data in tables.items():
                _replace_rows(con, table, name, data)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    folder = backtest_dir(root, name)
    return {
        "ledger": _atomic(folder / "bets.parquet", tables["backtest_bets"]),
        "summary": _atomic(folder / "summary.json", summary_json(result.summary).encode()),
        "equity": _atomic(folder / "equity.png", png),
    }


def read_summary(root: Path, names: list[str]) -> pd.DataFrame:
    """The stored summaries of `names` (in that order); a name never run is missing from the frame."""
    if not gold_database(root).exists():
        return SUMMARY.empty_table().to_pandas()
    with warehouse(root, read_only=True) as con:
        try:
            frame = con.execute(f"SELECT * FROM {SCHEMA}.backtest_summary WHERE backtest IN "
                                f"({', '.join('?' for _ in names)})", names).fetchdf()
        except duckdb.CatalogException:
            return SUMMARY.empty_table().to_pandas()
    frame["_order"] = frame["backtest"].map({n: i for i, n in enumerate(names)})
    return frame.sort_values("_order").drop(columns="_order").reset_index(drop=True)


def read_table(root: Path, table: str, name: str) -> pd.DataFrame:
    if table not in TABLES:
        raise KeyError(table)
    if not gold_database(root).exists():
        return TABLES[table].empty_table().to_pandas()
    with warehouse(root, read_only=True) as con:
        try:
            return con.execute(f"SELECT * FROM {SCHEMA}.{table} WHERE backtest = ?", [name]).fetchdf()
        except duckdb.CatalogException:
            return TABLES[table].empty_table().to_pandas()
