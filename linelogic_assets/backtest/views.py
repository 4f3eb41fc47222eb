"""The decision view: everything known at one decision time about one game, and nothing else.

A strategy sees one `DecisionView` at a time: each book's quote as of the decision time (gold's as-of rule:
the last snapshot at or before it), the consensus and its fair probabilities there, the arbitrages among those
quotes, and movement and team form to date. A view is plain immutable data: it holds no result, no later
snapshot and no handle to the lake, so a strategy cannot reach past its decision time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from itertools import groupby
from operator import attrgetter
from types import MappingProxyType
from typing import NamedTuple

import numpy as np
import pandas as pd

from linelogic_assets.backtest.data import MarketData
from linelogic_assets.backtest.sizing import net_price
from linelogic_assets.gold.opportunities import arbitrage_legs, eligible_quotes, reference_fair

_CARRY = ("implied_prob", "fair_prob", "snapshot_time_utc", "is_exchange", "outlier")


class Quote(NamedTuple):
    """One book's price of one selection as of the decision time."""

    bookmaker: str
    market: str  # h2h | spreads | totals
    selection: str  # home | away | draw | over | under
    point: float | None  # spread or total line; None for h2h
    price: float  # decimal
    implied_prob: float  # 1 / price
    fair_prob: float  # the book's own devigged probability (NaN when the book's market is incomplete)
    reference_prob: float  # devigged sharp fair price at this point, else the trimmed consensus; NaN if neither
    reference_source: str | None  # "sharp" | "consensus" | None
    snapshot_time: datetime  # when the book published it (at or before the decision time)
    is_sharp: bool
    is_exchange: bool
    outlier: bool  # left out of the trimmed consensus
    own_reference: bool  # a sharp book priced against the sharp fair price it helps make: no edge to judge


class ConsensusLine(NamedTuple):
    market: str
    selection: str
    n_books: int
    point: float | None  # median point across books
    price_best: float
    fair_prob: float  # mean devigged probability across complete books
    trimmed_fair_prob: float  # the same without outlier books
    sharp_fair_prob: float  # Pinnacle / Circa only (NaN when no sharp book quoted)
    sharp_point: float | None
    latest_snapshot: datetime


class ArbLeg(NamedTuple):
    bookmaker: str
    selection: str
    point: float | None
    price: float
    stake_share: float  # share of the arbitrage's total stake; every leg then returns the same


class Arbitrage(NamedTuple):
    market: str
    line: float | None
    margin: float  # guaranteed return 1 / Σ(1/best price) − 1
    legs: tuple[ArbLeg, ...]


@dataclass(frozen=True, slots=True)
class EventInfo:
    canonical_event_id: str
    sport: str
    slate_date: date
    season: int | None
    commence_time: datetime
    home_team_id: str
    away_team_id: str


class DecisionView:
    """See the module docstring. Read-only: the engine builds it, a strategy reads it."""

    __slots__ = ("event", "bucket", "decision_time", "quotes", "consensus", "arbitrages", "features", "_index",
                 "_commission")

    def __init__(self, event: EventInfo, bucket: str, decision_time: datetime, quotes: tuple[Quote, ...],
                 consensus: tuple[ConsensusLine, ...], arbitrages: tuple[Arbitrage, ...],
                 features: Mapping[str, object], commission: Callable[[str, bool], float] | None = None) -> None:
        for name, value in (("event", event), ("bucket", bucket), ("decision_time", decision_time),
                            ("quotes", quotes), ("consensus", consensus), ("arbitrages", arbitrages),
                            ("features", MappingProxyType(dict(features))), ("_index", None),
                            ("_commission", commission or (lambda book, exchange: 0.0))):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("a decision view is read-only")

    def quotes_for(self, market: str | None = None, selection: str | None = None) -> tuple[Quote, ...]:
        return tuple(q for q in self.quotes if (market is None or q.market == market)
                     and (selection is None or q.selection == selection))

    def consensus_for(self, market: str, selection: str) -> ConsensusLine | None:
        return next((c for c in self.consensus if c.market == market and c.selection == selection), None)

    def quote(self, bookmaker: str, market: str, selection: str, point: float | None = None) -> Quote | None:
        """The quote a pick names, or None when the view has no such price."""
        if self._index is None:
            object.__setattr__(self, "_index", {(q.bookmaker, q.market, q.selection, q.point): q for q in self.quotes})
        return self._index.get((bookmaker, market, selection, point))

    def commission(self, quote: Quote) -> float:
        """The backtest's commission on net winnings at the quote's book."""
        return self._commission(quote.bookmaker, quote.is_exchange)

    def net_price(self, quote: Quote) -> float:
        """The quote's decimal price after that commission: what a win really pays per unit."""
        return net_price(quote.price, self.commission(quote))

    @property
    def latest_snapshot(self) -> datetime | None:
        """The latest time of anything in the view (quotes, consensus, features): never after decision_time."""
        times = [q.snapshot_time for q in self.quotes] + [c.latest_snapshot for c in self.consensus]
        times += [v for k, v in self.features.items() if k.endswith("_utc") and isinstance(v, datetime)]
        return max(times) if times else None

    def __repr__(self) -> str:
        return (f"DecisionView({self.event.canonical_event_id} {self.bucket} @ {self.decision_time.isoformat()}: "
                f"{len(self.quotes)} quotes, {len(self.arbitrages)} arbitrages)")


