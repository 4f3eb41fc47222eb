"""Leakage-safe training rows, keyed (canonical_event_id, asof_bucket).

Every feature of a row is computed from information available at the row's `asof_time_utc`:
- market features from quotes at or before it (`asof.quotes_asof`: the last snapshot ≤ asof);
- movement from the consensus path restricted to snapshot times ≤ asof;
- team form from games that *ended* before it, where a game's end is its start plus the league's
  `max_game_minutes` (a result is never used while the game could still be in progress).
Labels (scores, home_win, margin, total) come from the event's own result and are never features.

`build_training` is a pure function of its inputs, so the `no_leakage` check can rebuild every bucket
from inputs truncated at that bucket's as-of time and demand identical rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

from linelogic_assets.config import GoldSettings
from linelogic_assets.gold.asof import asof_points
from linelogic_assets.gold.consensus import consensus, lines_asof, series_lines

FORM_COLS = ["form_games", "win_pct", "pts_for", "pts_against", "rest_days"]
LEVELS = {  # feature prefix → (market, selection, consensus columns → feature suffix)
    "h2h_home": ("h2h", "home", {"n_books": "h2h_n_books", "fair_prob": "h2h_home_fair_prob",
                                 "trimmed_fair_prob": "h2h_home_trimmed_fair_prob",
                                 "sharp_fair_prob": "h2h_home_sharp_fair_prob"}),
    "spread_home": ("spreads", "home", {"point_median": "spread_home_point", "fair_prob": "spread_home_fair_prob"}),
    "total_over": ("totals", "over", {"point_median": "total_point", "fair_prob": "total_over_fair_prob"}),
}


def form_lookback_days(form_games: int) -> int:
    """How far back (in slate dates) team form looks from a row's slate: enough for N games of any league."""
    return max(120, 8 * form_games)


def form_days(start: date, end: date, form_games: int) -> list[date]:
    """The slate dates team form reads for slates start..end, newest first."""
    first = start - timedelta(days=form_lookback_days(form_games))
    return [end - timedelta(days=i) for i in range((end - first).days + 1)]


def game_end(events: pd.DataFrame, game_minutes: int) -> pd.Series:
    start = events["actual_start_utc"].fillna(events["commence_time_utc"])
    return start + pd.Timedelta(minutes=game_minutes)


def team_games(history: pd.DataFrame, game_minutes: int) -> pd.DataFrame:
    """Finished games (events joined with results) → one row per team and game, with running totals."""
    h = history[(history["status"] == "final") & history["home_score"].notna() & history["away_score"].notna()]
    h = h.drop_duplicates("canonical_event_id")
    ended = game_end(h, game_minutes)
    sides = []
    for team, pf, pa in (("home_team_id", "home_score", "away_score"), ("away_team_id", "away_score", "home_score")):
        sides.append(pd.DataFrame({"team_id": h[team], "game_id": h["canonical_event_id"],
                                   "slate_date": _slate_dates(h),
                                   "game_commence": h["commence_time_utc"], "ended": ended,
                                   "won": (h[pf] > h[pa]).astype(float), "pf": h[pf].astype(float),
                                   "pa": h[pa].astype(float)}))
    games = pd.concat(sides, ignore_index=True).sort_values(["team_id", "ended", "game_id"], ignore_index=True)
    g = games.groupby("team_id", sort=False)
    games["idx"] = g.cumcount()
    for c in ("won", "pf", "pa"):
        games[f"cum_{c}"] = g[c].cumsum()
    return games


def _slate_dates(frame: pd.DataFrame) -> pd.Series:
    """A frame's slate dates as datetime64 (NaT where it carries none)."""
    if "slate_date" not in frame:
        return pd.Series(pd.NaT, index=frame.index, dtype="datetime64[s]")
    return pd.to_datetime(frame["slate_date"]).astype("datetime64[s]")


def _games_before_window(games: pd.DataFrame, q: pd.DataFrame) -> np.ndarray:
    """Per query: how many of the team's games have a slate date before the query's `window_start`."""
    if "window_start" not in q or games.empty:
        return np.zeros(len(q))
    g = games[["team_id", "slate_date"]].dropna().sort_values("slate_date", kind="stable")
    g["before"] = g.groupby("team_id", sort=False).cumcount() + 1  # games on or before this slate date
    w = q[["team_id", "window_start"]].assign(_pos=np.arange(len(q)),
                                              window_start=lambda x: x["window_start"].astype("datetime64[s]"))
    m = pd.merge_asof(w.sort_values("window_start"), g, left_on="window_start", right_on="slate_date",
                      by="team_id", direction="backward", allow_exact_matches=False)
    return m.sort_values("_pos")["before"].fillna(0).to_numpy()


