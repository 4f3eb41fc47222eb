"""Polymarket benchmark: price-history normalisation, the retention sweep's request load, and the close's
calibration, over one simulated NBA regular season.

World: the built-in simulator with default `SimulatorSettings` (seed 1, default market scenario), every
NBA game of the 2025-26 regular season (slate dates 2025-10-21 .. 2026-04-12; `--days N` keeps the
first N slate dates). Each game has three markets (moneyline, spread, total) of two tokens each.

Inputs, built before any timing (in `--jobs` worker processes): every token's /prices-history body as
`PolymarketSim.handle("clob", "/prices-history", ...)` serves it (the JSON bytes), with the request the
retention sweep makes: startTs = the market's creation, endTs = the game's end as the pipeline defines
it (start + the league's `max_game_minutes`), fidelity 5, asked at that end (the first moment
`due_tokens` makes the token due). Beside it, the simulator's Pinnacle h2h quote at the game's start
(`book_quote` + `book_outcomes`, decimal prices as served).

1. Normalisation throughput. Timed with time.perf_counter (and time.process_time), `--repeat` times,
   best wall time counts, in this one process, over all bodies held in memory:
   - vectorised (the product): `json.loads` + `normalise.history_rows` per body;
   - naive baseline: `json.loads`, then per point: validate t (a number, a unix time in 2015..2100) and
     p (a number in [0, 1]), make an aware UTC datetime, keep the last point of a repeated t (a dict
     keyed by t), append a dict; at the end of each body one DataFrame with the table's columns
     and types, sorted by time.
   Both keep every body's frame (as the asset keeps them until it writes). Afterwards the two outputs
   are asserted equal, token by token (`assert_frame_equal`, exact). Printed: points, tokens, seconds,
   points/s of each, the ratio naive/vectorised, and each approach's peak RSS above the process's RSS
   before it ran (VmHWM, reset through /proc/self/clear_refs before each approach).
2. The retention sweep's cost: after a game ends `due_tokens` asks one /prices-history request per token
   of its markets, and every event of the slate is listed with its markets (postponed games included:
   the rule reads only gameStartTime). Per slate date: requests = 6 x games. Printed: mean, max and
   per game, the season total, and against the /prices-history limit (1,000 per 10 s; the client's
   bucket bursts 1 s of that rate, then paces at 100/s): share of one window and the shortest time
   the busiest day's sweep can take; the bytes a day's sweep downloads.
3. Calibration, over the finished games (postponed excluded) that Pinnacle prices at the start: the
   Brier score against the home-win outcome of (a) the Polymarket moneyline mid at the close, the home
   token's last history point at or before the game's start, read from the normalised rows of part 1,
   and (b) the sharp close, Pinnacle's h2h prices at the start devigged with odds_math's shin method
   (multiplicative beside it). Printed: both, their difference, the game count, and as baseline the
   Brier score of the season's home-win rate as a constant forecast.

The inputs are cached under --root (default /tmp/linelogic_bench_polymarket), keyed by the simulator's
code and the games: a rerun reads them instead of rebuilding.

Run: .venv/bin/python bench/polymarket.py [--days N] [--repeat 3] [--jobs 2] [--root DIR]
The last line is JSON.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import math
import multiprocessing as mp
import os
import pickle
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from linelogic_assets import odds_math  # noqa: E402
from linelogic_assets.providers.polymarket.normalise import history_rows  # noqa: E402
from linelogic_assets.providers.polymarket.settings import PolymarketLimits, PolymarketSettings  # noqa: E402
from linelogic_assets.providers.polymarket.simulator import (  # noqa: E402
    MARKETS,
    PolymarketSim,
    market_times,
    token_id,
)
from linelogic_assets.simulator.books import BY_KEY  # noqa: E402
from linelogic_assets.simulator.lines import book_outcomes, book_quote, path_of, track  # noqa: E402
from linelogic_assets.simulator.schedule import Game, season_schedule  # noqa: E402
from linelogic_assets.simulator.settings import SimulatorSettings  # noqa: E402
from linelogic_assets.sports import league_for  # noqa: E402

LEAGUE, SEASON_YEAR = "nba", 2025
SEASON = (date(2025, 10, 21), date(2026, 4, 12))
FIDELITY = PolymarketSettings().history_fidelity_minutes  # 5
SHARP = "pinnacle"
DEFAULT_ROOT = Path("/tmp/linelogic_bench_polymarket")
ML, HOME_OUTCOME = 0, 1  # the moneyline market's outcomes are [away, home]
TOKENS_PER_GAME = len(MARKETS) * 2
COLS = ["token_id", "ts_utc", "price", "size", "source"]
DTYPES = {"token_id": object, "ts_utc": "datetime64[us, UTC]", "price": float, "size": float, "source": object}
# history points outside these years are not Polymarket's: the same bounds history_rows applies
T_MIN = datetime(2015, 1, 1, tzinfo=UTC).timestamp()
T_MAX = datetime(2100, 1, 1, tzinfo=UTC).timestamp()


def code_digests() -> dict[str, str]:
    """Short sha256 of the code measured (others may edit it while the bench runs)."""
    pkg = REPO / "linelogic_assets" / "providers" / "polymarket"
    return {p: hashlib.sha256((pkg / p).read_bytes()).hexdigest()[:12] for p in ("normalise.py", "simulator.py")}


def peak_rss_kb() -> int:
    """This process's peak RSS (VmHWM, in kB)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


