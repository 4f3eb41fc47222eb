"""Backfill benchmark: a full simulated NBA regular season with the five windows, planned and then executed
as the UI's asset backfill of the pregame bronze assets (`pregame_odds_job`'s selection) over the season's
date range, launched by a real `dagster-daemon` with the queued run coordinator. The bronze backfill policy
makes it one range run per sport; each partition still gets its own materialization and checks.

Prints
- the plan's quota units against the naive plan (one historical event-odds call per game per window), as a
  ratio, and the units the backfill actually spent (it must not exceed the plan);
- the wall time of the Dagster backfill, against a baseline run in the same command: the bare client
  buying the same paid snapshots one after another, with no Dagster, no planning and no bronze.

Run: .venv/bin/python bench/backfill.py [--start 2025-10-21] [--end 2026-04-12] [--concurrent-runs 2] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))
BIN = Path(sys.executable).parent
LOCATION = "linelogic_assets_tests.bronze_only_definitions"  # production bronze without sensors/automation
NBA = "basketball_nba"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--start", default="2025-10-21")
    ap.add_argument("--end", default="2026-04-12")
    ap.add_argument("--concurrent-runs", type=int, default=2)
    ap.add_argument("--json", action="store_true", help="end with a JSON line of the two wall times")
    args = ap.parse_args()
    start, end = date.fromisoformat(args.start), date.fromisoformat(args.end)

    tmp = Path(tempfile.mkdtemp(prefix="bench_backfill_"))
    home = tmp / "home"
    home.mkdir()
    instance_cfg = yaml.safe_load((REPO / "dagster.yaml").read_text())
    instance_cfg["run_coordinator"] = {"module": "dagster.core.run_coordinator", "class": "QueuedRunCoordinator"}
    instance_cfg["concurrency"]["runs"] = {"max_concurrent_runs": args.concurrent_runs}
    (home / "dagster.yaml").write_text(yaml.safe_dump(instance_cfg))
    raw = yaml.safe_load((REPO / "config" / "ingest.yaml").read_text())
    raw["sports"] = {NBA: raw["sports"][NBA]}
    raw["demo"]["sports"] = [NBA]
    raw["simulator"]["clock"] = {"start": f"{end + timedelta(days=8)}T12:00:00Z", "speed": 0}
    raw["monthly_quota_budget"] = 10_000_000
    raw["simulator"]["oddsapi_rate_per_second"] = 100_000  # the simulator must not throttle the measurement
    raw["oddsapi"]["rate_limit"] = {"requests_per_second": 1000, "burst": 100}
    raw["balldontlie"]["rate_limit"] = {"requests_per_second": 1000, "burst": 100}
    cfg_path = tmp / "ingest.yaml"
    cfg_path.write_text(yaml.safe_dump(raw))
    env = {**os.environ, "DAGSTER_HOME": str(home), "LINELOGIC_CONFIG": str(cfg_path),
           "LINELOGIC_DATA_ROOT": str(tmp / "lake")}
    os.environ.update({k: env[k] for k in ("DAGSTER_HOME", "LINELOGIC_CONFIG", "LINELOGIC_DATA_ROOT")})

    import dagster as dg
    from daemon_backfill import asset_backfill

    from linelogic_assets.config import load_config
    from linelogic_assets.jobs import PREGAME_ASSETS
    from linelogic_assets.partitions import partition_key
    from linelogic_assets.providers.balldontlie.backfill import bdl_schedule
    from linelogic_assets.providers.balldontlie.resource import BallDontLieResource
    from linelogic_assets.providers.oddsapi.backfill import plan_backfill
    from linelogic_assets.providers.oddsapi.client import OddsApiClient
    from linelogic_assets.providers.oddsapi.resource import OddsApiResource
    from linelogic_assets.simulator import Simulator
    from linelogic_assets.sports import league_for
    from linelogic_assets.timeutil import parse_ts

    cfg = load_config(cfg_path)
    league = league_for(NBA)
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]

    # 1. the plan, from the free schedule
    t0 = time.perf_counter()
    client = BallDontLieResource().client()
    schedule = bdl_schedule(client, league, days)
    client.close()
    plan = plan_backfill(cfg, cfg.resolved_data_root(), NBA, schedule, OddsApiResource().now())
    plan_s = time.perf_counter() - t0
    slates = [d for d in days if schedule[d]]

    # 2. the backfill through Dagster: the UI's asset backfill of the season's date range, run by the daemon
    keys = [str(partition_key(NBA, d)) for d in days]
    selection = [dg.AssetKey(name) for name in PREGAME_ASSETS]
    done = asset_backfill(env, home, ["-m", LOCATION], selection, keys, "season bronze", REPO, BIN)
    wall, failed = done["seconds"], done["failed_partitions"]

    lake = cfg.resolved_data_root()
    manifests = [json.loads(p.read_text()) for p in (lake / "bronze").rglob("manifest.json")]
    spent = sum(m["totals"]["cost"] for m in manifests)
    paid = [e for m in manifests if m["endpoint"] == "historical_odds" for e in m["responses"] if e.get("file")]

    # 3. baseline: the bare client buying the same snapshots, sequentially, cold simulator
    cold = Simulator(cfg.simulator)
    bare = OddsApiClient("http://simulator.local", cfg.simulator.oddsapi_keys[0], rate_limit=cfg.oddsapi.rate_limit,
                         retry=cfg.oddsapi.retry, transport=cold.transport())
    sport = cfg.sports[NBA]
    t2 = time.perf_counter()
    for e in paid:
        bare.historical_odds(NBA, parse_ts(e["requested_at"]), markets=sport.markets, bookmakers=sport.bookmakers)
    base_wall = time.perf_counter() - t2

    s = plan.summary()
    print(f"season: {start}..{end}, {len(slates)} slates with games, {s['games']} NBA games, "
          f"{len(plan.windows)} windows ({', '.join(plan.windows)}); {datetime.now(UTC):%Y-%m-%d}")
    print(f"plan ({plan_s:.1f} s, free BALLDONTLIE schedule): {s['historical_odds_calls']} historical odds calls "
          f"× {s['odds_call_cost']} + {s['historical_events_calls']} historical events calls = {s['quota_units']} "
          f"units; {s['targets_shared']} targets served by another slate's call")
    print(f"naive: {s['naive_quota_units']} units (one historical event-odds call per game per window)")
    print(f"quota ratio plan/naive: {s['quota_units'] / s['naive_quota_units']:.3f}x "
          f"({s['naive_quota_units'] / s['quota_units']:.2f}x cheaper)")
    print(f"executed: {spent} units spent ({len(paid)} paid snapshots) = {spent / s['quota_units']:.3f}x the plan; "
          f"failed partitions: {failed or 'none'}")
    print(f"Dagster backfill: {done['runs']} run(s), {done['materializations']} materializations "
          f"({len(PREGAME_ASSETS)} assets × {len(keys)} partitions), in {wall:.1f} s to the last run's end "
          f"({wall / len(keys):.2f} s/partition; marked complete at {done['marked_seconds']:.1f} s, the backfill "
          f"daemon's next pass; daemon + queued run coordinator, {args.concurrent_runs} concurrent runs)")
    print(f"baseline (bare client, same {len(paid)} snapshots, no Dagster/bronze): {base_wall:.1f} s; "
          f"Dagster/baseline wall ratio {wall / base_wall:.1f}x")
    if args.json:
        print(json.dumps({"wall_seconds": wall, "bare_seconds": base_wall, "runs": done["runs"]}))


if __name__ == "__main__":
    main()
