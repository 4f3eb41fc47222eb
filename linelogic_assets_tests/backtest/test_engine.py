"""The engine end to end on small hand-made markets: each built-in strategy does what it says, a user's
strategy loads by dotted path, bad strategies fail clearly, and the same inputs give the same bytes."""

from __future__ import annotations

import functools
import io
from typing import Any

import pyarrow.parquet as pq
import pytest

from linelogic_assets.backtest.data import MarketData
from linelogic_assets.backtest.engine import BacktestResult, StrategyError, commission_rule, run_backtest
from linelogic_assets.backtest.spec import Costs
from linelogic_assets.backtest.strategies import Pick, load_strategy
from linelogic_assets.backtest.views import DecisionView, build_views
from linelogic_assets.config import ConfigError
from linelogic_assets_tests.backtest.frames import (
    BackSelection,
    at,
    event,
    h2h,
    market,
    result,
    spec,
    spread,
    total,
)

FRAMES = "linelogic_assets_tests.backtest.frames"


def one_game(*books: tuple[str, float, float], extra: list[dict] | None = None, eid: str = "e") -> MarketData:
    quotes = [q for book, home, away in books for q in h2h(eid, at(0), book, home, away)] + (extra or [])
    return market([event(eid, at(0))], [result(eid, 110, 100)], quotes)


def run(data: MarketData, strategy: str, params: dict[str, Any] | None = None, **kw: Any) -> BacktestResult:
    return run_backtest(spec(strategy, params=params or {}, sizing=kw.pop("sizing", "flat:100"), **kw), data)


def picked(res: BacktestResult) -> list[tuple[str, str, str]]:
    return list(zip(res.bets["bookmaker"], res.bets["market"], res.bets["selection"], strict=True))


def views_of(data: MarketData, exchange_commission: float = 0.02) -> list[DecisionView]:
    return build_views(data, commission_rule(Costs(exchange_commission=exchange_commission)))


def decide(views: list[DecisionView], name: str, params: dict[str, Any] | None = None) -> list[tuple[str, str, str]]:
    """What a strategy picks on the views (a full run gives the same bets, at more cost)."""
    strategy = load_strategy(name, params)
    return [(p.bookmaker, p.market, p.selection) for v in views for p in strategy.decide(v)]


# ---------------------------------------------------------------- the built-ins


FLAT_GAME = (("pinnacle", 1.60, 2.50), ("draftkings", 1.65, 2.35), ("fanduel", 1.62, 2.45))


@functools.cache
def flat_market() -> MarketData:
    """A home favourite at three books, and a total at one (the engine never writes to its data)."""
    return one_game(*FLAT_GAME, extra=total("e", at(0), "draftkings", 221.5, 1.91, 1.91))


def test_flat_backs_the_pattern_at_every_matching_book() -> None:
    data = flat_market()
    assert sorted(picked(run(data, "flat"))) == [(b, "h2h", "home") for b in ("draftkings", "fanduel", "pinnacle")]
    views = views_of(data)
    assert decide(views, "flat", {"selection": "underdog", "bookmaker": "draft*"}) == [("draftkings", "h2h", "away")]
    assert decide(views, "flat", {"selection": "away", "bookmaker": "fanduel"}) == [("fanduel", "h2h", "away")]
    assert decide(views, "flat", {"market": "totals", "selection": "over"}) == [("draftkings", "totals", "over")]
    assert decide(views, "flat", {"bookmaker": "betmgm"}) == []


def test_flat_has_no_underdog_in_a_three_way_market() -> None:
    data = market([event("e", at(0))], [result("e", 110, 100)], [*h2h("e", at(0), "pinnacle", 2.0, 3.5, draw=3.6),
                                                               *h2h("e", at(0), "draftkings", 2.05, 3.4, draw=3.5)])
    views = views_of(data)
    assert decide(views, "flat", {"selection": "favourite"}) == [("draftkings", "h2h", "home"),
                                                                 ("pinnacle", "h2h", "home")]
    assert decide(views, "flat", {"selection": "underdog"}) == []  # away or draw? neither, and never all three


EV_GAME = (("pinnacle", 1.95, 1.95), ("draftkings", 2.25, 1.65), ("fanduel", 2.12, 1.72), ("betmgm", 2.06, 1.78),
           ("betfair_ex_uk", 2.06, 1.95))


