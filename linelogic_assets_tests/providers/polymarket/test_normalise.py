"""Polymarket normaliser: classification, points on the sportsbook convention, prices and books."""

from __future__ import annotations

import copy
import json
import re
from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
import pytest

from linelogic_assets.odds_math import taker_decimal_odds
from linelogic_assets.providers.polymarket import normalise as N
from linelogic_assets.providers.polymarket.schemas import DESCRIPTIONS, SCHEMAS, empty_frame


def game_event(ticker: str = "nba-phx-phi-2026-01-20", title: str = "Suns vs. 76ers", eid: str = "90001",
               start: str = "2026-01-21 00:10:00+00") -> dict:
    """A current NBA game event as Gamma shapes it: moneyline, spread and total markets."""
    def market(mid, question, group, smt, line, outcomes, tokens, prices):
        return {"id": mid, "question": question, "groupItemTitle": group, "sportsMarketType": smt, "line": line,
                "outcomes": json.dumps(outcomes), "outcomePrices": json.dumps(prices),
                "clobTokenIds": json.dumps(tokens), "gameStartTime": start, "volume": "1000.5", "closed": False,
                "umaResolutionStatuses": "[]"}

    return {
        "id": eid, "ticker": ticker, "slug": ticker, "title": title, "seriesSlug": "nba", "volume": 12345.6,
        "markets": [
            market(f"{eid}1", "Suns vs. 76ers", "Winner", "moneyline", None, ["Suns", "76ers"],
                   [f"{eid}11", f"{eid}12"], ["0.45", "0.55"]),
            market(f"{eid}2", "Spread: 76ers (-1.5)", "Spread -1.5", "spreads", -1.5, ["76ers", "Suns"],
                   [f"{eid}21", f"{eid}22"], ["0.5", "0.5"]),
            market(f"{eid}3", "Suns vs. 76ers: O/U 224.5", "O/U 224.5", "totals", 224.5, ["Over", "Under"],
                   [f"{eid}31", f"{eid}32"], ["0.52", "0.48"]),
        ],
    }


def bare(market: dict, *drop: str) -> dict:
    """The market without the named classification fields (a trimmed capture)."""
    return {k: v for k, v in market.items() if k not in drop}


def by_outcome(frame: pd.DataFrame, market: str) -> dict[str, pd.Series]:
    return {r.outcome: r for r in frame[frame["market"] == market].itertuples()}


# -- low-level readers --------------------------------------------------------------------------------

def test_decode_json_list_decodes_encoded_strings_and_accepts_lists():
    assert N.decode_json_list('["Yes", "No"]') == ["Yes", "No"]
    assert N.decode_json_list(["a"]) == ["a"]
    for bad in ('{"a": 1}', "[1,", 5, None, "NaN"):
        with pytest.raises(N.PolymarketParseError) as err:
            N.decode_json_list(bad)
        assert isinstance(err.value, ValueError) and "\n" not in str(err.value)


@pytest.mark.parametrize(("value", "expected"), [
    ("2026-01-21T00:10:00Z", datetime(2026, 1, 21, 0, 10, tzinfo=UTC)),
    ("2021-12-05 20:37:01+00", datetime(2021, 12, 5, 20, 37, 1, tzinfo=UTC)),
    ("2026-02-06 03:00:00+00", datetime(2026, 2, 6, 3, tzinfo=UTC)),
    ("2021-12-04", datetime(2021, 12, 4, tzinfo=UTC)),
    (1770476912, datetime(2026, 2, 7, 15, 8, 32, tzinfo=UTC)),
    ("1770476912", datetime(2026, 2, 7, 15, 8, 32, tzinfo=UTC)),
    (1770476912123, datetime(2026, 2, 7, 15, 8, 32, 123000, tzinfo=UTC)),  # milliseconds
    (None, None), ("", None),
])
def test_parse_pm_time_reads_every_polymarket_form(value, expected):
    assert N.parse_pm_time(value) == expected