def _none_if_nan(values: np.ndarray) -> list[float | None]:
    return [None if v != v else float(v) for v in values.tolist()]


def _col(frame: pd.DataFrame, name: str, dtype: type | None = None) -> list:
    """A column as a list of Python objects: what iterating the Series gives, without its per-item cost."""
    s = frame[name] if dtype is None else frame[name].astype(dtype)
    return s.tolist()


def _times(series: pd.Series) -> list[datetime]:
    # many quotes share few snapshot times, and an aware to_pydatetime costs µs per value: each instant once
    codes, uniques = pd.factorize(pd.DatetimeIndex(pd.to_datetime(series, utc=True)))
    py = [*uniques.to_pydatetime(), pd.NaT]  # code -1 (NaT) → NaT, as to_pydatetime gives it
    return [py[c] for c in codes.tolist()]


def _groups(keys: pd.DataFrame) -> dict[tuple, tuple[int, int]]:
    """(canonical_event_id, bucket) → (first row, end row) of a frame sorted by those keys."""
    if keys.empty:
        return {}
    ev, bk = keys.iloc[:, 0].to_numpy(), keys.iloc[:, 1].to_numpy()
    change = np.r_[True, (ev[1:] != ev[:-1]) | (bk[1:] != bk[:-1])]
    starts = np.flatnonzero(change)
    ends = np.r_[starts[1:], len(ev)]
    return {(ev[a], bk[a]): (int(a), int(b)) for a, b in zip(starts, ends, strict=True)}


