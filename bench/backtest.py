"""Backtest benchmark: a full simulated NBA regular season through the backtester, against a naive baseline.

Data: the lake of bench/gold.py (same --root, default /tmp/linelogic_bench_silver): silver and the gold
DuckDB of every NBA slate date of the 2025-26 regular season (2025-10-21 .. 2026-04-12) as bench/silver.py
and bench/gold.py build them. Nothing is built here: without a gold warehouse covering the range the bench
stops and says to run bench/gold.py first. The lake's files (silver odds Parquet, gold DuckDB) are read
once before any timing, so every approach reads from a warm page cache.

Decisions are made at all five configured buckets (OPEN, T-6h, T-60m, T-15m, CLOSE) of every game.

1. The library, per built-in strategy, each the named backtest of config/backtests.yaml with the range
   set to the season and the buckets to all five (flat: favourites at DraftKings; ev; arbitrage;
   favourite_best_price). Each runs in a fresh subprocess, so its peak RSS (VmHWM, see
   `silver.peak_rss_kb`) is its own: imports first (RSS base), then `from_lake` (load: silver events
   and results, gold book_lines / consensus_lines / pregame_training_rows) and `run_backtest` (replay:
   decision views, the strategy, sizing, settlement, ledger, then the metrics with their bootstrap and
   permutation test), timed with time.perf_counter (and time.process_time, the CPU of all threads:
   the machine may be shared, and wall time then counts waiting for a core), `--repeat` times in that
   process, best wall time counts. Printed: load and replay+metrics wall time, CPU time, peak RSS, bets
   placed, decision views (per bucket, counted after the timing).
2. The naive baseline for `ev`, the peers' way, in its own subprocess: the season's silver odds_snapshot
   Parquet files loaded once into an in-memory DuckDB table (the columns an as-of query reads; the load
   is timed), then per event and per decision time one as-of query: that event's pregame rows with
   snapshot_time_utc at or before the decision time (OPEN: the event's first pregame snapshot, found in
   the same query), no older than gold's max quote age, the last snapshot per book and market
   (`QUALIFY ... = max(...) OVER`), fetched as a DataFrame. Each event's rows then go through gold's own
   `book_lines` and `consensus` (so the numbers are gold's), the closing reference is taken from its
   CLOSE consensus, and the same engine (`run_backtest`) does the rest. Events, results and the
   features come the library's way (silver `read_range`, one gold query): the two differ only in how
   quotes and consensus are got. Timed the same way (load / replay). Its ledger is asserted equal to
   the library's `ev` ledger: the same bets with the same stakes (exactly), every other column equal to
   1e-9 relative, and the same decision views. The table is the stronger baseline: after the timing,
   `--parquet-sample` seeded (event, decision) queries run both on the table and straight on the
   Parquet files (a DuckDB view, Parquet metadata cached), answers asserted equal, median latencies
   printed.
3. The issue's figure: the library's `ev` backtest wall time (load + replay + metrics, best of
   `--repeat`) against the 5 s target, and the speed-up baseline / library (wall, same command)
   against the ≥ 20x target; the CPU-time ratio beside it.

Run: .venv/bin/python bench/backtest.py [--root DIR] [--repeat 3] [--baseline-repeat 1] [--days N]
     [--parquet-sample 100]
(--days N takes the first N slate dates of the season; the default is the full season.)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import silver as silver_bench  # noqa: E402

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

    from linelogic_assets.backtest.data import MarketData
    from linelogic_assets.backtest.spec import BacktestSpec
    from linelogic_assets.config import IngestConfig

SPORT = silver_bench.SPORT
DEFAULT_ROOT = silver_bench.DEFAULT_ROOT
# built-in strategy → its named backtest in config/backtests.yaml
STRATEGIES = {"flat": "favourites_draftkings", "ev": "ev_vs_sharp", "arbitrage": "arbitrage",
              "favourite_best_price": "favourite_best_price"}
EXACT = ["bet_id", "group_id", "canonical_event_id", "bucket", "decision_time_utc", "bookmaker", "market",
         "selection", "point", "price", "stake", "result"]
GOLD_READ = ("book_lines", "consensus_lines", "pregame_training_rows")


def code_digests() -> dict[str, str]:
    """Short sha256 of the code measured (others may edit it while the bench runs)."""
    pkg = REPO / "linelogic_assets"
    groups = {f"{d}/*.py": sorted((pkg / d).glob("*.py")) for d in ("backtest", "gold")}
    return {name: hashlib.sha256(b"".join(p.read_bytes() for p in paths)).hexdigest()[:12]
            for name, paths in groups.items()}


def season_spec(name: str, days: list[date], buckets: list[str]) -> BacktestSpec:
    """The named backtest with the season's range and every configured bucket."""
    from linelogic_assets.backtest.spec import DEFAULT_BACKTESTS_PATH, load_backtests, parse_spec

    spec = load_backtests(DEFAULT_BACKTESTS_PATH)[name]
    return parse_spec({**spec.model_dump(), "start": days[0], "end": days[-1], "buckets": buckets})


