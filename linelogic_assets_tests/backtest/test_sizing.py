"""Sizing: Kelly never bets a non-positive edge and has no minimum-stake floor; the caps per bet, per game and
on open exposure; rounding down; a book's maximum stake; and bets decided at one instant share one bankroll."""

from __future__ import annotations

import functools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from linelogic_assets.backtest.data import MarketData
from linelogic_assets.backtest.engine import run_backtest
from linelogic_assets.backtest.sizing import Proposal, kelly_fraction, net_price, round_down, size_batch
from linelogic_assets.backtest.spec import Limits, Sizing
from linelogic_assets_tests.backtest.frames import BackSelection, at, event, h2h, market, result, spec

LOOSE = {"max_bet_fraction": 1.0, "max_event_fraction": 1.0, "max_open_exposure_fraction": 1.0, "min_stake": 0.0}
BANKROLL = 10_000.0


def single(price: float, prob: float, event: str = "e", book: str = "draftkings", commission: float = 0.0
           ) -> Proposal:
    return Proposal(event=event, books=[book], shares=[1.0], price=price, prob=prob, commission=commission)


def sized(proposals: list[Proposal], sizing: str = "kelly:1", open_exposure: float = 0.0,
          event_exposure: dict[str, float] | None = None, **limits: object) -> list[list[float]]:
    return size_batch(proposals, BANKROLL, open_exposure, event_exposure or {}, Sizing.model_validate(sizing),
                      Limits.model_validate({**LOOSE, "stake_rounding": 1e-9, **limits}))


# ---------------------------------------------------------------- Kelly and the minimum stake


def test_kelly_fraction_is_the_textbook_formula_on_the_net_price() -> None:
    assert kelly_fraction(2.0, 0.6) == pytest.approx(0.2)
    assert kelly_fraction(3.0, 0.4) == pytest.approx((0.4 * 3 - 1) / 2)
    assert kelly_fraction(2.0, 0.5) == 0.0
    assert kelly_fraction(2.0, 0.4) < 0
    o = net_price(2.04, 0.02)
    assert o == pytest.approx(1 + 1.04 * 0.98)
    assert kelly_fraction(2.04, 0.495, 0.02) == pytest.approx((0.495 * o - 1) / (o - 1))
    assert kelly_fraction(2.04, 0.495, 0.02) < 0 < kelly_fraction(2.04, 0.495)  # commission eats the edge
    assert kelly_fraction(2.0, float("nan")) == 0.0  # no probability: no bet


@pytest.mark.parametrize("prob", [0.5, 0.45, 0.0])
def test_a_non_positive_kelly_is_never_bet_even_without_a_minimum_stake(prob: float) -> None:
    p = single(2.0, prob)
    assert sized([p], min_stake=0.0) == [[]]
    assert p.skipped == "kelly <= 0"


def test_a_tiny_positive_kelly_below_the_minimum_is_dropped_not_raised() -> None:
    p = single(2.0, 0.50001)  # full Kelly 0.00002: 0.05 at ¼ Kelly on 10 000
    assert p.prob * 2.0 - 1 > 0
    assert sized([p], "kelly:0.25", min_stake=1.0, stake_rounding=0.01) == [[]]
    assert p.skipped == "below min_stake"
    q = single(2.0, 0.50001)
    assert sized([q], "kelly:0.25", min_stake=0.0, stake_rounding=0.01) == [[0.05]]  # the same bet, no floor
    r = single(2.0, 0.500001)  # 0.005: rounds down to nothing, so nothing is placed
    assert sized([r], "kelly:0.25", min_stake=0.0, stake_rounding=0.01) == [[]]


def test_kelly_sizes_from_the_bankroll_times_the_fraction() -> None:
    [[stake]] = sized([single(2.5, 0.5)], "kelly:0.5")
    assert stake == pytest.approx(0.5 * (0.5 * 2.5 - 1) / 1.5 * BANKROLL, abs=1e-8)


# ---------------------------------------------------------------- caps


def test_the_per_bet_cap() -> None:
    [[stake]] = sized([single(2.0, 0.9)], max_bet_fraction=0.05)  # full Kelly 0.8
    assert stake == pytest.approx(0.05 * BANKROLL)
    [[flat]] = sized([single(2.0, 0.9)], "flat:2000", max_bet_fraction=0.05)
    assert flat == pytest.approx(500.0)