def _quotes(data: MarketData) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Eligible quotes with their reference fair price, and the arbitrage legs among them."""
    settings = data.settings
    q = eligible_quotes(data.lines, settings, at_commence=True, carry=_CARRY)
    if q.empty:
        return q, pd.DataFrame()
    ref = reference_fair(q, data.consensus)
    q = q.assign(reference_prob=ref["fair_prob"].to_numpy(), reference_source=ref["fair_source"].to_numpy(),
                 own_reference=ref["own_sharp"].to_numpy())
    legs = arbitrage_legs(q, settings.model_copy(update={"min_arb_margin": 0.0}))
    return q, legs


def build_views(data: MarketData, commission: Callable[[str, bool], float] | None = None) -> list[DecisionView]:
    """Every decision point with at least one quote, as a view, in decision order (time, event, bucket).
    `commission(bookmaker, is_exchange)` is the rate on net winnings the views' `net_price` applies."""
    q, legs = _quotes(data)
    if q.empty:
        return []
    order = {label: i for i, (label, _) in enumerate(data.decisions)}
    q = q.sort_values(["canonical_event_id", "bucket", "bookmaker", "market", "selection"], kind="stable")
    q = q.reset_index(drop=True)
    quote_rows = list(map(Quote, _col(q, "bookmaker"), _col(q, "market"), _col(q, "selection"),
                          _none_if_nan(q["point"].to_numpy()), _col(q, "price", float),
                          _col(q, "implied_prob", float), _col(q, "fair_prob", float),
                          _col(q, "reference_prob", float), _col(q, "reference_source"),
                          _times(q["snapshot_time_utc"]), _col(q, "is_sharp", bool),
                          _col(q, "is_exchange", bool), _col(q, "outlier", bool), _col(q, "own_reference", bool)))
    by_point = _groups(q[["canonical_event_id", "bucket"]])

    c = data.consensus.sort_values(["canonical_event_id", "bucket", "market", "selection"], kind="stable")
    c = c.reset_index(drop=True)
    cons_rows = list(map(ConsensusLine, _col(c, "market"), _col(c, "selection"),
                         c["n_books"].fillna(0).astype(int).tolist(),
                         _none_if_nan(c["point_median"].to_numpy(float)), _col(c, "price_best", float),
                         _col(c, "fair_prob", float), _col(c, "trimmed_fair_prob", float),
                         _col(c, "sharp_fair_prob", float), _none_if_nan(c["sharp_point"].to_numpy(float)),
                         _times(c["latest_snapshot_utc"])))
    cons_at = _groups(c[["canonical_event_id", "bucket"]])

    arbs: dict[tuple, list[Arbitrage]] = {}
    if not legs.empty:
        legs = legs.sort_values(["canonical_event_id", "snapshot_time_utc", "market", "line", "selection",
                                 "bookmaker"], kind="stable", na_position="first")
        for (eid, at, market, line), g in legs.groupby(["canonical_event_id", "snapshot_time_utc", "market", "line"],
                                                       sort=False, dropna=False):
            leg_rows = tuple(map(ArbLeg, g["bookmaker"], g["selection"], _none_if_nan(g["point"].to_numpy(float)),
                                 g["price"].astype(float), g["stake_share"].astype(float)))
            line_v = None if line != line else float(line)
            arbs.setdefault((eid, pd.Timestamp(at)), []).append(
                Arbitrage(market, line_v, float(g["edge"].iloc[0]), leg_rows))

    feats = {}
    if not data.features.empty:
        f = data.features.astype(object).where(data.features.notna(), None)
        for rec in f.to_dict("records"):
            key = (rec.pop("canonical_event_id"), rec.pop("bucket"))
            feats[key] = {k: (v.to_pydatetime() if isinstance(v, pd.Timestamp) else v) for k, v in rec.items()}

    ev = data.events.drop_duplicates("canonical_event_id").set_index("canonical_event_id")
    infos = {}
    points = q.drop_duplicates(["canonical_event_id", "bucket"])[["canonical_event_id", "bucket", "asof_time_utc"]]
    views = []
    for eid, bucket, at in zip(points["canonical_event_id"], points["bucket"], points["asof_time_utc"], strict=True):
        if eid not in infos:
            row = ev.loc[eid]
            season = row.get("season")
            infos[eid] = EventInfo(eid, data.sport, pd.Timestamp(row["slate_date"]).date(),
                                   None if pd.isna(season) else int(season),
                                   pd.Timestamp(row["commence_time_utc"]).to_pydatetime(),
                                   row["home_team_id"], row["away_team_id"])
        a, b = by_point[(eid, bucket)]
        ca, cb = cons_at.get((eid, bucket), (0, 0))
        views.append(DecisionView(infos[eid], bucket, pd.Timestamp(at).to_pydatetime(), tuple(quote_rows[a:b]),
                                  tuple(cons_rows[ca:cb]), tuple(arbs.get((eid, pd.Timestamp(at)), ())),
                                  feats.get((eid, bucket), {}), commission))
    views.sort(key=lambda v: (v.decision_time, v.event.canonical_event_id, order.get(v.bucket, 99)))
    return views


def iter_batches(views: list[DecisionView]) -> Iterator[list[DecisionView]]:
    """Views that share one decision time (`views` is in decision order): they are sized from one bankroll."""
    for _, batch in groupby(views, key=attrgetter("decision_time")):
        yield list(batch)
