"""Backtest metrics: hand-computed tiny ledgers, the day-block bootstrap, the permutation p-value, and
properties of `summarise` on arbitrary ledgers."""

from __future__ import annotations

import json
import math
import time
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from penaltyblog.backtest import Account

from linelogic_assets.backtest.metrics import (
    LEDGER_FIELDS,
    MetricsSettings,
    breakdowns,
    daily_returns,
    equity_curve,
    summarise,
)
from linelogic_assets.backtest.schema import BETS, BREAKDOWN, RESULTS, SUMMARY_COLUMNS

T0 = datetime(2025, 1, 6, 3, 0, tzinfo=UTC)  # settlement times: T0 + day offset + minutes
FAST = MetricsSettings(bootstrap_samples=200, permutations=200)


def bet(result: str, price: float = 2.0, stake: float = 10.0, day: int = 0, minute: int = 0,
        commission: float = 0.0, **extra: object) -> dict[str, object]:
    """One BET_COLUMNS row, profit and payout derived from the result the way the engine settles them."""
    win = stake * (price - 1.0) * (1.0 - commission)
    profit = {"win": win, "loss": -stake, "push": 0.0, "void": 0.0}.get(result)
    row: dict[str, object] = {name: None for name in BETS.names}
    row.update(
        backtest="t", sport="basketball_nba", canonical_event_id=f"e{day}-{minute}", market="h2h",
        selection="home", bookmaker="book", bucket="CLOSE", slate_date=(T0 + timedelta(days=day)).date(),
        commence_time_utc=T0 + timedelta(days=day, minutes=minute - 180), price=price, stake=stake,
        commission_rate=commission, result=result, profit=profit,
        payout=None if profit is None else stake + profit, edge=0.0,
        settled_at_utc=None if result == "open" else T0 + timedelta(days=day, minutes=minute),
    )
    row.update(extra)
    return row


def ledger(*rows: dict[str, object]) -> pd.DataFrame:
    """Rows through the Arrow schema, so dtypes are those of a ledger read back from Parquet or DuckDB."""
    rows = tuple({**r, "bet_id": r.get("bet_id", i), "group_id": r.get("bet_id", i)} for i, r in enumerate(rows))
    return pa.Table.from_pylist(list(rows), schema=BETS).to_pandas()


def close(a: object, b: float) -> bool:
    return a is not None and math.isclose(float(a), b, rel_tol=1e-12, abs_tol=1e-12)


# --- the plain numbers ------------------------------------------------------------------------------------------


def test_counts_money_and_ratios_by_hand():
    bets = ledger(
        bet("win", price=2.5, day=0),  # +15
        bet("loss", price=1.8, day=0, minute=5),  # -10
        bet("push", price=1.9, day=1),  # 0, in turnover
        bet("void", price=2.2, day=1, minute=5),  # 0, not in turnover
        bet("open", price=3.0, day=2),  # counted, nothing else
    )
    s = summarise(bets, 100.0, settings=FAST)
    assert (s["bets"], s["wins"], s["losses"], s["pushes"], s["voids"], s["open_bets"]) == (5, 1, 1, 1, 1, 1)
    assert s["turnover"] == 30.0
    assert s["profit"] == 5.0 and s["final_bankroll"] == 105.0 and s["starting_bankroll"] == 100.0
    assert close(s["roi"], 0.05)
    assert close(s["yield"], 5.0 / 30.0)
    assert s["hit_rate"] == 0.5  # the push is neither a win nor a loss
    assert close(s["avg_odds"], (2.5 + 1.8 + 1.9 + 2.2 + 3.0) / 5)
    assert s["longest_losing_streak"] == 1
    assert s["p_value"] is None  # no pool given


