"""Stakes: flat, percentage of bankroll or fractional Kelly, then the caps, rounding and minimum stake.

Every rule sizes from the bankroll known at the decision time (settled results only; see `engine`), and all the
bets decided at one instant are sized from the same bankroll. An opportunity whose Kelly stake is zero or
negative is never bet, and a stake below the minimum is dropped, never raised to it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from linelogic_assets.backtest.spec import Limits, Sizing


def net_price(price: float, commission: float) -> float:
    """Decimal price after commission on net winnings: 1 + (price − 1)(1 − commission)."""
    return 1.0 + (price - 1.0) * (1.0 - commission)


def kelly_fraction(price: float, prob: float, commission: float = 0.0) -> float:
    """Full-Kelly share of the bankroll, (p·o − 1) / (o − 1) on the price net of commission; ≤ 0: no bet."""
    o = net_price(price, commission)
    if not (o > 1.0 and 0.0 <= prob <= 1.0):
        return 0.0
    return (prob * o - 1.0) / (o - 1.0)


@dataclass
class Proposal:
    """One bet to size: a single pick, or every leg of a group (shares sum to 1)."""

    event: str
    books: Sequence[str]
    shares: Sequence[float]
    price: float  # single picks: the decimal price; groups: unused
    prob: float
    commission: float
    kelly: float = math.nan  # full-Kelly fraction (single picks under Kelly sizing)
    total: float = 0.0  # the stake over all legs, once sized
    skipped: str = ""  # why it was not placed


def round_down(x: float, step: float) -> float:
    return round(math.floor(x / step + 1e-9) * step, 10)


def size_batch(proposals: list[Proposal], bankroll: float, open_exposure: float, event_exposure: dict[str, float],
               sizing: Sizing, limits: Limits) -> list[list[float]]:
    """Leg stakes for each proposal (empty when not placed, with `skipped` set), all from one bankroll."""
    if bankroll <= 0:
        for p in proposals:
            p.skipped = "no bankroll"
        return [[] for _ in proposals]
    for p in proposals:
        if sizing.kind == "flat":
            p.total = sizing.value
        elif sizing.kind == "percent":
            p.total = sizing.value / 100.0 * bankroll
        elif len(p.shares) > 1:  # an arbitrage cannot lose: Kelly would stake everything, the per-bet cap decides
            p.total = limits.max_bet_fraction * bankroll
        else:
            p.kelly = kelly_fraction(p.price, p.prob, p.commission)
            if not p.kelly > 0:
                p.skipped = "kelly <= 0"
                p.total = 0.0
                continue
            p.total = sizing.value * p.kelly * bankroll
        p.total = min(p.total, limits.max_bet_fraction * bankroll)
        for book, share in zip(p.books, p.shares, strict=True):
            cap = limits.max_stake_per_book.get(book)
            if cap is not None and share > 0:
                p.total = min(p.total, cap / share)
    live = [p for p in proposals if not p.skipped]
    for event in {p.event for p in live}:  # everything open on one game
        mine = [p for p in live if p.event == event]
        room = max(0.0, limits.max_event_fraction * bankroll - event_exposure.get(event, 0.0))
        _scale(mine, room)
    room = max(0.0, min(limits.max_open_exposure_fraction, 1.0) * bankroll - open_exposure)
    _scale(live, room)  # everything open at once, never more than the bankroll
    out = []
    for p in proposals:
        legs = [round_down(p.total * s, limits.stake_rounding) for s in p.shares] if not p.skipped else []
        if legs and (min(legs) <= 0 or min(legs) < limits.min_stake):
            p.skipped = "below min_stake"
            legs = []
        out.append(legs)
    return out


def _scale(props: list[Proposal], room: float) -> None:
    want = sum(p.total for p in props)
    if want > room and want > 0:
        for p in props:
            p.total *= room / want