def odds_files(data_root: Path, days: list[date]) -> list[Path]:
    from linelogic_assets.lake.paths import partition_file

    return [p for d in days if (p := partition_file(data_root, "odds_snapshot", SPORT, d)).exists()]


ASOF_COLS = "canonical_event_id, bookmaker, market, selection, point, price, participant, snapshot_time_utc"
# the event's pregame rows at or before t, no older than the max quote age, the last snapshot per book
# and market
_ASOF = """
    SELECT {cols}, {at} AS asof_time_utc FROM {src}
    WHERE canonical_event_id = $eid AND NOT is_live AND snapshot_time_utc <= {at}
      AND snapshot_time_utc >= {at} - to_minutes($max_age)
    QUALIFY snapshot_time_utc = max(snapshot_time_utc) OVER (PARTITION BY bookmaker, market)
"""
# OPEN is "first seen": the event's first pregame snapshot, found in the same query
_OPEN = "(SELECT min(snapshot_time_utc) FROM {src} WHERE canonical_event_id = $eid AND NOT is_live)"


def naive_connection(files: list[Path]) -> duckdb.DuckDBPyConnection:
    """DuckDB with the season's silver odds as a table `odds` (loaded once) and as a view `odds_parquet`."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_object_cache = true")  # the view's Parquet metadata is read once, not per query
    listed = ", ".join(repr(str(f)) for f in files)
    con.execute(f"CREATE VIEW odds_parquet AS SELECT * FROM read_parquet([{listed}])")
    con.execute(f"CREATE TABLE odds AS SELECT {ASOF_COLS}, is_live FROM odds_parquet")
    return con


def naive_asof(con: duckdb.DuckDBPyConnection, src: str, eid: str, label: str, at: pd.Timestamp,
               max_age: int) -> pd.DataFrame:
    """One as-of query: the event's quotes at `at` (OPEN: at its first pregame snapshot) as a DataFrame."""
    when = _OPEN.format(src=src) if label == "OPEN" else "$at"
    params = {"eid": eid, "max_age": max_age} | ({} if label == "OPEN" else {"at": at.to_pydatetime()})
    return con.execute(_ASOF.format(cols=ASOF_COLS, at=when, src=src), params).fetchdf()


# -- children: one approach per process ---------------------------------------------------------