def test_expected_value_backs_the_largest_edges_net_of_commission_against_the_sharp_price() -> None:
    data = one_game(*EV_GAME)
    best = run(data, "ev")
    assert picked(best) == [("draftkings", "h2h", "home")]  # one per game by default: the largest edge
    [row] = best.bets.itertuples()
    assert row.fair_prob == pytest.approx(0.5)  # pinnacle's 1.95 / 1.95, devigged
    assert row.edge == pytest.approx(2.25 * 0.5 - 1)
    views, free = views_of(data), views_of(data, exchange_commission=0.0)
    # every edge ≥ 2 %, largest first; the exchange's 2.06 is 3 % gross but 1.9 % after its 2 % commission
    assert decide(views, "ev", {"max_bets_per_event": 10}) == [
        ("draftkings", "h2h", "home"), ("fanduel", "h2h", "home"), ("betmgm", "h2h", "home")]
    assert ("betfair_ex_uk", "h2h", "home") in decide(free, "ev", {"max_bets_per_event": 10})
    assert decide(views, "ev", {"max_bets_per_event": 10, "max_odds": 2.2}) == [
        ("fanduel", "h2h", "home"), ("betmgm", "h2h", "home")]
    assert decide(views, "ev", {"max_bets_per_event": 10, "bookmakers": "b*"}) == [("betmgm", "h2h", "home")]
    assert decide(views, "ev", {"max_bets_per_event": 10, "markets": ["spreads", "totals"]}) == []
    # whatever the threshold, a sharp book is never bet against the price it makes
    everything = decide(views, "ev", {"max_bets_per_event": 100, "min_edge": -1.0})
    assert len(everything) == 8 and not [p for p in everything if p[0] == "pinnacle"]
    # a sharp reference exists, so none against the consensus; without one, the trimmed consensus decides
    assert decide(views, "ev", {"reference": "consensus"}) == []
    no_sharp = one_game(*EV_GAME[1:])
    assert decide(views_of(no_sharp), "ev", {"reference": "sharp"}) == []
    [row] = run(no_sharp, "ev").bets.itertuples()  # the exchange's away 1.95: +5.6 % net against the consensus
    assert (row.bookmaker, row.selection) == ("betfair_ex_uk", "away")
    assert row.fair_prob == pytest.approx(no_sharp.consensus.set_index("selection").loc["away", "trimmed_fair_prob"])
    assert row.edge == pytest.approx((1 + 0.95 * 0.98) * row.fair_prob - 1)


ARB = (("draftkings", 2.10, 1.80), ("fanduel", 1.90, 2.05))


def test_arbitrage_takes_every_leg_at_once_when_the_guaranteed_return_is_enough() -> None:
    data = one_game(*ARB)
    res = run(data, "arbitrage", sizing="flat:1000", limits={"max_bet_fraction": 0.5})
    assert sorted(picked(res)) == [("draftkings", "h2h", "home"), ("fanduel", "h2h", "away")]
    assert res.bets["group_id"].nunique() == 1
    s = 1 / 2.10 + 1 / 2.05
    stakes = dict(zip(res.bets["bookmaker"], res.bets["stake"], strict=True))
    assert stakes["draftkings"] == pytest.approx(1000 * (1 / 2.10) / s, abs=0.01)  # each leg returns the same
    assert stakes["fanduel"] == pytest.approx(1000 * (1 / 2.05) / s, abs=0.01)
    views = views_of(data)
    assert decide(views, "arbitrage", {"min_margin": 0.04}) == []  # the margin is 3.7 %
    assert decide(views, "arbitrage", {"markets": ["spreads", "totals"]}) == []
    # on an exchange leg the guaranteed return is net of commission: 2.7 %, under a 3 % minimum
    exchange = one_game(("draftkings", 2.10, 1.80), ("betfair_ex_uk", 1.90, 2.05))
    views, free = views_of(exchange), views_of(exchange, exchange_commission=0.0)
    assert len(decide(views, "arbitrage", {"min_margin": 0.02})) == 2
    assert decide(views, "arbitrage", {"min_margin": 0.03}) == []
    assert len(decide(free, "arbitrage", {"min_margin": 0.03})) == 2


def test_favourite_best_price_shops_the_favourite_net_of_commission() -> None:
    data = one_game(("pinnacle", 1.60, 2.50), ("fanduel", 1.66, 2.35), ("draftkings", 1.66, 2.30),
                    ("betfair_ex_uk", 1.67, 2.40))
    # 1.67 on the exchange pays 1.6566 after commission; the 1.66 tie goes to the alphabetically first book
    assert picked(run(data, "favourite_best_price")) == [("draftkings", "h2h", "home")]
    assert decide(views_of(data, exchange_commission=0.0), "favourite_best_price") == [
        ("betfair_ex_uk", "h2h", "home")]
    spreads = one_game(*FLAT_GAME, extra=[*spread("e", at(0), "draftkings", -4.5, 1.80, 2.02),
                                         *spread("e", at(0), "fanduel", -4.5, 1.85, 1.97)])
    assert decide(views_of(spreads), "favourite_best_price", {"market": "spreads"}) == [
        ("fanduel", "spreads", "home")]


# ---------------------------------------------------------------- a user's strategy


