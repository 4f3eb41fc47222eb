"""Gold carries real information: on a simulated NBA season the devigged sharp close is better
calibrated (lower Brier score on the results) than the opening consensus.

The season's quotes come straight from the simulator's books (the same prices its HTTP API serves),
as silver-shaped rows at each game's OPEN (T-24h) and CLOSE (T-1 min), so the whole regular season
fits in a test; the results are the simulator's. Everything after that is the gold code path.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

from linelogic_assets.config import GoldSettings
from linelogic_assets.gold.asof import asof_points, quotes_asof
from linelogic_assets.gold.consensus import book_lines, consensus
from linelogic_assets.simulator.books import BY_KEY
from linelogic_assets.simulator.lines import book_outcomes, book_quote, path_of
from linelogic_assets.simulator.schedule import season_schedule

SEED, SEASON = 1, 2025
BOOKS = ["pinnacle", "draftkings", "fanduel", "betmgm", "williamhill_us", "betrivers", "bovada"]
WINDOWS = [("OPEN", -1440), ("CLOSE", 0)]


def simulated_season() -> tuple[pd.DataFrame, pd.DataFrame]:
    rows, results = [], []
    for g in season_schedule("nba", SEASON, SEED).games:
        path = path_of(SEED, g)
        eid = f"nba-{g.index:05d}"
        commence = datetime.fromtimestamp(g.commence_ts, tz=UTC)
        results.append({"canonical_event_id": eid, "home_win": path.result.home_score > path.result.away_score})
        for minutes in (1440 + 5, 1):  # the collector's OPEN and CLOSE snapshots, just before each target
            ts = g.commence_ts - minutes * 60
            for key in BOOKS:
                book = BY_KEY[key]
                q = book_quote(path, book, ts)
                if q is None:
                    continue
                [(_, outcomes)] = book_outcomes("nba", ("h2h",), q.x, q.t, q.frac_left, q.d0, q.c0, book.margin,
                                                False, False, "home", "away")
                for o in outcomes:
                    rows.append({"canonical_event_id": eid, "bookmaker": key, "market": "h2h",
                                 "selection": o["name"], "participant": None, "price": float(o["price"]),
                                 "point": np.nan, "snapshot_time_utc": datetime.fromtimestamp(ts, tz=UTC),
                                 "commence_time_utc": commence, "is_live": False})
    odds = pd.DataFrame(rows)
    for c in ("snapshot_time_utc", "commence_time_utc"):
        odds[c] = odds[c].astype("datetime64[us, UTC]")
    return odds, pd.DataFrame(results)


def brier(p: pd.Series, outcome: pd.Series) -> float:
    return float(((p - outcome.astype(float)) ** 2).mean())


def test_sharp_close_is_better_calibrated_than_the_opening_consensus() -> None:
    odds, results = simulated_season()
    events = odds[["canonical_event_id", "commence_time_utc"]].drop_duplicates()
    points = asof_points(events, odds, WINDOWS, now=None)
    cons = consensus(book_lines(quotes_asof(odds, points, max_age=timedelta(minutes=120)), GoldSettings()))
    home = cons[cons["selection"] == "home"].set_index("canonical_event_id")
    df = results.set_index("canonical_event_id").join(pd.DataFrame({
        "open": home.loc[home["bucket"] == "OPEN", "fair_prob"],
        "close": home.loc[home["bucket"] == "CLOSE", "sharp_fair_prob"]}), how="inner").dropna()
    assert len(df) > 1100  # the whole regular season, not a sample
    open_consensus = brier(df["open"], df["home_win"])
    sharp_close = brier(df["close"], df["home_win"])
    base_rate = brier(pd.Series(df["home_win"].mean(), index=df.index), df["home_win"])
    print(f"Brier over {len(df)} games: sharp close {sharp_close:.4f}, opening consensus {open_consensus:.4f}, "
          f"base rate {base_rate:.4f}")
    assert sharp_close < open_consensus < base_rate, (sharp_close, open_consensus, base_rate)
    # the market is far better than the base rate; close vs open is a small,
    # realistic gain (the pregame walk is small next to game noise): reported, not over-claimed
    won = df["home_win"].astype(float)
    gain = (df["open"] - won) ** 2 - (df["close"] - won) ** 2
    print(f"paired Brier gain of the sharp close: {gain.mean():.5f} ± {gain.std() / np.sqrt(len(gain)):.5f} (SE)")
