"""Gold storage: one DuckDB file in the lake (`<root>/gold/warehouse.duckdb`), through dagster-duckdb.

dagster-duckdb slices each table by the partition's `partition_expr` (sport and slate date),
deletes the slice and inserts the new rows. Two things are added here:
- the database path follows the lake (`LakeResource`), so tests and modes never share a file;
- the delete and the insert run in one transaction, and every frame is cast to the table's Arrow
  schema first, so a partition is replaced atomically with exact column types (also when empty).
Writers must not overlap: the gold assets run in the `duckdb` pool (limit 1, dagster.yaml).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
from dagster._core.storage.db_io_manager import DbIOManager, DbTypeHandler, TableSlice
from dagster_duckdb.io_manager import DuckDbClient
from dagster_duckdb_pandas import DuckDBPandasIOManager
from dagster_duckdb_pandas.duckdb_pandas_type_handler import DuckDBPandasTypeHandler

from linelogic_assets.gold.schemas import GOLD_DESCRIPTIONS, GOLD_SCHEMAS, gold_table
from linelogic_assets.resources import LakeResource

GOLD_DB = Path("gold") / "warehouse.duckdb"
SCHEMA = "gold"


def gold_database(root: Path) -> Path:
    return root / GOLD_DB


class _TransactionalClient(DuckDbClient):
    """DuckDbClient on the lake's database file, one transaction per connection."""

    def __init__(self, database: str) -> None:
        self.database = database

    @staticmethod
    def delete_table_slice(context: dg.OutputContext, table_slice: TableSlice, connection) -> None:
        # checked, not caught: a failed statement would abort the surrounding transaction
        exists = connection.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
            [table_slice.schema, table_slice.table]).fetchone()[0]
        if exists:
            DuckDbClient.delete_table_slice(context, table_slice, connection)

    @contextmanager
    def connect(self, context, _) -> Iterator[duckdb.DuckDBPyConnection]:
        Path(self.database).parent.mkdir(parents=True, exist_ok=True)
        config = {"custom_user_agent": "dagster", **context.resource_config["connection_config"]}
        conn = duckdb.connect(self.database, config=config)
        try:
            conn.execute("BEGIN TRANSACTION")
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        finally:
            conn.close()


class _GoldFrameHandler(DuckDBPandasTypeHandler):
    """Writes a pandas frame as its gold table's exact Arrow schema; creates the table even when empty."""

    def handle_output(self, context: dg.OutputContext, table_slice: TableSlice, obj: pd.DataFrame, connection):
        arrow = gold_table(table_slice.table, obj)  # noqa: F841 (read by DuckDB's replacement scan)
        name = f"{table_slice.schema}.{table_slice.table}"
        connection.execute(f"CREATE TABLE IF NOT EXISTS {name} AS SELECT * FROM arrow LIMIT 0")
        connection.execute(f"INSERT INTO {name} SELECT * FROM arrow")
        context.add_output_metadata({
            "dagster/partition_row_count": len(obj),
            "dagster/column_schema": dg.TableSchema(columns=[
                dg.TableColumn(f.name, str(f.type), description=GOLD_DESCRIPTIONS.get(table_slice.table, {}).get(f.name))
                for f in GOLD_SCHEMAS[table_slice.table]]),
        })

    def load_input(self, context: dg.InputContext, table_slice: TableSlice, connection) -> pd.DataFrame:
        frame = super().load_input(context, table_slice, connection)
        for col in frame.columns:  # DuckDB hands back Etc/UTC; gold code compares against UTC
            if isinstance(frame[col].dtype, pd.DatetimeTZDtype):
                frame[col] = frame[col].dt.tz_convert("UTC")
        return frame


class GoldIOManager(DuckDBPandasIOManager):
    """DuckDBPandasIOManager on `<lake root>/gold/warehouse.duckdb` (or `database` when set)."""

    lake: LakeResource
    database: str = ""
    schema_: str | None = SCHEMA

    @staticmethod
    def type_handlers() -> Sequence[DbTypeHandler]:
        return [_GoldFrameHandler()]

    def create_io_manager(self, context) -> DbIOManager:
        database = self.database or str(gold_database(self.lake.root))
        return DbIOManager(
            db_client=_TransactionalClient(database),
            database=database,
            schema=self.schema_,
            type_handlers=self.type_handlers(),
            default_load_type=pd.DataFrame,
            io_manager_name="GoldIOManager",
        )
