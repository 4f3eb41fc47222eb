"""The simulated season helper: silver-shaped frames that are the simulator's own prices, and a truth
(`true_outcome`) that matches the results it is drawn from."""

from __future__ import annotations

import math
import random
import time
from datetime import UTC, datetime, timedelta

import httpx
import numpy as np
import pandas as pd
import pytest

from linelogic_assets.registry.teams import TeamIndex
from linelogic_assets.silver.schemas import SCHEMAS, conform
from linelogic_assets.simulator import SimClock, Simulator, SimulatorSettings
from linelogic_assets.simulator.books import BY_KEY
from linelogic_assets.simulator.lines import game_path
from linelogic_assets.simulator.model import MODELS, NormalDist, draw_result
from linelogic_assets.simulator.settings import MarketScenario
from linelogic_assets_tests.backtest.simulated import (
    EVENT_COLS,
    ODDS_COLS,
    RESULT_COLS,
    SimulatedMarket,
    _totals,
    decision,
    default_books,
    simulated_market,
    true_outcome,
)

LAGGING = MarketScenario(news_per_game=6.0, news_scale=3.0, retail_extra_lag_minutes=45)


@pytest.fixture(scope="module")
def season() -> SimulatedMarket:
    return simulated_market()


@pytest.fixture(scope="module")
def lagging() -> SimulatedMarket:
    return simulated_market(scenario=LAGGING)


# ====================================================================== the frames


def test_frames_are_silver_shaped(season: SimulatedMarket) -> None:
    odds, events, results = season.odds, season.events, season.results
    assert list(odds.columns) == ODDS_COLS and list(events.columns) == EVENT_COLS == SCHEMAS["event"].names
    assert list(results.columns) == RESULT_COLS == SCHEMAS["event_result"].names
    conform("event", events)  # silver's own types: dates, int32 seasons, UTC timestamps
    conform("event_result", results)
    for c in ("snapshot_time_utc", "commence_time_utc"):
        assert odds[c].dtype == "datetime64[us, UTC]"
    assert events["commence_time_utc"].dtype == "datetime64[us, UTC]" and events["actual_start_utc"].isna().all()
    assert not odds["is_live"].any() and odds["participant"].isna().all()
    assert set(odds["market"]) == {"h2h", "spreads", "totals"}
    sides = odds.groupby("market")["selection"].agg(set).to_dict()
    assert sides == {"h2h": {"home", "away"}, "spreads": {"home", "away"}, "totals": {"over", "under"}}
    assert odds.loc[odds["market"] == "h2h", "point"].isna().all()
    assert odds.loc[odds["market"] != "h2h", "point"].notna().all() and (odds["price"] > 1.0).all()
    # each book market's two sides: spreads at opposite points, totals at one point
    key = ["canonical_event_id", "bookmaker", "market", "snapshot_time_utc"]
    pts = odds[odds["market"] != "h2h"].pivot_table(index=key, columns="selection", values="point")
    spreads = pts.xs("spreads", level="market")
    totals = pts.xs("totals", level="market")
    assert (spreads["home"] == -spreads["away"]).all() and (totals["over"] == totals["under"]).all()
    assert odds.groupby(key).size().eq(2).all()


def test_the_season_events_results_and_ids(season: SimulatedMarket) -> None:
    events, results = season.events, season.results
    assert len(events) == 1230 and events["canonical_event_id"].is_unique
    assert events["canonical_event_id"].str.fullmatch(r"nba-sim-\d{5}").all()
    assert (events["sport"] == "basketball_nba").all() and (events["league"] == "nba").all()
    teams = TeamIndex("nba").by_id
    assert set(events["home_team_id"]) | set(events["away_team_id"]) == set(teams)  # registry ids
    assert all(teams[i].full_name == n for i, n in zip(events["home_team_id"], events["home_team"], strict=True))
    postponed = events.loc[events["status"] == "postponed", "canonical_event_id"]
    assert set(events["status"]) == {"final", "postponed"} and len(postponed) >= 1
    assert set(results["canonical_event_id"]) == set(events["canonical_event_id"]) - set(postponed)
    assert (results["margin"] == results["home_score"] - results["away_score"]).all()
    assert (results["total"] == results["home_score"] + results["away_score"]).all()
    assert (results["winner"] == np.where(results["margin"] > 0, "home", "away")).all()  # no NBA ties
    for eid, g in list(season.games.items())[::97]:
        row = results[results["canonical_event_id"] == eid]
        res = game_path(season.seed, "nba", 2025, g.index).result
        assert g.postponed or (row["home_score"].item(), row["away_score"].item()) == (res.home_score,
                                                                                      res.away_score)
    # a postponed game has no quote once it is called off (all are announced an hour or more ahead)
    assert not season.odds["canonical_event_id"].isin(postponed).any()


