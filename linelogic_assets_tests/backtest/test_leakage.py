"""No look-ahead. Each guard is shown both ways: the real engine is clean, and an engine broken on purpose
(monkeypatched to leak) is caught by the independent proof, `leakage.lookahead_findings`."""

from __future__ import annotations

import dataclasses
import functools
import heapq
from datetime import datetime
from types import MappingProxyType, SimpleNamespace
from typing import Any

import pandas as pd
import pytest

from linelogic_assets.backtest import engine, views
from linelogic_assets.backtest.data import MarketData
from linelogic_assets.backtest.engine import run_backtest
from linelogic_assets.backtest.leakage import is_clean, lookahead_findings
from linelogic_assets.backtest.spec import decision_offsets
from linelogic_assets.backtest.strategies import Pick
from linelogic_assets.backtest.views import DecisionView, EventInfo, build_views
from linelogic_assets.config import SnapshotSchedule
from linelogic_assets.gold import asof
from linelogic_assets.gold.training import game_end
from linelogic_assets_tests.backtest.frames import (
    DECISIONS,
    GAME_MINUTES,
    BackSelection,
    at,
    event,
    h2h,
    market,
    result,
    spec,
)

BANKROLL = 10_000.0
LOOSE = {"max_bet_fraction": 1.0, "max_event_fraction": 1.0, "max_open_exposure_fraction": 1.0}


def findings(res: engine.BacktestResult, data: MarketData) -> dict[str, object]:
    return lookahead_findings(res.bets, data.events, data.game_minutes, res.spec.bankroll)


def with_close(a_home_wins: bool = True) -> tuple[list[dict], list[dict], list[dict]]:
    """Games A (19:00), B (20:00) and C (21:00), each quoted at T-61m and again at the close (T-1m), where the
    price has moved."""
    games = {"A": at(0), "B": at(1), "C": at(2)}
    events = [event(e, c) for e, c in games.items()]
    results = [result("A", *((110, 100) if a_home_wins else (100, 110))), result("B", 100, 90),
               result("C", 100, 90)]
    quotes = []
    for e, c in games.items():
        quotes += h2h(e, c, "pinnacle", 1.90, 1.95) + h2h(e, c, "draftkings", 2.00, 1.85)
        quotes += h2h(e, c, "pinnacle", 1.60, 2.45, lead=1) + h2h(e, c, "draftkings", 1.65, 2.35, lead=1)
    return events, results, quotes


@functools.cache
def close_market(a_home_wins: bool = True, decisions: tuple[tuple[str, int], ...] = DECISIONS) -> MarketData:
    """`with_close` as MarketData; built once per test run (the engine never writes to its data)."""
    return market(*with_close(a_home_wins), decisions=decisions)


# ---------------------------------------------------------------- 1. the view holds nothing after the decision


def _views_holding_the_close(close: list[DecisionView], keep_quotes: bool):
    """A broken build_views: each T-60m view also carries the CLOSE consensus (and, unless keep_quotes, the
    CLOSE quotes) of its game, under the T-60m decision time."""
    later = {v.event.canonical_event_id: v for v in close}
    real = views.build_views

    def build(data: MarketData, commission: Any = None) -> list[DecisionView]:
        out = []
        for v in real(data, commission):
            c = later[v.event.canonical_event_id]
            out.append(DecisionView(v.event, v.bucket, v.decision_time, v.quotes if keep_quotes else c.quotes,
                                    v.consensus + c.consensus, v.arbitrages, v.features, commission))
        return out
    return build


def test_the_real_views_hold_nothing_after_the_decision() -> None:
    data = close_market()
    seen: list[DecisionView] = []

    def spy(view: DecisionView) -> list[Pick]:
        seen.append(view)
        return [Pick.of(q) for q in view.quotes_for("h2h", "home")]

    res = run_backtest(spec(sizing="flat:100"), data, SimpleNamespace(decide=spy))
    assert len(seen) == 3 and len(res.bets) == 6
    for v in seen:
        assert v.latest_snapshot <= v.decision_time
        assert {q.price for q in v.quotes} == {1.90, 1.95, 2.00, 1.85}  # the T-61m prices, never the close
    assert is_clean(findings(res, data))
    assert (res.bets["view_latest_snapshot_utc"] <= res.bets["decision_time_utc"]).all()


