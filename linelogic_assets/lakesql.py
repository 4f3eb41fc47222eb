"""SQL over the lake: DuckDB with one view per silver table (and the gold database when it exists).

Read-only by default: only statements that read (SELECT, WITH, DESCRIBE, SHOW, EXPLAIN, SUMMARIZE) are accepted, and the gold database is attached READ_ONLY.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from linelogic_assets.gold.io_manager import gold_database
from linelogic_assets.lake.paths import dataset
from linelogic_assets.silver.schemas import SCHEMAS, SILVER_TABLES

_READS = {duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN}


class ReadOnlyError(ValueError):
    """A statement that would write, refused because --write was not given."""


def _q(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def connect(root: Path, *, write: bool = False) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB whose views read the lake's Parquet tables with partition pruning."""
    con = duckdb.connect(":memory:")
    for table in (*SILVER_TABLES, "quarantine"):
        base, pattern = dataset(root, table)
        if next(base.glob(pattern), None) is not None:
            con.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet({_q(base / pattern)}, "
                        "hive_partitioning = true, union_by_name = true)")
        else:  # an empty table with the right columns, so queries written today work on a fresh lake
            con.register(table, SCHEMAS[table].empty_table())
    gold = gold_database(root)
    if gold.exists():
        con.execute(f"ATTACH {_q(gold)} AS gold {'' if write else '(READ_ONLY)'}")
        for (schema, name) in con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = 'gold'"
        ).fetchall():
            con.execute(f'CREATE VIEW "{name}" AS SELECT * FROM gold."{schema}"."{name}"')
    return con


def query(root: Path, sql: str, *, write: bool = False) -> pd.DataFrame:
    statements = duckdb.extract_statements(sql)
    if not statements:
        raise ValueError("no SQL statement given")
    if not write:
        for st in statements:
            if st.type not in _READS:
                raise ReadOnlyError(f"{st.type.name} is not allowed: the lake is read-only here (pass --write)")
    con = connect(root, write=write)
    try:
        result = None
        for st in statements:
            result = con.execute(st.query)
        return result.df() if result is not None and result.description else pd.DataFrame()
    finally:
        con.close()