def form_asof(games: pd.DataFrame, queries: pd.DataFrame, n: int) -> pd.DataFrame:
    """Per query (qid, team_id, asof_time_utc, commence_time_utc[, window_start]): form over the team's last
    `n` games that ended strictly before asof_time_utc and, when the query has a `window_start` (a slate
    date), whose slate date is not before it. So a row's form is the same whatever else the history holds."""
    q = queries.sort_values("asof_time_utc")
    q = q.assign(_skip=_games_before_window(games, q))
    g = games.sort_values("ended")
    if g.empty:
        nat = pd.Series(pd.NaT, index=q.index, dtype="datetime64[us, UTC]")
        m = q.assign(idx=np.nan, ended=nat, game_commence=nat, cum_won=np.nan, cum_pf=np.nan, cum_pa=np.nan)
    else:
        m = pd.merge_asof(q, g[["team_id", "ended", "game_commence", "idx", "cum_won", "cum_pf", "cum_pa"]],
                          left_on="asof_time_utc", right_on="ended", by="team_id", direction="backward",
                          allow_exact_matches=False)  # ended strictly before the as-of time
    seen = (m["idx"].fillna(-1) + 1 - m["_skip"]).clip(lower=0)  # games ended before asof, inside the window
    m["_used"] = np.minimum(seen, n)
    m["base"] = m["idx"] - m["_used"]
    base = games[["team_id", "idx", "cum_won", "cum_pf", "cum_pa"]].rename(
        columns={"idx": "base", "cum_won": "b_won", "cum_pf": "b_pf", "cum_pa": "b_pa"})
    m = m.merge(base, on=["team_id", "base"], how="left")
    used = m["_used"]
    none = used.to_numpy() == 0  # no game inside the window: no last game either
    m.loc[none, ["ended", "game_commence"]] = pd.NaT
    out = pd.DataFrame({"qid": m["qid"], "form_games": used.astype(int)})
    with np.errstate(invalid="ignore", divide="ignore"):
        for col, cum, b in (("win_pct", "cum_won", "b_won"), ("pts_for", "cum_pf", "b_pf"),
                            ("pts_against", "cum_pa", "b_pa")):
            out[col] = (m[cum] - m[b].fillna(0)) / used.where(used > 0)
    out["rest_days"] = (m["commence_time_utc"] - m["game_commence"]).dt.total_seconds() / 86400.0
    out["last_game_end"] = pd.to_datetime(m["ended"], utc=True)
    return out


def _levels(rows: pd.DataFrame, cons: pd.DataFrame) -> pd.DataFrame:
    for market, selection, cols in LEVELS.values():
        part = cons[(cons["market"] == market) & (cons["selection"] == selection)]
        part = part[["canonical_event_id", "bucket", *cols]].rename(columns=cols)
        rows = rows.merge(part, on=["canonical_event_id", "bucket"], how="left")
    latest = cons.groupby(["canonical_event_id", "bucket"])["latest_snapshot_utc"].max().rename("_latest_level")
    return rows.merge(latest.reset_index(), on=["canonical_event_id", "bucket"], how="left")


# (market, selection, consensus column) → the path statistics kept, and their feature names
PATH_FEATURES = {
    ("h2h", "home", "fair_prob"): {"open": "h2h_home_prob_open", "delta": "h2h_home_prob_delta",
                                   "std": "h2h_home_prob_std"},
    ("spreads", "home", "point_median"): {"delta": "spread_point_delta"},
    ("totals", "over", "point_median"): {"delta": "total_point_delta"},
}


def _movement_to_date(rows: pd.DataFrame, series: pd.DataFrame) -> pd.DataFrame:
    """Open, delta and volatility of the consensus path up to each row's as-of time."""
    keys = ["canonical_event_id", "bucket"]
    path = rows[[*keys, "asof_time_utc"]].merge(series, on="canonical_event_id")
    path = path[path["time"] <= path["asof_time_utc"]].sort_values([*keys, "time"])
    feats = rows[keys].copy()
    for (market, selection, col), names in PATH_FEATURES.items():
        p = path[(path["market"] == market) & (path["selection"] == selection)].dropna(subset=[col])
        g = p.groupby(keys, sort=False)[col]
        f = pd.DataFrame({"open": g.first(), "delta": g.last() - g.first(), "std": g.std()})
        feats = feats.merge(f[list(names)].rename(columns=names).reset_index(), on=keys, how="left")
    g = path.groupby(keys, sort=False)["time"]
    counts = pd.DataFrame({"n_snapshots": g.nunique(), "_latest_path": g.max()}).reset_index()
    return feats.merge(counts, on=keys, how="left")


