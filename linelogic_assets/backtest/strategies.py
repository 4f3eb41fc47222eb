"""Strategies: what to bet, given one decision view. Built-ins and the loader for a user's own.

A strategy is any object with `decide(view) -> iterable of Pick` (or a plain function of the view). It names
quotes of the view (book, market, selection, point); the engine takes the price from the view, so a strategy
can neither invent a price nor see one from later. Sizing is the engine's (the backtest's `sizing`), from the
pick's `prob` (default: the quote's devigged reference probability). Picks sharing a `group` are placed
together with their `stake_share` of one stake (the legs of an arbitrage).

A user's strategy is loaded by dotted path, `package.module:attr` (or `package.module.attr`): a class is
instantiated with the backtest's `params`, a function is used as `decide` as it is.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from fnmatch import fnmatchcase
from functools import lru_cache
from typing import Any, Protocol, runtime_checkable

from linelogic_assets.backtest.views import DecisionView, Quote
from linelogic_assets.config import ConfigError


@dataclass(frozen=True, slots=True)
class Pick:
    bookmaker: str
    market: str
    selection: str
    point: float | None = None
    prob: float | None = None  # the strategy's probability of a win; None: the quote's reference probability
    group: str | None = None  # picks of one view with the same group are one bet split by stake_share
    stake_share: float | None = None
    note: str = ""

    @classmethod
    def of(cls, quote: Quote, **kw: Any) -> Pick:
        return cls(quote.bookmaker, quote.market, quote.selection, quote.point, **kw)


@runtime_checkable
class Strategy(Protocol):
    def decide(self, view: DecisionView) -> Iterable[Pick]: ...


def _favourite(view: DecisionView, market: str) -> str | None:
    """The selection the market makes likeliest (consensus fair probability; ties: alphabetical)."""
    lines = [c for c in view.consensus if c.market == market and c.fair_prob == c.fair_prob]
    if not lines:
        return None
    return min(lines, key=lambda c: (-c.fair_prob, c.selection)).selection


@lru_cache(maxsize=4096)
def _matches(bookmaker: str, pattern: str) -> bool:
    """fnmatchcase, once per (book, pattern): a season asks it for every quote of every view."""
    return fnmatchcase(bookmaker, pattern)


def _best(quotes: Iterable[Quote], net: Callable[[Quote], float]) -> Quote | None:
    """Highest price net of commission; ties to the alphabetically first book."""
    return min(quotes, key=lambda q: (-net(q), q.bookmaker), default=None)


@dataclass(frozen=True)
class Flat:
    """Back every quote matching a pattern: `market`, `selection` (home, away, draw, over, under, or favourite /
    underdog by the consensus) and `bookmaker` (a glob: `draftkings`, `*`). One bet per matching book."""

    market: str = "h2h"
    selection: str = "favourite"
    bookmaker: str = "*"

    def decide(self, view: DecisionView) -> list[Pick]:
        side = self.selection
        if side in ("favourite", "underdog"):
            fav = _favourite(view, self.market)
            if fav is None:
                return []
            others = {c.selection for c in view.consensus if c.market == self.market} - {fav}
            side = fav if self.selection == "favourite" else (min(others) if len(others) == 1 else None)
            if side is None:  # a three-way market has no one underdog; None would match every selection
                return []
        return [Pick.of(q) for q in view.quotes_for(self.market, side)
                if _matches(q.bookmaker, self.bookmaker)]


@dataclass(frozen=True)
class ExpectedValue:
    """Back a book's price when its expected return against the devigged sharp fair price (or the trimmed
    consensus when no sharp book quotes that point) is at least `min_edge`, net of commission. Sharp books are
    never bet against the price they make. Per game, the `max_bets_per_event` largest edges."""

    min_edge: float = 0.02
    markets: tuple[str, ...] = ("h2h", "spreads", "totals")
    bookmakers: str = "*"
    min_odds: float = 1.01
    max_odds: float = 1000.0
    max_bets_per_event: int = 1
    reference: str = "any"  # any | sharp | consensus

    def decide(self, view: DecisionView) -> list[Pick]:
        found = []
        for q in view.quotes:  # the glob last: every test only skips, and it is the dearest
            if q.market not in self.markets:
                continue
            if q.reference_source is None or q.own_reference:
                continue
            if self.reference != "any" and q.reference_source != self.reference:
                continue
            if not self.min_odds <= q.price <= self.max_odds or not _matches(q.bookmaker, self.bookmakers):
                continue
            edge = view.net_price(q) * q.reference_prob - 1.0
            if edge >= self.min_edge:
                found.append((-edge, q.bookmaker, q.market, q.selection, q))
        found.sort(key=lambda f: f[:4])
        return [Pick.of(f[-1], prob=f[-1].reference_prob, note=f"edge {-f[0]:.4f} vs {f[-1].reference_source}")
                for f in found[: self.max_bets_per_event]]


@dataclass(frozen=True)
class Arbitrage:
    """Every leg of a cross-book arbitrage at once, split as `market_opportunities` splits it (each leg returns
    the same); taken when the guaranteed return net of commission is at least `min_margin`."""

    min_margin: float = 0.005
    markets: tuple[str, ...] = ("h2h", "spreads", "totals")

    def decide(self, view: DecisionView) -> list[Pick]:
        picks = []
        for i, arb in enumerate(view.arbitrages):
            if arb.market not in self.markets:
                continue
            legs = [(leg, view.quote(leg.bookmaker, arb.market, leg.selection, leg.point)) for leg in arb.legs]
            if any(q is None for _, q in legs):
                continue
            guaranteed = min(leg.stake_share * view.net_price(q) for leg, q in legs) - 1.0
            if guaranteed >= self.min_margin:
                group = f"arb{i}:{arb.market}:{arb.line}"
                picks += [Pick.of(q, group=group, stake_share=leg.stake_share, prob=None,
                                  note=f"guaranteed {guaranteed:.4f}") for leg, q in legs]
        return picks


@dataclass(frozen=True)
class FavouriteBestPrice:
    """Line shopping, a baseline: back the consensus favourite of `market` at the best price on offer."""

    market: str = "h2h"

    def decide(self, view: DecisionView) -> list[Pick]:
        fav = _favourite(view, self.market)
        best = _best(view.quotes_for(self.market, fav), view.net_price) if fav else None
        return [Pick.of(best)] if best else []


BUILT_IN: dict[str, type] = {"flat": Flat, "ev": ExpectedValue, "arbitrage": Arbitrage,
                             "favourite_best_price": FavouriteBestPrice}


class _FunctionStrategy:
    def __init__(self, fn: Callable[[DecisionView], Iterable[Pick]]) -> None:
        self.decide = fn


def _construct(cls: type, params: dict[str, Any], name: str) -> Any:
    known = {f.name for f in fields(cls)} if hasattr(cls, "__dataclass_fields__") else set(
        inspect.signature(cls).parameters)
    unknown = sorted(set(params) - known)
    if unknown:
        raise ConfigError(f"strategy {name}: unknown params {unknown}; it takes {sorted(known)}")
    # YAML gives lists; the built-ins keep tuples so they stay hashable
    params = {k: tuple(v) if isinstance(v, list) else v for k, v in params.items()}
    try:
        return cls(**params)
    except (TypeError, ValueError) as err:
        raise ConfigError(f"strategy {name}: {err}") from None


def load_strategy(name: str, params: dict[str, Any] | None = None) -> Strategy:
    """A built-in by name, or a user's strategy by dotted path (see the module docstring)."""
    params = params or {}
    if name in BUILT_IN:
        return _construct(BUILT_IN[name], params, name)
    module, sep, attr = name.partition(":")
    if not sep:
        module, _, attr = name.rpartition(".")
    if not module or not attr:
        raise ConfigError(f"strategy {name!r}: not a built-in ({', '.join(BUILT_IN)}) nor a dotted path module:attr")
    try:
        target = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as err:
        raise ConfigError(f"strategy {name!r} cannot be loaded: {err}") from None
    if inspect.isclass(target):
        strategy = _construct(target, params, name)
    elif callable(target) and not hasattr(target, "decide"):
        if params:
            raise ConfigError(f"strategy {name}: a function strategy takes no params")
        strategy = _FunctionStrategy(target)
    else:
        strategy = target
    if not callable(getattr(strategy, "decide", None)):
        raise ConfigError(f"strategy {name!r} has no decide(view) method")
    return strategy