def test_the_per_event_cap_scales_the_bets_on_one_game_together_and_counts_what_is_open() -> None:
    a, b, c = single(2.0, 0.6, "e"), single(3.0, 0.45, "e"), single(2.0, 0.6, "other")  # Kelly 0.2, 0.175, 0.2
    stakes = sized([a, b, c], max_event_fraction=0.15)
    want = 0.2 + 0.175
    assert stakes[0][0] == pytest.approx(0.15 * BANKROLL * 0.2 / want, abs=1e-6)
    assert stakes[1][0] == pytest.approx(0.15 * BANKROLL * 0.175 / want, abs=1e-6)
    assert stakes[2][0] == pytest.approx(0.15 * BANKROLL, abs=1e-6)  # capped alone at 0.15 too
    # 1000 already open on the game leaves 500 of room
    [[stake]] = sized([single(2.0, 0.6, "e")], event_exposure={"e": 1000.0}, max_event_fraction=0.15)
    assert stake == pytest.approx(500.0, abs=1e-6)
    p = single(2.0, 0.6, "e")
    assert sized([p], event_exposure={"e": 1500.0}, max_event_fraction=0.15) == [[]]  # no room at all
    assert p.skipped == "below min_stake"


def test_the_open_exposure_cap_covers_every_game_and_what_is_already_open() -> None:
    props = [single(2.0, 0.6, f"e{i}") for i in range(4)]  # 4 × 0.2 of the bankroll wanted
    stakes = sized(props, max_open_exposure_fraction=0.5, open_exposure=1000.0)
    assert [s[0] for s in stakes] == pytest.approx([1000.0] * 4, abs=1e-6)  # (5000 − 1000) / 4
    stakes = sized([single(2.0, 0.6, f"e{i}") for i in range(2)], max_open_exposure_fraction=0.5)
    assert [s[0] for s in stakes] == pytest.approx([2000.0] * 2, abs=1e-6)  # not binding


def test_a_books_maximum_stake() -> None:
    dk, fd = single(2.0, 0.6, book="draftkings"), single(2.0, 0.6, "f", book="fanduel")
    assert sized([dk, fd], max_stake_per_book={"draftkings": 50.0}) == [[50.0], [pytest.approx(2000.0)]]
    arb = Proposal(event="e", books=["draftkings", "fanduel"], shares=[0.25, 0.75], price=2.0, prob=1.0,
                   commission=0.0)
    # an arbitrage under Kelly stakes the per-bet cap; the book cap limits the whole bet through its leg
    assert sized([arb], max_bet_fraction=0.05) == [[pytest.approx(125.0), pytest.approx(375.0)]]
    assert sized([arb], max_bet_fraction=0.05, max_stake_per_book={"fanduel": 300.0}) == [
        [pytest.approx(100.0), pytest.approx(300.0)]]


# ---------------------------------------------------------------- rounding


@pytest.mark.parametrize(("x", "step", "expected"), [(123.456789, 0.01, 123.45), (123.459999, 0.01, 123.45),
                                                     (0.29, 0.01, 0.29), (124.99, 5.0, 120.0), (7.0, 1.0, 7.0),
                                                     (0.009, 0.01, 0.0)])
def test_round_down(x: float, step: float, expected: float) -> None:
    assert round_down(x, step) == expected


@given(st.floats(0.01, 1e6), st.sampled_from([0.01, 0.1, 1.0, 5.0, 25.0]))
def test_round_down_never_rounds_up(x: float, step: float) -> None:
    r = round_down(x, step)
    assert r <= x + 1e-9 * step and x - r < step * (1 + 1e-9)
    assert abs(r / step - round(r / step)) < 1e-6


def test_stakes_are_rounded_down() -> None:
    assert sized([single(2.0, 0.6)], "flat:123.456789", stake_rounding=0.01) == [[123.45]]
    assert sized([single(2.0, 0.6)], "flat:124.99", stake_rounding=5.0) == [[120.0]]


# ---------------------------------------------------------------- through the engine


def _stakes(res: object) -> dict[str, float]:
    return dict(zip(res.bets["canonical_event_id"], res.bets["stake"], strict=True))


@functools.cache
def same_instant(score_a: tuple[int, int], score_b: tuple[int, int]) -> MarketData:
    """Games a and b start together (one decision time); c starts after both ended and sees their results."""
    games = {"a": at(0), "b": at(0), "c": at(5)}
    return market([event(e, c) for e, c in games.items()],
                  [result("a", *score_a), result("b", *score_b), result("c", 100, 90)],
                  [q for e, c in games.items() for q in h2h(e, c, "draftkings", 2.0, 1.9)])