def child(mode: str, strategy: str, root: Path, n_days: int | None, repeat: int, out: Path,
          n_sample: int) -> None:
    import duckdb  # noqa: F401  (imported by both approaches: load it before the RSS baseline)
    import pandas as pd  # noqa: F401
    import pyarrow  # noqa: F401

    from linelogic_assets.backtest.data import from_lake
    from linelogic_assets.backtest.engine import commission_rule, run_backtest
    from linelogic_assets.backtest.spec import decision_offsets
    from linelogic_assets.backtest.views import build_views
    from linelogic_assets.config import load_config

    digests = code_digests()
    cfg_path = silver_bench.setup_env(root)
    cfg = load_config(cfg_path)
    data_root = cfg.resolved_data_root()
    days = silver_bench.slate_days(cfg_path, n_days)
    windows = [(w.name, w.offset_minutes) for w in cfg.snapshot_schedule.windows]
    spec = season_spec(STRATEGIES[strategy], days, [name for name, _ in windows])
    decisions = decision_offsets(spec.buckets, windows)
    files = odds_files(data_root, days)

    def load() -> tuple[MarketData, int]:
        if mode == "naive":
            return naive_market_data(data_root, cfg, files, spec.start, spec.end, decisions)
        return from_lake(data_root, cfg, spec.sport, spec.start, spec.end, decisions), 0

    base_rss = silver_bench.peak_rss_kb()
    runs, result, data, queries = [], None, None, 0
    for _ in range(repeat):
        result = data = None  # let the previous run's output go before the next
        t0, c0 = time.perf_counter(), time.process_time()
        data, queries = load()
        t1, c1 = time.perf_counter(), time.process_time()
        result = run_backtest(spec, data)
        runs.append((t1 - t0, time.perf_counter() - t1, c1 - c0, time.process_time() - c1))
    peak = silver_bench.peak_rss_kb()
    sample = {}
    if mode == "naive":
        sample = parquet_sample(files, data, decisions, cfg.gold.max_quote_age_minutes, n_sample)
    views = Counter(v.bucket for v in build_views(data, commission_rule(spec.costs)))  # untimed
    result.bets.to_parquet(out)
    bets = result.bets
    settled = int(bets["result"].isin(["win", "loss", "push", "void"]).sum())
    print(json.dumps({
        "mode": mode, "strategy": strategy, "backtest": spec.name, "params": spec.params,
        "sizing": str(spec.sizing), "runs": runs, "base_rss_kb": base_rss, "peak_rss_kb": peak,
        "digests": digests, "code_changed": digests != code_digests(), "bets": len(bets),
        "bet_groups": int(bets["group_id"].nunique()), "bets_by_bucket": dict(Counter(bets["bucket"])),
        "settled": settled, "views": result.diagnostics["views"], "views_by_bucket": dict(views),
        "rows": {"book_lines": len(data.lines), "consensus_lines": len(data.consensus),
                 "pregame_training_rows": len(data.features), "events": len(data.events)},
        "queries": queries, "parquet_sample": sample, "profit": result.summary.get("profit"),
        "roi": result.summary.get("roi")}, default=str))


def naive_market_data(data_root: Path, cfg: IngestConfig, files: list[Path], start: date, end: date,
                      decisions: Sequence[tuple[str, int]]) -> tuple[MarketData, int]:
    """MarketData the naive way (one DuckDB as-of query per event per decision time, gold's functions per
    event) and the number of queries run."""
    import duckdb
    import pandas as pd

    from linelogic_assets.backtest.data import (
        CONS_COLS,
        EVENT_COLS,
        FEATURES,
        LINE_COLS,
        RESULT_COLS,
        MarketData,
        _missing,
        _utc,
    )
    from linelogic_assets.gold.clv import closing_reference
    from linelogic_assets.gold.consensus import book_lines, consensus
    from linelogic_assets.gold.io_manager import gold_database
    from linelogic_assets.silver.io_manager import read_range
    from linelogic_assets.sports import league_for

    settings = cfg.gold
    close_label = max(cfg.snapshot_schedule.windows, key=lambda w: w.offset_minutes).name
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    events = read_range(data_root, "event", SPORT, days)[EVENT_COLS]
    results = read_range(data_root, "event_result", SPORT, days)[RESULT_COLS]
    labels = [label for label, _ in decisions]
    marks = ", ".join("?" for _ in labels)
    with duckdb.connect(str(gold_database(data_root)), read_only=True) as gcon:
        feats = _utc(gcon.execute(
            f"SELECT canonical_event_id, bucket, {', '.join(FEATURES)} FROM gold.pregame_training_rows "
            f"WHERE sport = ? AND slate_date BETWEEN ? AND ? AND bucket IN ({marks}) "
            "ORDER BY canonical_event_id, bucket, asof_time_utc",
            [SPORT, start, end, *labels]).fetchdf())

    con = naive_connection(files)
    ev = events.drop_duplicates("canonical_event_id")
    all_lines, all_cons, queries = [], [], 0
    for eid, commence in zip(ev["canonical_event_id"], ev["commence_time_utc"], strict=True):
        parts = []
        for label, offset in decisions:
            rows = naive_asof(con, "odds", eid, label, commence + pd.Timedelta(minutes=offset),
                              settings.max_quote_age_minutes)
            queries += 1
            if len(rows):
                parts.append(rows.assign(bucket=label, commence_time_utc=commence))
        if not parts:
            continue
        lines = book_lines(_utc(pd.concat(parts, ignore_index=True)), settings)
        if len(lines):
            all_lines.append(lines)
            all_cons.append(consensus(lines))
    con.close()
    lines = pd.concat(all_lines, ignore_index=True)
    cons = pd.concat(all_cons, ignore_index=True)
    close = closing_reference(cons[cons["bucket"] == close_label], close_label)
    return MarketData(sport=SPORT, start=start, end=end, decisions=tuple(decisions), lines=lines[LINE_COLS],
                      consensus=cons.loc[cons["bucket"].isin(labels), CONS_COLS].reset_index(drop=True),
                      features=feats, events=events, results=results, close=close,
                      game_minutes=league_for(SPORT).max_game_minutes, settings=settings,
                      missing_dates=_missing(events, lines)), queries


