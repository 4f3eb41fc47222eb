"""Silver storage: one hive-style Parquet file per table × sport × date, written atomically.

    <root>/silver/tables/<table>/sport=<sport>/date=<date>/part-0000.parquet

A partition is rewritten whole on every materialization (idempotent), so DuckDB and pyarrow read
each table as one dataset with partition pruning on `sport` and `date`.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import dagster as dg
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from linelogic_assets.lake.atomic import replace_parquet
from linelogic_assets.lake.paths import partition_file, quarantine_file
from linelogic_assets.lake.quarantine import Quarantine
from linelogic_assets.resources import LakeResource
from linelogic_assets.silver.schemas import SCHEMAS, conform


def write_partition(root: Path, table: str, sport: str, day: date | str, data: pd.DataFrame | pa.Table) -> Path:
    """Replace one partition of a table; readers never see a half-written file."""
    return replace_parquet(partition_file(root, table, sport, day), conform(table, data))


def read_partition(root: Path, table: str, sport: str, day: date | str) -> pd.DataFrame:
    path = partition_file(root, table, sport, day)
    if not path.exists():
        raise FileNotFoundError(f"silver {table} has no partition sport={sport} date={day} (materialize it first)")
    return pq.read_table(path, schema=SCHEMAS[table]).to_pandas()


def read_range(root: Path, table: str, sport: str, days: list[date], where: ds.Expression | None = None) -> pd.DataFrame:
    """The partitions of a table that exist among `days`, as one frame (absent dates are skipped); `where`
    filters rows in the scan (`pyarrow.dataset.field("source") == "ask"`)."""
    files = [str(p) for d in days if (p := partition_file(root, table, sport, d)).exists()]
    if not files:
        return SCHEMAS[table].empty_table().to_pandas()
    return ds.dataset(files, schema=SCHEMAS[table], format="parquet").to_table(filter=where).to_pandas()


def write_quarantine(root: Path, quarantine: Quarantine, day: date | str) -> Path:
    return replace_parquet(quarantine_file(root, quarantine.table, quarantine.sport, day), conform("quarantine", quarantine.frame()))


class SilverIOManager(dg.ConfigurableIOManager):
    """Reads and writes silver tables for the sport × date partition of the asset being run."""

    lake: LakeResource

    @staticmethod
    def _where(context: dg.OutputContext | dg.InputContext) -> tuple[str, str, str]:
        key = context.asset_partition_key if isinstance(context, dg.InputContext) else context.partition_key
        dims = key.keys_by_dimension if isinstance(key, dg.MultiPartitionKey) else dict(
            zip(("date", "sport"), str(key).split("|"), strict=True))
        return context.asset_key.path[-1], dims["sport"], dims["date"]

    def handle_output(self, context: dg.OutputContext, obj: pd.DataFrame | pa.Table) -> None:
        table, sport, day = self._where(context)
        path = write_partition(self.lake.root, table, sport, day, obj)
        context.add_output_metadata({"rows": len(obj), "path": dg.MetadataValue.path(str(path))})

    def load_input(self, context: dg.InputContext) -> pd.DataFrame:
        table, sport, day = self._where(context)
        return read_partition(self.lake.root, table, sport, day)