def test_summary_has_every_ledger_field_with_its_schema_type():
    s = summarise(ledger(bet("win"), bet("loss", day=1)), 100.0, settings=FAST)
    caller = {"backtest", "sport", "strategy", "start_date", "end_date", "buckets", "sizing"}
    assert list(s) == LEDGER_FIELDS == [n for n, _, _ in SUMMARY_COLUMNS if n not in caller]
    for name, typ, _ in SUMMARY_COLUMNS:
        if name in s and s[name] is not None:
            assert type(s[name]) is (int if typ == pa.int64() else float), name
    json.dumps(s, allow_nan=False)


def test_open_bets_are_not_losses():
    base = [bet("win", day=0), bet("loss", day=1)]
    settled_only = summarise(ledger(*base), 100.0, settings=FAST)
    with_open = summarise(ledger(*base, bet("open", stake=50.0, day=2), bet("open", day=3)), 100.0, settings=FAST)
    assert with_open["open_bets"] == 2 and with_open["bets"] == 4
    for field in ("losses", "turnover", "profit", "roi", "yield", "hit_rate", "longest_losing_streak",
                  "max_drawdown", "sharpe", "profit_factor"):
        assert with_open[field] == settled_only[field], field


def test_voids_leave_turnover_and_yield_alone():
    s = summarise(ledger(bet("win", stake=10.0), bet("void", stake=1000.0, day=1)), 100.0, settings=FAST)
    assert s["turnover"] == 10.0 and s["yield"] == 1.0 and s["voids"] == 1


def test_avg_odds_is_the_mean_decimal_price():
    # American odds of these are -200 and +200: their mean (0) is no price at all
    s = summarise(ledger(bet("loss", price=1.5), bet("loss", price=3.0, day=1)), 100.0, settings=FAST)
    assert s["avg_odds"] == 2.25