def test_snapshots_and_books(season: SimulatedMarket) -> None:
    odds = season.odds
    before = odds["commence_time_utc"] - odds["snapshot_time_utc"]
    assert set(before) == {pd.Timedelta(minutes=m) for m in (61, 16, 1)}
    first = odds[odds["canonical_event_id"] == "nba-sim-00000"]
    g = season.games["nba-sim-00000"]
    assert first["snapshot_time_utc"].min() == datetime.fromtimestamp(g.commence_ts - 61 * 60, UTC)
    books = set(odds["bookmaker"])
    expected = {b.key for b in default_books(g.slate_date)}
    assert books == expected and "betfair_ex_uk" in books and "pinnacle" in books
    assert not any(BY_KEY[b].is_exchange for b in books - {"betfair_ex_uk"}) and len(books) >= 19
    # at most one snapshot per game, book and offset; not every book lists every game
    per = odds.groupby(["canonical_event_id", "bookmaker", "snapshot_time_utc"]).size()
    assert per.le(6).all() and odds.groupby("canonical_event_id")["bookmaker"].nunique().min() < len(books)


def test_options_books_first_days_and_league() -> None:
    small = simulated_market(books=["pinnacle", "circasports", "draftkings"], first_days=3,
                             snapshot_minutes=(30,))
    days = small.events["slate_date"].nunique()
    assert days == 3 and set(small.odds["bookmaker"]) == {"pinnacle", "draftkings"}  # circa closed in 2023
    assert set(small.odds["commence_time_utc"] - small.odds["snapshot_time_utc"]) == {pd.Timedelta(minutes=30)}
    assert set(small.games) == set(small.events["canonical_event_id"])
    nfl = simulated_market("nfl", 2024, seed=3, first_days=2)
    assert (nfl.events["sport"] == "americanfootball_nfl").all() and nfl.events["home_team_id"].str.startswith(
        "nfl-").all()
    empty = simulated_market(books=[], first_days=1)
    assert list(empty.odds.columns) == ODDS_COLS and empty.odds.empty and len(empty.events) > 0


def test_prices_are_the_http_api_prices() -> None:
    """Every quote, as The Odds API serves it at the snapshot time, under a non-default scenario too."""
    for scenario in (MarketScenario(), LAGGING):
        sim_market = simulated_market(scenario=scenario, first_days=2)
        odds = sim_market.odds
        keys = ",".join(sorted(set(odds["bookmaker"])))
        checked = 0
        for eid, g in list(sim_market.games.items())[:8]:
            for minutes in (61, 16, 1):
                at = datetime.fromtimestamp(g.commence_ts - minutes * 60, UTC)
                sim = Simulator(SimulatorSettings(oddsapi_rate_per_second=1e9, market=scenario), SimClock(at))
                body = httpx.Client(transport=sim.transport(), base_url="https://api.the-odds-api.com").get(
                    f"/v4/sports/basketball_nba/events/{g.event_id}/odds",
                    params={"apiKey": "demo", "bookmakers": keys, "markets": "h2h,spreads,totals"}).json()
                side = {g.home_team: "home", g.away_team: "away", "Over": "over", "Under": "under"}
                served = sorted((b["key"], m["key"], side[o["name"]], o["price"], o.get("point", math.nan))
                                for b in body["bookmakers"] for m in b["markets"] if m["key"] != "h2h_lay"
                                for o in m["outcomes"])
                mine = odds[(odds["canonical_event_id"] == eid) & (odds["snapshot_time_utc"] == at)]
                ours = sorted(zip(mine["bookmaker"], mine["market"], mine["selection"], mine["price"],
                                  mine["point"], strict=True))
                assert len(served) == len(ours) > 20
                for a, b in zip(served, ours, strict=True):
                    assert a[:4] == b[:4] and (a[4] == b[4] or (math.isnan(a[4]) and math.isnan(b[4])))
                checked += len(ours)
        assert checked > 1000


