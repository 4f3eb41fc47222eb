"""Settlement against silver `event_result`: the one grading rule for every bet a backtest places.

- h2h: the higher score wins; a tie pushes a two-way home/away bet (US books grade a tied moneyline as a
  push), loses a home/away bet of a three-way market (one that quotes the draw) and wins a draw bet;
- spreads: the selection's margin plus its point: > 0 wins, 0 pushes (whole-number points), < 0 loses;
- totals: the total against the point, over or under, with a push on the number;
- a postponed or cancelled game is void: the stake comes back;
- a game without a final result yet is open: never counted as a loss.
"""

from __future__ import annotations

import math

from linelogic_assets.backtest.sizing import net_price

VOID_STATUSES = frozenset({"postponed", "cancelled"})


def grade(market: str, selection: str, point: float | None, status: str | None, home_score: float | None,
          away_score: float | None, three_way: bool = False) -> str:
    """win | loss | push | void | open (see the module docstring)."""
    if status in VOID_STATUSES:
        return "void"
    if status != "final" or home_score is None or away_score is None or home_score != home_score \
            or away_score != away_score:
        return "open"
    home, away = float(home_score), float(away_score)
    if market == "h2h":
        if selection == "draw":
            return "win" if home == away else "loss"
        if home == away:
            return "loss" if three_way else "push"
        return "win" if (home > away) == (selection == "home") else "loss"
    if point is None or (isinstance(point, float) and math.isnan(point)):
        return "open"
    if market == "spreads":
        diff = (home - away if selection == "home" else away - home) + point
    elif market == "totals":
        diff = (home + away - point) if selection == "over" else (point - home - away)
    else:
        raise ValueError(f"cannot settle market {market!r}")
    return "win" if diff > 0 else "push" if diff == 0 else "loss"


def payout(result: str, stake: float, price: float, commission: float) -> float | None:
    """What comes back: stake plus winnings after commission, the stake on a push or void, None while open."""
    if result == "win":
        return stake * net_price(price, commission)
    if result in ("push", "void"):
        return stake
    if result == "loss":
        return 0.0
    return None
