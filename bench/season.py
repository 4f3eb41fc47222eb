"""Season benchmark: one simulated NBA regular season with bronze already held, rebuilt into silver and gold.

1. Rebuild through the daemon, the way a UI backfill launches it: an asset backfill of every silver and gold
   asset over the season's date range (PartitionBackfill.from_asset_partitions, what the UI's "Launch
   backfill" calls), executed by a real `dagster-daemon` on a fresh SQLite DAGSTER_HOME (the repo's
   dagster.yaml) with a code location of the production assets without sensors (bench/season_defs.py). The
   backfill policy makes it one range run for the season. Timed from submission to the backfill's end.
2. Baseline, in the same command: the pure compute of the same functions in one process: `rebuild_job`
   executed in process over the same range (no daemon, no run launcher, an in-memory instance, and without the
   output capture `execute_in_process` adds, which keeps every step's outputs to the run's end).
   Both start from no silver and no gold (deleted first); each runs in its own process, so the peak RSS
   (VmHWM; for the daemon, sampled over every process it started, the run worker's being the largest) is
   the build's alone. The daemon's time ends when the last run ends (the data is in place); the backfill's
   COMPLETED mark comes on the backfill daemon's next pass (every 30 s) and is printed beside it.
3. Bronze: the season's bronze backfill through the daemon against the bare client buying the same
   snapshots (bench/backfill.py, run as a child: the UI's asset backfill of the pregame bronze assets over the
   season, monthly range runs; `--skip-bronze` leaves it out, ~3 min).

Prints row counts per table, the check results, the ratios, and a last line of JSON:
{"rebuild_seconds", "rebuild_compute_seconds", "rebuild_ratio", "bronze_seconds", "bronze_bare_seconds",
 "bronze_ratio", "peak_rss_mb"}.

Run: .venv/bin/python bench/season.py [--root DIR] [--days N] [--skip-bronze]
(The bronze lake is bench/silver.py's, default /tmp/linelogic_bench_silver; a fresh root builds it first,
about 2.5 s per slate date.)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))
BIN = Path(sys.executable).parent
LOCATION = REPO / "bench" / "season_defs.py"
RANGE_TAGS = ("dagster/asset_partition_range_start", "dagster/asset_partition_range_end")


def wipe_derived(lake: Path) -> None:
    """No silver, quarantine or gold: the rebuild starts from bronze alone."""
    for folder in ("silver", "quarantine", "gold"):
        shutil.rmtree(lake / folder, ignore_errors=True)


def keys_of(days: list[date]) -> tuple[str, str, list[str]]:
    """The season as a UI range: every date from the first slate to the last (days without games too)."""
    from linelogic_assets.partitions import partition_key

    every = [days[0] + timedelta(days=i) for i in range((days[-1] - days[0]).days + 1)]
    keys = [str(partition_key("basketball_nba", d)) for d in every]
    return keys[0], keys[-1], keys


def child_compute(start: str, end: str) -> None:
    """The baseline: the same job in this one process, over the range."""
    import dagster as dg
    from dagster._core.definitions.job_base import InMemoryJob
    from dagster._core.execution.execute_in_process import core_execute_in_process, merge_run_tags

    from linelogic_assets.definitions import defs

    # `execute_in_process` as it is, but for the output capture it always turns on (every step's outputs kept
    # in memory to the run's end, for `output_for_node`): a season's range outputs are ~0.8 GB that no real
    # run holds, so the baseline's peak RSS would be the harness's, not the build's
    job = defs.resolve_job_def("rebuild_job")
    tags = dict(zip(RANGE_TAGS, (start, end), strict=True))
    ephemeral = job.as_ephemeral_job(resource_defs={}, input_values={})
    t = time.perf_counter()
    with dg.DagsterInstance.ephemeral() as instance:
        result = core_execute_in_process(
            job=InMemoryJob(job_def=ephemeral), instance=instance, output_capturing_enabled=False,
            run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}}, raise_on_error=False,
            run_tags=merge_run_tags(job_def=job, partition_key=None, tags=tags, asset_selection=None,
                                    instance=instance, run_config=None), run_id=None, asset_selection=frozenset())
    seconds = time.perf_counter() - t
    steps = {e.step_key: e.event_specific_data.duration_ms / 1000 for e in result.all_events
             if e.event_type_value == "STEP_SUCCESS"}
    from daemon_backfill import vm_hwm_kb

    print(json.dumps({"seconds": seconds, "success": result.success, "rss_kb": vm_hwm_kb(), "steps": steps}))


def spawn_compute(env: dict, start: str, end: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child-compute", start, end], env=env, cwd=REPO,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def daemon_rebuild(env: dict, home: Path, keys: list[str]) -> dict:
    """The UI's backfill of every silver and gold asset over the range, run by the daemon."""
    from daemon_backfill import asset_backfill

    from linelogic_assets.definitions import defs

    graph = defs.resolve_asset_graph()
    selection = [k for k in graph.get_all_asset_keys() if graph.get(k).group_name in ("silver", "gold")]
    return asset_backfill(env, home, ["-f", str(LOCATION)], selection, keys, "season rebuild", REPO, BIN)


