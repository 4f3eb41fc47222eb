"""Matching Polymarket game markets to canonical events: teams, ±24 h of noon UTC, uniqueness."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from linelogic_assets.providers.polymarket.matching import match_markets
from linelogic_assets.providers.polymarket.normalise import default_index, market_rows
from linelogic_assets.silver.schemas import SCHEMAS
from linelogic_assets_tests.conftest import FIXTURES
from linelogic_assets_tests.providers.polymarket.test_normalise import game_event

NOW = datetime(2026, 1, 22, tzinfo=UTC)
NOON = datetime(2026, 1, 20, 12, tzinfo=UTC)  # noon UTC on the ticker's date 2026-01-20
INDEX = default_index("nba")


def events(*rows: tuple[str, str, str, datetime]) -> pd.DataFrame:
    """Silver `event` rows (the columns matching reads): (id, home, away, commence)."""
    return pd.DataFrame([{"canonical_event_id": cid, "sport": "basketball_nba", "league": "nba", "home_team_id": h,
                          "away_team_id": a, "commence_time_utc": start} for cid, h, a, start in rows],
                        columns=["canonical_event_id", "sport", "league", "home_team_id", "away_team_id",
                                 "commence_time_utc"])


def markets(*evs: dict) -> pd.DataFrame:
    frame, rejected = market_rows(list(evs), "basketball_nba")
    assert rejected == []
    return frame


def match(frame: pd.DataFrame, canon: pd.DataFrame):
    out = match_markets(frame, canon, INDEX, now=NOW)
    assert len(out.matched) + len(out.quarantined) == len(frame)  # every row ends somewhere
    return out


def test_unique_match_by_ticker_teams_and_date():
    out = match(markets(game_event()), events(("nba-e1", "nba-phi", "nba-phx", datetime(2026, 1, 21, 0, 10,
                                                                                        tzinfo=UTC))))
    assert out.quarantined.empty and len(out.matched) == 6
    assert set(out.matched["canonical_event_id"]) == {"nba-e1"}
    assert set(out.matched["match_method"]) == {"ticker_teams_date"} and set(out.matched["match_confidence"]) == {1.0}
    pm = out.provider_map
    assert list(pm.columns) == SCHEMAS["event_provider_map"].names and len(pm) == 1
    row = pm.iloc[0]
    assert (row.provider, row.provider_event_id, row.canonical_event_id, row.match_method, row.match_confidence,
            bool(row.home_away_swapped)) == ("polymarket", "90001", "nba-e1", "ticker_teams_date", 1.0, False)
    assert row.provider_start_utc == pd.Timestamp("2026-01-21 00:10", tz="UTC")


@pytest.mark.parametrize(("offset", "matches"), [
    (timedelta(hours=24), True), (timedelta(hours=24, seconds=1), False),
    (-timedelta(hours=24), True), (-timedelta(hours=24, seconds=1), False),
])
def test_window_is_24_hours_either_side_of_noon_utc_on_the_ticker_date(offset, matches):
    out = match(markets(game_event()), events(("nba-e1", "nba-phi", "nba-phx", NOON + offset)))
    assert (len(out.matched) == 6) is matches
    if not matches:
        assert out.quarantined["reason"].str.startswith("no canonical event for nba-phx @ nba-phi").all()


def test_swapped_orientation_matches_flagged_and_reoriented():
    out = match(markets(game_event()), events(("nba-e1", "nba-phx", "nba-phi", datetime(2026, 1, 21, 0, 10,
                                                                                        tzinfo=UTC))))
    m = out.matched
    assert set(m["match_confidence"]) == {0.8} and m["home_away_swapped"].all()
    assert bool(out.provider_map.iloc[0].home_away_swapped) and out.provider_map.iloc[0].match_confidence == 0.8
    # the canonical event decides home/away; each point stays with its team
    suns = m[(m["market"] == "spreads") & (m["outcome"] == "Suns")].iloc[0]
    assert (suns.selection, suns.point, suns.team_id, suns.home_team_id) == ("home", 1.5, "nba-phx", "nba-phx")
    assert set(m.loc[m["market"] == "totals", "selection"]) == {"over", "under"}


def test_two_candidate_events_are_ambiguous_and_quarantined():
    start = datetime(2026, 1, 21, 0, 10, tzinfo=UTC)
    out = match(markets(game_event()), events(("nba-e1", "nba-phi", "nba-phx", start),
                                              ("nba-e2", "nba-phx", "nba-phi", start + timedelta(hours=3))))
    assert out.matched.empty and out.provider_map.empty
    assert out.quarantined["reason"].str.startswith("2 canonical events for nba-phx @ nba-phi").all()


def test_unknown_ticker_team_is_quarantined():
    event = game_event(ticker="nba-xyz-phi-2026-01-20", title="Xyz vs. 76ers")
    event["markets"] = [event["markets"][2]]  # the total names no team of its own
    out = match(markets(event), events(("nba-e1", "nba-phi", "nba-phx", datetime(2026, 1, 21, tzinfo=UTC))))
    assert out.matched.empty
    assert out.quarantined["reason"].str.contains("unknown team").all()
    assert out.quarantined["reason"].str.contains("xyz").all()


def test_other_teams_or_league_do_not_match():
    start = datetime(2026, 1, 21, 0, 10, tzinfo=UTC)
    canon = events(("nba-e1", "nba-phi", "nba-bos", start))
    canon.loc[len(canon)] = {"canonical_event_id": "nfl-e2", "sport": "americanfootball_nfl", "league": "nfl",
                             "home_team_id": "nba-phi", "away_team_id": "nba-phx", "commence_time_utc": start}
    out = match(markets(game_event()), canon)
    assert out.matched.empty and len(out.quarantined) == 6


def test_legacy_market_takes_its_orientation_from_the_canonical_event():
    body = json.loads((FIXTURES / "polymarket" / "gamma_events_oldest_page_2021-22_nba_nfl_amm.json").read_text())
    frame, _ = market_rows(body, "basketball_nba")
    mavs = frame[frame["provider_event_id"] == "2890"]
    assert mavs["selection"].isna().all()
    # Mavericks at Grizzlies, 8 pm ET on 2021-12-04
    out = match(mavs, events(("nba-g", "nba-mem", "nba-dal", datetime(2021, 12, 5, 1, tzinfo=UTC))))
    got = {r.outcome: (r.selection, r.point, r.team_id) for r in out.matched.itertuples()}
    assert got == {"Yes": ("away", -5.5, "nba-dal"), "No": ("home", 5.5, "nba-mem")}
    assert set(out.matched["match_method"]) == {"question_teams_date"}
    assert not out.matched["home_away_swapped"].any()
    # the other legacy games have no canonical event here
    rest = match(frame[frame["provider_event_id"] != "2890"], events())
    assert rest.matched.empty and rest.quarantined["reason"].str.startswith("no canonical event").all()


def test_empty_inputs():
    out = match(markets(), events())
    assert out.matched.empty and out.quarantined.empty and out.provider_map.empty
