"""Load on the production topology: a bronze backfill of ≥ 200 partitions (NBA and NHL, every date of a range)
launched through the webserver's GraphQL API, run by the daemon on PostgreSQL with deploy/dagster.yaml as
shipped, with the daemon SIGKILLed and restarted part-way. The automation sensor is turned off first, so
what is measured is the backfill (in production silver and gold follow it by automation).

Prints
- partitions, the backfill's wall time and its time per partition, against a baseline in the same command:
  the same bronze assets materialized in-process (`dg.materialize`, no queue, no run processes, no Postgres)
  for a sample of the same partitions;
- the peak runs in flight per pool (provider) from the run records, against the configured limits;
- whether every partition has exactly one successful run, and the time from the daemon's restart to the
  next run it started.

Run: .venv/bin/python bench/deploy_load.py [--start 2025-10-21] [--days 103] [--kill-at 0.4] [--baseline 12]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
SPORTS = ["basketball_nba", "icehockey_nhl"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--start", default="2025-10-21")
    ap.add_argument("--days", type=int, default=103)  # × 2 leagues = 206 partitions
    ap.add_argument("--kill-at", type=float, default=0.4, help="share of partitions done when the daemon is killed")
    ap.add_argument("--baseline", type=int, default=12, help="partitions in the in-process baseline sample")
    args = ap.parse_args()
    start = date.fromisoformat(args.start)
    days = [start + timedelta(days=i) for i in range(args.days)]

    tmp = Path(tempfile.mkdtemp(prefix="bench_deploy_"))
    raw = yaml.safe_load((REPO / "config" / "ingest.yaml").read_text())
    raw["sports"] = {k: v for k, v in raw["sports"].items() if k in SPORTS}
    raw["demo"]["sports"] = ["basketball_nba"]
    # a frozen clock in both leagues' off-season: the pregame and results sensors tick but find nothing due
    raw["simulator"]["clock"] = {"start": "2026-07-15T12:00:00Z", "speed": 0}
    raw["monthly_quota_budget"] = 10_000_000
    cfg_path = tmp / "ingest.yaml"
    cfg_path.write_text(yaml.safe_dump(raw))
    os.environ.update({"LINELOGIC_CONFIG": str(cfg_path), "LINELOGIC_DATA_ROOT": str(tmp / "lake")})

    import dagster as dg

    from linelogic_assets.deploy import (
        Postgres,
        Topology,
        asset_keys,
        backfill_runs,
        crash_daemon,
        launch_backfill,
        peak_in_flight,
        peak_runs,
        pool_limits,
        stop_sensor,
        wait_backfill,
    )
    from linelogic_assets.partitions import partition_key

    partitions = [str(partition_key(s, d)) for s in SPORTS for d in days]

    # the baseline: in-process, one partition after another, into a lake of its own
    from linelogic_assets.bronze.assets import bronze_assets
    from linelogic_assets.definitions import defs

    sample = partitions[:: max(1, len(partitions) // args.baseline)][: args.baseline]
    os.environ["LINELOGIC_DATA_ROOT"] = str(tmp / "baseline_lake")
    resources = {k: v for k, v in defs.resources.items() if k in ("lake", "oddsapi", "balldontlie")}
    with dg.instance_for_test() as instance:
        t0 = time.perf_counter()
        for key in sample:
            assert dg.materialize(bronze_assets, partition_key=key, resources=resources, instance=instance,
                                  raise_on_error=False).success, key
        baseline_s = (time.perf_counter() - t0) / len(sample)
    os.environ["LINELOGIC_DATA_ROOT"] = str(tmp / "lake")

    pg = Postgres.from_env({**os.environ, "PG_DB": f"linelogic_bench_{uuid.uuid4().hex[:8]}"})
    pg.create_database()
    os.environ.update(pg.env())
    topology = Topology(home=tmp / "home", pg=pg, web_port=3310, code_port=4310,
                        extra_env={"LINELOGIC_CONFIG": str(cfg_path), "LINELOGIC_DATA_ROOT": str(tmp / "lake")})
    try:
        topology.start()
        # the backfill alone: in production the automation would derive silver and gold behind it
        stop_sensor(topology, "linelogic_automation")
        t0 = time.monotonic()
        backfill_id = launch_backfill(topology, asset_keys(topology, {"bronze"}), partitions, "load")
        with dg.DagsterInstance.from_config(str(topology.home)) as instance:
            killed_after, recovery = crash_daemon(topology, instance, backfill_id,
                                                  after=int(len(partitions) * args.kill_at), timeout=7200)
            status = wait_backfill(topology, backfill_id, timeout=7200, poll=5)
            wall = time.monotonic() - t0
            runs = backfill_runs(instance, backfill_id)
            records = instance.get_run_records()
            peaks = peak_in_flight(records)
            limits = pool_limits(instance, peaks)
            runs_at_once = peak_runs(records)
            over = {p for p in peaks if peaks[p] > limits[p]}
            overlaps = [(a.dagster_run.run_id[:8], a.start_time, a.end_time, b.dagster_run.run_id[:8], b.start_time,
                         b.end_time, sorted(a.dagster_run.run_op_concurrency.all_pools & b.dagster_run.run_op_concurrency.all_pools))
                        for a in records for b in records
                        if a.start_time and b.start_time and a.start_time < b.start_time < (a.end_time or 1e18)
                        and over & set(a.dagster_run.run_op_concurrency.all_pools)
                        & set(b.dagster_run.run_op_concurrency.all_pools)]
    finally:
        topology.stop()
        pg.drop_database()

    mine = sorted((r for r in records if r.dagster_run.tags.get("dagster/backfill") == backfill_id and r.start_time),
                  key=lambda r: r.start_time)
    durations = [r.end_time - r.start_time for r in mine if r.end_time]
    gaps = [b.start_time - a.end_time for a, b in zip(mine, mine[1:], strict=False) if a.end_time]
    succeeded = Counter(r.tags["dagster/partition"] for r in runs if r.status == dg.DagsterRunStatus.SUCCESS)
    lost = [p for p in partitions if succeeded[p] != 1]
    per_partition = wall / len(partitions)
    out = {
        "partitions": len(partitions), "backfill_status": status["status"], "wall_seconds": round(wall, 1),
        "seconds_per_partition": round(per_partition, 2),
        "baseline_in_process_seconds_per_partition": round(baseline_s, 2), "baseline_sample": len(sample),
        "ratio_vs_in_process": round(per_partition / baseline_s, 2),
        "mean_run_seconds": round(sum(durations) / len(durations), 2),
        "mean_gap_between_runs_seconds": round(sum(gaps) / max(1, len(gaps)), 2),
        "runs": len(runs), "runs_by_status": dict(Counter(r.status.value for r in runs)),
        "partitions_without_exactly_one_success": lost,
        "peak_runs_in_flight_per_pool": peaks, "pool_limits": limits, "peak_runs_in_flight": runs_at_once,
        "overlapping_runs_over_a_limit": overlaps,
        "daemon_killed_after_runs": killed_after, "recovery_seconds": round(recovery, 1),
    }
    (REPO / "bench" / "out").mkdir(parents=True, exist_ok=True)
    (REPO / "bench" / "out" / "deploy_load.json").write_text(json.dumps(out, indent=2))
    print(json.dumps(out, indent=2))
    print(f"\n{len(partitions)} partitions in {wall:.0f} s = {per_partition:.2f} s per partition through the "
          f"deployment, {per_partition / baseline_s:.2f}× the in-process baseline ({baseline_s:.2f} s per partition, "
          f"{len(sample)} partitions); peak runs in flight per pool {peaks} (limits {limits}); "
          f"{'no partition lost' if not lost else f'{len(lost)} partitions lost'}; daemon killed after "
          f"{killed_after} runs, next run started {recovery:.1f} s after its restart")


if __name__ == "__main__":
    main()
