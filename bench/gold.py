"""Gold benchmark: one simulated NBA regular season of silver → the gold DuckDB, `odds-at` latency, calibration.

Data: the lake of bench/silver.py (same --root, default /tmp/linelogic_bench_silver; its `setup_env`,
`slate_days` and `build_bronze` are reused): every NBA slate date of the 2025-26 regular season
(2025-10-21 .. 2026-04-12) collected by the Dagster bronze job against the in-process simulator.
Bronze dates and silver partitions already in the lake are reused; missing ones are built (bronze
job, then the silver assets, one run per partition), before any timing.

1. Gold build. The gold assets (`gold_assets`, all six with their checks) run as a Dagster job
   (`AssetSelection.groups("gold")`, the selection of `gold_job` in definitions.py) with the
   resources bound to the bench config, once per partition in date order (team form reads earlier
   dates' results), into a fresh gold DuckDB file (`<lake>/gold/warehouse.duckdb` is deleted
   first), in a subprocess so its peak RSS (VmHWM, see `silver.peak_rss_kb`) is the build's alone.
   Dagster instance: the root's DAGSTER_HOME (SQLite), as `build_bronze` uses. Printed: wall time,
   per-partition mean, the time Dagster reports per asset step, peak RSS, rows per gold table (from
   the DuckDB file), the silver input rows, and every asset check evaluation (failures per check).
   No earlier gold build exists to compare with, so the baselines are the input size (seconds per
   1M silver odds rows) and a floor: reading the same silver odds Parquet files with pandas once
   (`pd.read_parquet` per file, page cache warm, best of 3).
2. `odds-at` latency. `LakeQuery(root, fair_method).odds_at(event, at)` over --queries (event, at)
   pairs (seeded; events drawn uniformly from those with odds, `at` uniform between the event's first
   snapshot and its commence time), timed one by one with time.perf_counter. The event index is built
   outside the timed loop (its build time is printed). Like for like, the LakeQuery is made with
   `cache_bytes=0` (every query reads the event's partition file from the page-cached disk); the
   default cached LakeQuery is timed too (its first query per partition reads the file). Baseline:
   a naive pandas full scan: the season's odds_snapshot (the columns a LakeQuery reads) loaded into
   one DataFrame once, outside the timing; per query `canonical_event_id == id & snapshot_time_utc
   <= at`, then per (bookmaker, market) the rows at the max snapshot time (groupby-transform max),
   the same as-of rule. Every query's answers are asserted equal as multisets of (bookmaker, market,
   selection, point, price, snapshot_time_utc).
3. Calibration on the built gold: Brier score of the h2h home `sharp_fair_prob` at the CLOSE bucket
   and of the consensus `fair_prob` at the OPEN bucket (`consensus_lines`) against
   `pregame_training_rows.home_win`, over the events that have all three; the base-rate Brier and
   the paired difference (close − open) with its standard error.
4. `market_opportunities` by kind, with the arbitrage rate (arbitrage cells / (event, snapshot,
   market, line) cells searched) and the +EV rate (+EV quotes / quotes searched), as the
   `opportunity_rates` check defines them; the searched quotes and cells are the asset's own
   materialization metadata (`quotes`, `cells`), summed over the build.

Run: .venv/bin/python bench/gold.py [--root DIR] [--queries N] [--days N] [--seed S]
(--days N takes the first N slate dates of the season; the default is the full season. A fresh root
builds bronze first, ~2.5 s per slate date, and silver, ~3.5 s per slate date.)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import silver as silver_bench  # noqa: E402

SPORT = silver_bench.SPORT
DEFAULT_ROOT = silver_bench.DEFAULT_ROOT
SILVER_NEEDED = ("odds_snapshot", "event", "event_result", "event_provider_map")
QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
COMPARE = ["bookmaker", "market", "selection", "point", "price", "snapshot_time_utc"]


def code_digests() -> dict[str, str]:
    """Short sha256 of the code measured (others may edit it while the bench runs)."""
    pkg = REPO / "linelogic_assets"
    return {name: hashlib.sha256(b"".join(p.read_bytes() for p in paths)).hexdigest()[:12] for name, paths in (
        ("gold/*.py", sorted((pkg / "gold").glob("*.py"))), ("query.py", [pkg / "query.py"]),
        ("odds_math.py", [pkg / "odds_math.py"]))}


# -- silver --------------------------------------------------------------------------------------

def build_silver(cfg_path: Path, days: list[date]) -> str:
    """Run the silver assets for every date whose silver partitions are not all in the lake yet."""
    from linelogic_assets.config import load_config
    from linelogic_assets.lake.paths import partition_file

    data_root = load_config(cfg_path).resolved_data_root()

    def have(d: date) -> bool:
        return all(partition_file(data_root, t, SPORT, d).exists() for t in SILVER_NEEDED)

    todo = [d for d in days if not have(d)]
    if not todo:
        return f"reused cached silver ({', '.join(SILVER_NEEDED)}, ... of all {len(days)} partitions) in {data_root}"
    import dagster as dg

    from linelogic_assets.partitions import partition_key
    from linelogic_assets.providers.oddsapi.resource import OddsApiResource
    from linelogic_assets.resources import ClockResource, LakeResource
    from linelogic_assets.silver.assets import silver_assets
    from linelogic_assets.silver.io_manager import SilverIOManager

    cp = str(cfg_path)
    lake = LakeResource(config_path=cp)
    res = {"lake": lake, "oddsapi": OddsApiResource(config_path=cp), "clock": ClockResource(config_path=cp),
           "silver_io": SilverIOManager(lake=lake)}
    jobs = [dg.define_asset_job("silver", selection=silver_assets)]
    job = dg.Definitions(assets=silver_assets, jobs=jobs, resources=res).resolve_job_def("silver")
    instance = dg.DagsterInstance.get()
    print(f"building silver for {len(todo)} slate dates ({len(days) - len(todo)} cached) ...", flush=True)
    t0, failed = time.perf_counter(), []
    for i, d in enumerate(todo, 1):
        r = job.execute_in_process(partition_key=partition_key(SPORT, d), instance=instance, raise_on_error=False,
                                   run_config=QUIET)
        if not r.success:
            failed.append(d.isoformat())
        assert have(d), f"silver run for {d} left partitions missing (success={r.success})"
        if i % 20 == 0 or i == len(todo):
            el = time.perf_counter() - t0
            print(f"  {i}/{len(todo)} partitions, {el:.0f} s ({el / i:.2f} s/partition)", flush=True)
    secs = time.perf_counter() - t0
    note = f"; runs not fully successful (a silver check failed): {failed}" if failed else ""
    return (f"built {len(todo)} partitions now with the silver assets ({secs:.0f} s, {secs / len(todo):.2f} "
            f"s/partition), reused {len(days) - len(todo)}{note}")


def odds_files(cfg_path: Path, days: list[date]) -> list[Path]:
    from linelogic_assets.config import load_config
    from linelogic_assets.lake.paths import partition_file

    data_root = load_config(cfg_path).resolved_data_root()
    return [partition_file(data_root, "odds_snapshot", SPORT, d) for d in days]


# -- 1. gold build (subprocess) ----------------------------------------------------------------

def child_build(root: Path, n_days: int | None) -> None:
    """The measured gold build: one gold job run per partition, in date order, into a fresh DuckDB file."""
    import dagster as dg

    from linelogic_assets.gold.assets import gold_assets
    from linelogic_assets.gold.io_manager import GoldIOManager, gold_database
    from linelogic_assets.partitions import partition_key
    from linelogic_assets.providers.oddsapi.resource import OddsApiResource
    from linelogic_assets.resources import ClockResource, LakeResource
    from linelogic_assets.silver.assets import silver_assets
    from linelogic_assets.silver.io_manager import SilverIOManager

    digests = code_digests()  # just after importing the gold code
    cfg_path = silver_bench.setup_env(root)
    days = silver_bench.slate_days(cfg_path, n_days)
    cp = str(cfg_path)
    lake = LakeResource(config_path=cp)
    db = gold_database(lake.root)
    for p in (db, db.with_name(db.name + ".wal")):
        p.unlink(missing_ok=True)
    defs = dg.Definitions(
        assets=[*silver_assets, *gold_assets],
        jobs=[dg.define_asset_job("gold", selection=dg.AssetSelection.groups("gold"))],
        resources={"lake": lake, "oddsapi": OddsApiResource(config_path=cp), "clock": ClockResource(config_path=cp),
                   "silver_io": SilverIOManager(lake=lake),
                   "gold_io": GoldIOManager(lake=lake)},
    )
    job = defs.resolve_job_def("gold")
    instance = dg.DagsterInstance.get()
    base_rss = silver_bench.peak_rss_kb()
    times, failed_runs = [], []
    evaluated, failures, severity, why = Counter(), Counter(), {}, defaultdict(list)
    steps: dict[str, float] = defaultdict(float)
    meta: dict[str, int] = Counter()
    t0 = time.perf_counter()
    for i, d in enumerate(days, 1):
        t = time.perf_counter()
        r = job.execute_in_process(partition_key=partition_key(SPORT, d), instance=instance, raise_on_error=False,
                                   run_config=QUIET)
        times.append(time.perf_counter() - t)
        if not r.success:
            failed_runs.append(d.isoformat())
        for e in r.get_asset_check_evaluations():
            name = f"{e.asset_key.to_user_string()}.{e.check_name}"
            evaluated[name] += 1
            severity[name] = e.severity.value
            if not e.passed:
                failures[name] += 1
                why[name].append(f"{d}: {e.description}")
            if e.check_name == "opportunity_rates":
                meta["arbitrages"] += int(e.metadata["arbitrages"].value)
                meta["ev_quotes"] += int(e.metadata["ev_quotes"].value)
        for m in r.get_asset_materialization_events():
            if m.asset_key.to_user_string() == "market_opportunities":
                meta["quotes"] += int(m.materialization.metadata["quotes"].value)
                meta["cells"] += int(m.materialization.metadata["cells"].value)
        for ev in r.all_events:
            if ev.event_type_value == "STEP_SUCCESS":
                steps[ev.step_key] += ev.event_specific_data.duration_ms / 1e3
        if i % 20 == 0 or i == len(days):
            el = time.perf_counter() - t0
            print(f"  gold: {i}/{len(days)} partitions, {el:.0f} s ({el / i:.2f} s/partition)", file=sys.stderr,
                  flush=True)
    total = time.perf_counter() - t0
    changed = digests != code_digests()
    print(json.dumps({"total": total, "digests": digests, "code_changed": changed, "times": times, "base_rss_kb": base_rss, "peak_rss_kb": silver_bench.peak_rss_kb(),
                      "failed_runs": failed_runs, "evaluated": evaluated, "failures": failures,
                      "severity": severity, "why": why, "steps": steps, "meta": meta, "db": str(db)}))


def spawn_build(root: Path, n_days: int | None) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child-build", "--root", str(root)]
    if n_days:
        cmd += ["--days", str(n_days)]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=False)  # progress goes to our stderr
    if proc.returncode:
        raise SystemExit(f"gold build subprocess failed (exit {proc.returncode})")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def read_floor(files: list[Path], repeat: int = 3) -> tuple[float, int]:
    """Best time to read every silver odds file with pandas (page cache warm), and the rows read."""
    import pandas as pd

    for f in files:
        f.read_bytes()
    best, rows = float("inf"), 0
    for _ in range(repeat):
        t = time.perf_counter()
        frames = [pd.read_parquet(f) for f in files]
        best = min(best, time.perf_counter() - t)
        rows = sum(len(x) for x in frames)
        del frames
    return best, rows


# -- 2. odds-at latency ------------------------------------------------------------------------

def naive_odds_at(df, event_id: str, at: datetime):
    sub = df[(df["canonical_event_id"] == event_id) & (df["snapshot_time_utc"] <= at)]
    last = sub.groupby(["bookmaker", "market"])["snapshot_time_utc"].transform("max")
    return sub[sub["snapshot_time_utc"] == last]


def answer(frame) -> Counter:
    """The multiset of (bookmaker, market, selection, point, price, snapshot µs) of an odds-at answer."""
    import pandas as pd

    snap = pd.to_datetime(frame["snapshot_time_utc"], utc=True).dt.tz_convert(None)
    micros = snap.astype("datetime64[us]").astype("int64")
    point = [None if p != p else float(p) for p in frame["point"]]  # NaN → None (NaN ≠ NaN in tuples)
    return Counter(zip(frame["bookmaker"], frame["market"], frame["selection"], point,
                       frame["price"].astype(float), micros, strict=True))


def pct(xs: list[float]) -> tuple[float, float]:
    import numpy as np

    p50, p99 = np.percentile(np.asarray(xs) * 1e3, [50, 99])
    return float(p50), float(p99)


def latency(root: Path, cfg_path: Path, files: list[Path], n: int, seed: int) -> None:
    import numpy as np
    import pandas as pd

    from linelogic_assets.config import load_config
    from linelogic_assets.query import ODDS_READ, LakeQuery

    cfg = load_config(cfg_path)
    data_root = cfg.resolved_data_root()
    t = time.perf_counter()
    df = pd.concat([pd.read_parquet(f, columns=ODDS_READ) for f in files], ignore_index=True)
    load_s = time.perf_counter() - t
    first = df.groupby("canonical_event_id")["snapshot_time_utc"].min()
    t = time.perf_counter()
    probe = LakeQuery(data_root, cfg.gold.fair_method, cache_bytes=0)
    index_s = time.perf_counter() - t
    commence = {cid: ref.commence_time_utc for cid, ref in probe.index.refs.items()}
    pool = [(cid, f.to_pydatetime(), commence[cid]) for cid, f in first.items()
            if commence.get(cid) is not None and f.to_pydatetime() < commence[cid]]
    rng = np.random.default_rng(seed)
    queries = []
    for k in rng.integers(0, len(pool), n):
        cid, lo, hi = pool[k]
        span = (hi - lo) // timedelta(microseconds=1)
        queries.append((cid, lo + timedelta(microseconds=int(rng.integers(0, span + 1)))))
    print(f"  {n} queries (seed {seed}) over {len(pool)} events with pregame odds; naive frame: {len(df):,} rows x "
          f"{df.shape[1]} columns ({df.memory_usage(deep=True).sum() / 1e6:.0f} MB), loaded in {load_s:.2f} s "
          f"(untimed); LakeQuery event index built in {index_s * 1e3:.0f} ms (untimed)", flush=True)
    for f in files:  # page cache warm for our reads, as the naive frame is in memory
        f.read_bytes()

    def run(fn) -> tuple[list[float], list[Counter]]:
        times, answers = [], []
        for cid, at in queries:
            t0 = time.perf_counter()
            out = fn(cid, at)
            times.append(time.perf_counter() - t0)
            answers.append(answer(out))
        return times, answers

    naive_t, naive_a = run(lambda cid, at: naive_odds_at(df, cid, at))
    ours = LakeQuery(data_root, cfg.gold.fair_method, cache_bytes=0)  # fresh; index built here, untimed
    ours_t, ours_a = run(ours.odds_at)
    cached = LakeQuery(data_root, cfg.gold.fair_method)
    cached_t, cached_a = run(cached.odds_at)
    for i, (a, b, c) in enumerate(zip(naive_a, ours_a, cached_a, strict=True)):
        assert a == b == c, f"odds_at differs from the naive scan for {queries[i]}: {len(a)} vs {len(b)} rows"
    rows = [sum(a.values()) for a in ours_a]
    print(f"  check: all {n} answers equal (naive scan, cache_bytes=0, cached) as multisets of "
          f"({', '.join(COMPARE)}); rows per answer: median {int(np.median(rows))}, min {min(rows)}, "
          f"max {max(rows)}, empty {sum(r == 0 for r in rows)}")
    (n50, n99), (o50, o99), (c50, c99) = pct(naive_t), pct(ours_t), pct(cached_t)
    print(f"  {'approach':<52} {'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8}")
    for label, ts, (p50, p99) in (("naive pandas full scan (in-memory frame)", naive_t, (n50, n99)),
                                  ("LakeQuery.odds_at, cache_bytes=0 (like for like)", ours_t, (o50, o99)),
                                  ("LakeQuery.odds_at, default cache (256 MB)", cached_t, (c50, c99))):
        print(f"  {label:<52} {p50:>8.3f} {p99:>8.3f} {np.mean(ts) * 1e3:>8.3f}")
    print(f"  ratio naive / ours, cache_bytes=0: p50 {n50 / o50:.2f}x, p99 {n99 / o99:.2f}x")
    print(f"  ratio naive / ours, cached:        p50 {n50 / c50:.2f}x, p99 {n99 / c99:.2f}x")


# -- 3. calibration, 4. opportunities ------------------------------------------------------------

def calibration(con, cfg_path: Path) -> None:
    import numpy as np

    from linelogic_assets.config import load_config

    wins = load_config(cfg_path).snapshot_schedule.windows
    open_b = min(wins, key=lambda w: w.offset_minutes).name
    close_b = max(wins, key=lambda w: w.offset_minutes).name
    cons = con.execute("""
        SELECT canonical_event_id, bucket, asof_time_utc, sharp_fair_prob, fair_prob
        FROM gold.consensus_lines WHERE market = 'h2h' AND selection = 'home' AND bucket IN (?, ?)
    """, [open_b, close_b]).df()
    dup = int(cons.duplicated(["canonical_event_id", "bucket"]).sum())
    cons = cons.sort_values("asof_time_utc").drop_duplicates(["canonical_event_id", "bucket"], keep="last")
    labels = con.execute("""
        SELECT canonical_event_id, min(home_win::INT) AS lo, max(home_win::INT) AS y
        FROM gold.pregame_training_rows WHERE home_win IS NOT NULL GROUP BY 1
    """).df()
    assert (labels["lo"] == labels["y"]).all(), "an event's home_win differs between its training rows"
    close = cons[cons["bucket"] == close_b].set_index("canonical_event_id")
    open_ = cons[cons["bucket"] == open_b].set_index("canonical_event_id")
    frame = labels.set_index("canonical_event_id")[["y"]].join(
        close["sharp_fair_prob"].rename("p_close"), how="inner").join(
        close["fair_prob"].rename("p_close_cons")).join(open_["fair_prob"].rename("p_open"), how="inner")
    n_lab = len(labels)
    frame = frame.dropna(subset=["p_close", "p_open"])
    n = len(frame)
    if n < 2:
        print(f"  too few events with labels, a sharp close and an open consensus: {n}")
        return
    y = frame["y"].to_numpy(float)
    sq_close = (frame["p_close"].to_numpy() - y) ** 2
    sq_open = (frame["p_open"].to_numpy() - y) ** 2
    base = (y.mean() - y) ** 2
    d = sq_close - sq_open
    se = d.std(ddof=1) / np.sqrt(n)
    cc = frame["p_close_cons"].dropna()
    sq_cons = (cc.to_numpy() - frame.loc[cc.index, "y"].to_numpy(float)) ** 2
    print(f"  events: {n:,} with a home_win label ({n_lab:,} labelled), an h2h sharp close ({close_b}) and an open "
          f"consensus ({open_b}); home win rate {y.mean():.4f}"
          + (f"; {dup} duplicate (event, bucket) rows, latest as-of kept" if dup else ""))
    print(f"  Brier  sharp_fair_prob @ {close_b}: {sq_close.mean():.5f}")
    print(f"  Brier  consensus fair_prob @ {open_b}: {sq_open.mean():.5f}")
    print(f"  Brier  base rate ({y.mean():.4f} for every game): {base.mean():.5f}")
    print(f"  (for reference: consensus fair_prob @ {close_b}: {sq_cons.mean():.5f} over {len(cc):,} events)")
    print(f"  paired difference close - open: {d.mean():+.5f} +/- {se:.5f} (SE), t = {d.mean() / se:+.2f}; "
          f"skill vs base rate: close {1 - sq_close.mean() / base.mean():+.4f}, open {1 - sq_open.mean() / base.mean():+.4f}")


def opportunities(con, meta: dict) -> None:
    """Opportunity rates over the season; the denominators are what the asset searched (its metadata)."""
    quotes, cells = meta.get("quotes", 0), meta.get("cells", 0)
    kinds = con.execute("SELECT kind, count(*) FROM gold.market_opportunities GROUP BY 1 ORDER BY 1").fetchall()
    arb_cells = con.execute("""
        SELECT count(*) FROM (SELECT DISTINCT canonical_event_id, snapshot_time_utc, market, line
                              FROM gold.market_opportunities WHERE kind = 'arbitrage')
    """).fetchone()[0]
    by_market = con.execute("""
        SELECT kind, market, count(*), round(avg(edge), 5), round(max(edge), 5)
        FROM gold.market_opportunities GROUP BY 1, 2 ORDER BY 1, 2
    """).fetchall()
    n_ev = dict(kinds).get("ev", 0)
    print(f"  rows by kind: {dict(kinds) or 'none'}")
    for kind, market, count, mean_edge, max_edge in by_market:
        print(f"    {kind:<10} {market:<8} {count:>8,} rows, mean edge {mean_edge}, max edge {max_edge}")
    print(f"  arbitrage rate: {arb_cells:,} arbitrage cells / {cells:,} (event, snapshot, market, line) cells = "
          f"{arb_cells / cells if cells else 0:.5f}")
    print(f"  +EV rate: {n_ev:,} +EV quotes / {quotes:,} quotes searched = {n_ev / quotes if quotes else 0:.5f}")
    same = meta.get("arbitrages") == arb_cells and meta.get("ev_quotes") == n_ev
    print(f"  cross-check of the DuckDB rows with the build's check metadata (arbitrages {meta.get('arbitrages')}, "
          f"+EV {meta.get('ev_quotes')}): {'agree' if same else 'DIFFER'}")


# -- main --------------------------------------------------------------------------------------

def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", type=Path, default=DEFAULT_ROOT, help="cached lake, config and Dagster home")
    ap.add_argument("--queries", type=int, default=1000, help="odds-at queries to time (default 1000)")
    ap.add_argument("--days", type=int, default=None, help="first N slate dates of the season (default: all)")
    ap.add_argument("--seed", type=int, default=20251021)
    ap.add_argument("--child-build", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    root = args.root.resolve()
    if args.child_build:
        child_build(root, args.days)
        return

    import duckdb
    import pyarrow.parquet as pq

    from linelogic_assets.gold.checks import CHECKS
    from linelogic_assets.gold.schemas import GOLD_TABLES

    t_start = time.perf_counter()
    cfg_path = silver_bench.setup_env(root)
    days = silver_bench.slate_days(cfg_path, args.days)
    scope = "full regular season" if args.days is None else f"first {len(days)} slate dates only (--days)"
    code = code_digests()
    print("code as it is now: " + ", ".join(f"linelogic_assets/{k} sha256 {v}" for k, v in code.items()))
    print(f"season: {len(days)} NBA slate dates {days[0]}..{days[-1]} ({scope})", flush=True)
    print(f"bronze: {silver_bench.build_bronze(root, cfg_path, days)}", flush=True)
    print(f"silver: {build_silver(cfg_path, days)}", flush=True)
    files = odds_files(cfg_path, days)
    silver_rows = sum(pq.ParquetFile(f).metadata.num_rows for f in files)
    silver_mb = sum(f.stat().st_size for f in files) / 1e6
    floor_s, floor_rows = read_floor(files)
    assert floor_rows == silver_rows, (floor_rows, silver_rows)
    print(f"silver input: odds_snapshot {silver_rows:,} rows in {len(files)} Parquet files ({silver_mb:.1f} MB); "
          f"reading them all with pandas (floor) takes {floor_s:.3f} s, best of 3, page cache warm", flush=True)

    print("\n1. gold build (Dagster gold job, 1 run per partition in date order, fresh DuckDB, subprocess) ...",
          flush=True)
    load0 = os.getloadavg()[0]
    b = spawn_build(root, args.days)
    total, times = b["total"], b["times"]
    if b["digests"] != code or b["code_changed"]:
        print(f"  WARNING: the code changed while the bench ran: the build imported {b['digests']}"
              + ("; it changed again during the build" if b["code_changed"] else ""))
    per_m = total / (silver_rows / 1e6)
    print(f"  wall {total:.1f} s for {len(times)} partitions: mean {total / len(times):.2f} s/partition "
          f"(min {min(times):.2f}, max {max(times):.2f}); 1-min load average {load0:.2f} before / "
          f"{os.getloadavg()[0]:.2f} after")
    print(f"  peak RSS {b['peak_rss_kb'] / 1024:.0f} MB (after imports, before the first run: "
          f"{b['base_rss_kb'] / 1024:.0f} MB)")
    print(f"  per 1M silver odds rows: {per_m:.1f} s; vs reading the silver odds Parquet with pandas once: "
          f"{total / floor_s:.0f}x the floor ({floor_s:.3f} s)")
    step_total = sum(b["steps"].values())
    print(f"  Dagster step time (sum over partitions; {step_total:.1f} s of the {total:.1f} s wall, the rest is "
          f"run/launch overhead):")
    for step, s in sorted(b["steps"].items(), key=lambda kv: -kv[1]):
        print(f"    {step:<32} {s:>7.1f} s  ({s / len(times):.3f} s/partition)")
    con = duckdb.connect(b["db"], read_only=True)
    db_mb = Path(b["db"]).stat().st_size / 1e6
    print(f"  gold rows ({b['db']}, {db_mb:.1f} MB):")
    for t in GOLD_TABLES:
        n = con.execute(f"SELECT count(*) FROM gold.{t}").fetchone()[0]
        print(f"    {t:<26} {n:>10,}")
    n_eval = sum(b["evaluated"].values())
    n_fail = sum(b["failures"].values())
    runs_ok = len(times) - len(b["failed_runs"])
    print(f"  asset checks: {n_eval:,} evaluations, {n_fail} failed; runs successful {runs_ok}/{len(times)}"
          + (f" (failed: {b['failed_runs']})" if b["failed_runs"] else ""))
    for name in sorted(b["evaluated"]):
        print(f"    {name:<50} {b['severity'][name]:<5} evaluated {b['evaluated'][name]:>4}, "
              f"failed {b['failures'].get(name, 0)}")
        for line in b["why"].get(name, [])[:5]:
            print(f"      {line}")
        if len(b["why"].get(name, [])) > 5:
            print(f"      ... and {len(b['why'][name]) - 5} more")
    verdict = "all passed" if n_fail == 0 and not b["failed_runs"] and n_eval == len(CHECKS) * len(times) else "NOT all passed"
    print(f"  -> {verdict}", flush=True)

    print("\n2. odds-at latency (LakeQuery.odds_at vs a naive pandas full scan) ...", flush=True)
    latency(root, cfg_path, files, args.queries, args.seed)

    print("\n3. calibration (h2h home, consensus_lines vs pregame_training_rows.home_win)", flush=True)
    calibration(con, cfg_path)

    print("\n4. market opportunities", flush=True)
    opportunities(con, b["meta"])
    con.close()
    print(f"\ntotal wall time {time.perf_counter() - t_start:.0f} s")


if __name__ == "__main__":
    main()
