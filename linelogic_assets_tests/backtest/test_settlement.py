"""Settlement: the grading rule per market, void and open games, commission on winnings only, and an
arbitrage whose legs settle to exactly its guaranteed return whichever side wins."""

from __future__ import annotations

import functools
import math

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from linelogic_assets.backtest.data import MarketData
from linelogic_assets.backtest.engine import run_backtest
from linelogic_assets.backtest.settlement import grade, payout
from linelogic_assets.backtest.strategies import Pick
from linelogic_assets.backtest.views import DecisionView
from linelogic_assets_tests.backtest.frames import at, event, h2h, market, result, spec, spread, total

OPEN_LIMITS = {"max_bet_fraction": 1.0, "max_event_fraction": 1.0, "max_open_exposure_fraction": 1.0,
               "min_stake": 0.0}


class Every:
    """Back every quote of the view at `books` (all books when None)."""

    def __init__(self, books: tuple[str, ...] | None = None) -> None:
        self.books = books

    def decide(self, view: DecisionView) -> list[Pick]:
        return [Pick.of(q) for q in view.quotes if self.books is None or q.bookmaker in self.books]


# ---------------------------------------------------------------- the grading rule


@pytest.mark.parametrize(("selection", "home", "away", "expected"), [
    ("home", 110, 100, "win"), ("away", 110, 100, "loss"), ("home", 99, 101, "loss"), ("away", 99, 101, "win"),
    ("draw", 110, 100, "loss"),
    ("home", 100, 100, "push"), ("away", 100, 100, "push"), ("draw", 100, 100, "win"),  # a tie
])
def test_h2h(selection: str, home: int, away: int, expected: str) -> None:
    assert grade("h2h", selection, None, "final", home, away) == expected


def test_a_tie_loses_the_home_and_away_bets_of_a_three_way_market() -> None:
    assert grade("h2h", "home", None, "final", 1, 1, three_way=True) == "loss"
    assert grade("h2h", "away", None, "final", 1, 1, three_way=True) == "loss"
    assert grade("h2h", "draw", None, "final", 1, 1, three_way=True) == "win"
    assert grade("h2h", "home", None, "final", 2, 1, three_way=True) == "win"


@pytest.mark.parametrize(("selection", "point", "home", "away", "expected"), [
    ("home", -3.0, 103, 100, "push"), ("away", 3.0, 103, 100, "push"),  # home −3 winning by 3
    ("home", -3.0, 104, 100, "win"), ("away", 3.0, 104, 100, "loss"),
    ("home", -3.0, 102, 100, "loss"), ("away", 3.0, 102, 100, "win"),
    ("home", 3.0, 97, 100, "push"), ("away", -3.0, 97, 100, "push"),  # away favourite by 3
    ("home", 0.0, 100, 100, "push"),  # pick'em, a tie
    ("home", -3.5, 103, 100, "loss"), ("away", 3.5, 103, 100, "win"),
    ("home", -2.5, 103, 100, "win"), ("away", 2.5, 103, 100, "loss"),
])
def test_spreads(selection: str, point: float, home: int, away: int, expected: str) -> None:
    assert grade("spreads", selection, point, "final", home, away) == expected


@pytest.mark.parametrize(("selection", "point", "home", "away", "expected"), [
    ("over", 220.0, 115, 105, "push"), ("under", 220.0, 115, 105, "push"),  # 220 landing on 220
    ("over", 220.0, 115, 106, "win"), ("under", 220.0, 115, 106, "loss"),
    ("over", 220.0, 115, 104, "loss"), ("under", 220.0, 115, 104, "win"),
    ("over", 220.5, 115, 105, "loss"), ("under", 220.5, 115, 105, "win"),
    ("over", 219.5, 115, 105, "win"), ("under", 219.5, 115, 105, "loss"),
])
def test_totals(selection: str, point: float, home: int, away: int, expected: str) -> None:
    assert grade("totals", selection, point, "final", home, away) == expected


scores = st.integers(0, 200)


@given(home=scores, away=scores, line=st.integers(-60, 300))
def test_half_points_never_push_and_the_two_sides_are_opposite(home: int, away: int, line: int) -> None:
    half = line + 0.5
    for mkt, sides, points in (("spreads", ("home", "away"), (half, -half)),
                               ("totals", ("over", "under"), (half, half))):
        a, b = (grade(mkt, s, p, "final", home, away) for s, p in zip(sides, points, strict=True))
        assert {a, b} == {"win", "loss"}, (mkt, home, away, half)
    whole = float(line)
    a = grade("totals", "over", whole, "final", home, away)
    assert (a == "push") == (home + away == line)
    b = grade("spreads", "home", whole, "final", home, away)
    assert (b == "push") == (home - away + line == 0)