MARKET_FEATURES = ["h2h_n_books", "h2h_home_fair_prob", "h2h_home_trimmed_fair_prob", "h2h_home_sharp_fair_prob",
                   "spread_home_point", "spread_home_fair_prob", "total_point", "total_over_fair_prob",
                   "h2h_home_prob_open", "h2h_home_prob_delta", "h2h_home_prob_std", "spread_point_delta",
                   "total_point_delta", "n_snapshots", "features_latest_snapshot_utc"]
FORM_FEATURES = [f"{side}_{c}" for side in ("home", "away") for c in FORM_COLS] + ["form_latest_game_end_utc"]


def market_features(odds: pd.DataFrame, points: pd.DataFrame, settings: GoldSettings,
                    cons: pd.DataFrame | None = None, path: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per as-of point: the consensus at it and the consensus path up to it, each recomputed from `odds` unless
    given (`path`: the consensus at every snapshot time, `consensus(series_lines(odds))`)."""
    if cons is None:
        cons = consensus(lines_asof(odds, points, settings))
    series = consensus(series_lines(odds, settings)) if path is None else path
    series = series.drop(columns="bucket").rename(columns={"asof_time_utc": "time"})
    rows = _levels(points[["canonical_event_id", "bucket", "asof_time_utc"]], cons)
    rows = rows.merge(_movement_to_date(rows, series), on=["canonical_event_id", "bucket"], how="left")
    latest = pd.concat([pd.to_datetime(rows[c], utc=True) for c in ("_latest_level", "_latest_path")], axis=1)
    rows["features_latest_snapshot_utc"] = latest.max(axis=1)
    rows["n_snapshots"] = rows["n_snapshots"].fillna(0)
    return rows.drop(columns=["_latest_level", "_latest_path"])


def form_features(rows: pd.DataFrame, history: pd.DataFrame, n: int, game_minutes: int) -> pd.DataFrame:
    """FORM_FEATURES for rows (home_team_id, away_team_id, asof_time_utc, commence_time_utc), row-aligned."""
    games = team_games(history, game_minutes)
    out = pd.DataFrame(index=rows.index)
    last_end = []
    for side in ("home", "away"):
        q = pd.DataFrame({"qid": np.arange(len(rows)), "team_id": rows[f"{side}_team_id"],
                          "asof_time_utc": rows["asof_time_utc"], "commence_time_utc": rows["commence_time_utc"]})
        if "slate_date" in rows:  # the row's slate's lookback: form does not depend on how much history was read
            q["window_start"] = _slate_dates(rows) - pd.Timedelta(days=form_lookback_days(n))
        q = q.reset_index(drop=True)
        f = form_asof(games, q, n).set_index("qid").sort_index()
        for c in FORM_COLS:
            out[f"{side}_{c}"] = f[c].to_numpy()
        last_end.append(f["last_game_end"].set_axis(rows.index))
    out["form_latest_game_end_utc"] = pd.concat(last_end, axis=1).max(axis=1)
    return out


def build_training(odds: pd.DataFrame, events: pd.DataFrame, results: pd.DataFrame, history: pd.DataFrame,
                   settings: GoldSettings, windows: Sequence[tuple[str, int]], now: datetime | None,
                   game_minutes: int, *, cons: pd.DataFrame | None = None,
                   path: pd.DataFrame | None = None) -> pd.DataFrame:
    """Rows per event × as-of bucket: labels, market features at the bucket, movement and team form."""
    points = asof_points(events, odds, windows, now)
    ev = events[["canonical_event_id", "slate_date", "season", "home_team_id", "away_team_id", "status"]]
    rows = points[["canonical_event_id", "bucket", "asof_time_utc", "commence_time_utc"]].merge(
        ev, on="canonical_event_id")
    res = results[["canonical_event_id", "home_score", "away_score", "winner", "margin", "total"]]
    rows = rows.merge(res, on="canonical_event_id", how="left")
    rows["home_win"] = rows["winner"].map({"home": True, "away": False, "draw": False})
    rows = rows.merge(market_features(odds, points, settings, cons, path), on=["canonical_event_id", "bucket",
                                                                         "asof_time_utc"], how="left")
    rows = rows.drop(columns=["winner"]).reset_index(drop=True)
    return pd.concat([rows, form_features(rows, history, settings.form_games, game_minutes)], axis=1)
