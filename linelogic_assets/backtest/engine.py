"""The engine: replays a strategy over the decision views in time order and keeps the ledger.

At each decision time, first every bet on a game that ended before it is settled into the bankroll (a
game ends at its start plus the league's maximum game length, the rule team form uses); bets on games not
ended are open exposure, not money. Then each view of that instant goes to the strategy, and all their picks
are sized together from that one bankroll (`sizing.size_batch`). The result of a bet is looked up when it is
placed but only reaches the bankroll at its settlement time; the strategy never sees it.
"""

from __future__ import annotations

import gc
import hashlib
import heapq
import json
import math
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from linelogic_assets.backtest import metrics
from linelogic_assets.backtest.data import MarketData
from linelogic_assets.backtest.schema import BETS, BREAKDOWN
from linelogic_assets.backtest.settlement import grade, payout
from linelogic_assets.backtest.sizing import Proposal, net_price, size_batch
from linelogic_assets.backtest.spec import BacktestSpec, Costs
from linelogic_assets.backtest.strategies import Pick, Strategy, load_strategy
from linelogic_assets.backtest.views import DecisionView, build_views, iter_batches
from linelogic_assets.gold.clv import clv_columns
from linelogic_assets.gold.training import game_end


class StrategyError(ValueError):
    """A strategy named a price its view does not hold, or returned something that is not a pick."""


def commission_rule(costs: Costs):
    """commission(bookmaker, is_exchange): the configured rate, else the exchange rate for exchanges, else 0."""
    def rate(bookmaker: str, is_exchange: bool) -> float:
        if bookmaker in costs.commission:
            return costs.commission[bookmaker]
        return costs.exchange_commission if is_exchange else 0.0
    return rate


@dataclass
class BacktestResult:
    spec: BacktestSpec
    bets: pd.DataFrame  # the ledger, BETS columns in bet order
    summary: dict[str, Any]
    breakdown: pd.DataFrame
    curve: pd.DataFrame  # bankroll and drawdown after each settled bet
    diagnostics: dict[str, Any] = field(default_factory=dict)

    def ledger_table(self) -> pa.Table:
        return pa.Table.from_pandas(self.bets, schema=BETS, preserve_index=False)

    def breakdown_table(self) -> pa.Table:
        return pa.Table.from_pandas(self.breakdown, schema=BREAKDOWN, preserve_index=False)


@dataclass
class _Book:
    """The bankroll as known at the current decision time."""

    bankroll: float
    exposure: float = 0.0
    by_event: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    pending: list = field(default_factory=list)  # heap of (settled_at, bet_id, profit, stake, event)
    asof: datetime | None = None  # end of the latest game settled into the bankroll

    def settle_before(self, t: datetime) -> None:
        while self.pending and self.pending[0][0] < t:  # ended strictly before the decision
            settled_at, _, profit, stake, event = heapq.heappop(self.pending)
            self.bankroll += profit
            self.exposure -= stake
            self.by_event[event] -= stake
            self.asof = settled_at if self.asof is None else max(self.asof, settled_at)

    def place(self, settled_at: datetime | None, bet_id: int, profit: float | None, stake: float,
              event: str) -> None:
        self.exposure += stake
        self.by_event[event] += stake
        if settled_at is not None and profit is not None:
            heapq.heappush(self.pending, (settled_at, bet_id, profit, stake, event))


def _outcomes(data: MarketData) -> dict[str, tuple[str | None, float | None, float | None, datetime | None]]:
    """event → (status, home score, away score, end time): the engine's own, never handed to a strategy."""
    ev = data.events.drop_duplicates("canonical_event_id").reset_index(drop=True)
    ends = game_end(ev, data.game_minutes)
    res = data.results.drop_duplicates("canonical_event_id").set_index("canonical_event_id")
    out = {}
    for eid, status, end in zip(ev["canonical_event_id"], ev["status"], ends, strict=True):
        hs = res["home_score"].get(eid) if eid in res.index else None
        aws = res["away_score"].get(eid) if eid in res.index else None
        out[eid] = (status, None if pd.isna(hs) else float(hs), None if pd.isna(aws) else float(aws),
                    None if pd.isna(end) else pd.Timestamp(end).to_pydatetime())
    return out