_PEAKS: list[int] = []  # VmHWM before each reset: the process's peak is the max of these and the last


def reset_peak_rss() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0), so the next peak is one approach's own."""
    _PEAKS.append(peak_rss_kb())
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def season_games(seed: int, n_days: int | None) -> tuple[list[date], list[Game]]:
    """The season's slate dates with games (first `n_days` of them) and their games in schedule order."""
    games = [g for g in season_schedule(LEAGUE, SEASON_YEAR, seed).games if SEASON[0] <= g.slate_date <= SEASON[1]]
    days = sorted({g.slate_date for g in games})[:n_days] if n_days else sorted({g.slate_date for g in games})
    keep = set(days)
    return days, [g for g in games if g.slate_date in keep]


# -- inputs (worker processes, untimed) ------------------------------------------------------------

_SIM: PolymarketSim | None = None


def _sim() -> PolymarketSim:
    global _SIM
    if _SIM is None:
        _SIM = PolymarketSim(SimulatorSettings(), lambda: 0.0)  # a fixed monotonic clock: nothing throttles
    return _SIM


def game_inputs(g: Game) -> dict[str, Any]:
    """One game's six history bodies (as served) and Pinnacle's h2h prices at its start (None if unlisted)."""
    sim = _sim()
    seed = sim.seed
    created, _ = market_times(seed, g)
    end = g.commence_ts + league_for(g.league).max_game_minutes * 60
    now = datetime.fromtimestamp(end, UTC)
    bodies = []
    for mk in range(len(MARKETS)):
        for outcome in (0, 1):
            token = token_id(seed, g, mk, outcome)
            params = {"market": [token], "startTs": [str(created)], "endTs": [str(end)],
                      "fidelity": [str(FIDELITY)]}
            resp = sim.handle("clob", "/prices-history", params, now, 0, None)
            if resp.status != 200:
                raise SystemExit(f"/prices-history {token} answered {resp.status}: {resp.body[:200]!r}")
            bodies.append((mk, outcome, token, resp.body))
    r = path_of(seed, g, sim.market).result
    return {"index": g.index, "bodies": bodies, "sharp": sharp_close(seed, g, sim),
            "home_win": float(r.home_score > r.away_score)}


def sharp_close(seed: int, g: Game, sim: PolymarketSim) -> tuple[float, float] | None:
    """(home, away) decimal h2h prices Pinnacle shows at the start, as the odds simulator serves them."""
    book = BY_KEY[SHARP]
    path = path_of(seed, g, sim.market)
    tr = track(path, book)
    if not tr.listed or "h2h" not in tr.markets:
        return None
    q = book_quote(path, book, g.commence_ts, tr)
    if q is None:
        return None
    home, away = g.home.full_name, g.away.full_name
    (_, rows), = book_outcomes(g.league, ("h2h",), q.x, q.t, q.frac_left, q.d0, q.c0, book.margin, False,
                               False, home, away)
    price = {r["name"]: float(r["price"]) for r in rows}
    return price[home], price[away]


