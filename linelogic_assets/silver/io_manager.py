"""Silver storage: one hive-style Parquet file per table × sport × date, written atomically.

    <root>/silver/tables/<table>/sport=<sport>/date=<date>/part-0000.parquet

A partition is rewritten whole on every materialization (idempotent), so DuckDB and pyarrow read
each table as one dataset with partition pruning on `sport` and `date`.
"""

from __future__ import annotations

from collections.abc import Sequence
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
from linelogic_assets.partitions import dims_of
from linelogic_assets.resources import LakeResource
from linelogic_assets.silver.schemas import SCHEMAS, conform


def write_partition(root: Path, table: str, sport: str, day: date | str, data: pd.DataFrame | pa.Table) -> Path:
    """Replace one partition of a table; readers never see a half-written file."""
    return replace_parquet(partition_file(root, table, sport, day), conform(table, data))


def read_partition(root: Path, table: str, sport: str, day: date | str,
                   columns: Sequence[str] | None = None) -> pd.DataFrame:
    """One partition of a table (only `columns`, in the table's order, when given)."""
    path = partition_file(root, table, sport, day)
    if not path.exists():
        raise FileNotFoundError(f"silver {table} has no partition sport={sport} date={day} (materialize it first)")
    if columns is not None:
        wanted = set(columns)
        if unknown := sorted(wanted - set(SCHEMAS[table].names)):
            raise KeyError(f"silver {table} has no column(s) {unknown}")
        columns = [c for c in SCHEMAS[table].names if c in wanted]
    return pq.read_table(path, schema=SCHEMAS[table], columns=columns).to_pandas()


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
    """Reads and writes silver tables for the sport × date partitions of the step being run.

    A daily run hands over one frame. A range run hands over `{partition key: frame}` (keys as
    `"2025-11-12|basketball_nba"`), and its inputs arrive in the same form; each partition is still its own file.
    """

    lake: LakeResource

    @staticmethod
    def _where(context: dg.OutputContext | dg.InputContext) -> tuple[str, dict[str, dict[str, str]]]:
        keys = context.asset_partition_keys
        return context.asset_key.path[-1], {str(k): dims_of(k) for k in keys}

    def handle_output(self, context: dg.OutputContext, obj: pd.DataFrame | pa.Table | dict) -> None:
        table, parts = self._where(context)
        frames = obj if isinstance(obj, dict) else dict.fromkeys(parts, obj) if len(parts) == 1 else None
        if frames is None or set(frames) != set(parts):
            raise TypeError(f"silver {table}: a range output must map each partition key of the range to its frame")
        paths = [write_partition(self.lake.root, table, parts[k]["sport"], parts[k]["date"], frames[k])
                 for k in sorted(parts)]
        if len(paths) == 1:  # a range's per-partition figures are the asset's own (add_asset_metadata)
            [frame] = frames.values()
            context.add_output_metadata({"rows": len(frame), "path": dg.MetadataValue.path(str(paths[0]))})

    def load_input(self, context: dg.InputContext) -> pd.DataFrame | dict[str, pd.DataFrame]:
        table, parts = self._where(context)
        # an input may name the columns it reads (`AssetIn(metadata={"columns": [...]})`): a season range holds
        # every partition of it in memory at once
        columns = (context.definition_metadata or {}).get("columns")
        frames = {k: read_partition(self.lake.root, table, d["sport"], d["date"], columns) for k, d in parts.items()}
        return next(iter(frames.values())) if len(frames) == 1 else frames