def lake_counts(lake: Path, keys: list[str]) -> dict[str, int]:
    import duckdb
    import pyarrow.dataset as ds

    from linelogic_assets.gold.io_manager import gold_database
    from linelogic_assets.gold.schemas import GOLD_TABLES

    counts = {}
    for table in sorted(p.name for p in (lake / "silver" / "tables").iterdir()):
        counts[f"silver.{table}"] = ds.dataset(lake / "silver" / "tables" / table, format="parquet",
                                               partitioning="hive").count_rows()
    with duckdb.connect(str(gold_database(lake)), read_only=True) as con:
        for table in GOLD_TABLES:
            counts[f"gold.{table}"] = con.execute(f"SELECT count(*) FROM gold.{table}").fetchone()[0]
    return counts


def bronze_backfill(days: list[date]) -> dict | None:
    """bench/backfill.py as a child (its own lake and instance): the daemon's bronze backfill and the bare client."""
    out = subprocess.run([sys.executable, REPO / "bench" / "backfill.py", "--start", str(days[0]), "--end",
                          str(days[-1]), "--json"], cwd=REPO, capture_output=True, text=True)
    if out.returncode != 0:
        print(f"bronze backfill bench failed: {out.stderr.strip().splitlines()[-1:]}")
        return None
    for line in out.stdout.splitlines()[:-1]:
        print(f"  {line}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", type=Path, default=Path("/tmp/linelogic_bench_silver"))
    ap.add_argument("--days", type=int, default=None, help="the first N slate dates only")
    ap.add_argument("--skip-bronze", action="store_true")
    ap.add_argument("--child-compute", nargs=2, metavar=("START", "END"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child_compute:
        child_compute(*args.child_compute)
        return

    from silver import build_bronze, setup_env, slate_days

    cfg_path = setup_env(args.root)
    days = slate_days(cfg_path, args.days)
    how = build_bronze(args.root, cfg_path, days)
    lake = args.root / "lake" / "demo"
    start, end, keys = keys_of(days)
    print(f"season: {days[0]}..{days[-1]}, {len(days)} NBA slates with games, {len(keys)} partitions in the range; "
          f"bronze: {how}")

    # the daemon's instance: fresh, the repo's dagster.yaml (what `dagster dev` uses)
    home = args.root / "season_home"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
    env = {**os.environ, "DAGSTER_HOME": str(home)}

    wipe_derived(lake)
    compute = spawn_compute(env, start, end)
    assert compute["success"], "the in-process rebuild failed"
    compute_counts = lake_counts(lake, keys)

    wipe_derived(lake)
    os.environ["DAGSTER_HOME"] = str(home)
    daemon = daemon_rebuild(env, home, keys)
    counts = lake_counts(lake, keys)

    print(f"rows ({len(keys)} partitions):")
    for table, n in counts.items():
        same = "" if compute_counts.get(table) == n else f"  (in-process build: {compute_counts.get(table)})"
        print(f"  {table:32} {n:>10,}{same}")
    print(f"in-process compute (rebuild_job, one process, in-memory instance): {compute['seconds']:.1f} s; "
          f"steps: " + ", ".join(f"{k} {v:.1f}s" for k, v in compute["steps"].items()))
    print(f"daemon backfill: {daemon['runs']} runs ({daemon['failed_runs']} failed), status {daemon['status']}, "
          f"{daemon['materializations']} materializations, {daemon['seconds']:.1f} s from submission to the last "
          f"run's end ({daemon['run_seconds']:.1f} s inside runs; the backfill marked complete at "
          f"{daemon['marked_seconds']:.1f} s, the daemon's next pass)")
    ratio = daemon["seconds"] / compute["seconds"]
    print(f"rebuild: daemon/in-process wall ratio {ratio:.2f}x (target <= 1.5x); silver + gold of the season "
          f"in {daemon['seconds']:.1f} s (target <= 120 s)")

    bronze = None if args.skip_bronze else bronze_backfill(days)
    if bronze:
        print(f"bronze: daemon backfill {bronze['wall_seconds']:.1f} s vs bare client {bronze['bare_seconds']:.1f} s: "
              f"{bronze['wall_seconds'] / bronze['bare_seconds']:.1f}x (target <= 2x)")
    rss_mb = max(compute["rss_kb"], daemon["rss_kb"]) / 1024
    print(f"peak RSS: {rss_mb:.0f} MB (in-process {compute['rss_kb'] / 1024:.0f} MB; the daemon's processes "
          f"{daemon['rss_kb'] / 1024:.0f} MB at most, the run worker's; target <= 2048 MB)")
    print(json.dumps({
        "rebuild_seconds": round(daemon["seconds"], 2), "rebuild_compute_seconds": round(compute["seconds"], 2),
        "rebuild_ratio": round(ratio, 3),
        "bronze_seconds": round(bronze["wall_seconds"], 2) if bronze else None,
        "bronze_bare_seconds": round(bronze["bare_seconds"], 2) if bronze else None,
        "bronze_ratio": round(bronze["wall_seconds"] / bronze["bare_seconds"], 3) if bronze else None,
        "peak_rss_mb": round(rss_mb, 1)}))


if __name__ == "__main__":
    main()