def test_a_user_strategy_class_loads_by_dotted_path_with_its_params() -> None:
    res = run(flat_market(), f"{FRAMES}:BackSelection", {"selection": "away", "bookmaker": "fanduel", "prob": 0.45},
              sizing="kelly:0.25")
    assert picked(res) == [("fanduel", "h2h", "away")]
    assert res.bets["fair_prob"].tolist() == [0.45]
    assert res.bets["stake"].iloc[0] == pytest.approx(0.25 * (0.45 * 2.45 - 1) / 1.45 * 10_000, abs=0.01)
    assert isinstance(load_strategy(f"{FRAMES}.BackSelection"), BackSelection)  # the module.attr form


@pytest.mark.parametrize("path", [f"{FRAMES}:back_home", f"{FRAMES}.back_home"])
def test_a_plain_function_is_a_strategy(path: str) -> None:
    assert sorted(picked(run(flat_market(), path))) == [
        (b, "h2h", "home") for b in ("draftkings", "fanduel", "pinnacle")]


@pytest.mark.parametrize(("name", "params", "names"), [
    ("ev", {"min_edg": 0.1, "colour": "red"}, ["colour", "min_edg"]),
    ("flat", {"selections": "home"}, ["selections"]),
    (f"{FRAMES}:BackSelection", {"odds": 2.0}, ["odds"]),
    (f"{FRAMES}:back_home", {"prob": 0.5}, []),  # a function takes none at all
])
def test_unknown_params_fail_naming_them(name: str, params: dict[str, Any], names: list[str]) -> None:
    with pytest.raises(ConfigError, match="params") as err:
        run(flat_market(), name, params)
    for n in names:
        assert repr(n) in str(err.value)


@pytest.mark.parametrize("name", ["no_such_strategy", "linelogic_assets_tests.nowhere:Thing", f"{FRAMES}:Nothing",
                                  f"{FRAMES}:LEAGUE"])
def test_a_strategy_that_cannot_load_is_a_config_error(name: str) -> None:
    with pytest.raises(ConfigError, match="strategy"):
        load_strategy(name)


class _Names:
    def __init__(self, pick: object) -> None:
        self.pick = pick

    def decide(self, view: DecisionView) -> list[object]:
        return [self.pick]


@pytest.mark.parametrize("pick", [
    Pick("betmgm", "h2h", "home"),  # a book not in the view
    Pick("draftkings", "h2h", "draw"),  # a selection it does not quote
    Pick("draftkings", "h2h", "home", point=-1.5),  # h2h has no point
    Pick("draftkings", "totals", "over", point=220.5),  # the view's total is 221.5
    ("draftkings", "h2h", "home"),  # not a Pick
])
def test_a_strategy_naming_a_price_not_in_its_view_is_an_error(pick: object) -> None:
    data = flat_market()
    with pytest.raises(StrategyError):
        run_backtest(spec(), data, _Names(pick))
    run_backtest(spec(), data, _Names(Pick("draftkings", "totals", "over", point=221.5)))  # the real one is fine


# ---------------------------------------------------------------- determinism


def season_data() -> MarketData:
    events, results, quotes = [], [], []
    for i in range(8):
        eid, c = f"g{i}", at(hours=3 * (i // 2), minutes=30 * (i % 2))  # pairs of games half an hour apart
        events.append(event(eid, c, "postponed" if i == 5 else "final"))
        if i != 6:  # g6 has no result yet: open
            results.append(result(eid, 100 + (i * 7) % 13, 100 + (i * 5) % 11))
        quotes += h2h(eid, c, "pinnacle", 1.9 + 0.05 * (i % 3), 1.95 - 0.04 * (i % 3))
        quotes += h2h(eid, c, "draftkings", 2.0 + 0.07 * (i % 4), 1.85)
        quotes += h2h(eid, c, "betfair_ex_uk", 2.1 - 0.03 * (i % 2), 1.9)
        quotes += spread(eid, c, "draftkings", -2.5 - i % 3, 1.95, 1.87) + spread(eid, c, "pinnacle", -2.5 - i % 3,
                                                                                1.91, 1.91)
    return market(events, results, quotes)


def test_the_same_inputs_give_the_same_ledger_bytes_and_summary() -> None:
    s = spec("ev", params={"max_bets_per_event": 3}, sizing="kelly:0.5",
             statistics={"bootstrap_samples": 300, "permutations": 300, "seed": 3})
    runs = [run_backtest(s, season_data()) for _ in range(2)]
    assert len(runs[0].bets) >= 6 and runs[0].bets["result"].nunique() >= 3
    blobs = []
    for r in runs:
        buf = io.BytesIO()
        pq.write_table(r.ledger_table(), buf)
        blobs.append(buf.getvalue())
    assert blobs[0] == blobs[1]
    assert runs[0].summary == runs[1].summary
    assert runs[0].summary["p_value"] is not None and runs[0].summary["roi_ci_low"] is not None
    assert runs[0].breakdown.equals(runs[1].breakdown)
    assert runs[0].diagnostics == runs[1].diagnostics
