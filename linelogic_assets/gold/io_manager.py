"""Gold storage: one DuckDB file in the lake (`<root>/gold/warehouse.duckdb`), schema `gold`, a table per asset.

A step's output replaces its partitions' slices (sport × slate date) in one transaction: the slices are
deleted and the new rows inserted, each cast to the table's Arrow schema first, so a partition is replaced
atomically with exact column types (the table is created even when the first write is empty). A daily run
hands over one frame; a range run hands over `{partition key: frame}` and reads its inputs in that form, one
query per input for the whole range. Writers must not overlap: the gold assets run in the `duckdb` pool
(limit 1, dagster.yaml).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pyarrow as pa

from linelogic_assets.gold.schemas import GOLD_DESCRIPTIONS, GOLD_SCHEMAS, gold_table
from linelogic_assets.partitions import dims_of
from linelogic_assets.resources import LakeResource

GOLD_DB = Path("gold") / "warehouse.duckdb"
SCHEMA = "gold"


def gold_database(root: Path) -> Path:
    return root / GOLD_DB


def column_schema(table: str) -> dg.TableSchema:
    """The table's columns with their descriptions, as the asset's page shows them."""
    return dg.TableSchema(columns=[dg.TableColumn(f.name, str(f.type), description=GOLD_DESCRIPTIONS.get(table, {}).get(f.name))
                                   for f in GOLD_SCHEMAS[table]])


def table_metadata(table: str) -> dict:
    """A gold asset's definition metadata: its columns and where it lives. On the definition, not on each
    materialization: a range run records one materialization per partition, and the schema is the same."""
    return {"dagster/column_schema": column_schema(table), "dagster/table_name": f"{SCHEMA}.{table}"}


def _where(keys: list[str]) -> tuple[str, list]:
    """The one rule selecting partition keys' slices: a WHERE clause (with its parameters), a term per sport.
    Deletes and reads use it alike; a filtered scan keeps the stored (insertion) order, a join would not."""
    by_sport: dict[str, list[str]] = {}
    for k in keys:
        d = dims_of(k)
        by_sport.setdefault(d["sport"], []).append(d["date"])
    terms, params = [], []
    for sport, days in sorted(by_sport.items()):
        terms.append(f"(sport = ? AND slate_date IN ({', '.join('CAST(? AS DATE)' for _ in days)}))")
        params += [sport, *days]
    return " OR ".join(terms) or "false", params


@contextmanager
def transaction(database: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    database.parent.mkdir(parents=True, exist_ok=True)
    conn = duckdb.connect(str(database), config={"custom_user_agent": "dagster"})
    try:
        conn.execute("BEGIN TRANSACTION")
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    finally:
        conn.close()


def replace_slices(database: Path, table: str, frames: dict[str, pd.DataFrame]) -> None:
    """Replace the slices of `frames`' partition keys with their rows, in one transaction."""
    name = f"{SCHEMA}.{table}"
    keys = sorted(frames)
    arrow = pa.concat_tables([gold_table(table, frames[k]) for k in keys])  # noqa: F841 (DuckDB's replacement scan)
    where, params = _where(keys)
    with transaction(database) as conn:
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        conn.execute(f"CREATE TABLE IF NOT EXISTS {name} AS SELECT * FROM arrow LIMIT 0")
        conn.execute(f"DELETE FROM {name} WHERE {where}", params)
        conn.execute(f"INSERT INTO {name} SELECT * FROM arrow")


def read_slices(database: Path, table: str, keys: list[str]) -> dict[str, pd.DataFrame]:
    """Each partition key's rows of a gold table (empty, with the table's columns, where none are stored)."""
    with transaction(database) as conn:
        exists = conn.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND "
                              "table_name = ?", [SCHEMA, table]).fetchone()[0]
        where, params = _where(keys)
        frame = conn.execute(f"SELECT * FROM {SCHEMA}.{table} WHERE {where}", params).df() if exists \
            else GOLD_SCHEMAS[table].empty_table().to_pandas()
    for col in frame.columns:  # DuckDB hands back Etc/UTC; gold code compares against UTC
        if isinstance(frame[col].dtype, pd.DatetimeTZDtype):
            frame[col] = frame[col].dt.tz_convert("UTC")
    # each key's rows, in one pass over the frame (the stored order kept within a slice)
    slate = frame["sport"].astype(str) + "|" + pd.to_datetime(frame["slate_date"]).dt.strftime("%Y-%m-%d")
    parts = dict(iter(frame.groupby(slate.to_numpy(), sort=False))) if len(frame) else {}
    out = {}
    for k in keys:
        d = dims_of(k)
        part = parts.get(f"{d['sport']}|{d['date']}")
        out[k] = frame.iloc[0:0] if part is None else part.reset_index(drop=True)
    return out


class GoldIOManager(dg.ConfigurableIOManager):
    """Gold tables on `<lake root>/gold/warehouse.duckdb` (or `database` when set), a slice per partition."""

    lake: LakeResource
    database: str = ""

    def _db(self) -> Path:
        return Path(self.database) if self.database else gold_database(self.lake.root)

    def handle_output(self, context: dg.OutputContext, obj: pd.DataFrame | dict[str, pd.DataFrame]) -> None:
        table, keys = context.asset_key.path[-1], sorted(str(k) for k in context.asset_partition_keys)
        frames = obj if isinstance(obj, dict) else dict.fromkeys(keys, obj) if len(keys) == 1 else None
        if frames is None or set(frames) != set(keys):
            raise TypeError(f"gold {table}: a range output must map each partition key of the range to its frame")
        replace_slices(self._db(), table, frames)

    def load_input(self, context: dg.InputContext) -> pd.DataFrame | dict[str, pd.DataFrame]:
        table, keys = context.asset_key.path[-1], sorted(str(k) for k in context.asset_partition_keys)
        frames = read_slices(self._db(), table, keys)
        return frames[keys[0]] if len(keys) == 1 else frames