def _prob(pick: Pick, quote) -> float:
    """The probability a bet is sized and judged on: the strategy's, else the quote's reference fair price."""
    return pick.prob if pick.prob is not None else quote.reference_prob


def _check_pick(view: DecisionView, pick: object):
    if not isinstance(pick, Pick):
        raise StrategyError(f"{view!r}: a strategy returns Pick objects, got {type(pick).__name__}")
    quote = view.quote(pick.bookmaker, pick.market, pick.selection, pick.point)
    if quote is None:
        raise StrategyError(f"{view!r}: no quote {pick.bookmaker} {pick.market} {pick.selection} {pick.point} "
                            "in the view; a strategy can only bet prices it was shown")
    return quote


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """A replay allocates some 10^5 small objects (quotes, views, picks, ledger rows) that live until it
    ends; the cyclic collections they trigger find next to nothing (~100 objects a season) and cost a
    third of it."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def run_backtest(spec: BacktestSpec, data: MarketData, strategy: Strategy | None = None) -> BacktestResult:
    """Replay `spec`'s strategy (or `strategy`) over `data`; see the module docstring."""
    with _cyclic_gc_paused():
        return _replay(spec, data, strategy)


def _replay(spec: BacktestSpec, data: MarketData, strategy: Strategy | None) -> BacktestResult:
    strategy = strategy or load_strategy(spec.strategy, spec.params)
    commission = commission_rule(spec.costs)
    views = build_views(data, commission)
    outcomes = _outcomes(data)
    book = _Book(spec.bankroll)
    rows: list[dict[str, Any]] = []
    skipped: dict[str, int] = defaultdict(int)
    picks_seen = 0
    for batch in iter_batches(views):
        t = batch[0].decision_time
        book.settle_before(t)
        proposals, legs_of = [], []
        for view in batch:
            groups: dict[Any, list] = {}
            for i, pick in enumerate(strategy.decide(view) or ()):
                quote = _check_pick(view, pick)
                groups.setdefault(pick.group if pick.group is not None else ("single", i), []).append((pick, quote))
                picks_seen += 1
            for legs in groups.values():
                shares = [p.stake_share if p.stake_share else 1.0 for p, _ in legs]
                total = sum(shares)
                p0, q0 = legs[0]
                proposals.append(Proposal(
                    event=view.event.canonical_event_id, books=[q.bookmaker for _, q in legs],
                    shares=[s / total for s in shares], price=q0.price,
                    prob=_prob(p0, q0), commission=commission(
                        q0.bookmaker, q0.is_exchange)))
                legs_of.append((view, legs))
        stakes = size_batch(proposals, book.bankroll, book.exposure, book.by_event, spec.sizing, spec.limits)
        bankroll, exposure, asof = book.bankroll, book.exposure, book.asof
        for prop, (view, legs), leg_stakes in zip(proposals, legs_of, stakes, strict=True):
            if not leg_stakes:
                skipped[prop.skipped] += 1
                continue
            group_id = len(rows)
            eid = view.event.canonical_event_id
            status, hs, aws, end = outcomes.get(eid, (None, None, None, None))
            for (pick, quote), stake in zip(legs, leg_stakes, strict=True):
                rate = commission(quote.bookmaker, quote.is_exchange)
                result = grade(quote.market, quote.selection, quote.point, status, hs, aws, _three_way(view))
                paid = payout(result, stake, quote.price, rate)
                profit = None if paid is None else paid - stake
                settled_at = end if paid is not None else None
                prob = _prob(pick, quote)
                bet_id = len(rows)
                book.place(settled_at, bet_id, profit, stake, eid)
                rows.append({
                    "backtest": spec.name, "bet_id": bet_id, "group_id": group_id, "sport": data.sport,
                    "canonical_event_id": eid, "slate_date": view.event.slate_date,
                    "commence_time_utc": view.event.commence_time, "bucket": view.bucket,
                    "decision_time_utc": t, "snapshot_time_utc": quote.snapshot_time,
                    "view_latest_snapshot_utc": view.latest_snapshot, "bookmaker": quote.bookmaker,
                    "market": quote.market, "selection": quote.selection, "point": quote.point,
                    "price": quote.price, "fair_prob": prob,
                    "edge": net_price(quote.price, rate) * prob - 1.0 if prob == prob else math.nan,
                    "kelly_fraction": prop.kelly if len(legs) == 1 else math.nan,
                    "bankroll_before": bankroll, "open_exposure_before": exposure, "bankroll_asof_utc": asof,
                    "stake": stake, "commission_rate": rate, "result": result, "payout": paid, "profit": profit,
                    "settled_at_utc": settled_at,
                })
    bets = _ledger(rows, data)
    pool = candidate_pool(views, outcomes) if spec.statistics.permutations else None
    settings = metrics.MetricsSettings(bootstrap_samples=spec.statistics.bootstrap_samples,
                                       permutations=spec.statistics.permutations,
                                       confidence=spec.statistics.confidence, seed=spec.statistics.seed)
    summary = {
        "backtest": spec.name, "sport": spec.sport, "strategy": spec.strategy, "start_date": spec.start,
        "end_date": spec.end, "buckets": ",".join(spec.buckets), "sizing": str(spec.sizing),
        **metrics.summarise(bets, spec.bankroll, pool, settings)}
    diagnostics = {"views": len(views), "picks": picks_seen, "skipped": dict(sorted(skipped.items())),
                   "missing_dates": [d.isoformat() for d in data.missing_dates],
                   "spec_sha256": spec_digest(spec)}
    return BacktestResult(spec, bets, summary, metrics.breakdowns(bets, spec.name),
                          metrics.equity_curve(bets, spec.bankroll), diagnostics)


