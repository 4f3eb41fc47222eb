"""As-of quotes, book lines, consensus, CLV and movement on small hand-made books with known answers."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from linelogic_assets.config import GoldSettings
from linelogic_assets.gold.asof import asof_points, quotes_asof
from linelogic_assets.gold.checks import GoldInputs, fair_sums
from linelogic_assets.gold.clv import clv_evaluation
from linelogic_assets.gold.consensus import book_lines, consensus
from linelogic_assets.gold.movement import movement_features
from linelogic_assets.gold.training import form_asof, team_games
from linelogic_assets.odds_math import devig

T0 = pd.Timestamp("2025-11-12T00:00Z")
COMMENCE = T0 + pd.Timedelta(hours=24)


def quote(book: str, minutes: float, selection: str, price: float, market: str = "h2h", point: float = np.nan,
          event: str = "e1") -> dict:
    return {"canonical_event_id": event, "bookmaker": book, "market": market, "selection": selection,
            "participant": None, "price": price, "point": point, "commence_time_utc": COMMENCE,
            "snapshot_time_utc": T0 + pd.Timedelta(minutes=minutes), "is_live": False}


def frame(rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    for c in ("snapshot_time_utc", "commence_time_utc"):
        df[c] = df[c].astype("datetime64[us, UTC]")
    return df


def lines_at(odds: pd.DataFrame, minutes: float, **kw) -> pd.DataFrame:
    points = pd.DataFrame({"canonical_event_id": ["e1"], "bucket": ["X"],
                           "asof_time_utc": [T0 + pd.Timedelta(minutes=minutes)], "commence_time_utc": [COMMENCE]})
    return book_lines(quotes_asof(odds, points, **kw), GoldSettings())


def test_quotes_asof_takes_the_last_snapshot_at_or_before_never_a_later_one() -> None:
    odds = frame([quote("pinnacle", m, s, p) for m, (h, a) in ((0, (1.8, 2.1)), (60, (1.7, 2.25)), (61, (1.6, 2.45)))
                  for s, p in (("home", h), ("away", a))])
    assert sorted(lines_at(odds, 59.99)["price"]) == [1.8, 2.1]
    assert sorted(lines_at(odds, 60)["price"]) == [1.7, 2.25]  # exactly at the snapshot
    assert sorted(lines_at(odds, 60.9)["price"]) == [1.7, 2.25]  # 61 is 6 s away and still not used
    assert lines_at(odds, 60 + 121, max_age=timedelta(minutes=120)).empty is False
    assert lines_at(odds, 61 + 121, max_age=timedelta(minutes=120)).empty  # stale


def test_book_lines_devig_each_method_and_pair_alternate_lines() -> None:
    odds = frame([quote("pinnacle", 0, "home", 2.6), quote("pinnacle", 0, "away", 2.4), quote("pinnacle", 0, "draw", 4.3),
                  quote("booka", 0, "home", 1.91, "spreads", -5.5), quote("booka", 0, "away", 1.91, "spreads", 5.5),
                  quote("booka", 0, "home", 2.30, "spreads", -7.5), quote("booka", 0, "away", 1.65, "spreads", 7.5)])
    lines = lines_at(odds, 1).set_index(["bookmaker", "selection"])
    assert lines.loc[("pinnacle", "home"), "fair_prob_shin"] == pytest.approx(0.37299, abs=5e-6)
    assert lines.loc[("pinnacle", "draw"), "fair_prob_multiplicative"] == pytest.approx(0.22495, abs=5e-6)
    # the main line (closest to even money) is kept, both sides from it
    assert lines.loc[("booka", "home"), "point"] == -5.5 and lines.loc[("booka", "away"), "point"] == 5.5
    assert lines.loc[("booka", "home"), "complete"] and lines.loc[("booka", "home"), "fair_prob"] == pytest.approx(0.5)


def test_trimmed_consensus_drops_an_illiquid_exchange_quote_and_sharp_uses_pinnacle_only() -> None:
    books = {"pinnacle": (1.80, 2.10), "draftkings": (1.77, 2.08), "fanduel": (1.78, 2.06), "betmgm": (1.76, 2.10),
             "bovada": (1.79, 2.05), "matchbook": (1.01, 60.0)}  # an exchange's stale 1.01
    odds = frame([quote(b, 0, s, p) for b, (h, a) in books.items() for s, p in (("home", h), ("away", a))])
    lines = lines_at(odds, 1)
    assert lines.loc[lines["bookmaker"] == "matchbook", "outlier"].all()
    assert not lines.loc[lines["bookmaker"] != "matchbook", "outlier"].any()
    cons = consensus(lines).set_index("selection")
    honest = np.mean([devig(list(p), "shin")[0] for b, p in books.items() if b != "matchbook"])
    assert cons.loc["home", "trimmed_fair_prob"] == pytest.approx(honest, abs=1e-12)
    assert cons.loc["home", "fair_prob"] > honest + 0.05  # the plain mean is dragged by the 1.01
    assert cons.loc["home", "sharp_fair_prob"] == pytest.approx(devig([1.80, 2.10], "shin")[0])
    assert cons.loc["home", "sharp_books"] == "pinnacle" and cons.loc["home", "n_books"] == 6
    assert cons.loc["home", "price_median"] == pytest.approx(1.775)
    for col in ("fair_prob", "trimmed_fair_prob", "sharp_fair_prob", "fair_prob_power"):
        assert cons[col].sum() == pytest.approx(1.0, abs=1e-12)
    ok = fair_sums(GoldInputs(GoldSettings(), consensus(lines)))
    assert ok.passed
    bad = consensus(lines)
    bad.loc[bad["selection"] == "home", "fair_prob_odds_ratio"] += 1e-6
    out = fair_sums(GoldInputs(GoldSettings(), bad))
    assert not out.passed and out.metadata["violations"] == {"fair_prob_odds_ratio": 1}


def test_clv_against_the_sharp_close_in_price_and_points() -> None:
    odds = frame([quote("pinnacle", 0, "home", 1.95, "spreads", -3.5), quote("pinnacle", 0, "away", 1.95, "spreads", 3.5),
                  quote("pinnacle", 1430, "home", 1.95, "spreads", -5.5), quote("pinnacle", 1430, "away", 1.95, "spreads", 5.5),
                  quote("fanduel", 0, "home", 2.00, "spreads", -5.5), quote("fanduel", 0, "away", 1.80, "spreads", 5.5),
                  quote("pinnacle", 0, "over", 1.9, "totals", 220.0), quote("pinnacle", 0, "under", 1.9, "totals", 220.0),
                  quote("pinnacle", 1430, "over", 1.9, "totals", 224.0), quote("pinnacle", 1430, "under", 1.9, "totals", 224.0)])
    events = odds[["canonical_event_id", "commence_time_utc"]].drop_duplicates()
    points = asof_points(events, odds, [("OPEN", -1440), ("CLOSE", 0)], now=None)
    lines = book_lines(quotes_asof(odds, points, max_age=timedelta(hours=30)), GoldSettings())
    clv = clv_evaluation(lines, consensus(lines), "CLOSE").set_index(["bucket", "bookmaker", "market", "selection"])
    row = clv.loc[("OPEN", "fanduel", "spreads", "home")]  # same point as the close: CLV in price
    assert row["close_source"] == "sharp" and row["same_point"]
    assert row["clv_pct"] == pytest.approx(2.00 * 0.5 - 1.0) and row["clv_points"] == 0
    early = clv.loc[("OPEN", "pinnacle", "spreads", "home")]  # -3.5 early, closed -5.5: 2 points gained
    assert not early["same_point"] and np.isnan(early["clv_pct"]) and early["clv_points"] == 2.0 and early["beat_close"]
    assert clv.loc[("OPEN", "pinnacle", "spreads", "away"), "clv_points"] == -2.0
    assert clv.loc[("OPEN", "pinnacle", "totals", "over"), "clv_points"] == 4.0  # over 220, closed 224
    assert clv.loc[("OPEN", "pinnacle", "totals", "under"), "clv_points"] == -4.0


def test_movement_features_open_close_late_move_and_reversal() -> None:
    hours = [-30, -10, -2, -0.5]
    probs = [0.50, 0.56, 0.58, 0.54]  # up, up, then back down after T-60m
    series = pd.DataFrame({"canonical_event_id": "e1", "market": "h2h", "selection": "home", "bookmaker": "b",
                           "commence_time_utc": COMMENCE, "time": [COMMENCE + pd.Timedelta(hours=h) for h in hours],
                           "price": [1 / p for p in probs], "point": np.nan, "prob": probs})
    live = series.iloc[[-1]].assign(time=COMMENCE + pd.Timedelta(minutes=5), prob=0.9)
    f = movement_features(pd.concat([series, live])).iloc[0]
    assert f["n_obs"] == 4 and f["open_prob"] == 0.50 and f["close_prob"] == 0.54  # in-play row ignored
    assert f["prob_delta"] == pytest.approx(0.04) and f["t60_prob"] == 0.58
    assert f["late_move_prob"] == pytest.approx(-0.04) and f["late_reversal"] and f["reversals"] == 1
    assert f["prob_range"] == pytest.approx(0.08)
    slope = np.polyfit(hours, probs, 1)[0]
    assert f["slope_prob_per_hour"] == pytest.approx(slope)


def test_team_form_uses_only_games_that_ended_before_the_asof_time() -> None:
    starts = [T0 - pd.Timedelta(days=d) for d in (5, 4, 3, 2, 1)]
    history = pd.DataFrame({"canonical_event_id": [f"g{i}" for i in range(5)], "status": "final",
                            "home_team_id": "nba-bos", "away_team_id": [f"nba-x{i}" for i in range(5)],
                            "home_score": [100, 90, 110, 95, 120], "away_score": [90, 100, 100, 99, 100],
                            "commence_time_utc": starts, "actual_start_utc": pd.NaT})
    history["actual_start_utc"] = pd.Series(pd.NaT, index=history.index, dtype="datetime64[us, UTC]")
    history["commence_time_utc"] = history["commence_time_utc"].astype("datetime64[us, UTC]")
    games = team_games(history, game_minutes=210)
    last_end = starts[-1] + pd.Timedelta(minutes=210)
    q = pd.DataFrame({"qid": [0, 1], "team_id": "nba-bos", "asof_time_utc": [last_end, last_end + pd.Timedelta(seconds=1)],
                      "commence_time_utc": T0})
    f = form_asof(games, q, n=3).set_index("qid")
    # at exactly the last game's end it does not count yet (last 3: L W L); a second later it does (W L W)
    assert f.loc[0, "form_games"] == 3 and f.loc[0, "win_pct"] == pytest.approx(1 / 3)
    assert f.loc[0, "pts_for"] == pytest.approx((90 + 110 + 95) / 3) and f.loc[0, "rest_days"] == pytest.approx(2.0)
    assert f.loc[1, "win_pct"] == pytest.approx(2 / 3) and f.loc[1, "pts_for"] == pytest.approx((110 + 95 + 120) / 3)
    assert f.loc[1, "pts_against"] == pytest.approx((100 + 99 + 100) / 3) and f.loc[1, "rest_days"] == pytest.approx(1.0)


def test_form_by_definition_handles_teams_with_and_without_finished_games() -> None:
    """The leakage proof's form rebuild on a slate where one team has history and another has none (a
    season's first games): typed NaT where no game ended, never a crash."""
    from linelogic_assets.gold.checks import _form_by_definition

    start = T0 - pd.Timedelta(days=2)
    history = pd.DataFrame({"canonical_event_id": ["g0"], "status": "final", "home_team_id": "nba-bos",
                            "away_team_id": "nba-nyk", "home_score": [100], "away_score": [90],
                            "commence_time_utc": pd.Series([start], dtype="datetime64[us, UTC]"),
                            "actual_start_utc": pd.Series([pd.NaT], dtype="datetime64[us, UTC]")})
    rows = pd.DataFrame({"home_team_id": ["nba-bos", "nba-lal"], "away_team_id": ["nba-mia", "nba-gsw"],
                         "asof_time_utc": pd.Series([T0, T0], dtype="datetime64[us, UTC]"),
                         "commence_time_utc": pd.Series([T0, T0], dtype="datetime64[us, UTC]")})
    out = _form_by_definition(rows, history, 5, 210)
    assert out["home_form_games"].tolist() == [1, 0] and out["home_win_pct"].iloc[0] == 1.0
    assert out["form_latest_game_end_utc"].iloc[0] == start + pd.Timedelta(minutes=210)
    assert pd.isna(out["form_latest_game_end_utc"].iloc[1])
    empty = _form_by_definition(rows, history.iloc[0:0], 5, 210)  # no team has a finished game
    assert empty["form_latest_game_end_utc"].isna().all() and (empty["away_form_games"] == 0).all()
