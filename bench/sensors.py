"""Sensor benchmarks.

1. Tick cost: the pregame sensor's tick on a 15-game slate (MLB 2025-04-02), through Dagster's
   `evaluate_tick`, against the one provider call a tick may make (the free /events listing) as the baseline.
2. Tick gap (`--daemon-seconds`, 0 to skip): a real `dagster-daemon` ticks the project's sensors for that long,
   with the demo's shared simulator clock at `--speed` (10, as `make run`) in the NBA off-season (nothing due,
   no run launched). Prints the wall time between the pregame sensor's ticks, against a do-nothing sensor on
   the same interval in the same daemon as the baseline, and the provider time between them (from the ticks'
   skip reasons): the figure `automation.pregame.expected_tick_gap_seconds` and `window_lead` rest on.

Run: .venv/bin/python bench/sensors.py [--ticks 200] [--daemon-seconds 180] [--speed 10]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(REPO))
OFF_SEASON = "2025-07-15T12:00:00Z"  # no NBA game listed: every tick skips, no run competes with the daemon


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ticks", type=int, default=200)
    ap.add_argument("--daemon-seconds", type=float, default=180, help="tick-gap measurement length (0: skip)")
    ap.add_argument("--speed", type=float, default=10, help="the shared simulator clock's speed (make run: 10)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench_sensors_"))
    os.environ["LINELOGIC_DATA_ROOT"] = str(tmp / "lake")
    os.environ["DAGSTER_HOME"] = str(tmp)

    import dagster as dg

    from linelogic_assets.config import load_config
    from linelogic_assets.definitions import defs
    from linelogic_assets.providers.oddsapi.resource import OddsApiResource
    from linelogic_assets.resources import LakeResource, simulator_for

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
    if args.daemon_seconds > 0:
        tick_gap(args.daemon_seconds, args.speed)


def _gaps(times: list[float]) -> list[float]:
    return [b - a for a, b in zip(times, times[1:], strict=False)]


def _summary(gaps: list[float]) -> str:
    return (f"median {statistics.median(gaps):.1f} s, min {min(gaps):.1f}, max {max(gaps):.1f} "
            f"({len(gaps)} gaps)") if gaps else "no gap (fewer than 2 ticks)"


def tick_gap(seconds: float, speed: float) -> None:
    """The daemon's real cadence: ticks of `pregame_snapshots_nba` vs a do-nothing sensor on one interval."""
    tmp = Path(tempfile.mkdtemp(prefix="bench_tick_gap_"))
    home = tmp / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text((REPO / "dagster.yaml").read_text())
    raw = yaml.safe_load((REPO / "config" / "ingest.yaml").read_text())
    raw["sports"] = {"basketball_nba": raw["sports"]["basketball_nba"]}
    raw["demo"]["sports"] = ["basketball_nba"]
    cfg_path = tmp / "ingest.yaml"
    cfg_path.write_text(yaml.safe_dump(raw))
    env = {**os.environ, "DAGSTER_HOME": str(home), "LINELOGIC_CONFIG": str(cfg_path),
           "LINELOGIC_DATA_ROOT": str(tmp / "lake")}
    subprocess.run([BIN / "linelogic", "clock", "start", "--at", OFF_SEASON, "--speed", str(speed)], env=env,
                   check=True, capture_output=True, cwd=REPO)

    import dagster as dg
    from dagster._core.scheduler.instigation import InstigatorType

    from linelogic_assets.providers.oddsapi.sensors import TICK_INTERVAL_SECONDS

    log = open(tmp / "daemon.log", "wb")  # noqa: SIM115
    daemon = subprocess.Popen([BIN / "dagster-daemon", "run", "-f", str(REPO / "bench" / "sensor_gap_location.py")],
                              env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    try:
        time.sleep(seconds)  # a benchmark of the wall clock: the daemon's own cadence is what is measured
    finally:
        daemon.terminate()
        daemon.wait(60)
        log.close()
    with dg.DagsterInstance.from_config(str(home)) as instance:
        ticks = {}
        for state in instance.all_instigator_state(instigator_type=InstigatorType.SENSOR):
            got = instance.get_ticks(state.instigator_origin_id, state.selector_id, limit=10_000)
            ticks[state.instigator_name] = sorted(got, key=lambda t: t.timestamp)
    pregame, baseline = ticks.get("pregame_snapshots_nba", []), ticks.get("baseline_noop", [])
    if len(pregame) < 2 or len(baseline) < 2:
        sys.exit(f"the daemon ticked too little to measure; its log ends:\n{(tmp / 'daemon.log').read_text()[-3000:]}")
    wall, base = _gaps([t.timestamp for t in pregame]), _gaps([t.timestamp for t in baseline])
    provider = []  # the provider's now at each tick, as its skip reason states it
    for t in pregame:
        m = re.search(r"nothing due at (\S+) ", t.skip_reason or "")
        provider.append(datetime.fromisoformat(m.group(1)).timestamp() if m else None)
    sim = [b - a for a, b in zip(provider, provider[1:], strict=False) if a is not None and b is not None]
    print(f"tick gap: a dagster-daemon for {seconds:.0f} s wall, sensors on a {TICK_INTERVAL_SECONDS} s interval, "
          f"simulator clock {speed:g}x from {OFF_SEASON}; {datetime.now(UTC):%Y-%m-%d}")
    print(f"  pregame_snapshots_nba wall gap: {_summary(wall)}")
    print(f"  baseline (do-nothing sensor)  : {_summary(base)}; pregame/baseline median ratio "
          f"{statistics.median(wall) / statistics.median(base):.2f}x")
    print(f"  provider time between ticks at {speed:g}x: {_summary(sim)}")
    print(f"  at 1x (live) the provider gap is the wall gap; at {speed:g}x a window needs a lead over "
          f"max gap × speed = {max(wall) * speed:.0f} s")


if __name__ == "__main__":
    main()