@pytest.mark.parametrize("keep_quotes", [True, False], ids=["close-consensus", "close-quotes"])
def test_a_view_holding_the_close_is_caught(monkeypatch: pytest.MonkeyPatch, keep_quotes: bool) -> None:
    data = close_market()
    close = build_views(close_market(decisions=(("CLOSE", 0),)))
    monkeypatch.setattr(engine, "build_views", _views_holding_the_close(close, keep_quotes))
    res = run_backtest(spec(sizing="flat:100"), data, BackSelection())
    f = findings(res, data)
    assert f["view_after_decision"] == len(res.bets) == 6
    assert f["quote_after_decision"] == (0 if keep_quotes else 6)
    assert not is_clean(f)


# ---------------------------------------------------------------- 2. the bankroll holds only ended games


def _b(res: engine.BacktestResult) -> pd.Series:
    return res.bets.set_index("canonical_event_id").loc["B"]


def test_a_games_result_reaches_the_bankroll_only_after_it_ended() -> None:
    """A starts 19:00, B's decision is at 19:00 (T-60m of 20:00): A's result must not move B's stake."""
    s = spec(sizing="percent:2", limits=LOOSE)
    runs = []
    for a_home_wins in (True, False):
        data = close_market(a_home_wins)
        res = run_backtest(s, data, BackSelection(bookmaker="draftkings"))
        assert is_clean(findings(res, data))
        runs.append(res)
    assert _b(runs[0])["decision_time_utc"] == at(0)
    assert _b(runs[0])["stake"] == _b(runs[1])["stake"] == 200.0
    assert _b(runs[0])["bankroll_before"] == _b(runs[1])["bankroll_before"] == BANKROLL
    assert _b(runs[0])["open_exposure_before"] == 200.0  # A's stake is open, not money
    assert pd.isna(_b(runs[0])["bankroll_asof_utc"])
    ev = data.events.set_index("canonical_event_id")
    ends = game_end(ev, GAME_MINUTES)
    assert (runs[0].bets["settled_at_utc"] == runs[0].bets["canonical_event_id"].map(ends)).all()


def _ends_at_commence(events: pd.DataFrame, game_minutes: int) -> pd.Series:
    return game_end(events, 0)


def _settle_at_or_before(self: Any, t: datetime) -> None:
    while self.pending and self.pending[0][0] <= t:
        settled_at, _, profit, stake, ev = heapq.heappop(self.pending)
        self.bankroll += profit
        self.exposure -= stake
        self.by_event[ev] -= stake
        self.asof = settled_at if self.asof is None else max(self.asof, settled_at)


def _settle_everything(self: Any, t: datetime) -> None:
    _settle_at_or_before(self, datetime.max.replace(tzinfo=t.tzinfo))


BROKEN = {  # name → (patches, the games whose stake A's unfinished result then moves)
    # results reach the bankroll at commence: C (decided 20:00) sees A (19:00), which is still being played
    "game-ends-at-commence": ([("game_end", _ends_at_commence)], ["C"]),
    # ... and at-or-before: B, decided at A's commence, sees it too
    "ends-at-commence-settled-at-or-before": ([("game_end", _ends_at_commence),
                                               ("_Book.settle_before", _settle_at_or_before)], ["B", "C"]),
    # every known result is in the bankroll at once
    "settled-when-known": ([("_Book.settle_before", _settle_everything)], ["B", "C"]),
}


@pytest.mark.parametrize(("patches", "moved"), list(BROKEN.values()), ids=list(BROKEN))
def test_sizing_from_a_game_not_ended_is_caught(monkeypatch: pytest.MonkeyPatch, patches: list,
                                                moved: list[str]) -> None:
    for name, fn in patches:
        owner, _, attr = name.rpartition(".")
        monkeypatch.setattr(getattr(engine, owner) if owner else engine, attr, fn)
    s = spec(sizing="percent:2", limits=LOOSE)
    data = close_market()
    res = run_backtest(s, data, BackSelection(bookmaker="draftkings"))
    f = findings(res, data)
    assert f["bankroll_not_asof"] > 0
    assert not is_clean(f)
    lost = run_backtest(s, close_market(a_home_wins=False), BackSelection(bookmaker="draftkings"))
    later = res.bets["canonical_event_id"].isin(moved)
    # the leak is real: A's result moved a later game's stake
    assert (res.bets.loc[later, "stake"].to_numpy() != lost.bets.loc[later, "stake"].to_numpy()).all()