@pytest.mark.parametrize("bad", ["2026-02-06 03:00:00", "yesterday", "2024-02-30", True, float("nan"), [1]])
def test_parse_pm_time_refuses_naive_and_garbage(bad):
    with pytest.raises(N.PolymarketParseError):
        N.parse_pm_time(bad)


def test_parse_ticker():
    assert N.parse_ticker("nba-phx-phi-2026-01-20") == N.Ticker("nba", "phx", "phi", date(2026, 1, 20))
    assert N.parse_ticker("mlb-nym-phi-2026-06-21-2").game_number == 2
    for bad in ("nba-will-the-mavericks-beat-the-grizzlies", "epl-ful-che-2026-08-24", "nba-phx-phi-2026-02-30", 7):
        assert N.parse_ticker(bad) is None


def test_team_nicknames_resolve_through_the_registry():
    index = N.default_index("nba")
    assert N.resolve_team(index, "Suns").id == "nba-phx"
    assert N.resolve_team(index, "76ers").id == "nba-phi"
    assert N.resolve_team(index, "phx").id == "nba-phx"
    assert N.resolve_team(index, "Sunz") is None


# -- classification -----------------------------------------------------------------------------------

def test_current_game_event_normalises_on_the_sportsbook_convention():
    frame, rejected = N.market_rows([game_event()], "basketball_nba")
    assert rejected == []
    assert len(frame) == 6
    h2h, spread, total = by_outcome(frame, "h2h"), by_outcome(frame, "spreads"), by_outcome(frame, "totals")
    assert (h2h["Suns"].selection, h2h["Suns"].team_id, h2h["76ers"].selection) == ("away", "nba-phx", "home")
    assert pd.isna(h2h["Suns"].point)
    # home favourite of 1.5: -1.5 on home, +1.5 on away
    assert (spread["76ers"].selection, spread["76ers"].point) == ("home", -1.5)
    assert (spread["Suns"].selection, spread["Suns"].point) == ("away", 1.5)
    assert (total["Over"].selection, total["Over"].point, total["Under"].selection, total["Under"].point) == (
        "over", 224.5, "under", 224.5)
    assert set(frame["classified_by"]) == {"sportsMarketType"}
    assert set(frame["game_start_utc"]) == {pd.Timestamp("2026-01-21 00:10", tz="UTC")}
    assert set(frame["game_date"]) == {date(2026, 1, 20)}  # the ticker's US date, not the UTC one
    assert set(frame["home_team_id"]) == {"nba-phi"} and set(frame["away_team_id"]) == {"nba-phx"}
    assert frame["token_id"].map(type).eq(str).all() and "9000121" in set(frame["token_id"])
    assert frame["volume"].eq(1000.5).all() and frame["canonical_event_id"].isna().all()


def test_away_favourite_gets_the_negative_line():
    event = game_event()
    event["markets"][1].update(question="Spread: Suns (-3.5)", groupItemTitle="Spread -3.5", line=-3.5,
                               outcomes='["Suns", "76ers"]')
    spread = by_outcome(N.market_rows([event], "basketball_nba")[0], "spreads")
    assert (spread["Suns"].selection, spread["Suns"].point) == ("away", -3.5)
    assert (spread["76ers"].selection, spread["76ers"].point) == ("home", 3.5)


def test_spread_question_reads_the_line_in_parentheses_not_the_digits_of_the_team_name():
    question = "Spread: 76ers (-1.5)"
    assert float(re.search(r"Spread:\s*([+-]?\d+\.?\d*)", question).group(1)) == 76  # the peer bug
    event = game_event()
    market = bare(event["markets"][1], "sportsMarketType", "line", "groupItemTitle")
    c = N.classify(market, event)
    assert (c.market, c.line, c.classified_by) == ("spreads", -1.5, "question")
    assert {s.outcome: s.point for s in c.sides} == {"76ers": -1.5, "Suns": 1.5}