@pytest.mark.parametrize("status", ["postponed", "cancelled"])
def test_postponed_and_cancelled_games_are_void_whatever_the_score(status: str) -> None:
    for mkt, selection, point in (("h2h", "home", None), ("spreads", "away", 3.5), ("totals", "over", 200.5)):
        assert grade(mkt, selection, point, status, 100, 90) == "void"
        assert grade(mkt, selection, point, status, None, None) == "void"


@pytest.mark.parametrize(("status", "home", "away"), [
    ("final", None, None), ("final", math.nan, math.nan), ("final", 100, None),
    ("live", 50, 48), ("scheduled", None, None), (None, 100, 90),
])
def test_no_final_result_is_open(status: str | None, home: float | None, away: float | None) -> None:
    assert grade("h2h", "home", None, status, home, away) == "open"
    assert grade("totals", "under", 200.5, status, home, away) == "open"


def test_payout_charges_commission_on_winnings_only() -> None:
    assert payout("win", 100.0, 2.5, 0.0) == pytest.approx(250.0)
    assert payout("win", 100.0, 2.5, 0.02) == pytest.approx(100.0 * (1 + 1.5 * 0.98))
    assert payout("loss", 100.0, 2.5, 0.02) == 0.0  # a loss loses the stake, nothing more
    assert payout("push", 100.0, 2.5, 0.02) == 100.0
    assert payout("void", 100.0, 2.5, 0.02) == 100.0
    assert payout("open", 100.0, 2.5, 0.02) is None


# ---------------------------------------------------------------- through the engine


def test_the_ledger_grades_every_kind_of_game() -> None:
    games = {  # event → (commence, status, score or None)
        "win": (at(0), "final", (110, 100)),
        "tie": (at(1), "final", (100, 100)),
        "tie2": (at(1), "final", (100, 100)),
        "spread": (at(2), "final", (103, 100)),
        "total": (at(3), "final", (115, 105)),
        "postponed": (at(4), "postponed", None),
        "cancelled": (at(5), "cancelled", (1, 0)),
        "no_result": (at(6), "final", None),
        "live": (at(7), "live", (50, 48)),
    }
    events = [event(eid, c, status) for eid, (c, status, _) in games.items()]
    results = [result(eid, *s) for eid, (_, _, s) in games.items() if s is not None]
    quotes = [
        *h2h("win", at(0), "draftkings", 1.8, 2.1),
        *h2h("tie", at(1), "draftkings", 2.4, 2.6, draw=12.0),
        *h2h("tie2", at(1), "fanduel", 1.9, 1.95),  # a two-way market: the tie pushes
        *spread("spread", at(2), "draftkings", -3.0, 1.91, 1.91), *spread("spread", at(2), "fanduel", -3.5, 2.0, 1.83),
        *total("total", at(3), "draftkings", 220.0, 1.91, 1.91), *total("total", at(3), "fanduel", 220.5, 1.95, 1.87),
        *h2h("postponed", at(4), "draftkings", 1.8, 2.1), *h2h("cancelled", at(5), "draftkings", 1.8, 2.1),
        *h2h("no_result", at(6), "draftkings", 1.8, 2.1), *h2h("live", at(7), "draftkings", 1.8, 2.1),
    ]
    data = market(events, results, quotes)
    res = run_backtest(spec(sizing="flat:100", limits=OPEN_LIMITS), data, Every())
    got = {(r.canonical_event_id, r.bookmaker, r.market, r.selection): r for r in res.bets.itertuples()}
    expected = {
        ("win", "draftkings", "h2h", "home"): "win", ("win", "draftkings", "h2h", "away"): "loss",
        ("tie", "draftkings", "h2h", "home"): "loss", ("tie", "draftkings", "h2h", "away"): "loss",
        ("tie2", "fanduel", "h2h", "home"): "push", ("tie2", "fanduel", "h2h", "away"): "push",
        ("tie", "draftkings", "h2h", "draw"): "win",
        ("spread", "draftkings", "spreads", "home"): "push", ("spread", "draftkings", "spreads", "away"): "push",
        ("spread", "fanduel", "spreads", "home"): "loss", ("spread", "fanduel", "spreads", "away"): "win",
        ("total", "draftkings", "totals", "over"): "push", ("total", "draftkings", "totals", "under"): "push",
        ("total", "fanduel", "totals", "over"): "loss", ("total", "fanduel", "totals", "under"): "win",
        **{(e, "draftkings", "h2h", s): "void" for e in ("postponed", "cancelled") for s in ("home", "away")},
        **{(e, "draftkings", "h2h", s): "open" for e in ("no_result", "live") for s in ("home", "away")},
    }
    assert {k: r.result for k, r in got.items()} == expected
    for r in got.values():
        assert r.stake == 100.0
        if r.result in ("push", "void"):
            assert (r.payout, r.profit) == (100.0, 0.0)  # the stake comes back
        elif r.result == "open":
            assert r.payout != r.payout and r.profit != r.profit and pd.isna(r.settled_at_utc)  # NaN, not 0
        elif r.result == "win":
            assert r.profit == pytest.approx(100.0 * (r.price - 1.0))
        else:
            assert r.profit == -100.0
    s = res.summary
    assert (s["bets"], s["wins"], s["losses"], s["pushes"], s["voids"], s["open_bets"]) == (23, 4, 5, 6, 4, 4)
    settled = res.bets.loc[res.bets["result"] != "open", "profit"].sum()
    assert s["profit"] == pytest.approx(settled)
    assert s["final_bankroll"] == pytest.approx(10_000.0 + settled)  # open bets are neither lost nor won
    assert s["turnover"] == pytest.approx(100.0 * (4 + 5 + 6))  # voids and open bets are no turnover
    assert s["hit_rate"] == pytest.approx(4 / 9)  # pushes are neither