def test_a_full_season_builds_in_a_few_seconds() -> None:
    start = time.process_time()
    market = simulated_market(seed=4)
    spent = time.process_time() - start
    print(f"NBA season: {len(market.odds)} quotes in {spent:.1f} s of CPU")
    assert len(market.odds) > 300_000 and spent < 15  # ~3 s here; generous for a loaded machine


# ====================================================================== the truth


def test_true_home_win_probability_matches_the_home_win_rate(season: SimulatedMarket,
                                                             lagging: SimulatedMarket) -> None:
    for sim, minutes in ((season, 60), (lagging, 60), (lagging, 47 * 60)):
        finals = sim.results.set_index("canonical_event_id")
        p = np.array([true_outcome(sim, eid, "h2h", "home", None, decision(sim.games[eid], minutes))[0]
                      for eid in finals.index])
        won = (finals["winner"] == "home").to_numpy()
        se = math.sqrt(p.mean() * (1 - p.mean()) / len(p))
        assert abs(p.mean() - won.mean()) < 3 * se, (minutes, p.mean(), won.mean(), se)


def test_the_remaining_drift_widens_the_truth() -> None:
    """Two days out in a world of heavy news, favourites are far less sure than the current model alone
    says: the results bear out the truth with the drift to come, and reject the truth without it."""
    stormy = MarketScenario(news_per_game=20.0, news_scale=5.0)
    market = simulated_market(scenario=stormy, books=["pinnacle"], snapshot_minutes=(1,))
    finals = market.results.set_index("canonical_event_id")
    home_won = (finals["winner"] == "home").to_numpy()
    with_drift, without = [], []
    for eid in finals.index:
        g = market.games[eid]
        at = decision(g, 47 * 60)
        with_drift.append(true_outcome(market, eid, "h2h", "home", None, at)[0])
        x, _ = game_path(market.seed, "nba", g.season, g.index, stormy).true_xt(int(at.timestamp()))
        without.append(NormalDist(round(x, 6), MODELS["nba"].margin_sd, 0.0, 1.0).p_home_win())
    p, q = np.array(with_drift), np.array(without)
    assert (np.abs(p - 0.5) <= np.abs(q - 0.5) + 1e-12).all()  # never more sure than the model alone
    home_fav = q >= 0.5
    fav_won = np.where(home_fav, home_won, ~home_won).mean()
    se = math.sqrt(fav_won * (1 - fav_won) / len(p))
    truth, naive = np.where(home_fav, p, 1 - p).mean(), np.where(home_fav, q, 1 - q).mean()
    assert abs(truth - fav_won) < 3 * se and naive - fav_won > 3 * se, (truth, naive, fav_won, se)


def test_truth_at_the_close_is_the_simulators_truth(season: SimulatedMarket) -> None:
    sim = Simulator(SimulatorSettings(seed=season.seed))
    for eid, g in list(season.games.items())[:200]:
        if g.postponed:
            assert true_outcome(season, eid, "h2h", "home", None, g.commence_time) == (0.0, 1.0)  # void
            continue
        path = game_path(season.seed, "nba", g.season, g.index, season.scenario)
        assert path.drift_var(g.commence_ts) == (0.0, 0.0)
        home, push = true_outcome(season, eid, "h2h", "home", None, g.commence_time)
        away, _ = true_outcome(season, eid, "h2h", "away", None, g.commence_time)
        assert abs(home - sim.truth(g).p_home_win) < 1e-9 and push == 0.0 and home + away == pytest.approx(1.0)