def test_nfl_spread_question_with_a_digit_team_name():
    event = {"id": "1", "ticker": "nfl-gb-sf-2026-09-27", "title": "Packers vs. 49ers", "markets": []}
    market = {"question": "Spread: 49ers (-3.5)", "outcomes": '["49ers", "Packers"]'}
    c = N.classify(market, event)
    assert {s.selection: s.point for s in c.sides} == {"home": -3.5, "away": 3.5}


def test_sports_market_type_beats_the_question():
    event = game_event()
    market = {**event["markets"][2], "question": "Suns vs. 76ers", "groupItemTitle": ""}
    c = N.classify(market, event)
    assert (c.market, c.line, c.classified_by) == ("totals", 224.5, "sportsMarketType")


def test_group_item_title_beats_the_question():
    event = game_event()
    market = {**bare(event["markets"][2], "sportsMarketType", "line"), "question": "Suns vs. 76ers"}
    c = N.classify(market, event)
    assert (c.market, c.line, c.classified_by) == ("totals", 224.5, "groupItemTitle")
    spread = {**bare(event["markets"][1], "sportsMarketType", "line"), "question": "Suns vs. 76ers"}
    c = N.classify(spread, event)
    assert (c.market, c.classified_by) == ("spreads", "groupItemTitle")
    assert {s.outcome: s.point for s in c.sides} == {"76ers": -1.5, "Suns": 1.5}


def test_question_alone_classifies_moneyline_and_total():
    event = game_event()
    h2h = N.classify(bare(event["markets"][0], "sportsMarketType", "groupItemTitle"), event)
    total = N.classify(bare(event["markets"][2], "sportsMarketType", "groupItemTitle", "line"), event)
    assert (h2h.market, h2h.classified_by, total.market, total.line) == ("h2h", "question", "totals", 224.5)


def test_an_unknown_sports_market_type_is_rejected_not_read_from_the_question():
    event = game_event()
    c, reason = N.classify_reason({**event["markets"][0], "sportsMarketType": "first_half_moneyline"}, event)
    assert c is None and "first_half_moneyline" in reason


def test_sources_disagreeing_on_the_line_are_rejected():
    event = game_event()
    c, reason = N.classify_reason({**event["markets"][1], "question": "Spread: 76ers (-2.5)"}, event)
    assert c is None and "disagrees" in reason


def test_title_gives_the_orientation_without_a_ticker():
    event = game_event(ticker="some-old-slug")
    event["seriesSlug"] = "nba"
    c = N.classify(event["markets"][0], event)
    assert (c.orientation, c.away.id, c.home.id) == ("title", "nba-phx", "nba-phi")
    assert c.game_date == date(2026, 1, 20)  # slate date of the start in New York


def test_legacy_yes_no_spread_leaves_orientation_to_matching():
    event = {"id": "2890", "ticker": "nba-will-the-mavericks-beat-the-grizzlies-by-more-than-5pt5-points",
             "title": "NBA: Will the Mavericks beat the Grizzlies by more than 5.5 points in their December 4 matchup?",
             "seriesSlug": "nba", "endDate": "2021-12-04T00:00:00Z", "markets": []}
    market = {"question": event["title"], "outcomes": '["Yes", "No"]', "endDate": "2021-12-04T00:00:00Z"}
    c = N.classify(market, event)
    assert (c.market, c.classified_by, c.orientation, c.game_date) == ("spreads", "question", None, date(2021, 12, 4))
    assert [(s.outcome, s.team.id, s.point, s.selection) for s in c.sides] == [
        ("Yes", "nba-dal", -5.5, None), ("No", "nba-mem", 5.5, None)]
    whole = N.classify({**market, "question": "Will the Mavericks beat the Grizzlies by more than 5 points?"}, event)
    assert [s.point for s in whole.sides] == [-5.5, 5.5]  # "more than 5" is a 6-point win: -5.5


