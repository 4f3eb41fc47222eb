"""Gold checks: no look-ahead, coherent fair prices, sane CLV and opportunity rates, bucket coverage.

ERROR checks block (a leaking feature or an incoherent fair price must not reach a model); WARN
checks flag a partition for review. Each is a plain function of the frames the asset just built.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pandas as pd

from linelogic_assets.config import GoldSettings
from linelogic_assets.gold.asof import asof_points
from linelogic_assets.gold.consensus import FAIR_COLS
from linelogic_assets.gold.training import (
    FORM_COLS,
    FORM_FEATURES,
    MARKET_FEATURES,
    form_lookback_days,
    game_end,
    market_features,
)
from linelogic_assets.lake.checks import ERROR, WARN, Check, Outcome

SUM_TOL = 1e-9
COVERAGE_MIN = 0.9  # share of events with an h2h consensus at a bucket
CLV_ABS_MAX = 0.5  # no single price is worth ±50 % against the close
CLV_MEAN = (-0.12, 0.03)  # books carry margin: the average bet loses a little against the close
ARB_RATE_MAX = 0.05  # share of (snapshot, market, line) cells with an arbitrage
EV_RATE_MAX = 0.15  # share of quotes flagged +EV
EDGE_MAX = 0.25


@dataclass
class GoldInputs:
    settings: GoldSettings
    frame: pd.DataFrame  # the asset's output
    now: datetime | None = None
    points: pd.DataFrame | None = None  # as-of points due by now (coverage)
    quotes: int = 0  # quotes the opportunities were searched in
    cells: int = 0  # (snapshot, market, line) cells searched for arbitrage
    # no_leakage rebuilds from these
    odds: pd.DataFrame | None = None
    events: pd.DataFrame | None = None
    history: pd.DataFrame | None = None
    windows: Sequence[tuple[str, int]] = field(default_factory=tuple)
    game_minutes: int = 0
    leakage: pd.DataFrame | None = None  # leakage_flags of `frame`, when a range run computed them at once


def fair_sums(i: GoldInputs) -> Outcome:
    cols = [*FAIR_COLS, "fair_prob", "trimmed_fair_prob", "sharp_fair_prob"]
    df = i.frame
    worst, bad = 0.0, {}
    for c in cols:
        g = df.groupby(["canonical_event_id", "bucket", "market"])[c]
        full = g.count() == g.size()  # a vector defined for every selection
        err = (g.sum()[full & (g.count() > 0)] - 1.0).abs()
        if len(err):
            worst = max(worst, float(err.max()))
            if (err > SUM_TOL).any():
                bad[c] = int((err > SUM_TOL).sum())
    return Outcome(not bad, {"max_abs_error": worst, "tolerance": SUM_TOL, "violations": bad},
                   None if not bad else f"fair probabilities off 1 by up to {worst:.2e}: {bad}")


def coverage(i: GoldInputs) -> Outcome:
    due = i.points
    if due is None or due.empty:
        return Outcome(True, {"buckets": {}}, "no bucket due yet")
    h2h = i.frame[(i.frame["market"] == "h2h") & i.frame["fair_prob"].notna()]
    have = set(zip(h2h["canonical_event_id"], h2h["bucket"], strict=True))
    per = {}
    for b, g in due.groupby("bucket", sort=False):
        got = sum((e, b) in have for e in g["canonical_event_id"])
        per[b] = round(got / len(g), 4)
    low = {b: v for b, v in per.items() if v < COVERAGE_MIN}
    return Outcome(not low, {"share_with_h2h_consensus": per, "minimum": COVERAGE_MIN},
                   None if not low else f"buckets under {COVERAGE_MIN:.0%} coverage: {low}")


def lines_asof(i: GoldInputs) -> Outcome:
    df = i.frame
    late = int((df["snapshot_time_utc"] > df["asof_time_utc"]).sum())
    live = int((df["snapshot_time_utc"] >= df["commence_time_utc"]).sum())
    return Outcome(late == 0 and live == 0, {"after_asof": late, "in_play": live},
                   None if not (late or live) else f"{late} quotes after their as-of time, {live} in play")


def movement_pregame(i: GoldInputs) -> Outcome:
    df = i.frame
    bad = int(((df["close_time_utc"] >= df["commence_time_utc"]) | (df["open_time_utc"] > df["close_time_utc"])).sum())
    return Outcome(bad == 0, {"paths": len(df), "violations": bad},
                   None if not bad else f"{bad} paths use in-play quotes or run backwards")


def _differs(a: pd.DataFrame, b: pd.DataFrame, cols: list[str]) -> pd.Series:
    out = pd.Series(False, index=a.index)
    for c in cols:
        x, y = a[c], b[c]
        if c.endswith("_utc"):
            x, y = pd.to_datetime(x, utc=True), pd.to_datetime(y, utc=True)
            same = (x == y) | (x.isna() & y.isna())
        else:
            x, y = x.astype(float), y.astype(float)
            same = np.isclose(x, y, rtol=0, atol=1e-9) | (x.isna() & y.isna())
        out |= ~same
    return out


def _form_by_definition(rows: pd.DataFrame, history: pd.DataFrame, n: int, game_minutes: int) -> pd.DataFrame:
    """FORM_FEATURES straight from their definition, with none of the running totals the asset uses: for each
    row and side, the team's games that had truly ended before the row's as-of time (and, when the row has a
    slate date, lie in its slate's lookback), the last `n` of them averaged."""
    h = history[(history["status"] == "final") & history["home_score"].notna() & history["away_score"].notna()]
    h = h.drop_duplicates("canonical_event_id")
    slate = pd.to_datetime(h["slate_date"]) if "slate_date" in h else pd.Series(pd.NaT, index=h.index,
                                                                               dtype="datetime64[ns]")
    games = pd.concat([pd.DataFrame({
        "team_id": h[team], "game_id": h["canonical_event_id"], "ended": game_end(h, game_minutes),
        "game_commence": h["commence_time_utc"], "slate": slate, "won": (h[pf] > h[pa]).astype(float),
        "pf": h[pf].astype(float), "pa": h[pa].astype(float)})
        for team, pf, pa in (("home_team_id", "home_score", "away_score"), ("away_team_id", "away_score", "home_score"))],
        ignore_index=True)
    windowed = "slate_date" in rows
    out = pd.DataFrame(index=rows.index)
    ends = []
    for side in ("home", "away"):
        r = rows.reset_index(drop=True)
        q = pd.DataFrame({"qid": np.arange(len(r)), "team_id": r[f"{side}_team_id"],
                          "asof": pd.to_datetime(r["asof_time_utc"], utc=True),
                          "commence": pd.to_datetime(r["commence_time_utc"], utc=True)})
        if windowed:
            q["window"] = pd.to_datetime(r["slate_date"]) - pd.Timedelta(days=form_lookback_days(n))
        pairs = q.merge(games, on="team_id")
        keep = pairs["ended"] < pairs["asof"]
        if windowed:
            keep &= pairs["slate"] >= pairs["window"]
        last = pairs[keep].sort_values(["qid", "ended", "game_id"]).groupby("qid").tail(n)
        agg = last.groupby("qid").agg(form_games=("won", "size"), win_pct=("won", "mean"), pts_for=("pf", "mean"),
                                      pts_against=("pa", "mean"), last_commence=("game_commence", "last"),
                                      last_end=("ended", "last")).reindex(q["qid"])
        agg["form_games"] = agg["form_games"].fillna(0)
        last_commence = pd.to_datetime(agg["last_commence"], utc=True)
        agg["rest_days"] = (q.set_index("qid")["commence"] - last_commence).dt.total_seconds() / 86400.0
        for c in FORM_COLS:
            out[f"{side}_{c}"] = agg[c].to_numpy()
        ends.append(pd.to_datetime(agg["last_end"], utc=True).set_axis(rows.index))
    out["form_latest_game_end_utc"] = pd.concat(ends, axis=1).max(axis=1)
    return out


def leakage_flags(i: GoldInputs) -> pd.DataFrame:
    """Per training row (aligned to `i.frame`): which look-ahead it shows. Provenance first (a quote after the
    as-of time, a game that ended at or after it), then proof: the market features rebuilt with every snapshot
    after the row's as-of time dropped, and team form rebuilt by its definition from only the games that had
    ended, must not change. Vectorised over the frame, so a range of slates is proved in one pass."""
    rows = i.frame.reset_index(drop=True)
    asof = rows["asof_time_utc"]
    flags = pd.DataFrame({"quote_after_asof": (rows["features_latest_snapshot_utc"] > asof).to_numpy(),
                          "game_ended_after_asof": (rows["form_latest_game_end_utc"] >= asof).to_numpy(),
                          "market_changed": False})
    # market features: for each bucket, drop every snapshot after that bucket's as-of time and rebuild
    for bucket, part in rows.groupby("bucket", sort=False):
        # each event's snapshots up to its row's as-of time (a mask, not a merged copy of a season's odds)
        asof_of = part.drop_duplicates("canonical_event_id").set_index("canonical_event_id")["asof_time_utc"]
        kept = (i.odds["snapshot_time_utc"] <= i.odds["canonical_event_id"].map(asof_of)).to_numpy()
        cut = i.odds[kept].reset_index(drop=True)
        pts = asof_points(i.events[i.events["canonical_event_id"].isin(part["canonical_event_id"])], cut,
                          i.windows, i.now)
        pts = pts[pts["bucket"] == bucket]
        again = part[["canonical_event_id", "bucket"]].merge(market_features(cut, pts, i.settings),
                                                              on=["canonical_event_id", "bucket"], how="left")
        flags.loc[part.index, "market_changed"] = _differs(part.reset_index(drop=True), again,
                                                           MARKET_FEATURES).to_numpy()
    again = _form_by_definition(rows, i.history, i.settings.form_games, i.game_minutes)
    flags["form_changed"] = _differs(rows, again, FORM_FEATURES).to_numpy()
    return flags


def no_leakage(i: GoldInputs) -> Outcome:
    """No training row shows look-ahead (`leakage_flags`; a range run passes the flags it computed once)."""
    flags = i.leakage if i.leakage is not None else leakage_flags(i)
    late_quote, late_game = int(flags["quote_after_asof"].sum()), int(flags["game_ended_after_asof"].sum())
    changed_market, changed_form = int(flags["market_changed"].sum()), int(flags["form_changed"].sum())
    bad = late_quote + late_game + changed_market + changed_form
    meta = {"rows": len(flags), "quote_after_asof": late_quote, "game_ended_after_asof": late_game,
            "market_features_changed_when_future_cut": changed_market,
            "form_features_changed_when_future_cut": changed_form}
    return Outcome(bad == 0, meta, None if not bad else f"look-ahead in {bad} row features: {meta}")


def clv_bounds(i: GoldInputs) -> Outcome:
    clv = i.frame["clv_pct"].dropna()
    if clv.empty:
        return Outcome(True, {"rows": 0}, "no CLV to evaluate")
    worst, mean = float(clv.abs().max()), float(clv.mean())
    ok = worst <= CLV_ABS_MAX and CLV_MEAN[0] <= mean <= CLV_MEAN[1]
    meta = {"rows": len(clv), "mean_clv_pct": round(mean, 5), "max_abs_clv_pct": round(worst, 5),
            "beat_close_share": round(float(i.frame["beat_close"].mean()), 4), "bounds": [*CLV_MEAN, CLV_ABS_MAX]}
    return Outcome(ok, meta, None if ok else f"CLV out of bounds: mean {mean:.4f}, max |CLV| {worst:.4f}")


def opportunity_rates(i: GoldInputs) -> Outcome:
    df = i.frame
    arbs = df[df["kind"] == "arbitrage"].drop_duplicates(["canonical_event_id", "snapshot_time_utc", "market", "line"])
    evs = df[df["kind"] == "ev"]
    arb_rate = len(arbs) / i.cells if i.cells else 0.0
    ev_rate = len(evs) / i.quotes if i.quotes else 0.0
    edge = float(df["edge"].max()) if len(df) else 0.0
    ok = arb_rate <= ARB_RATE_MAX and ev_rate <= EV_RATE_MAX and edge <= EDGE_MAX
    meta = {"arbitrages": len(arbs), "arbitrage_rate": round(arb_rate, 5), "ev_quotes": len(evs),
            "ev_rate": round(ev_rate, 5), "max_edge": round(edge, 5),
            "limits": {"arbitrage_rate": ARB_RATE_MAX, "ev_rate": EV_RATE_MAX, "edge": EDGE_MAX}}
    return Outcome(ok, meta, None if ok else f"implausible opportunity rates: {meta}")


CHECKS: tuple[Check, ...] = (
    Check("asof_never_after", "book_lines", ERROR,
                "Every quote is the book's last pregame snapshot at or before the bucket's as-of time.", lines_asof),
    Check("fair_probs_sum_to_one", "consensus_lines", ERROR,
                f"Devigged fair probabilities (each method, trimmed, sharp) sum to 1 within {SUM_TOL:g}.", fair_sums),
    Check("coverage_per_bucket", "consensus_lines", WARN,
                f"At least {COVERAGE_MIN:.0%} of events have an h2h consensus at every bucket that is due.", coverage),
    Check("pregame_only", "odds_movement_features", ERROR,
                "Movement paths use pregame quotes only, open before close.", movement_pregame),
    Check("no_leakage", "pregame_training_rows", ERROR,
                "No feature uses a snapshot after its as-of time or a game that ended after it: every row is "
                "rebuilt from inputs cut at its as-of time and must not change.", no_leakage),
    Check("clv_within_bounds", "clv_evaluation", WARN,
                f"|CLV| ≤ {CLV_ABS_MAX:.0%} and mean CLV within {CLV_MEAN}.", clv_bounds),
    Check("opportunity_rates", "market_opportunities", WARN,
                f"Arbitrage in ≤ {ARB_RATE_MAX:.0%} of cells, +EV on ≤ {EV_RATE_MAX:.0%} of quotes, edges ≤ "
                f"{EDGE_MAX:.0%}.", opportunity_rates),
)