def test_exchange_commission_is_charged_on_net_winnings_only() -> None:
    events = [event("e", at(0)), event("f", at(1))]
    results = [result("e", 110, 100), result("f", 110, 100)]
    quotes = [*h2h("e", at(0), "betfair_ex_uk", 2.5, 1.7), *h2h("e", at(0), "draftkings", 2.4, 1.6),
              *h2h("f", at(1), "fanduel", 2.2, 1.7)]
    data = market(events, results, quotes)
    res = run_backtest(spec(sizing="flat:100", limits=OPEN_LIMITS, costs={"commission": {"fanduel": 0.05}}), data,
                       Every())
    bets = res.bets.set_index(["canonical_event_id", "bookmaker", "selection"])
    win = bets.loc[("e", "betfair_ex_uk", "home")]
    assert win["commission_rate"] == 0.02  # the default exchange rate
    assert win["payout"] == pytest.approx(100.0 * (1 + (2.5 - 1) * (1 - 0.02)))
    assert win["profit"] == pytest.approx(150.0 * 0.98)
    lose = bets.loc[("e", "betfair_ex_uk", "away")]
    assert (lose["payout"], lose["profit"]) == (0.0, -100.0)  # no commission on a loss
    book = bets.loc[("e", "draftkings", "home")]
    assert book["commission_rate"] == 0.0 and book["profit"] == pytest.approx(140.0)  # a sportsbook: none
    configured = bets.loc[("f", "fanduel", "home")]
    assert configured["commission_rate"] == 0.05
    assert configured["profit"] == pytest.approx(120.0 * 0.95)
    assert res.summary["profit"] == pytest.approx(150 * 0.98 - 100 + 140 - 100 + 120 * 0.95 - 100)


ARB_QUOTES = (("draftkings", 2.10, 1.80), ("fanduel", 1.90, 2.05))  # best: home 2.10 at DK, away 2.05 at FD


@functools.cache
def arb_market(winner: str) -> MarketData:
    score = (101, 99) if winner == "home" else (99, 101)
    quotes = [q for book, home, away in ARB_QUOTES for q in h2h("e", at(0), book, home, away)]
    return market([event("e", at(0))], [result("e", *score)], quotes)


@pytest.mark.parametrize(("rounding", "sizing"), [(0.01, "kelly:0.25"), (1e-6, "flat:250"), (1.0, "percent:3")])
@pytest.mark.parametrize("winner", ["home", "away"])
def test_an_arbitrage_settles_to_its_guaranteed_return_whichever_side_wins(winner: str, rounding: float,
                                                                           sizing: str) -> None:
    res = run_backtest(spec("arbitrage", sizing=sizing, limits={"stake_rounding": rounding}), arb_market(winner))
    bets = res.bets
    margin = 1.0 / (1 / 2.10 + 1 / 2.05) - 1.0
    assert set(zip(bets["bookmaker"], bets["selection"], strict=True)) == {("draftkings", "home"),
                                                                           ("fanduel", "away")}
    assert bets["group_id"].nunique() == 1 and set(bets["result"]) == {"win", "loss"}
    staked = bets["stake"].sum()
    # each leg's stake is rounded down on its own, so the return may miss by up to a rounding step per leg
    # at the winning price
    assert bets["profit"].sum() == pytest.approx(staked * margin, abs=2 * rounding * 2.10)
    assert bets["profit"].sum() > 0
    assert (bets["stake"] * bets["price"]).max() - (bets["stake"] * bets["price"]).min() <= 2.10 * rounding + 1e-9