def spec_digest(spec: BacktestSpec) -> str:
    return hashlib.sha256(json.dumps(spec.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()[:16]


def _ledger(rows: list[dict[str, Any]], data: MarketData) -> pd.DataFrame:
    cols = BETS.names
    if not rows:
        return BETS.empty_table().to_pandas()
    bets = pd.DataFrame(rows)
    close = data.close[["canonical_event_id", "market", "selection", "close_fair_prob", "close_point"]]
    bets = bets.merge(close, on=["canonical_event_id", "market", "selection"], how="left")
    bets["point"] = bets["point"].astype(float)
    bets = clv_columns(bets).rename(columns={"clv_pct": "clv"})
    bets = bets.sort_values("bet_id", kind="stable").reset_index(drop=True)
    # one pass through Arrow gives the exact stored types (timestamps UTC µs, nullable ints and bools)
    return pa.Table.from_pandas(bets[cols], schema=BETS, preserve_index=False).to_pandas()


def _three_way(view: DecisionView) -> bool:
    """The view's h2h market quotes the draw: a tie loses its home and away bets instead of pushing them."""
    return any(q.market == "h2h" and q.selection == "draw" for q in view.quotes)


def candidate_pool(views: list[DecisionView], outcomes: dict) -> pd.DataFrame:
    """Every quote the strategy was shown, graded: the random bets the permutation test draws from."""
    keys = {}
    prices, results, buckets = [], [], []
    for v in views:
        status, hs, aws, _ = outcomes.get(v.event.canonical_event_id, (None, None, None, None))
        three_way = _three_way(v)
        for q in v.quotes:
            k = (v.event.canonical_event_id, q.market, q.selection, q.point)
            r = keys.get(k)
            if r is None:
                r = keys[k] = grade(q.market, q.selection, q.point, status, hs, aws, three_way)
            if r != "open":
                prices.append(q.price)
                results.append(r)
                buckets.append(v.bucket)
    return pd.DataFrame({"price": np.asarray(prices, float), "result": results, "bucket": buckets})
