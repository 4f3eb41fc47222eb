"""penaltyblog as an independent oracle: the engine's Kelly stakes are its `kelly_criterion`, and the same bets
replayed through its backtest `Account` give the ledger's profit and the summary's ROI."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest
from penaltyblog.backtest import Backtest
from penaltyblog.betting import kelly_criterion

from linelogic_assets.backtest.data import MarketData
from linelogic_assets.backtest.engine import run_backtest
from linelogic_assets.backtest.metrics import summarise
from linelogic_assets_tests.backtest.frames import BackSelection, at, event, h2h, market, result, spec

BANKROLL = 10_000.0
# caps that never bind, and stakes rounded to 1e-12 so they are Kelly's to the last digit that matters
EXACT = {"max_bet_fraction": 1.0, "max_event_fraction": 1.0, "max_open_exposure_fraction": 1.0, "min_stake": 0.0,
         "stake_rounding": 1e-12}


@functools.cache
def season(n: int = 12, seed: int = 7) -> tuple[MarketData, BackSelection, dict[str, float]]:
    """n games four hours apart (each decided after the one before ended), random home prices and beliefs."""
    rng = np.random.default_rng(seed)
    events, results, quotes, probs, prices = [], [], [], {}, {}
    for i in range(n):
        eid, commence = f"g{i:02d}", at(hours=4 * i)
        price = float(np.round(rng.uniform(1.4, 4.0), 2))
        events.append(event(eid, commence))
        home_wins = bool(rng.random() < 0.5)
        results.append(result(eid, 100 + 5 * home_wins, 100 + 5 * (not home_wins)))
        quotes += h2h(eid, commence, "draftkings", price, 2.0)
        # mostly an edge over 1/price, sometimes none (never bet)
        probs[eid] = float(min(0.95, 1 / price + rng.uniform(-0.05, 0.15)))
        prices[eid] = price
    return market(events, results, quotes), BackSelection(probs=probs, bookmaker="draftkings"), prices


@pytest.mark.parametrize("fraction", [1.0, 0.5, 0.25])
def test_kelly_stakes_are_penaltyblogs_kelly_criterion(fraction: float) -> None:
    data, strategy, prices = season()
    res = run_backtest(spec(sizing=f"kelly:{fraction}", limits=EXACT), data, strategy)
    bets = res.bets.set_index("canonical_event_id")
    expected_bets = 0
    for eid, price in prices.items():
        p = strategy.probs[eid]
        oracle = kelly_criterion(price, p, fraction)
        if oracle.stake <= 0:
            assert eid not in bets.index  # no edge: no bet
            continue
        expected_bets += 1
        row = bets.loc[eid]
        assert row["price"] == price and row["fair_prob"] == p
        assert row["stake"] == pytest.approx(float(oracle.stake) * row["bankroll_before"], rel=0, abs=1e-9)
        assert row["kelly_fraction"] == pytest.approx(float(kelly_criterion(price, p).stake), rel=0, abs=1e-12)
    assert expected_bets == len(bets) >= 8
    assert res.bets["bankroll_before"].nunique() > 5  # the bankroll moved: stakes followed it


def test_penaltyblogs_account_agrees_on_profit_and_roi() -> None:
    data, strategy, _ = season(20, seed=11)
    res = run_backtest(spec(sizing="kelly:0.5", limits={**EXACT, "stake_rounding": 0.01}), data, strategy)
    bets = res.bets
    assert set(bets["result"]) == {"win", "loss"} and len(bets) >= 10
    frame = pd.DataFrame({"date": pd.to_datetime(bets["slate_date"]), "odds": bets["price"],
                          "stake": bets["stake"], "outcome": (bets["result"] == "win").astype(int)})

    def logic(ctx: object) -> None:
        f = ctx.fixture
        ctx.account.place_bet(f["odds"], f["stake"], int(f["outcome"]))

    bt = Backtest(frame, str(frame["date"].min().date()), str(frame["date"].max().date()))
    bt.start(BANKROLL, logic)
    oracle = bt.results()
    assert oracle["Total Bets"] == len(bets)
    assert oracle["Successful Bets"] == res.summary["wins"]
    assert oracle["Profit"] == pytest.approx(bets["profit"].sum(), abs=1e-9)
    assert oracle["Profit"] == pytest.approx(res.summary["profit"], abs=1e-9)
    assert oracle["ROI"] == pytest.approx(100.0 * res.summary["roi"], abs=1e-12)
    assert bt.account.current_bankroll == pytest.approx(res.summary["final_bankroll"], abs=1e-9)
    again = summarise(bets, BANKROLL)
    assert again["profit"] == res.summary["profit"] and again["roi"] == res.summary["roi"]