SAME = BackSelection(probs={"a": 0.6, "b": 0.55, "c": 0.6}, bookmaker="draftkings")  # full Kelly 0.2, 0.1, 0.2


@pytest.mark.parametrize("score_a", [(110, 100), (90, 100)])
def test_bets_at_one_decision_time_share_one_bankroll_and_are_scaled_together(score_a: tuple[int, int]) -> None:
    s = spec(sizing="kelly:1", limits={**LOOSE, "max_open_exposure_fraction": 0.15})
    res = run_backtest(s, (same_instant(score_a, (110, 100))), SAME)
    bets = res.bets.set_index("canonical_event_id")
    assert sorted(bets.index) == ["a", "b", "c"]  # b is not crowded out by a
    assert bets.loc["a", "decision_time_utc"] == bets.loc["b", "decision_time_utc"]
    assert bets.loc["a", "bankroll_before"] == bets.loc["b", "bankroll_before"] == BANKROLL
    assert bets.loc["a", "open_exposure_before"] == bets.loc["b", "open_exposure_before"] == 0.0
    # 0.3 of the bankroll wanted, 0.15 allowed: both halved, in proportion, not first come first served
    assert bets.loc["a", "stake"] == pytest.approx(1000.0)
    assert bets.loc["b", "stake"] == pytest.approx(500.0)
    # c is decided after a and b ended: it sizes from their results
    after = BANKROLL + bets.loc["a", "profit"] + bets.loc["b", "profit"]
    assert bets.loc["c", "bankroll_before"] == pytest.approx(after)
    assert bets.loc["c", "stake"] == pytest.approx(0.15 * after, abs=0.01)


def test_neither_bet_of_one_instant_sees_the_others_result() -> None:
    s = spec(sizing="kelly:0.5", limits=LOOSE)
    runs = [_stakes(run_backtest(s, (same_instant(sa, sb)), SAME))
            for sa, sb in [((110, 100), (110, 100)), ((90, 100), (110, 100)), ((110, 100), (90, 100))]]
    assert runs[0]["a"] == runs[1]["a"] == runs[2]["a"] == pytest.approx(1000.0)
    assert runs[0]["b"] == runs[1]["b"] == runs[2]["b"] == pytest.approx(500.0)
    assert len({r["c"] for r in runs}) == 3  # while the later game's stake does move with them


def test_exposure_from_an_earlier_decision_on_the_same_game_counts_against_the_caps() -> None:
    quotes = [*h2h("e", at(0), "draftkings", 2.0, 1.9, lead=181), *h2h("e", at(0), "draftkings", 2.0, 1.9)]
    data = market([event("e", at(0))], [result("e", 100, 90)], quotes, decisions=[("T-3h", -180), ("T-60m", -60)])
    s = spec(sizing="kelly:1", buckets=["T-3h", "T-60m"],
             limits={**LOOSE, "max_bet_fraction": 0.08, "max_event_fraction": 0.10})
    bets = run_backtest(s, data, BackSelection(prob=0.6, bookmaker="draftkings")).bets
    assert list(bets["bucket"]) == ["T-3h", "T-60m"]
    assert list(bets["stake"]) == pytest.approx([800.0, 200.0])
    assert list(bets["open_exposure_before"]) == [0.0, 800.0]


def test_the_engine_drops_a_kelly_bet_below_the_minimum_and_never_bets_a_negative_edge() -> None:
    games = {"tiny": at(0), "negative": at(1), "exchange": at(2), "sportsbook": at(3)}
    quotes = [*h2h("tiny", at(0), "draftkings", 2.0, 1.9), *h2h("negative", at(1), "draftkings", 2.0, 1.9),
              *h2h("exchange", at(2), "betfair_ex_uk", 2.04, 1.9), *h2h("sportsbook", at(3), "draftkings", 2.04, 1.9)]
    data = market([event(e, c) for e, c in games.items()], [result(e, 100, 90) for e in games], quotes)
    strategy = BackSelection(probs={"tiny": 0.50001, "negative": 0.45, "exchange": 0.495, "sportsbook": 0.495})
    res = run_backtest(spec(sizing="kelly:0.25", limits={"min_stake": 1.0}), data, strategy)
    # the same price and probability: + edge at a sportsbook, − edge after the exchange's 2 % commission
    assert list(res.bets["canonical_event_id"]) == ["sportsbook"]
    assert res.diagnostics["skipped"] == {"below min_stake": 1, "kelly <= 0": 2}