def test_unknown_team_and_non_game_markets_are_rejected_with_a_reason():
    event = game_event()
    event["markets"][0]["outcomes"] = '["Sunz", "76ers"]'
    event["markets"].append({"id": "x", "question": "Will 'Lightyear' gross more than $90 million?",
                             "outcomes": '["Yes", "No"]', "clobTokenIds": '["1", "2"]'})
    frame, rejected = N.market_rows([event], "basketball_nba")
    assert len(frame) == 4
    reasons = {r.provider_market_id: r.reason for r in rejected}
    assert "unknown team 'Sunz'" in reasons["900011"]
    assert "not a game" in reasons["x"]
    chess = {"id": "2893", "ticker": "2022-norway-chess-will-magnus-carlsen-lose-any-game",
             "markets": [{"id": "245948", "question": "2022 Norway Chess: Will Magnus Carlsen lose any game?"}]}
    frame, rejected = N.market_rows([chess], "basketball_nba")
    assert frame.empty and rejected[0].kind == "not_game" and "NBA/NFL/MLB/NHL" in rejected[0].reason


def test_token_ids_stay_decimal_strings_and_floats_are_refused():
    event = game_event()
    event["markets"][0]["clobTokenIds"] = [28182404005967940652495463228537840901055649726248190462854914416579180110833,
                                           "47044845753450022047436429968808601130811164131571549682541703866165095016290"]
    event["markets"][1]["clobTokenIds"] = "[2.8182404005967940e+76, 4.7e+76]"
    frame, rejected = N.market_rows([event], "basketball_nba")
    assert "28182404005967940652495463228537840901055649726248190462854914416579180110833" in set(frame["token_id"])
    assert [r.provider_market_id for r in rejected] == ["900012"] and "token id" in rejected[0].reason


def test_a_repeated_market_is_kept_once_and_the_repeat_rejected():
    event = game_event()
    frame, rejected = N.market_rows([event, copy.deepcopy(event)], "basketball_nba")
    assert len(frame) == 6 and len(rejected) == 3 and all("repeated" in r.reason for r in rejected)


def test_rejected_records_go_to_the_silver_quarantine():
    try:  # the quarantine module is moving from silver/ to lake/
        from linelogic_assets.lake.quarantine import Quarantine
    except ImportError:
        from linelogic_assets.silver.quarantine import Quarantine

    q = Quarantine("basketball_nba", "prediction_market")
    N.Rejected("prediction_market", "not_game", "not a game market", "1", "2").to_quarantine(q, raw_ref="r.json")
    assert q.records[0]["reason"] == "not a game market" and q.records[0]["provider"] == "polymarket"
    assert json.loads(q.records[0]["detail"])["provider_market_id"] == "2"


# -- prices -------------------------------------------------------------------------------------------

def test_history_dedupes_repeated_t_keeping_the_last_and_sorts():
    body = {"history": [{"t": 1770476960, "p": 0.3}, {"t": 1770476912, "p": 0.2}, {"t": 1770476960, "p": 0.35}]}
    frame, rejected = N.history_rows("123", body)
    assert rejected == []
    assert frame["price"].tolist() == [0.2, 0.35]
    assert frame["ts_utc"].is_monotonic_increasing and frame["ts_utc"].is_unique
    assert frame["size"].isna().all() and set(frame["source"]) == {"history"} and set(frame["token_id"]) == {"123"}


def test_history_quarantines_bad_points_and_keeps_the_rest():
    body = {"history": [{"t": 1770476912, "p": 0.2}, {"t": 1770476913, "p": 1.5}, {"t": "x", "p": 0.2},
                        {"p": 0.2}, {"t": 1770476914, "p": "0.25"}, {"t": 1770476915, "p": True}, 7,
                        {"t": 1770476916, "p": float("nan")}, {"t": 10**20, "p": 0.1}]}
    frame, rejected = N.history_rows("123", body)
    assert frame["price"].tolist() == [0.2, 0.25]
    assert sum(r.rows for r in rejected) == 7
    assert {r.reason.split(": ", 1)[1] for r in rejected} == {
        "p outside [0, 1]", "t missing or not a number", "p missing or not a number",
        "t is not a unix time in 2015..2100"}