def test_sides_add_up_and_pushes_only_on_whole_points(season: SimulatedMarket) -> None:
    lines = season.odds[(season.odds["market"] != "h2h") & (season.odds["bookmaker"] == "draftkings")]
    lines = lines.drop_duplicates(["canonical_event_id", "market", "snapshot_time_utc", "point"]).head(600)
    whole = half = 0
    for row in lines.itertuples():
        at = row.snapshot_time_utc.to_pydatetime()
        a, b = ("home", "away") if row.market == "spreads" else ("over", "under")
        pa = row.point if row.market == "totals" or row.selection == "home" else -row.point
        pb = -pa if row.market == "spreads" else pa
        win_a, push_a = true_outcome(season, row.canonical_event_id, row.market, a, pa, at)
        win_b, push_b = true_outcome(season, row.canonical_event_id, row.market, b, pb, at)
        assert push_a == push_b and win_a + win_b + push_a == pytest.approx(1.0, abs=1e-12)
        for point in (math.floor(pa), math.floor(pa) + 0.5):  # the same market at a whole and a half point
            other = -point if row.market == "spreads" else point
            p_a = true_outcome(season, row.canonical_event_id, row.market, a, point, at)
            p_b = true_outcome(season, row.canonical_event_id, row.market, b, other, at)
            assert p_a[1] == p_b[1] and p_a[0] + p_b[0] + p_a[1] == pytest.approx(1.0, abs=1e-12)
            if float(point).is_integer() and not (row.market == "spreads" and point == 0):
                assert p_a[1] > 0.005
                whole += 1
            else:
                assert p_a[1] == 0.0
                half += 1
    assert whole > 500 and half > 500
    eid = lines["canonical_event_id"].iloc[0]
    at = decision(season.games[eid], 60)
    assert true_outcome(season, eid, "spreads", "home", 0.0, at)[1] == 0.0  # a pick'em: overtime decides


@pytest.mark.parametrize("league", ["nba", "nfl"])
def test_spreads_and_totals_match_the_result_drawing(league: str) -> None:
    """At the close (nothing left to move) the truth is the distribution `draw_result` samples from."""
    market = simulated_market(league, 2024, seed=5, books=["pinnacle"], first_days=1)
    eid, g = next((e, g) for e, g in market.games.items() if not g.postponed)
    path = game_path(5, league, 2024, g.index)
    x, t = path.true_xt(g.commence_ts)
    rng = random.Random(11)
    n = 40_000
    draws = [draw_result(league, x, t, rng) for _ in range(n)]
    margin = np.array([d.home_score - d.away_score for d in draws])
    total = np.array([d.home_score + d.away_score for d in draws])
    close = g.commence_time
    checks = []
    for k in (-round(x) - 3, -round(x), -round(x) + 4, 0):
        for point in (k, k + 0.5):
            checks.append((true_outcome(market, eid, "spreads", "home", point, close),
                           (margin + point > 0).mean(), (margin + point == 0).mean()))
            checks.append((true_outcome(market, eid, "spreads", "away", point, close),
                           (margin < point).mean(), (margin == point).mean()))
    for k in (round(t) - 6, round(t), round(t) + 1, round(t) + 9):
        for point in (k, k + 0.5):
            checks.append((true_outcome(market, eid, "totals", "over", point, close),
                           (total > point).mean(), (total == point).mean()))
            checks.append((true_outcome(market, eid, "totals", "under", point, close),
                           (total < point).mean(), (total == point).mean()))
    checks.append((true_outcome(market, eid, "h2h", "home", None, close), (margin > 0).mean(), 0.0))
    for (p_win, p_push), won, pushed in checks:
        assert abs(p_win - won) < 4 * math.sqrt(max(p_win * (1 - p_win), 1e-4) / n) + 1e-3, (p_win, won)
        assert abs(p_push - pushed) < 4 * math.sqrt(max(p_push, 1e-4) / n) + 5e-4, (p_push, pushed)


def test_a_final_total_has_the_parity_of_the_final_margin(season: SimulatedMarket) -> None:
    """The simulator nudges a total of the wrong parity by one point, so P(total even) = P(margin even),
    which is below 1/2 (a regulation tie becomes an overtime margin, odd half the time)."""
    eid, g = next((e, g) for e, g in season.games.items() if not g.postponed)
    at = decision(g, 60)
    even_totals = sum(true_outcome(season, eid, "totals", "over", k, at)[1] for k in range(0, 600, 2))
    even_margins = sum(true_outcome(season, eid, "spreads", "home", -m, at)[1] for m in range(-300, 301, 2))
    assert even_totals == pytest.approx(even_margins, abs=1e-9) and 0.47 < even_margins < 0.495


