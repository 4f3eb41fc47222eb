"""Bronze benchmark: a 30-day NBA historical backfill through Dagster against the in-process simulator.

Prints
- throughput of the pipeline (requests/s, MB/s of raw bytes landed) and, as the baseline in the same
  process, the bare client fetching the same historical snapshots with no bronze writing;
- quota units spent by the planned backfill against the naive plan (one historical event-odds call per
  game per snapshot window), as a ratio.

Run: .venv/bin/python bench/bronze.py [--days 30] [--start 2025-10-22]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--start", default="2025-10-22")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench_bronze_"))
    os.environ["LINELOGIC_DATA_ROOT"] = str(tmp / "lake")
    os.environ["DAGSTER_HOME"] = str(tmp / "dagster_home")
    (tmp / "dagster_home").mkdir()
    raw = yaml.safe_load((REPO / "config" / "ingest.yaml").read_text())
    start = date.fromisoformat(args.start)
    end = start + timedelta(days=args.days)
    raw["simulator"]["clock"]["start"] = f"{end + timedelta(days=2)}T12:00:00Z"
    raw["monthly_quota_budget"] = 10_000_000
    raw["simulator"]["oddsapi_rate_per_second"] = 100_000  # the simulator must not throttle the measurement
    raw["oddsapi"]["rate_limit"] = {"requests_per_second": 1000, "burst": 100}  # measure us, not the limiter
    raw["balldontlie"]["rate_limit"] = {"requests_per_second": 1000, "burst": 100}
    cfg_path = tmp / "ingest.yaml"
    cfg_path.write_text(yaml.safe_dump(raw))

    import dagster as dg

    from linelogic_assets.config import load_config
    from linelogic_assets.partitions import partition_key
    from linelogic_assets.providers.oddsapi.assets import oddsapi_events, oddsapi_odds
    from linelogic_assets.providers.oddsapi.client import OddsApiClient
    from linelogic_assets.providers.oddsapi.resource import OddsApiResource
    from linelogic_assets.resources import LakeResource, simulator_for
    from linelogic_assets.simulator import Simulator
    from linelogic_assets.timeutil import parse_ts

    cfg = load_config(cfg_path)
    sim = simulator_for(cfg)
    res = {"lake": LakeResource(config_path=str(cfg_path)), "oddsapi": OddsApiResource(config_path=str(cfg_path))}
    days = [start + timedelta(days=i) for i in range(args.days)]
    windows = len(cfg.snapshot_schedule.windows)
    markets = len(cfg.sports["basketball_nba"].markets)

    served0 = sim.requests_served
    t0 = time.perf_counter()
    job_defs = dg.Definitions(
        assets=[oddsapi_events, oddsapi_odds],
        jobs=[dg.define_asset_job("bench_odds", selection=[oddsapi_events, oddsapi_odds])],
        resources=res,
    )
    job = job_defs.resolve_job_def("bench_odds")
    quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    with dg.instance_for_test() as instance:
        for d in days:  # one run per partition, as a UI backfill launches them
            result = job.execute_in_process(partition_key=partition_key("basketball_nba", d), instance=instance,
                                            run_config=quiet)
            assert result.success, d
    wall = time.perf_counter() - t0
    requests = sim.requests_served - served0

    lake = cfg.resolved_data_root()
    manifests = [json.loads(p.read_text()) for p in (lake / "bronze").rglob("manifest.json")]
    odds = [m for m in manifests if m["endpoint"] == "historical_odds"]
    games = sum(len(sim.games("nba", d)) for d in days)
    spent = sum(m["totals"]["cost"] for m in manifests)
    raw_bytes = sum(m["totals"]["bytes"] for m in manifests)
    naive_units = games * windows * 10 * markets * 1  # one historical event-odds call per game per window
    planned_calls = sum(len(m["responses"]) for m in odds)
    paid_calls = sum(1 for m in odds for e in m["responses"] if e.get("file"))

    # baseline: the bare client buying the same snapshots, no planning, no bronze
    times = [e["requested_at"] for m in odds for e in m["responses"] if e.get("file")]  # the paid ones
    cold = Simulator(cfg.simulator)  # the same world with cold caches, so neither side is served from memory
    client = OddsApiClient("http://simulator.local", cfg.simulator.oddsapi_keys[0], rate_limit=cfg.oddsapi.rate_limit,
                           retry=cfg.oddsapi.retry, transport=cold.transport())
    req = cfg.sports["basketball_nba"]
    t1 = time.perf_counter()
    base_bytes = 0
    for at in times:
        r = client.historical_odds("basketball_nba", parse_ts(at), markets=req.markets, bookmakers=req.bookmakers)
        base_bytes += len(r.content)
    base_wall = time.perf_counter() - t1

    pipe_rps, base_rps = requests / wall, len(times) / base_wall
    print(f"window: {days[0]}..{days[-1]} ({args.days} slate dates), {games} NBA games, {windows} windows, {markets} markets")
    print(f"pipeline: {requests} requests in {wall:.2f} s = {pipe_rps:.1f} req/s, "
          f"{raw_bytes / 1e6:.1f} MB landed = {raw_bytes / 1e6 / wall:.2f} MB/s")
    print(f"baseline (bare client, same {len(times)} snapshots, no bronze): {base_rps:.1f} req/s, "
          f"{base_bytes / 1e6 / base_wall:.2f} MB/s")
    print(f"pipeline/baseline throughput ratio: {pipe_rps / base_rps:.2f}x req/s")
    print(f"quota: planned {spent} units ({planned_calls} snapshot requests, {paid_calls} paid, the rest held "
          f"already) vs naive {naive_units} units "
          f"({games * windows} historical event-odds calls) = {spent / naive_units:.3f}x "
          f"({naive_units / max(spent, 1):.1f}x cheaper)")


if __name__ == "__main__":
    main()
