"""Every recorded Polymarket response normalises, with its known anomalies handled."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest

from linelogic_assets.providers.polymarket import normalise as N
from linelogic_assets.providers.polymarket.schemas import SCHEMAS
from linelogic_assets_tests.conftest import FIXTURES

PM = FIXTURES / "polymarket"
EVENTS = "gamma_events_oldest_page_2021-22_nba_nfl_amm.json"
TOKEN = "28182404005967940652495463228537840901055649726248190462854914416579180110833"


def load(name: str):
    return json.loads((PM / name).read_text())


def test_every_polymarket_fixture_is_covered_here():
    assert sorted(p.name for p in PM.glob("*.json")) == sorted([
        EVENTS, "gamma_sports.json", "clob_prices_history_empty_interval_all.json",
        "clob_prices_history_interval_1d_mstr_2026_yes.json", "clob_prices_history_interval_1h_mstr_2026_yes.json"])


@pytest.mark.parametrize(("sport", "games"), [("basketball_nba", {"2890", "2894", "2896"}),
                                               ("americanfootball_nfl", {"2891", "2892", "2895", "2897", "2899"})])
def test_legacy_events_page_normalises(sport, games):
    body = load(EVENTS)
    frame, rejected = N.market_rows(body, sport)
    assert list(frame.columns) == SCHEMAS["prediction_market"].names
    assert set(frame["provider_event_id"]) == games and len(frame) == 2 * len(games)
    # every market of the page is a row or a rejection with a reason
    assert len(games) + len(rejected) == sum(len(e["markets"]) for e in body)
    kinds = {r.provider_event_id: r.kind for r in rejected}
    assert kinds["2893"] == kinds["2898"] == "not_game"  # chess, box office
    assert {k for e, k in kinds.items() if e not in ("2893", "2898")} == {"other_league"}
    assert all(r.reason and "\n" not in r.reason for r in rejected)
    # 40-digit outcomePrices, string market volume, non-ISO closedTime
    assert frame["outcome_price"].between(0, 1).all() and frame["outcome_price"].min() < 1e-6
    assert frame["volume"].dtype == float and (frame["volume"] > 0).all()
    assert frame["closed_time_utc"].notna().all() and frame["closed"].all()
    assert frame["market"].eq("spreads").all() and frame["selection"].isna().all()
    assert frame.groupby("provider_market_id")["point"].sum().eq(0).all()  # -line on Yes, +line on No


def test_legacy_market_details():
    frame, _ = N.market_rows(load(EVENTS), "basketball_nba")
    yes = frame[frame["token_id"] == TOKEN].iloc[0]
    assert (yes.outcome, yes.team_id, yes.point, yes.game_date) == ("Yes", "nba-dal", -5.5, date(2021, 12, 4))
    assert yes.volume == 1335.045385 and yes.closed_time_utc == pd.Timestamp("2021-12-05 20:37:01", tz="UTC")
    assert yes.outcome_price == pytest.approx(4.113679809846114e-07)
    assert pd.isna(yes.game_start_utc)  # AMM markets carry no game start


@pytest.mark.parametrize("name", ["clob_prices_history_interval_1d_mstr_2026_yes.json",
                                  "clob_prices_history_interval_1h_mstr_2026_yes.json"])
def test_history_fixtures_lose_exactly_their_duplicate_timestamp(name):
    body = load(name)
    points = body["history"]
    dups = len(points) - len({p["t"] for p in points})
    assert dups == 1
    frame, rejected = N.history_rows(TOKEN, body)
    assert rejected == [] and len(frame) == len(points) - dups
    assert frame["ts_utc"].is_unique and frame["ts_utc"].is_monotonic_increasing
    assert frame["price"].between(0, 1).all()
    last = {p["t"]: p["p"] for p in points}  # the last point of each t
    assert frame["price"].tolist() == [last[t] for t in sorted(last)]


def test_empty_history_fixture_is_an_empty_frame_with_the_schema():
    frame, rejected = N.history_rows(TOKEN, load("clob_prices_history_empty_interval_all.json"))
    assert frame.empty and rejected == []
    assert list(frame.columns) == SCHEMAS["prediction_price"].names
    assert str(frame["ts_utc"].dtype) == "datetime64[us, UTC]"


def test_gamma_sports_parses_with_comma_joined_tags():
    sports, rejected = N.sports_rows(load("gamma_sports.json"))
    assert rejected == [] and len(sports) == 129
    nba = next(s for s in sports if s.sport == "nba")
    assert (nba.series_id, nba.tag_ids, nba.ordering) == ("10345", ("1", "745", "100639"), "away")
    assert all(s.ordering == "away" for s in sports if s.sport in ("nba", "nfl", "mlb", "nhl"))