@pytest.mark.parametrize(("league", "x", "t"), [("nfl", -20.0, 30.0), ("nfl", 3.0, 44.5), ("nba", 5.0, 225.0)])
def test_totals_follow_the_floor_and_the_parity_nudge(league: str, x: float, t: float) -> None:
    """A lopsided, low-scoring NFL game is where the total's floor of |margin| + 2 bites."""
    m = MODELS[league]
    over, pmf = _totals(x, m.margin_sd, t, m.total_sd)
    rng = random.Random(5)
    n = 40_000
    totals = np.array([(lambda r: r.home_score + r.away_score)(draw_result(league, x, t, rng)) for _ in range(n)])
    for k in range(int(t) - 15, int(t) + 16, 3):
        assert abs(over[k] - (totals >= k).mean()) < 4 * math.sqrt(over[k] * (1 - over[k]) / n) + 1e-4, k
        assert abs(pmf[k] - (totals == k).mean()) < 4 * math.sqrt(pmf[k] / n) + 1e-4, k
    # a total is at least 2, or 1 after a nudge down (a tie at the floor of 2 decided by an odd margin)
    assert over[0] == pytest.approx(1.0) and pmf.sum() == pytest.approx(1.0) and pmf[0] < 1e-15


def test_the_lagging_market_pays_a_sharp_versus_retail_strategy_in_truth(lagging: SimulatedMarket) -> None:
    """What the backtest's truth test needs: with retail 45 minutes late on heavy news, backing retail h2h
    prices that beat Pinnacle's devigged price by 3 % has a clearly positive true expected value."""
    odds = lagging.odds[(lagging.odds["market"] == "h2h")
                        & (lagging.odds["commence_time_utc"] - lagging.odds["snapshot_time_utc"]
                           == timedelta(minutes=16))]
    pin = odds[odds["bookmaker"] == "pinnacle"].pivot_table(index="canonical_event_id", columns="selection",
                                                            values="price")
    fair_home = (1 / pin["home"]) / (1 / pin["home"] + 1 / pin["away"])
    fair = odds["canonical_event_id"].map(fair_home)
    odds = odds.assign(fair=np.where(odds["selection"] == "home", fair, 1 - fair))
    bets = odds[(odds["bookmaker"].map(lambda b: BY_KEY[b].kind) == "retail") & (odds["price"] * odds["fair"] > 1.03)]
    ev = np.array([true_outcome(lagging, r.canonical_event_id, "h2h", r.selection, None,
                                r.snapshot_time_utc.to_pydatetime())[0] * r.price - 1 for r in bets.itertuples()])
    assert len(ev) > 500 and ev.mean() - 3 * ev.std() / math.sqrt(len(ev)) > 0.05


def test_true_outcome_refuses_what_it_cannot_know() -> None:
    market = simulated_market(books=["pinnacle"], first_days=1)
    eid, g = next(iter(market.games.items()))
    with pytest.raises(ValueError, match="after the start"):
        true_outcome(market, eid, "h2h", "home", None, g.commence_time + timedelta(minutes=1))
    with pytest.raises(ValueError, match="naive"):
        true_outcome(market, eid, "h2h", "home", None, datetime(2025, 10, 21, 12))  # noqa: DTZ001 - on purpose
    with pytest.raises(ValueError, match="needs a point"):
        true_outcome(market, eid, "spreads", "home", None, g.commence_time)
    with pytest.raises(ValueError, match="selection"):
        true_outcome(market, eid, "totals", "home", 220.5, g.commence_time)
    with pytest.raises(ValueError, match="unknown market"):
        true_outcome(market, eid, "h2h_lay", "home", None, g.commence_time)
    mlb = simulated_market("mlb", 2025, books=["pinnacle"], first_days=1)
    eid, g = next(iter(mlb.games.items()))
    with pytest.raises(NotImplementedError):
        true_outcome(mlb, eid, "h2h", "home", None, g.commence_time)
