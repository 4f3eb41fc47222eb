"""Silver storage: a reader may take only the columns it uses, in the table's order, and nothing unknown."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from linelogic_assets.gold.assets import GOLD_ODDS_COLUMNS, book_lines
from linelogic_assets.resources import LakeResource
from linelogic_assets.silver.io_manager import SilverIOManager, read_partition, write_partition
from linelogic_assets.silver.schemas import SCHEMAS, empty

DAY = date(2025, 11, 12)
NBA = "basketball_nba"


@pytest.fixture
def lake(tmp_path: Path) -> Path:
    frame = empty("odds_snapshot")
    write_partition(tmp_path, "odds_snapshot", NBA, DAY, frame)
    return tmp_path


def test_read_partition_takes_the_named_columns_in_the_table_order(lake: Path) -> None:
    wanted = ["price", "canonical_event_id", "bookmaker"]
    got = read_partition(lake, "odds_snapshot", NBA, DAY, columns=wanted)
    assert list(got.columns) == [c for c in SCHEMAS["odds_snapshot"].names if c in wanted]
    assert list(read_partition(lake, "odds_snapshot", NBA, DAY).columns) == SCHEMAS["odds_snapshot"].names
    with pytest.raises(KeyError, match="no column"):
        read_partition(lake, "odds_snapshot", NBA, DAY, columns=["price", "not_a_column"])


def test_gold_reads_the_odds_without_their_lineage_columns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The input metadata of gold's odds reaches the IO manager: the lineage columns are never loaded."""
    monkeypatch.setenv("LINELOGIC_DATA_ROOT", str(tmp_path))
    resource = LakeResource()
    write_partition(resource.root, "odds_snapshot", NBA, DAY, empty("odds_snapshot"))
    [odds_in] = [i for name, i in book_lines.node_def.input_dict.items() if name == "odds_snapshot"]
    manager = SilverIOManager(lake=resource)
    context = dg.build_input_context(asset_key=dg.AssetKey("odds_snapshot"), definition_metadata=odds_in.metadata,
                                     partition_key=f"{DAY}|{NBA}",
                                     asset_partitions_def=book_lines.partitions_def)
    frame = manager.load_input(context)
    assert isinstance(frame, pd.DataFrame) and list(frame.columns) == GOLD_ODDS_COLUMNS
    assert not {"raw_ref", "ingest_run_id", "record_hash"} & set(frame.columns)