def build_inputs(games: list[Game], jobs: int, root: Path) -> tuple[list[dict[str, Any]], str]:
    """The games' inputs, from the cache under `root` when the simulator's code and the games are unchanged."""
    sim_code = sorted((REPO / "linelogic_assets" / "simulator").glob("*.py"))
    sim_code.append(REPO / "linelogic_assets" / "providers" / "polymarket" / "simulator.py")
    key = hashlib.sha256(b"".join(p.read_bytes() for p in sim_code)
                         + repr([(g.index, g.commence_ts) for g in games]).encode()).hexdigest()[:16]
    cache = root / f"inputs_{key}.pkl"
    if cache.exists():
        return pickle.loads(cache.read_bytes()), f"read from the cache {cache}"
    if jobs <= 1:
        built = [game_inputs(g) for g in games]
    else:
        with mp.get_context("fork").Pool(jobs) as pool:
            built = pool.map(game_inputs, games, chunksize=16)
    root.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_suffix(".tmp")
    tmp.write_bytes(pickle.dumps(built, protocol=pickle.HIGHEST_PROTOCOL))
    tmp.replace(cache)
    return built, f"built by the simulator with {jobs} workers (cached in {cache})"


# -- the two approaches ----------------------------------------------------------------------------

Bodies = list[tuple[str, bytes]]


def run_vectorised(bodies: Bodies) -> tuple[list[pd.DataFrame], int]:
    frames, rejected = [], 0
    for token, raw in bodies:
        frame, bad = history_rows(token, json.loads(raw))
        frames.append(frame)
        rejected += sum(r.rows for r in bad)
    return frames, rejected


def _number(x: object) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def naive_rows(token: str, raw: bytes) -> tuple[pd.DataFrame, int]:
    """One body the per-point way: validated points, last of a repeated t kept, one DataFrame at the end."""
    body = json.loads(raw)
    history = body.get("history") if isinstance(body, dict) else None
    if not isinstance(history, list):
        return pd.DataFrame(columns=COLS).astype(DTYPES), 1
    by_t: dict[float, dict[str, Any]] = {}
    rejected = 0
    for point in history:
        t = point.get("t") if isinstance(point, dict) else None
        p = point.get("p") if isinstance(point, dict) else None
        if not _number(t) or not T_MIN <= t < T_MAX or not _number(p) or not 0 <= p <= 1:
            rejected += 1
            continue
        by_t[t] = {"token_id": token, "ts_utc": datetime.fromtimestamp(t, UTC), "price": float(p),
                   "size": math.nan, "source": "history"}
    rows = [by_t[t] for t in sorted(by_t)]
    return pd.DataFrame(rows, columns=COLS).astype(DTYPES), rejected


def run_naive(bodies: Bodies) -> tuple[list[pd.DataFrame], int]:
    frames, rejected = [], 0
    for token, raw in bodies:
        frame, bad = naive_rows(token, raw)
        frames.append(frame)
        rejected += bad
    return frames, rejected


def timed(fn: Callable[[Bodies], tuple[list[pd.DataFrame], int]], bodies: Bodies, repeat: int,
          ) -> dict[str, Any]:
    """Best of `repeat` runs; the last run's output kept; peak RSS above the RSS before the first run."""
    gc.collect()
    base = rss_kb()
    reset = reset_peak_rss()
    walls, cpus, out = [], [], None
    for _ in range(repeat):
        out = None  # let the previous run's frames go before the next
        gc.collect()
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn(bodies)
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    frames, rejected = out
    return {"walls": walls, "cpus": cpus, "best": min(walls), "frames": frames, "rejected": rejected,
            "rss_added_mb": (peak_rss_kb() - base) / 1024 if reset else None}


# -- main ------------------------------------------------------------------------------------------

