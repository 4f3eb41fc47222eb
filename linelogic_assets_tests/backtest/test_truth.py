"""The backtester against the truth: a whole simulated NBA season, each bet's true expected value taken from
the simulator's hidden model at the bet's decision time (`simulated.true_outcome`).

A backtest is right when (1) its realised profit is what the true probabilities make likely, and (2) what it
reports about a strategy (closing line value, its own expected profit) points the way the truth does: `ev`
against sharp books in a market where retail books lag the news wins in truth, `flat` on the favourite at a
retail book loses about that book's margin, and `ev` in a market with no lag to exploit finds next to nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pytest

from linelogic_assets.backtest.data import MarketData, from_frames
from linelogic_assets.backtest.engine import BacktestResult, run_backtest
from linelogic_assets.backtest.spec import BacktestSpec, parse_spec
from linelogic_assets.simulator.books import BY_KEY
from linelogic_assets.simulator.settings import MarketScenario
from linelogic_assets_tests.backtest.simulated import SimulatedMarket, simulated_market, true_outcome

SPORT = "basketball_nba"
# the collector's windows; the season's snapshots 61 and 16 minutes before commence are their as-of quotes,
# the one a minute before is the close
DECISIONS: tuple[tuple[str, int], ...] = (("T-60m", -60), ("T-15m", -15))
CLOSE = ("CLOSE", 0)
SNAPSHOT_MINUTES = (61, 16, 1)
# retail books 45 minutes late in a world of heavy news: the edge a sharp-versus-retail strategy lives on
LAGGING = MarketScenario(news_per_game=6.0, news_scale=3.0, retail_extra_lag_minutes=45)
Z_LIMIT = 3.5  # |z| beyond it: a chance of 5e-4 per strategy if the ledger is right
EV = ("ev", {"markets": ["h2h"], "reference": "sharp"})
FLAT = ("flat", {"market": "h2h", "selection": "favourite", "bookmaker": "draftkings"})
# name → (strategy, params, sizing, bankroll, lagging world?). Flat stakes on a bankroll the season's losses
# never dent (no cap ever trims a stake) give the z-test its power; ¼ Kelly on the default bankroll checks
# the same truth with stakes that follow the bankroll.
RUNS: dict[str, tuple[str, dict[str, Any], str, float, bool]] = {
    "ev_lagging": (*EV, "flat:100", 1e6, True),
    "ev_lagging_kelly": (*EV, "kelly:0.25", 10_000.0, True),
    "ev_calm": (*EV, "flat:100", 1e6, False),
    "flat_calm": (*FLAT, "flat:100", 1e6, False),
    "flat_lagging": (*FLAT, "flat:100", 1e6, True),
}


@dataclass(frozen=True)
class World:
    sim: SimulatedMarket
    data: MarketData


@dataclass(frozen=True)
class Run:
    """One backtest and the truth of each of its bets (row-aligned with `result.bets`)."""

    world: World
    result: BacktestResult
    truth: pd.DataFrame  # offered_price, p_win, p_push, true_ev, var

    @property
    def bets(self) -> pd.DataFrame:
        return self.result.bets


def _world(scenario: MarketScenario) -> World:
    sim = simulated_market(scenario=scenario, snapshot_minutes=SNAPSHOT_MINUTES)
    # both strategies bet h2h only: the other markets would only double the gold work
    odds = sim.odds[sim.odds["market"] == "h2h"].reset_index(drop=True)
    return World(sim, from_frames(SPORT, odds, sim.events, sim.results, DECISIONS, CLOSE))


@pytest.fixture(scope="module")
def lagging() -> World:
    return _world(LAGGING)


@pytest.fixture(scope="module")
def calm() -> World:
    return _world(MarketScenario())


def _spec(world: World, strategy: str, params: dict[str, Any], sizing: str, bankroll: float) -> BacktestSpec:
    return parse_spec({"name": f"truth_{strategy}", "sport": SPORT, "start": world.data.start,
                       "end": world.data.end, "strategy": strategy, "params": params,
                       "buckets": [label for label, _ in DECISIONS], "sizing": sizing, "bankroll": bankroll,
                       "statistics": {"bootstrap_samples": 0, "permutations": 0}})


def offered_prices(sim: SimulatedMarket, bets: pd.DataFrame) -> np.ndarray:
    """The simulator's price of each bet's book and selection at its last snapshot at or before the decision
    (NaN when it had none): what the bettor could really have taken, found without the engine."""
    key = ["canonical_event_id", "bookmaker", "market", "selection"]
    left = bets[[*key, "decision_time_utc"]].reset_index(names="_row")
    left["decision_time_utc"] = left["decision_time_utc"].astype("datetime64[us, UTC]")
    odds = sim.odds[[*key, "snapshot_time_utc", "price"]]
    found = pd.merge_asof(left.sort_values("decision_time_utc"), odds.sort_values("snapshot_time_utc"),
                          left_on="decision_time_utc", right_on="snapshot_time_utc", by=key,
                          direction="backward")
    return found.set_index("_row")["price"].reindex(left["_row"]).to_numpy(float)


def truth_of(sim: SimulatedMarket, bets: pd.DataFrame, exchange_commission: float) -> pd.DataFrame:
    """Per bet, from the simulator's model at its decision time: p_win, p_push, the true expected profit
    stake × (p_win × (net price − 1) − p_loss) and its variance over win, push and loss.

    The price is the one the simulator offered (`offered_prices`), and commission comes from the book
    catalogue and the spec, so a ledger that took another price or fee cannot agree with itself.
    """
    price = offered_prices(sim, bets)
    p = [true_outcome(sim, eid, mk, sel, None if pt != pt else float(pt), t.to_pydatetime())
         for eid, mk, sel, pt, t in zip(bets["canonical_event_id"], bets["market"], bets["selection"],
                                        bets["point"].astype(float), bets["decision_time_utc"], strict=True)]
    p_win = np.array([w for w, _ in p], dtype=float)
    p_push = np.array([v for _, v in p], dtype=float)
    p_loss = 1.0 - p_win - p_push
    stake = bets["stake"].to_numpy(float)
    rate = np.array([exchange_commission if BY_KEY[b].is_exchange else 0.0 for b in bets["bookmaker"]])
    win = stake * (price - 1.0) * (1.0 - rate)  # profit of a win, net of commission on winnings
    ev = p_win * win - p_loss * stake
    var = p_win * (win - ev) ** 2 + p_push * ev**2 + p_loss * (-stake - ev) ** 2
    return pd.DataFrame({"offered_price": price, "p_win": p_win, "p_push": p_push, "true_ev": ev, "var": var})


def z_score(bets: pd.DataFrame, truth: pd.DataFrame, by_game: bool = True) -> float:
    """(Σ profit − Σ true EV) / sd, sd² = Σ over games of (Σ over the game's bets of √var)².

    Given all that is known at its decision time, a bet's profit has mean true_ev and variance var, and its
    stake is fixed by then, so Σ (profit − true_ev) sums martingale differences and z is close to N(0, 1).
    Bets on different games settle on independent results and their variances add; the bets on one game
    (T-60m and T-15m) share its result, so there the standard deviations add instead: the variance of a
    sum is at most that, whatever the correlation. With one bet a game sd² is Σ var exactly; `by_game=False`
    gives the plain Σ var, which understates sd when a game's bets move together.
    """
    if bets.empty:
        return 0.0
    sd = np.sqrt(truth["var"].to_numpy())
    if by_game:
        sd = pd.Series(sd).groupby(bets["canonical_event_id"].to_numpy()).sum().to_numpy()
    residual = bets["profit"].astype(float).sum() - truth["true_ev"].sum()
    return float(residual / math.sqrt(float((sd**2).sum())))


@pytest.fixture(scope="module")
def runs(lagging: World, calm: World) -> dict[str, Run]:
    out = {}
    for name, (strategy, params, sizing, bankroll, lags) in RUNS.items():
        world = lagging if lags else calm
        spec = _spec(world, strategy, params, sizing, bankroll)
        result = run_backtest(spec, world.data)
        out[name] = Run(world, result, truth_of(world.sim, result.bets, spec.costs.exchange_commission))
    return out


def _numbers(run: Run) -> str:
    bets, truth, s = run.bets, run.truth, run.result.summary
    return (f"bets {len(bets)}, Σ profit {bets['profit'].astype(float).sum():.1f}, Σ trueEV "
            f"{truth['true_ev'].sum():.1f}, z {z_score(bets, truth):+.2f} (plain Σ var: "
            f"{z_score(bets, truth, by_game=False):+.2f}), clv_mean {s['clv_mean']}, "
            f"beat_close {s['beat_close_share']}, expected_profit {s['expected_profit']}")


# ====================================================================== the season and the ledger


def test_the_whole_season_at_both_decision_points(lagging: World, runs: dict[str, Run]) -> None:
    ids = set(lagging.sim.events["canonical_event_id"])
    assert len(ids) == 1230 and set(lagging.data.events["canonical_event_id"]) == ids
    assert set(lagging.data.lines["bucket"]) == {"T-60m", "T-15m"} and len(lagging.data.close) > 2 * 1200
    flat = runs["flat_calm"].bets
    # every favourite at draftkings, once per decision point, at the snapshot a minute before it
    counts = flat["bucket"].value_counts()
    assert set(counts.index) == {"T-60m", "T-15m"} and counts.min() == counts.max() > 1100
    assert not flat.duplicated(["canonical_event_id", "bucket"]).any()
    lead = (flat["commence_time_utc"] - flat["snapshot_time_utc"]).dt.total_seconds() / 60
    assert (lead == np.where(flat["bucket"] == "T-60m", 61, 16)).all()
    assert (flat["decision_time_utc"] - flat["snapshot_time_utc"] == pd.Timedelta(minutes=1)).all()


@pytest.mark.parametrize("name", RUNS)
def test_each_bet_took_the_price_on_offer_and_settled(runs: dict[str, Run], name: str) -> None:
    run = runs[name]
    bets = run.bets
    assert (bets["price"].to_numpy() == run.truth["offered_price"].to_numpy()).all()
    assert bets["result"].isin(["win", "loss"]).all()  # the season's games are all played, none tied
    assert (run.truth["p_push"] == 0.0).all() and run.truth["p_win"].between(0.0, 1.0).all()


@pytest.mark.parametrize("name", RUNS)
def test_realised_profit_is_consistent_with_the_true_expected_value(runs: dict[str, Run], name: str) -> None:
    """z = (Σ profit − Σ trueEV) / sqrt(Σ var) (`z_score`: bets sharing a game add as standard deviations);
    |z| < 3.5 for every strategy. A ledger that settles on a wrong result, pays another price than the one
    on offer, or bets on what it could not know yet misses the truth by many standard deviations."""
    run = runs[name]
    assert len(run.bets) > 0
    z = z_score(run.bets, run.truth)
    print(f"{name}: {_numbers(run)}")
    assert abs(z) < Z_LIMIT, f"{name}: {_numbers(run)}"


# ====================================================================== what the backtest says, and the truth


@pytest.mark.parametrize("name", ["ev_lagging", "ev_lagging_kelly"])
def test_ev_against_sharp_books_wins_in_truth_when_retail_lags(runs: dict[str, Run], name: str) -> None:
    """Retail books 45 minutes late on heavy news: `ev` (h2h, against the sharp devigged price) has a clearly
    positive true edge, and the backtest reports it: positive CLV, most bets beat the close, positive
    expected profit."""
    run = runs[name]
    bets, truth, s = run.bets, run.truth, run.result.summary
    edge = truth["true_ev"] / bets["stake"]
    per_unit = truth["true_ev"].sum() / bets["stake"].sum()
    se = edge.std(ddof=1) / math.sqrt(len(edge))
    assert len(bets) > 200 and truth["true_ev"].sum() > 0, _numbers(run)
    assert per_unit > 0.05 and edge.mean() > 5 * se, (per_unit, edge.mean(), se)
    assert s["clv_mean"] > 0 and s["beat_close_share"] > 0.5 and s["expected_profit"] > 0, _numbers(run)


@pytest.mark.parametrize("name", ["flat_calm", "flat_lagging"])
def test_flat_on_the_favourite_loses_about_the_books_margin(runs: dict[str, Run], name: str) -> None:
    """Every draftkings favourite at flat stakes gives the book its take, m / (1 + m) per unit, plus its
    rounding of prices down to the cent (~0.3 % at favourites' prices): a little beyond −m, so −1.25 m
    bounds it below. The backtest agrees: negative CLV, most bets worse than the close."""
    run = runs[name]
    bets, truth, s = run.bets, run.truth, run.result.summary
    margin = BY_KEY["draftkings"].margin
    per_unit = truth["true_ev"].sum() / bets["stake"].sum()
    assert (bets["stake"] == 100.0).all() and (bets["bookmaker"] == "draftkings").all()
    assert -1.25 * margin < per_unit < -margin / 4, (per_unit, margin)
    assert s["clv_mean"] < 0 and s["beat_close_share"] < 0.5, _numbers(run)


def test_ev_manufactures_no_edge_in_a_market_without_lag(runs: dict[str, Run]) -> None:
    """The same `ev` backtest in the default world (retail a few minutes late, little news) finds few bets
    (the odd retail price left stale by news: a real, small edge) and their true expected profit is no edge
    a season could show: under two standard deviations of the results' noise, and a vanishing share of what
    the lagging world offers."""
    calm, lag = runs["ev_calm"], runs["ev_lagging"]
    n_views = calm.result.diagnostics["views"]
    assert len(calm.bets) < 0.01 * n_views and len(calm.bets) < len(lag.bets) / 10, _numbers(calm)
    true_ev = calm.truth["true_ev"].sum()
    noise = math.sqrt(calm.truth["var"].sum()) if len(calm.bets) else 0.0
    assert true_ev <= 2 * noise and true_ev < 0.05 * lag.truth["true_ev"].sum(), _numbers(calm)