# ---------------------------------------------------------------- 3. the as-of rule: never the nearest


def nearest_market() -> tuple[MarketData, list[tuple[str, int]]]:
    """One game decided at a custom T-90m: quotes 10 min before the decision, and 5 min after it."""
    windows = [(w.name, w.offset_minutes) for w in SnapshotSchedule().windows]
    decisions = decision_offsets(["T-90m"], windows)
    quotes = [*h2h("N", at(0), "pinnacle", 1.90, 1.95, lead=100), *h2h("N", at(0), "draftkings", 2.0, 1.85, lead=100),
              *h2h("N", at(0), "pinnacle", 1.70, 2.20, lead=85), *h2h("N", at(0), "draftkings", 1.75, 2.10, lead=85)]
    return market([event("N", at(0))], [result("N", 100, 90)], quotes, decisions=decisions), decisions


class _NearestPandas:
    """pandas as the as-of module sees it, with merge_asof turned to the nearest snapshot."""

    def __getattr__(self, name: str) -> Any:
        return getattr(pd, name)

    @staticmethod
    def merge_asof(*args: Any, **kw: Any) -> pd.DataFrame:
        return pd.merge_asof(*args, **{**kw, "direction": "nearest"})


def test_the_real_as_of_rule_takes_the_last_snapshot_before_a_custom_decision() -> None:
    data, decisions = nearest_market()
    assert decisions == [("T-90m", -90)]
    res = run_backtest(spec(sizing="flat:100", buckets=["T-90m"]), data, BackSelection())
    assert len(res.bets) == 2 and set(res.bets["price"]) == {1.90, 2.0}
    assert (res.bets["snapshot_time_utc"] == at(minutes=-100)).all()
    assert is_clean(findings(res, data))


def test_the_nearest_snapshot_rule_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(asof, "pd", _NearestPandas())
    data, _ = nearest_market()
    res = run_backtest(spec(sizing="flat:100", buckets=["T-90m"]), data, BackSelection())
    assert set(res.bets["price"]) == {1.70, 1.75}  # the patch took: the later quotes were used
    f = findings(res, data)
    assert f["quote_after_decision"] == len(res.bets) == 2
    assert not is_clean(f)


# ---------------------------------------------------------------- the strategy never receives the result


RESULT_WORDS = ("score", "winner", "margin", "result", "status", "actual_start", "payout", "profit", "settle")


def test_a_view_has_no_result_and_is_read_only() -> None:
    [view, *_] = build_views(close_market())
    names = [*DecisionView.__slots__, *(f.name for f in dataclasses.fields(EventInfo)),
             *views.Quote._fields, *views.ConsensusLine._fields, *view.features]
    assert not [n for n in names if any(w in n for w in RESULT_WORDS)]
    assert not hasattr(view, "__dict__")  # no room for anything the engine did not put there
    with pytest.raises(AttributeError):
        view.quotes = ()
    with pytest.raises(AttributeError):
        view.home_score = 110
    with pytest.raises(TypeError):
        view.features["home_score"] = 110
    assert isinstance(view.features, MappingProxyType) and isinstance(view.quotes, tuple)
    with pytest.raises(dataclasses.FrozenInstanceError):
        view.event.commence_time = at(5)


def test_what_a_strategy_sees_does_not_depend_on_the_results() -> None:
    """The same games with other results, other statuses or none: the strategy receives the very same views."""
    events, results, quotes = with_close()
    flipped = [result(r["canonical_event_id"], r["away_score"], r["home_score"]) for r in results]
    postponed = [{**e, "status": "postponed"} for e in events]

    def views_seen(data: MarketData) -> list[tuple]:
        seen: list[tuple] = []

        def spy(view: DecisionView) -> list[Pick]:
            seen.append((view.event, view.bucket, view.decision_time, view.quotes, view.consensus, view.arbitrages,
                         dict(view.features)))
            return [Pick.of(q) for q in view.quotes_for("h2h", "home")]

        run_backtest(spec(sizing="flat:100"), data, SimpleNamespace(decide=spy))
        return seen

    base = views_seen(close_market())
    assert len(base) == 3
    assert views_seen(market(events, flipped, quotes)) == base
    assert views_seen(market(events, [], quotes)) == base
    assert views_seen(market(postponed, results, quotes)) == base