def parquet_sample(files: list[Path], data: MarketData, decisions: Sequence[tuple[str, int]], max_age: int,
                   n: int, seed: int = 20251021) -> dict[str, Any]:
    """The baseline's as-of query on the loaded table and straight on the Parquet files, for `n` seeded
    (event, decision) pairs: per-query times and the check that both give the same rows."""
    import numpy as np

    con = naive_connection(files)
    ev = data.events.drop_duplicates("canonical_event_id").reset_index(drop=True)
    rng = np.random.default_rng(seed)
    picks = [(ev.loc[int(i), "canonical_event_id"], ev.loc[int(i), "commence_time_utc"], decisions[int(j)])
             for i, j in zip(rng.integers(0, len(ev), n), rng.integers(0, len(decisions), n), strict=True)]
    times: dict[str, list[float]] = {"odds": [], "odds_parquet": []}
    for eid, commence, (label, offset) in picks:
        got = []
        for src, ts in times.items():
            t = time.perf_counter()
            rows = naive_asof(con, src, eid, label, commence + timedelta(minutes=offset), max_age)
            ts.append(time.perf_counter() - t)
            got.append(rows.sort_values(["bookmaker", "market", "selection", "point"]).reset_index(drop=True))
        assert got[0].equals(got[1]), f"table and Parquet answers differ for {eid} {label}"
    con.close()
    return {src: float(np.median(ts)) for src, ts in times.items()} | {"n": n}


def spawn(mode: str, strategy: str, root: Path, n_days: int | None, repeat: int, out: Path,
          n_sample: int = 0) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", mode, "--strategy", strategy, "--root",
           str(root), "--repeat", str(repeat), "--out", str(out), "--parquet-sample", str(n_sample)]
    if n_days:
        cmd += ["--days", str(n_days)]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=False)
    if proc.returncode:
        raise SystemExit(f"{mode} {strategy} subprocess failed (exit {proc.returncode})")
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    best = min(res["runs"], key=lambda r: r[0] + r[1])
    res["load"], res["replay"], res["total"] = best[0], best[1], best[0] + best[1]
    res["cpu_load"], res["cpu_replay"], res["cpu_total"] = best[2], best[3], best[2] + best[3]
    return res


def same_ledger(ours: Path, other: Path) -> str | None:
    """None when both ledgers hold the same bets and stakes (exactly) and agree elsewhere to 1e-9."""
    import pandas as pd

    a, b = pd.read_parquet(ours), pd.read_parquet(other)
    if len(a) != len(b):
        return f"bet counts differ: {len(a)} vs {len(b)}"
    if list(a.columns) != list(b.columns):
        return f"columns differ: {list(a.columns)} vs {list(b.columns)}"
    try:
        pd.testing.assert_frame_equal(a[EXACT], b[EXACT], check_exact=True)
        pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-9, atol=0)
    except AssertionError as err:
        return " ".join(str(err).split())[:400]
    return None


# -- main --------------------------------------------------------------------------------------