def test_profit_and_bankroll_agree_with_penaltyblog_account():
    rng = np.random.default_rng(3)
    rows = [bet("win" if rng.random() < 0.5 else "loss", price=float(rng.uniform(1.3, 4.0)),
                stake=float(rng.uniform(1, 20)), day=i // 3, minute=i % 3) for i in range(40)]
    account = Account(500.0)
    for r in rows:
        account.place_bet(r["price"], r["stake"], int(r["result"] == "win"))
    curve = equity_curve(ledger(*rows), 500.0)
    np.testing.assert_allclose(curve["bankroll"], account.tracker, rtol=1e-12)
    s = summarise(ledger(*rows), 500.0, settings=FAST)
    assert math.isclose(s["final_bankroll"], account.tracker[-1], rel_tol=1e-12)
    assert math.isclose(s["roi"], (account.tracker[-1] - 500.0) / 500.0, rel_tol=1e-9)


# --- equity curve and drawdown ------------------------------------------------------------------------------------


def test_equity_curve_drawdown_absolute_and_pct():
    bets = ledger(
        bet("win", stake=10.0, day=0),  # 110
        bet("loss", stake=30.0, day=1),  # 80
        bet("win", stake=5.0, day=2),  # 85
        bet("loss", stake=20.0, day=3),  # 65
        bet("win", stake=60.0, day=4),  # 125
    )
    curve = equity_curve(bets, 100.0)
    assert list(curve.columns) == ["settled_at_utc", "bet_id", "profit", "bankroll", "peak", "drawdown",
                                   "drawdown_pct"]
    assert curve["bankroll"].tolist() == [110.0, 80.0, 85.0, 65.0, 125.0]
    assert curve["peak"].tolist() == [110.0, 110.0, 110.0, 110.0, 125.0]
    assert curve["drawdown"].tolist() == [0.0, 30.0, 25.0, 45.0, 0.0]
    s = summarise(bets, 100.0, settings=FAST)
    assert s["max_drawdown"] == 45.0 and close(s["max_drawdown_pct"], 45.0 / 110.0)


def test_drawdown_peak_includes_the_starting_bankroll():
    curve = equity_curve(ledger(bet("loss", stake=10.0), bet("loss", stake=10.0, day=1)), 100.0)
    assert curve["peak"].tolist() == [100.0, 100.0]
    assert curve["drawdown_pct"].tolist() == [0.1, 0.2]


def test_max_drawdown_pct_is_the_largest_share_not_the_share_at_the_largest_fall():
    # -50 from a peak of 100 (50 %), later -60 from a peak of 1000 (6 %): money and share disagree
    bets = ledger(bet("loss", stake=50.0), bet("win", price=20.0, stake=50.0, day=1), bet("loss", stake=60.0, day=2))
    s = summarise(bets, 100.0, settings=FAST)
    assert s["max_drawdown"] == 60.0 and s["max_drawdown_pct"] == 0.5


def test_curve_in_settlement_order_one_step_per_instant():
    bets = ledger(
        bet("loss", day=2, bet_id=0),
        bet("win", day=0, minute=30, bet_id=1),
        bet("loss", day=0, minute=30, bet_id=2),  # same instant as bet 1: one step, no drawdown between them
        bet("win", day=0, minute=0, bet_id=3),
        bet("open", day=1, bet_id=4),
    )
    curve = equity_curve(bets.iloc[::-1], 100.0)
    assert curve["bet_id"].tolist() == [3, 2, 0]  # each step names the last bet settled at it
    by_bet = {r.bet_id: r for r in bets.itertuples()}
    assert curve["profit"].iloc[1] == by_bet[1].profit + by_bet[2].profit
    assert str(curve["settled_at_utc"].dtype) == "datetime64[us, UTC]"


def test_empty_curve_has_the_columns():
    curve = equity_curve(ledger(bet("open")), 100.0)
    assert curve.empty and "drawdown_pct" in curve.columns
    s = summarise(ledger(bet("open")), 100.0, settings=FAST)
    assert s["max_drawdown"] == 0.0 and s["profit"] == 0.0 and s["sharpe"] is None and s["roi_ci_low"] is None


# --- profit factor and streaks ---------------------------------------------------------------------------------


def test_profit_factor_none_without_losses_finite_otherwise():
    assert summarise(ledger(bet("win"), bet("push", day=1)), 100.0, settings=FAST)["profit_factor"] is None
    assert summarise(ledger(bet("push")), 100.0, settings=FAST)["profit_factor"] is None
    s = summarise(ledger(bet("win", price=2.5), bet("win", price=1.5, day=1), bet("loss", day=2)), 100.0,
                  settings=FAST)
    assert s["profit_factor"] == 2.0  # (15 + 5) / 10
    assert summarise(ledger(bet("loss")), 100.0, settings=FAST)["profit_factor"] == 0.0


@pytest.mark.parametrize(("results", "streak"), [
    ("LLPLWLL", 3),  # a push between losses neither breaks nor extends the run
    ("LVLVL", 3),
    ("LLWLLWL", 2),
    ("PPVW", 0),
    ("WWWL", 1),
    ("LOLOL", 3),  # open bets have no settlement: not in the sequence at all
])
def test_longest_losing_streak(results: str, streak: int):
    name = {"L": "loss", "W": "win", "P": "push", "V": "void", "O": "open"}
    bets = ledger(*(bet(name[c], day=i) for i, c in enumerate(results)))
    assert summarise(bets, 100.0, settings=FAST)["longest_losing_streak"] == streak


def test_streak_follows_settlement_order_not_ledger_order():
    # decided in order L W L L, but the win settled last: three losses in a row by settlement
    bets = ledger(bet("loss", day=0), bet("win", day=9), bet("loss", day=1), bet("loss", day=2))
    assert summarise(bets, 100.0, settings=FAST)["longest_losing_streak"] == 3


# --- daily returns, Sharpe, Sortino, Calmar -------------------------------------------------------------------


def known_days() -> pd.DataFrame:
    # start 100: day 0 +10 → 110 (+10 %), day 1 -11 → 99 (-10 %), day 2 idle, day 3 +9.9 → 108.9 (+10 %)
    return ledger(
        bet("win", price=1.5, stake=10.0, day=0, minute=10),
        bet("win", price=1.5, stake=10.0, day=0, minute=20),
        bet("loss", stake=11.0, day=1),
        bet("win", price=1.99, stake=10.0, day=3),
    )


def test_daily_returns_count_idle_days_as_zero():
    r = daily_returns(known_days(), 100.0, 365)
    np.testing.assert_allclose(r.to_numpy(), [0.1, -0.1, 0.0, 0.1], atol=1e-12)
    assert [d.date().isoformat() for d in r.index] == ["2025-01-06", "2025-01-07", "2025-01-08", "2025-01-09"]
    assert str(r.index.tz) == "UTC"


def test_daily_returns_use_the_utc_date():
    # 23:30 and 00:30 UTC are two days, even if one local evening
    bets = ledger(bet("win", settled_at_utc=datetime(2025, 1, 6, 23, 30, tzinfo=UTC)),
                  bet("win", settled_at_utc=datetime(2025, 1, 7, 0, 30, tzinfo=UTC)))
    np.testing.assert_allclose(daily_returns(bets, 100.0).to_numpy(), [0.1, 10.0 / 110.0])


def test_sharpe_sortino_calmar_against_numpy():
    r = np.array([0.1, -0.1, 0.0, 0.1])
    s = summarise(known_days(), 100.0, settings=FAST)
    assert math.isclose(s["sharpe"], r.mean() / r.std(ddof=1) * math.sqrt(365), rel_tol=1e-9)
    assert math.isclose(s["sortino"], r.mean() / math.sqrt(np.mean(np.minimum(r, 0) ** 2)) * math.sqrt(365),
                        rel_tol=1e-9)
    annualised = (108.9 / 100.0) ** (365 / 4) - 1
    assert math.isclose(s["calmar"], annualised / (11.0 / 110.0), rel_tol=1e-9)


def test_ratios_none_without_spread_or_downside():
    s = summarise(ledger(*(bet("win", day=d) for d in range(3))), 100.0, settings=FAST)
    assert s["sortino"] is None and s["calmar"] is None and s["max_drawdown_pct"] == 0.0
    assert s["sharpe"] is not None  # +10 %, +9.1 %, +8.3 %: positive spread
    flat = summarise(ledger(*(bet("push", day=d) for d in range(3))), 100.0, settings=FAST)
    assert flat["sharpe"] is None and flat["sortino"] is None and flat["yield"] == 0.0
    one = summarise(ledger(bet("loss")), 100.0, settings=FAST)
    assert one["sharpe"] is None and one["sortino"] is not None


def test_clv_beat_close_and_expected_profit():
    bets = ledger(
        bet("win", clv=0.04, beat_close=True, edge=0.05, stake=10.0),
        bet("loss", clv=-0.02, beat_close=False, edge=0.02, stake=20.0, day=1),
        bet("push", clv=None, beat_close=None, edge=0.01, stake=10.0, day=2),
        bet("void", clv=0.03, beat_close=True, edge=0.03, stake=10.0, day=3),
        bet("open", edge=0.5, stake=100.0, day=4),  # open: in no money figure, expected or realised
    )
    s = summarise(bets, 100.0, settings=FAST)
    assert close(s["clv_mean"], (0.04 - 0.02 + 0.03) / 3)
    assert close(s["beat_close_share"], 2 / 3)
    assert close(s["expected_profit"], 10 * 0.05 + 20 * 0.02 + 10 * 0.01 + 10 * 0.03)
    none = summarise(ledger(bet("win")), 100.0, settings=FAST)
    assert none["clv_mean"] is None and none["beat_close_share"] is None


# --- day-block bootstrap -------------------------------------------------------------------------------------


def season(seed: int, days: int = 60, per_day: int = 5, edge: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for d in range(days):
        for k in range(per_day):
            price = float(rng.uniform(1.5, 3.5))
            result = "win" if rng.random() < (1 + edge) / price else "loss"
            rows.append(bet(result, price=price, stake=float(rng.uniform(5, 15)), day=d, minute=k))
    return ledger(*rows)


def test_bootstrap_deterministic_for_a_seed():
    bets = season(1)
    keys = ("roi_ci_low", "roi_ci_high", "yield_ci_low", "yield_ci_high")
    a, b = summarise(bets, 1000.0, settings=FAST), summarise(bets, 1000.0, settings=FAST)
    other = summarise(bets, 1000.0, settings=MetricsSettings(bootstrap_samples=200, permutations=200, seed=9))
    assert [a[k] for k in keys] == [b[k] for k in keys]
    assert [a[k] for k in keys] != [other[k] for k in keys]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_bootstrap_interval_contains_the_point_estimate(seed: int):
    s = summarise(season(seed), 1000.0, settings=MetricsSettings(seed=seed))
    assert s["roi_ci_low"] < s["roi"] < s["roi_ci_high"]
    assert s["yield_ci_low"] < s["yield"] < s["yield_ci_high"]
    assert s["roi_ci_high"] - s["roi_ci_low"] > 0.01


def test_bootstrap_interval_narrows_with_confidence():
    bets = season(4)
    wide = summarise(bets, 1000.0, settings=MetricsSettings(confidence=0.99))
    narrow = summarise(bets, 1000.0, settings=MetricsSettings(confidence=0.5))
    assert wide["roi_ci_low"] < narrow["roi_ci_low"] < narrow["roi_ci_high"] < wide["roi_ci_high"]


def test_bootstrap_all_wins_every_day_is_degenerate():
    bets = ledger(*(bet("win", price=1.5, stake=10.0, day=d, minute=k) for d in range(20) for k in range(3)))
    s = summarise(bets, 100.0, settings=FAST)
    assert s["roi_ci_low"] == s["roi_ci_high"] == s["roi"] == 3.0
    assert s["yield_ci_low"] == s["yield_ci_high"] == s["yield"] == 0.5


def bet_level_roi_width(bets: pd.DataFrame, start: float, samples: int = 2000) -> float:
    """The width a bet-by-bet bootstrap would give: what the day blocks must not be."""
    profit = bets["profit"].to_numpy(dtype=float)
    rng = np.random.default_rng(0)
    draws = profit[rng.integers(0, len(profit), (samples, len(profit)))].sum(axis=1) / start
    lo, hi = np.quantile(draws, [0.025, 0.975])
    return float(hi - lo)


def test_bootstrap_resamples_days_not_bets():
    # each day: one win at evens and one loss of the same stake. Day by day the profit is exactly 0, so a
    # day-block interval has no width; resampled bet by bet the same ledger looks like a coin-flip walk
    hedged = ledger(*(b for d in range(40) for b in (bet("win", day=d), bet("loss", day=d, minute=1))))
    s = summarise(hedged, 100.0, settings=FAST)
    assert s["roi_ci_low"] == s["roi_ci_high"] == 0.0
    assert bet_level_roi_width(hedged, 100.0) > 0.5

    # each day two bets with the same result move together: the day blocks are √2 wider than bets resampled
    rng = np.random.default_rng(5)
    together = ledger(*(b for d in range(60) for r in ["win" if rng.random() < 0.5 else "loss"]
                        for b in (bet(r, day=d), bet(r, day=d, minute=1))))
    t = summarise(together, 100.0, settings=MetricsSettings())
    ratio = (t["roi_ci_high"] - t["roi_ci_low"]) / bet_level_roi_width(together, 100.0)
    assert 1.2 < ratio < 1.7


# --- permutation p-value -------------------------------------------------------------------------------------


def fair_pool(seed: int, n: int = 4000, prices: tuple[float, float] = (1.4, 4.0), bucket: str | None = None,
              win_scale: float = 1.0) -> pd.DataFrame:
    """Candidates priced fairly (win probability 1/price × win_scale)."""
    rng = np.random.default_rng(seed)
    price = rng.uniform(*prices, n)
    pool = pd.DataFrame({"price": price, "result": np.where(rng.random(n) < win_scale / price, "win", "loss")})
    if bucket is not None:
        pool["bucket"] = bucket
    return pool


def from_pool(pool: pd.DataFrame, idx: np.ndarray, stake: float = 10.0) -> pd.DataFrame:
    return ledger(*(bet(str(pool["result"].iat[i]), price=float(pool["price"].iat[i]), stake=stake, day=j // 4,
                        minute=j % 4, bucket=pool["bucket"].iat[i] if "bucket" in pool else "CLOSE")
                    for j, i in enumerate(idx)))


def test_picking_only_winners_gives_a_small_p():
    pool = fair_pool(1)
    winners = np.flatnonzero(pool["result"].to_numpy() == "win")[:40]
    p = summarise(from_pool(pool, winners), 1000.0, pool, MetricsSettings(permutations=1000))["p_value"]
    assert p == 1 / 1001


def test_random_picks_give_roughly_uniform_p():
    pool = fair_pool(2)
    ps = []
    for seed in range(40):
        picks = np.random.default_rng(100 + seed).choice(len(pool), 40, replace=False)
        ps.append(summarise(from_pool(pool, picks), 1000.0, pool,
                            MetricsSettings(bootstrap_samples=10, permutations=200, seed=seed))["p_value"])
    ps = np.array(ps)
    assert np.all((ps > 0) & (ps <= 1))
    assert abs(ps.mean() - 0.5) < 0.12  # mean of 40 uniforms: standard error 0.046
    assert 0.25 < np.mean(ps < 0.5) < 0.75


def test_p_value_bounds_and_seed():
    pool = fair_pool(3)
    bets = from_pool(pool, np.arange(30))
    ps = [summarise(bets, 1000.0, pool, MetricsSettings(bootstrap_samples=10, permutations=99, seed=s))["p_value"]
          for s in (0, 0, 1)]
    assert ps[0] == ps[1] and 0 < ps[0] <= 1 and ps[0] != ps[2]
    losers = np.flatnonzero(pool["result"].to_numpy() == "loss")[:30]
    assert summarise(from_pool(pool, losers), 1000.0, pool, FAST)["p_value"] == 1.0  # nothing does worse


def test_p_value_none_without_pool_or_settled_bets():
    pool = fair_pool(4)
    bets = from_pool(pool, np.arange(10))
    assert summarise(bets, 1000.0, None, FAST)["p_value"] is None
    assert summarise(bets, 1000.0, pool.iloc[:0], FAST)["p_value"] is None
    assert summarise(ledger(bet("open")), 1000.0, pool, FAST)["p_value"] is None


def test_random_bets_share_the_odds_profile():
    # pool: fair favourites at 1.5 and terrible long shots at 6.0 (win 5 %, return -70 %). A strategy that
    # breaks exactly even on favourites is ordinary among favourites; against the whole pool it would look great
    rng = np.random.default_rng(6)
    fav = pd.DataFrame({"price": 1.5, "result": np.where(rng.random(2000) < 2 / 3, "win", "loss")})
    longshot = pd.DataFrame({"price": 6.0, "result": np.where(rng.random(2000) < 0.05, "win", "loss")})
    pool = pd.concat([fav, longshot], ignore_index=True)
    bets = ledger(*(bet("win" if k < 20 else "loss", price=1.5, day=k // 5, minute=k % 5) for k in range(30)))
    assert summarise(bets, 1000.0, pool, FAST)["p_value"] > 0.3


def test_random_bets_share_the_bucket_when_both_have_one():
    # same prices in both buckets, but OPEN candidates win far more often than CLOSE ones
    pool = pd.concat([fair_pool(7, bucket="OPEN", prices=(1.9, 2.1), win_scale=1.2),
                      fair_pool(8, bucket="CLOSE", prices=(1.9, 2.1), win_scale=0.6)], ignore_index=True)
    bets = ledger(*(bet("win" if k < 9 else "loss", price=2.0, bucket="CLOSE", day=k // 5, minute=k % 5)
                    for k in range(30)))  # 30 % wins, as CLOSE candidates do
    assert 0.2 < summarise(bets, 1000.0, pool, FAST)["p_value"] < 0.8
    # the pool without a bucket column: all candidates alike, and 30 % wins at evens is a poor showing
    assert summarise(bets, 1000.0, pool.drop(columns="bucket"), FAST)["p_value"] > 0.9
    # a bucket the pool never offers falls back to the price bin
    assert summarise(bets.assign(bucket="T-6h"), 1000.0, pool, FAST)["p_value"] > 0.9


def test_p_value_ignores_commission():
    pool = fair_pool(9)
    idx = np.arange(40)
    plain = from_pool(pool, idx)
    taxed = plain.assign(commission_rate=0.05, profit=np.where(plain["result"] == "win",
                                                               plain["profit"] * 0.95, plain["profit"]))
    assert summarise(plain, 1000.0, pool, FAST)["p_value"] == summarise(taxed, 1000.0, pool, FAST)["p_value"]


def test_small_pool_uses_fewer_bins():
    pool = fair_pool(10, n=15)
    bets = from_pool(pool, np.arange(5))
    p = summarise(bets, 1000.0, pool, FAST)["p_value"]
    assert p is not None and 0 < p <= 1


# --- breakdowns ---------------------------------------------------------------------------------------------


def test_breakdowns_by_dimension_sorted():
    bets = ledger(
        bet("win", price=3.0, market="h2h", bookmaker="b1", bucket="OPEN", clv=0.1),  # +20
        bet("loss", market="totals", bookmaker="b2", bucket="CLOSE", day=1, clv=-0.1),  # -10
        bet("void", market="totals", bookmaker="b3", bucket="CLOSE", day=40),
        bet("open", market="spreads", bookmaker="b1", bucket="OPEN", day=41),
    )
    b = breakdowns(bets, "bt")
    assert list(b.columns) == BREAKDOWN.names
    assert (b["backtest"] == "bt").all()
    assert list(zip(b["dimension"], b["value"], strict=True)) == [
        ("bookmaker", "b1"), ("bookmaker", "b2"), ("bookmaker", "b3"), ("bucket", "CLOSE"), ("bucket", "OPEN"),
        ("market", "h2h"), ("market", "spreads"), ("market", "totals"), ("month", "2025-01"), ("month", "2025-02"),
    ]
    row = b.set_index(["dimension", "value"])
    assert row.loc[("bookmaker", "b1"), "bets"] == 2  # the open bet counts as placed
    assert row.loc[("bookmaker", "b1"), "turnover"] == 10.0 and row.loc[("bookmaker", "b1"), "yield"] == 2.0
    assert row.loc[("market", "totals"), "hit_rate"] == 0.0 and row.loc[("market", "totals"), "profit"] == -10.0
    assert row.loc[("month", "2025-01"), "clv_mean"] == 0.0
    table = pa.Table.from_pandas(b, schema=BREAKDOWN, preserve_index=False)
    nulls = table.filter(pa.compute.equal(table["value"], "b3"))
    # a void-only book has no turnover and no decided bets: null ratios, not NaN
    assert nulls["yield"].null_count == 1 and nulls["hit_rate"].null_count == 1 and nulls["clv_mean"].null_count == 1


def test_breakdowns_empty():
    b = breakdowns(ledger(), "bt")
    assert b.empty and list(b.columns) == BREAKDOWN.names
    pa.Table.from_pandas(b, schema=BREAKDOWN, preserve_index=False)


# --- properties of summarise ----------------------------------------------------------------------------------

RATIOS = ("roi", "yield", "hit_rate", "avg_odds", "max_drawdown_pct", "sharpe", "sortino", "calmar",
          "profit_factor", "clv_mean", "beat_close_share", "roi_ci_low", "roi_ci_high", "yield_ci_low",
          "yield_ci_high", "p_value")

row_strategy = st.builds(
    lambda result, price, stake, day, minute, commission, clv, beat, edge, bucket: bet(
        result, price=price, stake=stake, day=day, minute=minute, commission=commission, clv=clv,
        beat_close=beat, edge=edge, bucket=bucket),
    st.sampled_from(RESULTS),
    st.floats(1.01, 1000.0),
    st.one_of(st.just(0.0), st.floats(0.01, 1e5)),
    st.integers(0, 90),
    st.integers(0, 3),  # few minutes: many bets share an instant
    st.sampled_from([0.0, 0.02]),
    st.one_of(st.none(), st.floats(-1.0, 5.0)),
    st.one_of(st.none(), st.booleans()),
    st.one_of(st.none(), st.floats(-1.0, 1.0)),
    st.sampled_from(["OPEN", "CLOSE", None]),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(row_strategy, max_size=25), start=st.floats(1.0, 1e6), use_pool=st.booleans())
def test_summarise_properties(rows: list[dict[str, object]], start: float, use_pool: bool):
    bets = ledger(*rows)
    pool = bets[["price", "result", "bucket"]] if use_pool else None
    s = summarise(bets, start, pool, MetricsSettings(bootstrap_samples=30, permutations=30))
    for name in RATIOS:
        assert s[name] is None or math.isfinite(s[name]), name
    json.dumps(s, allow_nan=False)
    assert math.isclose(s["roi"] * start, s["profit"], rel_tol=1e-9, abs_tol=1e-9)
    assert s["turnover"] >= 0 and s["max_drawdown"] >= 0
    assert s["bets"] == len(rows) == s["wins"] + s["losses"] + s["pushes"] + s["voids"] + s["open_bets"]
    assert s["p_value"] is None or 0 < s["p_value"] <= 1
    assert math.isclose(s["final_bankroll"], start + s["profit"])
    curve = equity_curve(bets, start)
    if len(curve):
        assert math.isclose(curve["bankroll"].iat[-1], s["final_bankroll"], rel_tol=1e-9, abs_tol=1e-6)
    b = breakdowns(bets, "t")
    pa.Table.from_pandas(b, schema=BREAKDOWN, preserve_index=False)
    if len(rows):
        assert b.groupby("dimension")["bets"].sum().eq(len(rows)).all()


# --- speed ------------------------------------------------------------------------------------------------------


def test_a_season_with_a_big_pool_is_fast():
    rng = np.random.default_rng(11)
    n = 20_000
    price = rng.uniform(1.3, 5.0, n)
    result = np.where(rng.random(n) < 1 / price, "win", "loss")
    settled = pd.Series(pd.to_datetime(T0) + pd.to_timedelta(np.sort(rng.integers(0, 180 * 1440, n)), unit="min"))
    bets = pd.DataFrame({name: pd.Series([None] * n, dtype=object) for name in BETS.names}).assign(
        bet_id=np.arange(n), price=price, stake=10.0, result=result, edge=0.01, clv=rng.normal(0, 0.02, n),
        profit=np.where(result == "win", 10.0 * (price - 1), -10.0), settled_at_utc=settled,
        bucket=rng.choice(["OPEN", "CLOSE"], n),
    )
    pool_price = rng.uniform(1.3, 5.0, 400_000)
    pool = pd.DataFrame({"price": pool_price, "result": np.where(rng.random(400_000) < 1 / pool_price, "win", "loss"),
                         "bucket": rng.choice(["OPEN", "CLOSE"], 400_000)})
    summarise(bets.iloc[:100], 1000.0, pool.iloc[:1000])  # first-call imports out of the timing
    began = time.process_time()  # CPU time: other tests on the machine do not count against it
    s = summarise(bets, 1000.0, pool)
    assert time.process_time() - began < 2.0
    assert s["bets"] == n and s["p_value"] is not None