def test_empty_history_is_an_empty_frame_with_the_schema():
    frame, rejected = N.history_rows("123", {"history": []})
    assert frame.empty and rejected == [] and list(frame.columns) == SCHEMAS["prediction_price"].names
    assert str(frame["ts_utc"].dtype) == "datetime64[us, UTC]" and frame["price"].dtype == np.float64
    assert N.history_rows("123", {"nope": 1})[1][0].kind == "body"


def test_book_sorts_levels_itself_and_reports_crossed_and_empty_sides():
    body = {"market": "0xabc", "asset_id": "555", "timestamp": "1770476912123", "hash": "h",
            "bids": [{"price": "0.44", "size": "10"}, {"price": "0.47", "size": "3"}, {"price": "0.45", "size": "1"}],
            "asks": [{"price": "0.52", "size": "2"}, {"price": "0.49", "size": "8"}, {"price": "0.50", "size": "1"}]}
    frame, issues = N.book_rows(body)
    rows = {r.source: r for r in frame.itertuples()}
    assert (rows["bid"].price, rows["bid"].size, rows["ask"].price, rows["ask"].size) == (0.47, 3.0, 0.49, 8.0)
    assert rows["mid"].price == pytest.approx(0.48) and pd.isna(rows["mid"].size)
    assert set(frame["ts_utc"]) == {pd.Timestamp("2026-02-07 15:08:32.123", tz="UTC")}
    assert {i.kind for i in issues} == {"unsorted"}

    crossed, issues = N.book_rows({**body, "asks": [{"price": "0.46", "size": "1"}]})
    assert set(crossed["source"]) == {"bid", "ask"} and "crossed" in {i.kind for i in issues}
    one_sided, issues = N.book_rows({**body, "asks": []})
    assert set(one_sided["source"]) == {"bid"} and "empty_side" in {i.kind for i in issues}
    assert N.book_rows({**body, "timestamp": "soon"})[1][0].kind == "timestamp"


def test_taker_decimal_odds_includes_the_fee():
    assert taker_decimal_odds(0.48) == pytest.approx(1 / 0.487488)
    assert taker_decimal_odds(0.48, fee_rate=0.0) == pytest.approx(1 / 0.48)
    odds = taker_decimal_odds(np.array([0.25, 0.0, 1.0, 1.2]))
    assert odds[0] == pytest.approx(1 / (0.25 + 0.03 * 0.25 * 0.75)) and np.isnan(odds[1]) and odds[2] == 1.0
    assert np.isnan(odds[3])
    with pytest.raises(ValueError):
        taker_decimal_odds(0.5, fee_rate=-1)


def test_schemas_are_described_and_empty_frames_keep_them():
    for table, schema in SCHEMAS.items():
        assert set(DESCRIPTIONS[table]) == set(schema.names)
        assert list(empty_frame(table).columns) == schema.names
    frame, _ = N.market_rows([], "basketball_nba")
    assert frame.empty and list(frame.columns) == SCHEMAS["prediction_market"].names
    assert N.market_rows({"not": "a list"}, "basketball_nba")[1][0].kind == "body"


def test_the_plain_points_path_gives_the_field_by_field_paths_rows(monkeypatch) -> None:
    """The API's {t: number, p: number} points take a fast path; it must read exactly what the general one does
    (duplicates, order, out-of-range points)."""
    import pandas.testing as pdt

    body = {"history": [{"t": 1770476958, "p": 0.3}, {"t": 1770476912, "p": 0.225}, {"t": 1770476958, "p": 0.31},
                        {"t": 1770477020, "p": 1.5}, {"t": 5, "p": 0.2}, {"t": 1770477097.0, "p": 0}]}
    fast, fast_rejected = N.history_rows("42", body)
    monkeypatch.setattr(N, "_plain_points", lambda history: None)
    slow, slow_rejected = N.history_rows("42", body)
    pdt.assert_frame_equal(fast, slow)
    assert [r.reason for r in fast_rejected] == [r.reason for r in slow_rejected]
    assert fast["price"].tolist() == [0.225, 0.31, 0.0]
