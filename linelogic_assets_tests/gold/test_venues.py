"""`gold.venues.venue_odds`: a venue's book reads as sportsbook-shaped quotes (sweeps, taker odds, liveness)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from linelogic_assets.gold.venues import SWEEP_GAP, VENUE_ODDS_COLUMNS, venue_odds
from linelogic_assets.odds_math import taker_decimal_odds

T0 = pd.Timestamp("2025-11-11 22:00", tz="UTC")
COMMENCE = T0 + pd.Timedelta(hours=2)
S = pd.Timedelta(seconds=1)


def markets(fee: float = 0.03) -> pd.DataFrame:
    rows = [("m-h2h", "h2h", "home", None, "h"), ("m-h2h", "h2h", "away", None, "a"),
            ("m-tot", "totals", "over", 224.5, "o"), ("m-tot", "totals", "under", 224.5, "u"),
            ("m-x", "h2h", "home", None, "unmatched")]
    return pd.DataFrame([{"venue": "polymarket", "sport": "basketball_nba",
                          "canonical_event_id": None if t == "unmatched" else "e1", "provider_market_id": m,
                          "market": k, "selection": sel, "point": p, "token_id": t, "fee_rate": fee}
                         for m, k, sel, p, t in rows])


def reads(*rows: tuple[str, pd.Timestamp, float, str]) -> pd.DataFrame:
    return pd.DataFrame([{"token_id": t, "ts_utc": at, "price": p, "size": 10.0, "source": s} for t, at, p, s in rows])


EVENTS = pd.DataFrame({"canonical_event_id": ["e1"], "commence_time_utc": [COMMENCE]})


def test_one_sweep_is_one_quote_stamped_at_its_last_read_at_the_taker_odds() -> None:
    out = venue_odds(markets(), reads(("h", T0, 0.40, "ask"), ("a", T0 + 3 * S, 0.62, "ask"),
                                      ("h", T0, 0.38, "bid"), ("a", T0, 0.60, "mid"), ("unmatched", T0, 0.5, "ask")),
                     EVENTS)
    assert list(out.columns) == VENUE_ODDS_COLUMNS
    assert out[["selection", "snapshot_time_utc"]].values.tolist() == [["away", T0 + 3 * S], ["home", T0 + 3 * S]]
    price = dict(zip(out["selection"], out["price"], strict=True))
    assert price == pytest.approx({"home": taker_decimal_odds(0.40, 0.03), "away": taker_decimal_odds(0.62, 0.03)})
    assert (out["bookmaker"] == "polymarket").all() and not out["is_live"].any()
    assert (out["commence_time_utc"] == COMMENCE).all()
    assert np.allclose(out["price_american"], [-100 / (p - 1) if p < 2 else 100 * (p - 1) for p in out["price"]],
                       atol=0.01)


def test_a_token_read_again_or_after_the_gap_starts_the_next_sweep() -> None:
    gap = SWEEP_GAP + S
    out = venue_odds(markets(), reads(("h", T0, 0.40, "ask"), ("a", T0 + S, 0.62, "ask"),
                                      ("h", T0 + 10 * S, 0.41, "ask"), ("a", T0 + 11 * S, 0.61, "ask"),  # chained
                                      ("h", T0 + 11 * S + gap, 0.45, "ask")), EVENTS)
    stamps = out.groupby("snapshot_time_utc")["selection"].apply(sorted).to_dict()
    assert stamps == {T0 + S: ["away", "home"], T0 + 11 * S: ["away", "home"], T0 + 11 * S + gap: ["home"]}


def test_markets_of_one_event_sweep_apart_and_no_fee_is_no_fee() -> None:
    out = venue_odds(markets(fee=0.0), reads(("h", T0, 0.40, "ask"), ("o", T0 + 30 * S, 0.51, "ask")), EVENTS)
    assert dict(zip(out["market"], out["snapshot_time_utc"], strict=True)) == {"h2h": T0, "totals": T0 + 30 * S}
    assert dict(zip(out["market"], out["price"], strict=True)) == pytest.approx({"h2h": 2.5, "totals": 1 / 0.51})
    assert out.loc[out["market"] == "totals", "point"].tolist() == [224.5]


def test_an_ask_of_one_wins_nothing_and_a_read_after_the_start_is_live() -> None:
    out = venue_odds(markets(), reads(("h", T0, 1.0, "ask"), ("a", COMMENCE + S, 0.30, "ask")), EVENTS)
    assert out["selection"].tolist() == ["away"] and out["is_live"].tolist() == [True]


@pytest.mark.parametrize("prices", [reads(), reads(("h", T0, 0.4, "history"))])
def test_no_book_read_is_no_quote(prices: pd.DataFrame) -> None:
    out = venue_odds(markets(), prices if len(prices) else pd.DataFrame(columns=["token_id", "ts_utc", "price",
                                                                                  "size", "source"]), EVENTS)
    assert out.empty and list(out.columns) == VENUE_ODDS_COLUMNS
