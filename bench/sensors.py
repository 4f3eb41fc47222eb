"""Sensor tick benchmark: the pregame sensor's tick on a 15-game slate (MLB 2025-04-02), through Dagster's
`evaluate_tick`, against the one provider call a tick may make (the free /events listing) as the baseline.

Run: .venv/bin/python bench/sensors.py [--ticks 200]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ticks", type=int, default=200)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench_sensors_"))
    os.environ["LINELOGIC_DATA_ROOT"] = str(tmp / "lake")
    os.environ["DAGSTER_HOME"] = str(tmp)

    import dagster as dg

    from linelogic_assets.config import load_config
    from linelogic_assets.definitions import defs
    from linelogic_assets.resources import LakeResource, OddsApiResource, simulator_for

    cfg = load_config()
    sim = simulator_for(cfg)
    games = sim.games("mlb", date(2025, 4, 2))
    first = min(g.commence_time for g in games)
    sensor = defs.get_sensor_def("pregame_snapshots_mlb")
    res = {"lake": LakeResource(), "oddsapi": OddsApiResource()}
    oddsapi = res["oddsapi"]
    ticks, calls, cursor, runs = [], [], None, 0
    with dg.instance_for_test() as instance:
        t = first - timedelta(hours=7)
        for _ in range(args.ticks):  # every 2 simulated minutes through the slate's pregame
            sim.clock.set(t)
            t0 = time.perf_counter()
            ctx = dg.build_sensor_context(instance=instance, cursor=cursor, resources=res, definitions=defs)
            data = sensor.evaluate_tick(ctx)
            ticks.append(time.perf_counter() - t0)
            cursor, runs = data.cursor, runs + len(data.run_requests or [])
            c0 = time.perf_counter()  # baseline: the free listing call alone
            client = oddsapi.client()
            client.events("baseball_mlb", commence_from=t)
            client.close()
            calls.append(time.perf_counter() - c0)
            t += timedelta(minutes=2)
    med, worst, base = statistics.median(ticks), max(ticks), statistics.median(calls)
    print(f"slate: MLB 2025-04-02, {len(games)} games; {args.ticks} ticks from {first - timedelta(hours=7):%H:%MZ} "
          f"every 2 simulated minutes; {runs} runs requested; {datetime.now(UTC):%Y-%m-%d}")
    print(f"tick: median {med * 1000:.1f} ms, max {worst * 1000:.1f} ms (Dagster's limit: 60 s; target < 5 s)")
    print(f"baseline (one free /events call): median {base * 1000:.1f} ms; tick/baseline ratio {med / base:.1f}x")


if __name__ == "__main__":
    main()