def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", type=Path, default=DEFAULT_ROOT, help="the lake bench/gold.py built")
    ap.add_argument("--repeat", type=int, default=3, help="runs per library subprocess, best counts")
    ap.add_argument("--baseline-repeat", type=int, default=1, help="runs of the naive baseline, best counts")
    ap.add_argument("--days", type=int, default=None, help="first N slate dates of the season (default: all)")
    ap.add_argument("--parquet-sample", type=int, default=100,
                    help="baseline queries also timed straight on the Parquet files (default 100)")
    ap.add_argument("--child", choices=["library", "naive"], help=argparse.SUPPRESS)
    ap.add_argument("--strategy", choices=list(STRATEGIES), help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    root = args.root.resolve()
    if args.child:
        child(args.child, args.strategy, root, args.days, args.repeat, args.out, args.parquet_sample)
        return

    import duckdb
    import pyarrow.parquet as pq

    from linelogic_assets.config import load_config
    from linelogic_assets.gold.io_manager import gold_database
    from linelogic_assets.silver.io_manager import read_range

    t_start = time.perf_counter()
    cfg_path = silver_bench.setup_env(root)
    cfg = load_config(cfg_path)
    data_root = cfg.resolved_data_root()
    days = silver_bench.slate_days(cfg_path, args.days)
    buckets = [w.name for w in cfg.snapshot_schedule.windows]
    scope = "full regular season" if args.days is None else f"first {len(days)} slate dates only (--days)"
    code = code_digests()
    print("code as it is now: " + ", ".join(f"linelogic_assets/{k} sha256 {v}" for k, v in code.items()))
    db = gold_database(data_root)
    if not db.exists():
        raise SystemExit(f"no gold warehouse at {db}: run bench/gold.py --root {root} first")
    files = odds_files(data_root, days)
    events = read_range(data_root, "event", SPORT, days)
    status = Counter(events.drop_duplicates("canonical_event_id")["status"])
    silver_rows = sum(pq.ParquetFile(f).metadata.num_rows for f in files)
    marks = ", ".join("?" for _ in buckets)
    with duckdb.connect(str(db), read_only=True) as con:
        in_range = "WHERE sport = ? AND slate_date BETWEEN ? AND ?"
        span = [SPORT, days[0], days[-1]]
        gold_rows = {t: con.execute(f"SELECT count(*) FROM gold.{t} {in_range} AND bucket IN ({marks})",
                                    [*span, *buckets]).fetchone()[0] for t in GOLD_READ}
        gold_days, with_lines = con.execute(
            "SELECT count(DISTINCT slate_date), count(DISTINCT canonical_event_id) FROM gold.book_lines "
            f"{in_range}",
            span).fetchone()
    if gold_days < len(days):
        raise SystemExit(f"gold holds book lines for {gold_days} of the {len(days)} slate dates: run "
                         f"bench/gold.py --root {root} first")
    for f in [*files, db]:  # page cache warm for every approach
        f.read_bytes()
    games = sum(status.values())
    how = ", ".join(f"{k} {v}" for k, v in sorted(status.items()))
    print(f"season: {len(days)} NBA slate dates {days[0]}..{days[-1]} ({scope}); {games:,} games ({how}), "
          f"{with_lines:,} with gold book lines")
    print(f"decision points: all {len(buckets)} buckets ({', '.join(buckets)}) of every game")
    print("gold rows a library run reads (lake " + str(db) + "): " + ", ".join(
        f"{t} {n:,}" for t, n in gold_rows.items()) + f"; total {sum(gold_rows.values()):,}")
    print(f"silver the baseline queries: odds_snapshot {silver_rows:,} rows in {len(files)} Parquet files "
          f"({sum(f.stat().st_size for f in files) / 1e6:.1f} MB)", flush=True)

    print(f"\n1. library (from_lake + run_backtest), one fresh subprocess per strategy, best of "
          f"{args.repeat}")
    lib: dict[str, dict] = {}
    tmp = root / "backtest_bench"
    tmp.mkdir(exist_ok=True)
    for strategy in STRATEGIES:
        load0 = os.getloadavg()[0]
        res = spawn("library", strategy, root, args.days, args.repeat,
                    tmp / f"bets_library_{strategy}.parquet")
        lib[strategy] = res
        print(f"  ran {strategy} ({res['backtest']}, params {res['params']}, sizing {res['sizing']}): wall "
              f"{[round(r[0] + r[1], 2) for r in res['runs']]} s; 1-min load average {load0:.2f} before / "
              f"{os.getloadavg()[0]:.2f} after", flush=True)
    print(f"  {'strategy':<21} {'load s':>7} {'replay+metrics s':>17} {'total s':>8} {'(CPU s)':>8} "
          f"{'peak RSS':>9} {'RSS-base':>9} {'bets':>6} {'views':>6}")
    for strategy, r in lib.items():
        print(f"  {strategy:<21} {r['load']:>7.2f} {r['replay']:>17.2f} {r['total']:>8.2f} "
              f"{r['cpu_total']:>8.2f} {r['peak_rss_kb'] / 1024:>6.0f} MB "
              f"{(r['peak_rss_kb'] - r['base_rss_kb']) / 1024:>6.0f} MB {r['bets']:>6,} {r['views']:>6,}")
    for strategy, r in lib.items():
        views = ", ".join(f"{b} {r['views_by_bucket'].get(b, 0):,}" for b in buckets)
        bets = ", ".join(f"{b} {r['bets_by_bucket'].get(b, 0):,}" for b in buckets)
        print(f"  {strategy}: views by bucket {views}; bets by bucket {bets}; {r['bet_groups']:,} bet "
              f"groups, {r['settled']:,} settled, profit {r['profit']:,.2f}, roi {r['roi']:.4f}")
    print("  rows read per run: " + ", ".join(f"{k} {v:,}" for k, v in lib["ev"]["rows"].items()))
    print("  (CPU s: the process's CPU time over load + replay, all threads; RSS-base: peak RSS minus RSS "
          "after imports, what the run adds)")
    changed = [s for s, r in lib.items() if r["digests"] != code or r["code_changed"]]
    if changed:
        print(f"  WARNING: the code changed while the bench ran ({changed})")

    print("\n2. naive baseline for ev (one DuckDB as-of query per event per decision time, gold's book_lines "
          "and consensus per event, the same engine), fresh subprocess", flush=True)
    load0 = os.getloadavg()[0]
    nv = spawn("naive", "ev", root, args.days, args.baseline_repeat, tmp / "bets_naive_ev.parquet",
               args.parquet_sample)
    print(f"  ran: wall {[round(r[0] + r[1], 1) for r in nv['runs']]} s; {nv['queries']:,} as-of queries; "
          f"1-min load average {load0:.2f} before / {os.getloadavg()[0]:.2f} after")
    print(f"  load {nv['load']:.1f} s ({nv['load'] / nv['queries'] * 1e3:.1f} ms per as-of query, with "
          f"gold's book_lines/consensus per event), replay+metrics {nv['replay']:.2f} s, total "
          f"{nv['total']:.1f} s (CPU {nv['cpu_total']:.1f} s); peak RSS {nv['peak_rss_kb'] / 1024:.0f} MB "
          f"({(nv['peak_rss_kb'] - nv['base_rss_kb']) / 1024:.0f} MB over base); bets {nv['bets']:,}, "
          f"views {nv['views']:,}")
    print("  rows built: " + ", ".join(f"{k} {v:,}" for k, v in nv["rows"].items()))
    ps = nv["parquet_sample"]
    if ps:
        print(f"  the as-of query alone, median of {ps['n']} seeded (event, decision) pairs: "
              f"{ps['odds'] * 1e3:.2f} ms on the season loaded into a DuckDB table (the baseline) vs "
              f"{ps['odds_parquet'] * 1e3:.2f} ms straight on the {len(files)} Parquet files (same rows): "
              "the table is the stronger baseline")
    diff = same_ledger(tmp / "bets_library_ev.parquet", tmp / "bets_naive_ev.parquet")
    assert diff is None, f"the baseline's ev ledger differs from the library's: {diff}"
    assert nv["views"] == lib["ev"]["views"], (nv["views"], lib["ev"]["views"])
    print(f"  check: the baseline's ev ledger equals the library's: {nv['bets']:,} bets, same events, "
          f"buckets, books, selections, points, prices and stakes (exact), every other column to 1e-9; same "
          f"{nv['views']:,} decision views")

    x, y = lib["ev"], nv
    z = y["total"] / x["total"]
    what = "a season" if args.days is None else f"{len(days)} slate dates (--days)"
    met_x, met_z = ("MET" if ok else "NOT MET" for ok in (x["total"] <= 5, z >= 20))
    print(f"\n3. `ev` backtest of {what}: {x['total']:.2f} s (target <= 5 s: {met_x}); baseline "
          f"{y['total']:.1f} s; speed-up Y/X = {z:.1f}x (target >= 20x: {met_z})")
    print(f"   library: load {x['load']:.2f} s + replay+metrics {x['replay']:.2f} s "
          f"(CPU {x['cpu_total']:.2f} s), peak RSS {x['peak_rss_kb'] / 1024:.0f} MB; baseline: load "
          f"{y['load']:.1f} s + replay+metrics {y['replay']:.2f} s (CPU {y['cpu_total']:.1f} s), peak RSS "
          f"{y['peak_rss_kb'] / 1024:.0f} MB")
    print(f"   both: {y['bets']:,} bets over {y['views']:,} decision views of {games:,} games at "
          f"{len(buckets)} buckets; CPU-time ratio {y['cpu_total'] / x['cpu_total']:.1f}x; load alone "
          f"{y['load'] / x['load']:.0f}x")
    print(f"\ntotal wall time {time.perf_counter() - t_start:.0f} s")


if __name__ == "__main__":
    main()
