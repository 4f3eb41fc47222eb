"""Silver and gold over a multi-week partition range, in one run, give exactly what one-partition runs give:
the same Parquet bytes (tables and quarantine) and the same gold rows (EXCEPT ALL empty both ways)."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from linelogic_assets.gold.io_manager import gold_database
from linelogic_assets.gold.schemas import GOLD_TABLES
from linelogic_assets.partitions import partition_key
from linelogic_assets_tests.conftest import run_demo

NBA = "basketball_nba"
START, DAYS = date(2025, 11, 3), 17  # two and a half weeks: form and history cross slates of the range
pytestmark = pytest.mark.slow


def parquet_bytes(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for folder in ("silver", "quarantine")
            for p in sorted((root / folder).rglob("*.parquet"))}


@pytest.fixture(scope="module")
def lakes(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[date]]:
    """(range-built lake, one-partition-built lake, the slates): the demo collects bronze and rebuilds silver
    and gold over its consecutive slates as range runs; the copy rebuilds them from the same bronze slate by
    slate, in date order, one run each."""
    from linelogic_assets.definitions import defs

    tmp = tmp_path_factory.mktemp("ranges")
    mp = pytest.MonkeyPatch()
    run_demo(mp, tmp / "ranged", tmp / "home", str(START), DAYS, NBA)
    ranged = tmp / "ranged" / "demo"
    slates = sorted(date.fromisoformat(p.name.removeprefix("date=")) for p in
                    (ranged / "silver" / "tables" / "event" / f"sport={NBA}").iterdir())
    assert len(slates) >= 14 and slates[-1] - slates[0] >= timedelta(days=13)

    single = tmp / "single" / "demo"
    shutil.copytree(ranged / "bronze", single / "bronze")
    mp.setenv("LINELOGIC_DATA_ROOT", str(tmp / "single"))
    job = defs.resolve_job_def("rebuild_job")
    instance = dg.DagsterInstance.ephemeral()
    for d in slates:
        assert job.execute_in_process(partition_key=partition_key(NBA, d), instance=instance).success, d
    yield ranged, single, slates
    mp.undo()


def test_a_range_run_writes_the_parquet_bytes_of_one_partition_runs(lakes) -> None:
    ranged, single, slates = lakes
    a, b = parquet_bytes(ranged), parquet_bytes(single)
    assert sorted(a) == sorted(b) and len(a) > 10 * len(slates)
    assert [k for k in a if a[k] != b[k]] == []


def test_a_range_run_writes_the_gold_rows_of_one_partition_runs(lakes) -> None:
    ranged, single, _ = lakes
    with duckdb.connect() as con:
        con.execute(f"ATTACH '{gold_database(ranged)}' AS r (READ_ONLY)")
        con.execute(f"ATTACH '{gold_database(single)}' AS s (READ_ONLY)")
        for table in GOLD_TABLES:
            n = con.execute(f"SELECT count(*) FROM r.gold.{table}").fetchone()[0]
            assert n == con.execute(f"SELECT count(*) FROM s.gold.{table}").fetchone()[0], table
            for x, y in (("r", "s"), ("s", "r")):
                extra = con.execute(f"SELECT count(*) FROM (SELECT * FROM {x}.gold.{table} EXCEPT ALL "
                                    f"SELECT * FROM {y}.gold.{table})").fetchone()[0]
                assert extra == 0, (table, x, y)
        # team form crosses slates: later slates' rows have history from earlier ones in the range
        formed = con.execute("SELECT count(*) FROM r.gold.pregame_training_rows WHERE home_form_games > 0").fetchone()
        assert formed[0] > 0


def test_the_terminal_materializes_a_partition_range_in_one_run(lakes, tmp_path: Path) -> None:
    """`dagster asset materialize --partition-range` over silver and gold: one run, every partition recorded."""
    import os
    import subprocess
    import sys

    ranged, _, slates = lakes
    home = tmp_path / "home"
    home.mkdir()
    first, last = slates[2], slates[6]
    env = {**os.environ, "LINELOGIC_DATA_ROOT": str(ranged.parent), "DAGSTER_HOME": str(home)}
    cli = Path(sys.executable).parent / "dagster"
    done = subprocess.run([cli, "asset", "materialize", "-m", "linelogic_assets.definitions", "--select",
                           "group:silver or group:gold", "--partition-range",
                           f"{partition_key(NBA, first)}...{partition_key(NBA, last)}"],
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    with dg.DagsterInstance.from_config(str(home)) as instance:
        [run] = instance.get_runs()
        assert run.status == dg.DagsterRunStatus.SUCCESS
        keys = {str(partition_key(NBA, first + timedelta(days=i))) for i in range((last - first).days + 1)}
        for asset in ("odds_snapshot", "event", "book_lines", "pregame_training_rows"):
            assert instance.get_materialized_partitions(dg.AssetKey(asset)) == keys, asset
        history = instance.event_log_storage.get_asset_check_execution_history(
            dg.AssetCheckKey(dg.AssetKey("pregame_training_rows"), "no_leakage"), limit=100)
        assert sorted(r.partition for r in history) == sorted(keys)
