"""The no-look-ahead proof of a backtest ledger, recomputed from the ledger and the events alone.

Independent of the engine's loop, so a regression in it is caught:
- no bet's quote, and nothing in the view its strategy saw, is later than the bet's decision time;
- every bet's `bankroll_before` is the starting bankroll plus the profit of exactly the bets on games that
  ended strictly before its decision time, and its `open_exposure_before` the stakes of the bets decided
  earlier on games not ended by then (a game ends at its start plus the league's maximum game length);
- no bet settled before its game ended.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from linelogic_assets.gold.training import game_end

TOLERANCE = 1e-6


def _ns(series: pd.Series) -> np.ndarray:
    return pd.to_datetime(series, utc=True).astype("datetime64[ns, UTC]").astype("int64").to_numpy()


def lookahead_findings(bets: pd.DataFrame, events: pd.DataFrame, game_minutes: int,
                       starting_bankroll: float) -> dict[str, object]:
    """Counts of each kind of look-ahead (all zero for a clean ledger) and a few example bet ids."""
    out: dict[str, object] = {"bets": len(bets)}
    if bets.empty:
        return {**out, "quote_after_decision": 0, "view_after_decision": 0, "bankroll_not_asof": 0,
                "exposure_not_asof": 0, "settled_before_end": 0, "examples": []}
    decided = _ns(bets["decision_time_utc"])
    quote_late = _ns(bets["snapshot_time_utc"]) > decided
    view = bets["view_latest_snapshot_utc"]
    view_late = view.notna().to_numpy() & (_ns(view.fillna(bets["decision_time_utc"])) > decided)

    ev = events.drop_duplicates("canonical_event_id").reset_index(drop=True)
    end_of = pd.Series(game_end(ev, game_minutes).to_numpy(), index=ev["canonical_event_id"])
    ends = _ns(bets["canonical_event_id"].map(end_of))
    settled = bets["profit"].notna().to_numpy()
    profit = bets["profit"].fillna(0.0).to_numpy(float)
    stake = bets["stake"].to_numpy(float)

    # bankroll known at t: start + Σ profit of settled bets whose game ended strictly before t
    order = np.argsort(np.where(settled, ends, np.iinfo(np.int64).max), kind="stable")
    end_sorted = np.where(settled, ends, np.iinfo(np.int64).max)[order]
    cum_profit = np.r_[0.0, np.cumsum(profit[order])]
    cum_stake_ended = np.r_[0.0, np.cumsum(np.where(settled, stake, 0.0)[order])]
    k = np.searchsorted(end_sorted, decided, side="left")
    expected_bankroll = starting_bankroll + cum_profit[k]
    # exposure at t: stakes decided strictly before t, minus those whose game ended (settled) before t
    dec_order = np.argsort(decided, kind="stable")
    cum_stake_decided = np.r_[0.0, np.cumsum(stake[dec_order])]
    j = np.searchsorted(decided[dec_order], decided, side="left")
    expected_exposure = cum_stake_decided[j] - cum_stake_ended[k]

    bankroll_bad = np.abs(bets["bankroll_before"].to_numpy(float) - expected_bankroll) > TOLERANCE * max(
        1.0, starting_bankroll)
    exposure_bad = np.abs(bets["open_exposure_before"].to_numpy(float) - expected_exposure) > TOLERANCE * max(
        1.0, starting_bankroll)
    settled_at = bets["settled_at_utc"]
    early = settled_at.notna().to_numpy() & (_ns(settled_at.fillna(bets["decision_time_utc"])) < ends)
    bad = quote_late | view_late | bankroll_bad | exposure_bad | early
    return {**out, "quote_after_decision": int(quote_late.sum()), "view_after_decision": int(view_late.sum()),
            "bankroll_not_asof": int(bankroll_bad.sum()), "exposure_not_asof": int(exposure_bad.sum()),
            "settled_before_end": int(early.sum()),
            "examples": [int(b) for b in bets.loc[bad, "bet_id"].head(5)]}


def is_clean(findings: dict[str, object]) -> bool:
    return all(findings[k] == 0 for k in ("quote_after_decision", "view_after_decision", "bankroll_not_asof",
                                         "exposure_not_asof", "settled_before_end"))