def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=int, default=None, help="first N slate dates of the season (default: all)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=2, help="worker processes building the inputs (untimed)")
    ap.add_argument("--root", type=Path, default=DEFAULT_ROOT, help="cache of the built inputs")
    args = ap.parse_args()
    t_start = time.perf_counter()
    digests = code_digests()
    settings = SimulatorSettings()
    days, games = season_games(settings.seed, args.days)
    scope = "full regular season" if args.days is None else f"first {len(days)} slate dates only (--days)"
    print(f"season: {len(games)} NBA games on {len(days)} slate dates {days[0]}..{days[-1]} ({scope}); "
          f"simulator seed {settings.seed}, default market scenario", flush=True)
    print(f"code: {', '.join(f'{k} sha256 {v}' for k, v in digests.items())}")

    # -- inputs
    t0 = time.perf_counter()
    built, how = build_inputs(games, args.jobs, args.root)
    by_index = {b["index"]: b for b in built}
    bodies: Bodies = [(tok, raw) for g in games for _, _, tok, raw in by_index[g.index]["bodies"]]
    nbytes = sum(len(raw) for _, raw in bodies)
    print(f"inputs: {len(bodies):,} /prices-history bodies ({nbytes / 1e6:.1f} MB of JSON, startTs = creation, "
          f"endTs = start + {league_for(LEAGUE).max_game_minutes} min, fidelity {FIDELITY}) and {SHARP}'s "
          f"h2h close, {how} in {time.perf_counter() - t0:.0f} s, before timing", flush=True)

    # -- 1. normalisation throughput
    print(f"\n1. /prices-history normalisation, best of {args.repeat} (1-min load average "
          f"{os.getloadavg()[0]:.2f} before)", flush=True)
    vec = timed(run_vectorised, bodies, args.repeat)
    print(f"  ran vectorised: {[round(x, 2) for x in vec['walls']]} s wall, "
          f"{[round(x, 2) for x in vec['cpus']]} s CPU", flush=True)
    naive = timed(run_naive, bodies, args.repeat)
    print(f"  ran naive:      {[round(x, 2) for x in naive['walls']]} s wall, "
          f"{[round(x, 2) for x in naive['cpus']]} s CPU (load average {os.getloadavg()[0]:.2f} after)",
          flush=True)
    points = sum(len(f) for f in vec["frames"])
    assert len(vec["frames"]) == len(naive["frames"]) == len(bodies)
    for (token, _), a, b in zip(bodies, vec["frames"], naive["frames"], strict=True):
        try:
            pd.testing.assert_frame_equal(a, b, check_exact=True)
        except AssertionError as err:
            raise SystemExit(f"token {token}: naive rows differ from history_rows: {str(err).splitlines()[0]}"
                             ) from None
    assert vec["rejected"] == naive["rejected"], (vec["rejected"], naive["rejected"])
    print(f"  check: both give the same {points:,} rows, token by token (exact), "
          f"{vec['rejected']} points rejected by each")
    print(f"  {'approach':<44} {'points':>12} {'tokens':>7} {'best s':>7} {'points/s':>12} {'RSS added':>10}")
    for name, res in (("vectorised: json.loads + history_rows", vec), ("naive: json.loads + per-point loop", naive)):
        added = f"{res['rss_added_mb']:.0f} MB" if res["rss_added_mb"] is not None else "n/a"
        print(f"  {name:<44} {points:>12,} {len(bodies):>7,} {res['best']:>7.2f} {points / res['best']:>12,.0f} "
              f"{added:>10}")
    ratio = naive["best"] / vec["best"]
    print(f"  ratio naive / vectorised (wall): {ratio:.2f}x; CPU {min(naive['cpus']) / min(vec['cpus']):.2f}x",
          flush=True)
    naive["frames"] = None

    # -- 2. retention sweep
    limits = PolymarketLimits()
    per_day = {d: 0 for d in days}
    for g in games:
        per_day[g.slate_date] += TOKENS_PER_GAME
    reqs = np.array(list(per_day.values()))
    bytes_day: dict[date, int] = dict.fromkeys(days, 0)
    for g in games:
        bytes_day[g.slate_date] += sum(len(raw) for *_, raw in by_index[g.index]["bodies"])
    busiest = max(per_day, key=per_day.get)
    rate, burst = limits.per_second(limits.clob_prices_history), limits.burst(limits.clob_prices_history)
    window = limits.clob_prices_history
    print(f"\n2. retention sweep: one /prices-history request per token of a finished game "
          f"({TOKENS_PER_GAME} per game: {len(MARKETS)} markets x 2 tokens)")
    print(f"  requests per slate date: mean {reqs.mean():.1f}, max {reqs.max()} ({busiest}), min {reqs.min()}; "
          f"season total {reqs.sum():,} over {len(days)} dates; "
          f"{sum(g.postponed for g in games)} postponed games' tokens included (the rule cannot tell)")
    print(f"  against the limit ({window:,} per {limits.window_seconds:.0f} s = {rate:.0f}/s, client burst "
          f"{burst}): mean day {reqs.mean() / window:.1%} of one window, busiest day {reqs.max() / window:.1%}; "
          f"the busiest day's sweep takes >= {max(0, reqs.max() - burst) / rate:.2f} s at the limit "
          f"(mean day >= {max(0.0, reqs.mean() - burst) / rate:.2f} s)")
    mb = np.array(list(bytes_day.values())) / 1e6
    print(f"  bytes per day's sweep: mean {mb.mean():.1f} MB, max {mb.max():.1f} MB "
          f"({nbytes / len(bodies) / 1e3:.1f} kB per token)", flush=True)

    # -- 3. calibration
    frames = vec["frames"]
    rows = []
    pos = 0
    for g in games:
        entry = by_index[g.index]
        for mk, outcome, _, _ in entry["bodies"]:
            frame = frames[pos]
            pos += 1
            if mk != ML or outcome != HOME_OUTCOME or g.postponed:
                continue
            ts = frame["ts_utc"].astype("int64").to_numpy()  # µs since the epoch, sorted
            start = g.commence_ts * 1_000_000
            i = int(np.searchsorted(ts, start, side="right")) - 1
            rows.append({"index": g.index, "pm": float(frame["price"].iat[i]) if i >= 0 else math.nan,
                         "pm_age_s": (start - int(ts[i])) / 1e6 if i >= 0 else math.nan,
                         "sharp": entry["sharp"], "y": entry["home_win"]})
    cal = pd.DataFrame(rows)
    finished = len(cal)
    no_pm = int(cal["pm"].isna().sum())
    has_sharp = cal["sharp"].notna()
    cal = cal[has_sharp & cal["pm"].notna()].reset_index(drop=True)
    prices = np.array(cal["sharp"].tolist(), dtype=float)  # (home, away)
    shin = odds_math.devig_many(prices, "shin")[:, 0]
    mult = odds_math.devig_many(prices, "multiplicative")[:, 0]
    y = cal["y"].to_numpy()
    brier_pm = float(np.mean((cal["pm"].to_numpy() - y) ** 2))
    brier_shin = float(np.mean((shin - y) ** 2))
    brier_mult = float(np.mean((mult - y) ** 2))
    base_rate = float(y.mean())
    brier_const = float(np.mean((base_rate - y) ** 2))
    print(f"\n3. calibration (Brier vs home win) over {len(cal):,} finished games priced by {SHARP} at the start "
          f"({finished:,} finished, {sum(g.postponed for g in games)} postponed excluded, "
          f"{int((~has_sharp).sum())} without a {SHARP} h2h quote, {no_pm} without a history point before the start)")
    print(f"  Polymarket mid at the close (home token's last point <= start, "
          f"{cal['pm_age_s'].mean():.0f} s before it on average): {brier_pm:.5f}")
    print(f"  sharp close ({SHARP} h2h at the start, shin):            {brier_shin:.5f} "
          f"(multiplicative {brier_mult:.5f})")
    print(f"  difference Polymarket - sharp (shin): {brier_pm - brier_shin:+.5f}; ratio {brier_pm / brier_shin:.4f}")
    print(f"  baseline: constant home-win rate {base_rate:.3f}: {brier_const:.5f} "
          f"(skill vs it: Polymarket {1 - brier_pm / brier_const:.3f}, sharp {1 - brier_shin / brier_const:.3f})")

    peak = max([*_PEAKS, peak_rss_kb()])
    if digests != code_digests():
        print("warning: the measured code changed while the bench ran")
    print(f"\npeak RSS {peak / 1024:.0f} MB (this process: all bodies, the vectorised frames and the naive "
          f"frames at once); total wall time {time.perf_counter() - t_start:.0f} s")
    print(json.dumps({
        "history_points": points, "history_vectorised_seconds": round(vec["best"], 4),
        "history_naive_seconds": round(naive["best"], 4), "history_ratio": round(ratio, 3),
        "retention_requests_per_day_mean": round(float(reqs.mean()), 2),
        "retention_requests_per_day_max": int(reqs.max()),
        "brier_polymarket_mid_close": round(brier_pm, 6), "brier_sharp_close": round(brier_shin, 6),
        "games": len(cal), "peak_rss_mb": round(peak / 1024, 1)}))


if __name__ == "__main__":
    main()
