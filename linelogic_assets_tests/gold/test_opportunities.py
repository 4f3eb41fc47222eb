"""Market opportunities: cross-book arbitrage and +EV quotes, from hand-built silver odds through the gold chain."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from linelogic_assets.config import GoldSettings
from linelogic_assets.gold.asof import quotes_asof, snapshot_points
from linelogic_assets.gold.consensus import book_lines, consensus
from linelogic_assets.gold.opportunities import OUT_COLUMNS, market_opportunities
from linelogic_assets.gold.schemas import GOLD_SCHEMAS, gold_table
from linelogic_assets.registry.books import SHARP_BOOKS

T0 = pd.Timestamp("2025-01-10 21:00", tz="UTC")
COMMENCE = T0 + pd.Timedelta(hours=3)
MULT = GoldSettings(fair_method="multiplicative")  # fair probabilities easy to check by hand


def q(book: str, market: str, selection: str, price: float, point: float | None = None, *,
      at: pd.Timestamp = T0, event: str = "e1", commence: pd.Timestamp = COMMENCE) -> dict:
    return {"canonical_event_id": event, "bookmaker": book, "market": market, "selection": selection,
            "price": price, "point": np.nan if point is None else point, "snapshot_time_utc": at,
            "commence_time_utc": commence}


def h2h(book: str, home: float, away: float, draw: float | None = None, **kw) -> list[dict]:
    rows = [q(book, "h2h", "home", home, **kw), q(book, "h2h", "away", away, **kw)]
    return rows + ([q(book, "h2h", "draw", draw, **kw)] if draw is not None else [])


def spread(book: str, home_point: float, home: float, away: float, **kw) -> list[dict]:
    return [q(book, "spreads", "home", home, home_point, **kw), q(book, "spreads", "away", away, -home_point, **kw)]


def total(book: str, point: float, over: float, under: float, **kw) -> list[dict]:
    return [q(book, "totals", "over", over, point, **kw), q(book, "totals", "under", under, point, **kw)]


def run(rows: list[dict], settings: GoldSettings = MULT) -> pd.DataFrame:
    odds = pd.DataFrame(rows)
    odds["participant"] = None
    odds["is_live"] = False
    points = snapshot_points(odds)
    quotes = quotes_asof(odds, points, max_age=timedelta(minutes=settings.max_quote_age_minutes))
    lines = book_lines(quotes, settings)
    out = market_opportunities(lines, consensus(lines), settings)
    assert list(out.columns) == OUT_COLUMNS
    return out


def arbs(out: pd.DataFrame) -> pd.DataFrame:
    return out[out["kind"] == "arbitrage"].set_index("selection")


def evs(out: pd.DataFrame) -> pd.DataFrame:
    return out[out["kind"] == "ev"]


def fair_mult(*prices: float) -> list[float]:
    inv = [1 / p for p in prices]
    return [x / sum(inv) for x in inv]


# --- arbitrage -------------------------------------------------------------------------------------


def test_two_book_h2h_arbitrage_legs_margin_and_stakes() -> None:
    out = run(h2h("booka", 2.10, 1.80) + h2h("bookb", 1.85, 2.05))
    a = arbs(out)
    s = 1 / 2.10 + 1 / 2.05
    assert sorted(a.index) == ["away", "home"]
    assert a.loc["home", "bookmaker"] == "booka" and a.loc["home", "price"] == 2.10
    assert a.loc["away", "bookmaker"] == "bookb" and a.loc["away", "price"] == 2.05
    assert a["edge"].to_numpy() == pytest.approx([1 / s - 1] * 2, abs=1e-12)
    assert 1 / s - 1 == pytest.approx(0.03735, abs=1e-5)
    assert a.loc["home", "stake_share"] == pytest.approx((1 / 2.10) / s, abs=1e-12)
    assert a.loc["away", "stake_share"] == pytest.approx((1 / 2.05) / s, abs=1e-12)
    assert a["stake_share"].sum() == pytest.approx(1.0, abs=1e-12)
    payouts = (a["stake_share"] * a["price"]).to_numpy()
    assert payouts == pytest.approx([1 / s, 1 / s], abs=1e-12)  # every leg pays the same
    assert (a["books_compared"] == 2).all()
    assert a["line"].isna().all() and a["point"].isna().all()
    assert a["fair_prob"].isna().all() and a["fair_source"].isna().all()
    assert (a["snapshot_time_utc"] == T0).all() and (a["minutes_to_commence"] == 180.0).all()
    assert (a["canonical_event_id"] == "e1").all() and (a["market"] == "h2h").all()


def test_no_arbitrage_when_booksum_is_at_least_one() -> None:
    # best 2.00 / 2.00: S = 1 exactly, no guaranteed return
    assert arbs(run(h2h("booka", 2.00, 1.90) + h2h("bookb", 1.95, 2.00))).empty
    assert arbs(run(h2h("booka", 1.95, 1.90) + h2h("bookb", 1.90, 1.95))).empty


def test_min_arb_margin_is_respected() -> None:
    rows = h2h("booka", 2.10, 1.80) + h2h("bookb", 1.85, 2.05)  # margin ≈ 3.73 %
    assert arbs(run(rows, GoldSettings(fair_method="multiplicative", min_arb_margin=0.038))).empty
    assert len(arbs(run(rows, GoldSettings(fair_method="multiplicative", min_arb_margin=0.037)))) == 2


def test_best_price_ties_go_to_the_alphabetically_first_book() -> None:
    out = run(h2h("zbook", 2.10, 1.80) + h2h("abook", 2.10, 1.70) + h2h("mbook", 1.85, 2.05))
    a = arbs(out)
    assert a.loc["home", "bookmaker"] == "abook" and a.loc["away", "bookmaker"] == "mbook"
    assert (a["books_compared"] == 3).all()


def test_a_quoted_draw_must_be_covered() -> None:
    # without the draw S ≈ 0.964; the draw at 15 brings it above 1
    assert arbs(run(h2h("booka", 2.10, 2.05) + h2h("bookb", 1.85, 1.80, draw=15.0))).empty
    out = run(h2h("booka", 2.10, 2.05) + h2h("bookb", 1.85, 1.80, draw=40.0))
    a = arbs(out)
    s = 1 / 2.10 + 1 / 2.05 + 1 / 40.0
    assert sorted(a.index) == ["away", "draw", "home"]
    assert a.loc["draw", "bookmaker"] == "bookb"
    assert a["edge"].to_numpy() == pytest.approx([1 / s - 1] * 3, abs=1e-12)
    assert a["stake_share"].sum() == pytest.approx(1.0, abs=1e-12)
    assert (a["stake_share"] * a["price"]).to_numpy() == pytest.approx([1 / s] * 3, abs=1e-12)


def test_spreads_arbitrage_only_within_one_line() -> None:
    # home −5.5 at A and away +6.5 at B would be 2.10 / 2.10, but they are different lines
    rows = spread("booka", -5.5, 2.10, 1.80) + spread("bookb", -6.5, 1.80, 2.10)
    assert arbs(run(rows)).empty
    out = run(rows + spread("bookc", -5.5, 1.75, 2.05))
    a = arbs(out)
    assert sorted(a.index) == ["away", "home"]
    assert (a["line"] == -5.5).all()
    assert a.loc["home", "point"] == -5.5 and a.loc["away", "point"] == 5.5
    assert a.loc["home", "bookmaker"] == "booka" and a.loc["away", "bookmaker"] == "bookc"
    assert (a["books_compared"] == 2).all()  # bookb quotes −6.5 only
    assert a["edge"].iloc[0] == pytest.approx(1 / (1 / 2.10 + 1 / 2.05) - 1, abs=1e-12)


def test_pick_em_spread_sides_share_one_line() -> None:
    a = arbs(run(spread("booka", 0.0, 2.10, 1.80) + spread("bookb", 0.0, 1.85, 2.05)))
    assert sorted(a.index) == ["away", "home"] and (a["line"] == 0.0).all()


def test_totals_arbitrage_only_within_one_line() -> None:
    rows = total("booka", 220.5, 2.10, 1.80) + total("bookb", 221.5, 1.80, 2.10)  # a middle, not an arb
    assert arbs(run(rows)).empty
    a = arbs(run(rows + total("bookc", 221.5, 2.08, 1.75)))
    assert sorted(a.index) == ["over", "under"] and (a["line"] == 221.5).all() and (a["point"] == 221.5).all()
    assert a.loc["over", "bookmaker"] == "bookc" and a.loc["under", "bookmaker"] == "bookb"


def test_exchange_back_prices_count_and_lay_markets_do_not() -> None:
    lay = q("betfair_ex_uk", "h2h_lay", "away", 3.0)
    assert arbs(run(h2h("booka", 2.10, 1.80) + [lay])).empty
    a = arbs(run(h2h("booka", 2.10, 1.80) + h2h("betfair_ex_uk", 1.90, 2.06) + [lay]))
    assert a.loc["away", "bookmaker"] == "betfair_ex_uk" and a.loc["away", "price"] == 2.06


def lines_of(rows: list[dict], settings: GoldSettings = MULT) -> pd.DataFrame:
    odds = pd.DataFrame(rows).assign(participant=None, is_live=False)
    quotes = quotes_asof(odds, snapshot_points(odds), max_age=timedelta(minutes=settings.max_quote_age_minutes))
    return book_lines(quotes, settings)


def test_only_configured_priced_markets() -> None:
    lines = lines_of(h2h("booka", 2.10, 1.80) + h2h("bookb", 1.85, 2.05))
    cons = consensus(lines)
    assert len(arbs(market_opportunities(lines, cons, MULT))) == 2
    assert market_opportunities(lines, cons, GoldSettings(fair_method="multiplicative", markets=["spreads"])).empty
    # a lay market, even one slipped into the lines and the settings, is never a leg or a +EV quote
    lay = lines[lines["bookmaker"] == "bookb"].assign(market="h2h_lay", price=50.0)
    with_lay = GoldSettings(fair_method="multiplicative", markets=["h2h", "h2h_lay"])
    out = market_opportunities(pd.concat([lines[lines["bookmaker"] == "booka"], lay]), cons, with_lay)
    assert arbs(out).empty and not out["market"].eq("h2h_lay").any()


def test_one_as_of_time_under_two_buckets_is_reported_once() -> None:
    lines = lines_of(h2h("booka", 2.10, 1.80) + h2h("bookb", 1.85, 2.05))
    twice = pd.concat([lines, lines.assign(bucket="T60")], ignore_index=True)
    out = market_opportunities(twice, consensus(twice), MULT)
    pd.testing.assert_frame_equal(out, market_opportunities(lines, consensus(lines), MULT))


def test_stale_quote_does_not_make_an_arbitrage() -> None:
    later = T0 + pd.Timedelta(hours=2, minutes=30)
    rows = h2h("booka", 2.30, 1.65) + h2h("bookb", 1.70, 2.20, at=later)  # 2.30 / 2.20 would be an arb
    assert run(rows).empty  # at `later` booka's quote is 150 min old > 120
    lax = GoldSettings(fair_method="multiplicative", max_quote_age_minutes=180)
    a = arbs(run(rows, lax))
    assert (a["snapshot_time_utc"] == later).all() and set(a["bookmaker"]) == {"booka", "bookb"}
    assert (a["minutes_to_commence"] == 30.0).all()


def test_only_pregame_points() -> None:
    rows = (h2h("booka", 2.10, 1.80, at=COMMENCE) + h2h("bookb", 1.85, 2.05, at=COMMENCE)
            + h2h("booka", 2.10, 1.80, at=COMMENCE + pd.Timedelta(minutes=5)))
    assert run(rows).empty


def test_each_point_and_event_is_separate() -> None:
    t1 = T0 + pd.Timedelta(minutes=30)
    rows = (h2h("booka", 2.10, 1.80) + h2h("bookb", 1.85, 1.90)  # no arb at T0
            + h2h("bookb", 1.85, 2.05, at=t1)  # arb at t1 with booka's T0 quote (30 min old)
            + h2h("booka", 2.10, 1.80, event="e2") + h2h("bookb", 1.85, 1.88, event="e2"))  # S > 1
    a = arbs(run(rows))
    assert set(a["snapshot_time_utc"]) == {t1} and set(a["canonical_event_id"]) == {"e1"}
    assert a.loc["home", "bookmaker"] == "booka" and a.loc["away", "price"] == 2.05


# --- +EV -------------------------------------------------------------------------------------------


def test_ev_against_the_sharp_fair_price() -> None:
    out = run(h2h("pinnacle", 1.75, 2.05) + h2h("bookx", 1.90, 1.70))
    e = evs(out)
    p_home = fair_mult(1.75, 2.05)[0]
    assert len(e) == 1
    row = e.iloc[0]
    assert (row["bookmaker"], row["selection"], row["fair_source"]) == ("bookx", "home", "sharp")
    assert row["fair_prob"] == pytest.approx(p_home, abs=1e-12)
    assert row["edge"] == pytest.approx(1.90 * p_home - 1, abs=1e-12)
    assert row["edge"] == pytest.approx(0.02499, abs=1e-4)
    assert row["books_compared"] == 2 and np.isnan(row["stake_share"]) and np.isnan(row["line"])
    assert arbs(out).empty


def test_min_ev_threshold_is_respected() -> None:
    rows = h2h("pinnacle", 1.75, 2.05) + h2h("bookx", 1.90, 1.70)  # edge ≈ 0.02499
    assert len(evs(run(rows, GoldSettings(fair_method="multiplicative", min_ev=0.0249)))) == 1
    assert evs(run(rows, GoldSettings(fair_method="multiplicative", min_ev=0.0251))).empty


def test_uses_the_configured_fair_method() -> None:
    rows = h2h("pinnacle", 1.60, 2.45) + h2h("bookx", 1.80, 1.70)
    add = evs(run(rows, GoldSettings(fair_method="additive", min_ev=0.0)))
    q1, q2 = 1 / 1.60, 1 / 2.45
    p_add = q1 - (q1 + q2 - 1) / 2
    assert add.iloc[0]["fair_prob"] == pytest.approx(p_add, abs=1e-12)
    mult = evs(run(rows, GoldSettings(fair_method="multiplicative", min_ev=0.0)))
    assert mult.iloc[0]["fair_prob"] == pytest.approx(fair_mult(1.60, 2.45)[0], abs=1e-12)


def test_a_sharp_book_is_not_flagged_against_itself() -> None:
    # pinnacle and circa are mirror images: sharp fair 0.5 / 0.5, so each one's 2.10 is "+5 %"
    out = run(h2h("pinnacle", 2.10, 1.75) + h2h("circasports", 1.75, 2.10) + h2h("bookx", 2.10, 1.60))
    e = evs(out)
    assert list(e["bookmaker"]) == ["bookx"] and list(e["selection"]) == ["home"]
    assert e.iloc[0]["fair_source"] == "sharp" and e.iloc[0]["edge"] == pytest.approx(0.05, abs=1e-12)
    assert not e["bookmaker"].isin(SHARP_BOOKS).any()
    a = arbs(out)  # sharp books' prices do count for arbitrage; the 2.10 tie goes to bookx
    assert a.loc["home", "bookmaker"] == "bookx" and a.loc["away", "bookmaker"] == "circasports"


def test_consensus_fallback_uses_the_trimmed_fair_price() -> None:
    # bookc is a consensus outlier: trimmed fair 0.5 → edge 5 %; untrimmed (≈0.485) would give < 2 %
    out = run(h2h("booka", 1.90, 1.90) + h2h("bookb", 1.90, 1.90) + h2h("bookc", 2.10, 1.75))
    e = evs(out)
    assert len(e) == 1
    row = e.iloc[0]
    assert (row["bookmaker"], row["selection"], row["fair_source"]) == ("bookc", "home", "consensus")
    assert row["fair_prob"] == pytest.approx(0.5, abs=1e-12)
    assert row["edge"] == pytest.approx(0.05, abs=1e-12)
    assert row["books_compared"] == 3


def test_no_ev_when_the_point_differs_from_the_sharp_and_consensus_point() -> None:
    rows = (spread("pinnacle", -5.5, 1.91, 1.91) + spread("bookx", -6.5, 2.10, 1.80)
            + spread("booky", -5.5, 2.05, 1.80))
    e = evs(run(rows))
    assert list(e["bookmaker"]) == ["booky"]  # bookx's 2.10 at −6.5 is not priced against a −5.5 fair
    row = e.iloc[0]
    assert row["fair_source"] == "sharp" and row["point"] == -5.5 and row["line"] == -5.5
    assert row["edge"] == pytest.approx(2.05 * 0.5 - 1, abs=1e-12)


def test_totals_consensus_fallback_only_at_the_median_point() -> None:
    rows = (total("booka", 220.5, 1.91, 1.91) + total("bookb", 220.5, 1.91, 1.91)
            + total("booke", 220.5, 1.91, 1.91) + total("bookc", 220.5, 2.05, 1.80)
            + total("bookd", 222.5, 2.20, 1.70))
    e = evs(run(rows))
    assert list(e["bookmaker"]) == ["bookc"] and list(e["selection"]) == ["over"]
    row = e.iloc[0]
    assert row["fair_source"] == "consensus" and row["line"] == 220.5 and row["books_compared"] == 5
    assert row["fair_prob"] == pytest.approx(0.5, abs=1e-12)  # bookc and bookd are trimmed outliers
    assert row["edge"] == pytest.approx(0.025, abs=1e-12)


def test_sharp_books_at_different_points_are_no_sharp_reference() -> None:
    # sharp points −5 and −6: their median −5.5 is nobody's sharp price, so bookx falls back to consensus
    rows = (spread("pinnacle", -5.0, 1.91, 1.91) + spread("circasports", -6.0, 1.91, 1.91)
            + spread("bookx", -5.5, 2.10, 1.70))
    e = evs(run(rows))
    assert list(e["bookmaker"]) == ["bookx"] and e.iloc[0]["fair_source"] == "consensus"


def test_no_opportunities_and_empty_input_keep_the_columns() -> None:
    out = run(h2h("booka", 1.90, 1.90) + h2h("bookb", 1.91, 1.89))
    assert out.empty and list(out.columns) == OUT_COLUMNS
    empty = market_opportunities(pd.DataFrame(), pd.DataFrame(), MULT)
    assert empty.empty and list(empty.columns) == OUT_COLUMNS


def test_output_conforms_to_the_gold_schema() -> None:
    out = run(h2h("pinnacle", 1.75, 2.05) + h2h("bookx", 1.90, 1.70) + h2h("booky", 1.70, 2.30)
              + spread("booka", -5.5, 2.10, 1.80) + spread("bookb", -5.5, 1.85, 2.05))
    assert set(out["kind"]) == {"arbitrage", "ev"}
    table = gold_table("market_opportunities", out.assign(sport="basketball_nba", slate_date=date(2025, 1, 10)))
    assert table.schema.equals(GOLD_SCHEMAS["market_opportunities"]) and table.num_rows == len(out)
    empty = market_opportunities(pd.DataFrame(), pd.DataFrame(), MULT)
    assert gold_table("market_opportunities", empty.assign(sport="x", slate_date=date(2025, 1, 10))).num_rows == 0


# --- scale -----------------------------------------------------------------------------------------


def synthetic_odds(n_events: int, n_snaps: int = 10, seed: int = 7) -> pd.DataFrame:
    """A season-like slate: 8 books (2 sharp, 1 exchange) × 3 markets × 2 sides at every snapshot."""
    books = np.array(["pinnacle", "circasports", "draftkings", "fanduel", "betmgm", "caesars", "betfair_ex_uk",
                      "bovada"], dtype=object)
    rng = np.random.default_rng(seed)
    e, s, b = (a.ravel() for a in np.meshgrid(np.arange(n_events), np.arange(n_snaps), np.arange(len(books)),
                                               indexing="ij"))
    commence = pd.Timestamp("2024-10-22 23:00", tz="UTC") + pd.to_timedelta(e * 3, unit="h")
    snap = commence - pd.to_timedelta((n_snaps - s) * 30, unit="m")
    event = np.char.add("ev", e.astype(str)).astype(object)
    home_spread = -np.round(4 * np.sin(e)) - 0.5 + rng.choice([0.0, 0.0, 0.0, -1.0, 1.0], e.size)
    total_point = 220.5 + rng.choice([0.0, 0.0, 0.0, -1.0, 1.0], e.size)
    frames = []
    for market, sides, point_of in (("h2h", ("home", "away"), lambda side: np.full(e.size, np.nan)),
                                    ("spreads", ("home", "away"), lambda side: home_spread if side == "home"
                                     else -home_spread),
                                    ("totals", ("over", "under"), lambda side: total_point)):
        p = np.clip(0.5 + 0.15 * np.sin(e + len(frames)) + rng.normal(0, 0.015, e.size), 0.05, 0.95)
        for side, prob in zip(sides, (p, 1 - p), strict=True):
            frames.append(pd.DataFrame({
                "canonical_event_id": event, "bookmaker": books[b], "market": market, "selection": side,
                "participant": None, "price": np.round(1 / (prob * 1.045), 2), "point": point_of(side),
                "snapshot_time_utc": snap, "commence_time_utc": commence, "is_live": False}))
    return pd.concat(frames, ignore_index=True)


def test_season_sized_input_runs_and_keeps_the_invariants() -> None:
    settings = GoldSettings()
    odds = synthetic_odds(420)
    quotes = quotes_asof(odds, snapshot_points(odds), max_age=timedelta(minutes=settings.max_quote_age_minutes))
    lines = book_lines(quotes, settings)
    assert len(lines) > 200_000
    out = market_opportunities(lines, consensus(lines), settings)
    assert list(out.columns) == OUT_COLUMNS
    assert set(out["kind"]) == {"arbitrage", "ev"}
    a = out[out["kind"] == "arbitrage"]
    legs = a.groupby(["canonical_event_id", "snapshot_time_utc", "market", "line"], dropna=False)
    assert np.allclose(legs["stake_share"].sum(), 1.0)
    assert (legs["selection"].nunique() == 2).all() and (legs["bookmaker"].size() == 2).all()
    assert np.allclose(a["stake_share"] * a["price"], 1 + a["edge"])  # each leg pays 1/S = 1 + margin
    assert (a["edge"] > settings.min_arb_margin).all()
    spreads = a[a["market"] == "spreads"]
    assert np.allclose(np.where(spreads["selection"] == "home", spreads["point"], -spreads["point"]),
                       spreads["line"])
    e = out[out["kind"] == "ev"]
    assert (e["edge"] >= settings.min_ev).all() and e["fair_source"].isin(["sharp", "consensus"]).all()
    assert np.allclose(e["edge"], e["price"] * e["fair_prob"] - 1)
    assert not (e["bookmaker"].isin(SHARP_BOOKS) & e["fair_source"].eq("sharp")).any()
    assert (out["minutes_to_commence"] > 0).all()
    assert not out.duplicated(["canonical_event_id", "snapshot_time_utc", "market", "kind", "line", "selection",
                               "bookmaker"]).any()
