"""Bad odds rows go to quarantine before the table is returned, with reason, raw_ref, column and value.

Issue 13, rows 7 and 8: impossible prices and points, conflicting duplicates (the same line of a
book at one snapshot time at two prices) and an odds format misread because of one bad price.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import dagster as dg
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from linelogic_assets.bronze.store import BronzeStore
from linelogic_assets.lake.paths import quarantine_file
from linelogic_assets.lake.quarantine import Quarantine
from linelogic_assets.lake.raw import partition_responses
from linelogic_assets.odds_math import american_to_decimal, decimal_to_american
from linelogic_assets.providers.oddsapi.normalise import normalise_partitions
from linelogic_assets.silver import checks
from linelogic_assets.silver.odds import (
    ODDS_KEY,
    EventKey,
    OddsPartition,
)
from linelogic_assets.silver.odds_rules import PROBLEMS
from linelogic_assets.sports import league_for
from linelogic_assets_tests.conftest import FIXTURES
from linelogic_assets_tests.silver.test_assets import odds_snapshot, read, run_silver, silver_events

NBA, DAY = "basketball_nba", "2025-11-12"
COMMENCE = "2025-11-13T00:30:00Z"  # 7:30 pm ET on the 12th
SNAP = "2025-11-12T12:00:00Z"
NOW = datetime(2025, 11, 12, 13, tzinfo=UTC)
HOME, AWAY = "Boston Celtics", "Los Angeles Lakers"


# -- accounting -------------------------------------------------------------------------------

def assert_accounted(table: pa.Table, stats: dict[str, int], quarantine: Quarantine) -> None:
    """Every outcome of the slate window is stored, a duplicate, or quarantined, and the row records add up."""
    deduped = stats["intra_response_duplicates"] + stats["cross_run_duplicates"]
    assert stats["outcomes_in_window"] == table.num_rows + deduped + stats["quarantined_rows"], stats
    assert stats["quarantined_rows"] == sum(r["rows"] for r in quarantine.records if r["kind"] == "rows")
    for r in quarantine.records:
        assert r["raw_ref"] and "\n" not in r["reason"], r
        assert r["kind"] != "rows" or r["column"], r


def error_checks_pass(table: pa.Table, sport: str = NBA, now: datetime = NOW) -> None:
    """The blocking checks of odds_snapshot, run on the rows the normaliser returned."""
    inputs = checks.CheckInputs(sport, league_for(sport).league, now, Quarantine(sport, "odds_snapshot"),
                                odds=table.to_pandas())
    for c in checks.CHECKS:
        if c.asset == "odds_snapshot" and c.severity == checks.ERROR:
            out = c.fn(inputs)
            assert out.passed, (c.name, out.description)


# -- building bronze --------------------------------------------------------------------------

def game(pid: str = "e1", h2h: tuple[Any, Any] = (1.8, 2.1), spread: tuple[Any, Any, Any] = (-2.5, 1.91, 1.91),
         total: tuple[Any, Any, Any] = (220.5, 1.91, 1.91), book: str = "pinnacle", last_update: str = "2025-11-12T11:59:00Z"
         ) -> dict[str, Any]:
    return {"id": pid, "sport_key": NBA, "commence_time": COMMENCE, "home_team": HOME, "away_team": AWAY,
            "bookmakers": [{"key": book, "last_update": last_update, "markets": [
                {"key": "h2h", "outcomes": [{"name": HOME, "price": h2h[0]}, {"name": AWAY, "price": h2h[1]}]},
                {"key": "spreads", "outcomes": [{"name": HOME, "price": spread[1], "point": spread[0]},
                                                {"name": AWAY, "price": spread[2], "point": -spread[0]
                                                 if isinstance(spread[0], float) else spread[0]}]},
                {"key": "totals", "outcomes": [{"name": "Over", "price": total[1], "point": total[0]},
                                               {"name": "Under", "price": total[2], "point": total[0]}]}]}]}


def write(root: Path, body: object, *, endpoint: str = "historical_odds", run_id: str = "r1", snapshot: str = SNAP,
          sport: str = NBA, day: str = DAY, raw: bytes | None = None, params: dict | None = None) -> str:
    w = BronzeStore(root).open(provider="oddsapi", sport=sport, day=day, run_id=run_id, endpoint=endpoint,
                               source="import")
    extra: dict[str, Any] = {"snapshot_timestamp": snapshot, "received_at": snapshot}
    if params:
        extra["request"] = {"params": params}
    entry = w.add_raw(raw if raw is not None else json.dumps(body).encode(), valid_json=True, extra=extra)
    w.close()
    return entry["raw_ref"]


def snapshot(*events: dict) -> dict:
    return {"timestamp": SNAP, "previous_timestamp": None, "next_timestamp": None, "data": list(events)}


def normalise(root: Path, ids: tuple[str, ...] = ("e1",), now: datetime = NOW, sport: str = NBA, day: str = DAY,
              commence: str = COMMENCE, endpoints: tuple[str, ...] = ("historical_odds", "odds", "event_odds")
              ) -> tuple[pa.Table, dict[str, int], Quarantine]:
    quarantine = Quarantine(sport, "odds_snapshot")
    keys = {pid: EventKey(f"c-{pid}", datetime.fromisoformat(commence), False) for pid in ids}
    part = OddsPartition(sport, league_for(sport).slate_bounds_utc(date.fromisoformat(day)),
                         partition_responses(BronzeStore(root), "oddsapi", sport, day, endpoints), keys, quarantine)
    [(table, stats)] = normalise_partitions([part], now=now)
    assert_accounted(table, stats, quarantine)
    return table, stats, quarantine


def records(q: Quarantine, problem: str) -> list[dict]:
    return [r for r in q.records if r["reason"] == PROBLEMS[problem].reason]


def detail(record: dict) -> dict:
    return json.loads(record["detail"])


# -- impossible values ------------------------------------------------------------------------

@pytest.mark.parametrize(("price", "problem"), [
    (float("nan"), "price_not_finite"), (float("inf"), "price_not_finite"), (float("-inf"), "price_not_finite"),
    (0, "decimal_price_not_above_1"), (1.0, "decimal_price_not_above_1"), (1e308, "american_beyond_10000"),
], ids=["nan", "inf", "-inf", "0", "1.0", "1e308"])
def test_an_impossible_decimal_price_is_quarantined_alone(lake_root: Path, price: float, problem: str) -> None:
    ref = write(lake_root, snapshot(game(h2h=(price, 2.1))))
    table, stats, q = normalise(lake_root)
    rows = table.to_pandas()
    assert len(rows) == 5 and "home" not in set(rows.loc[rows["market"] == "h2h", "selection"])
    assert rows["price"].gt(1).all() and rows["price_american"].abs().between(100, 10000).all()
    [rec] = records(q, problem)
    assert rec["raw_ref"] == ref and rec["rows"] == 1 and rec["column"] == PROBLEMS[problem].column
    [outcome] = detail(rec)["outcomes"]
    assert outcome["quoted_price"] == (price if np.isfinite(price) else str(price))
    assert stats["quarantined_rows"] == 1
    error_checks_pass(table)


@pytest.mark.parametrize("price", [10001, -10001])
def test_american_prices_beyond_10000_are_quarantined(lake_root: Path, price: int) -> None:
    ref = write(lake_root, [game(h2h=(price, -110), spread=(-2.5, -110, -110), total=(220.5, 105, -125))],
                endpoint="odds")
    table, _, q = normalise(lake_root)
    rows = table.to_pandas()
    assert sorted(rows["price_american"]) == [-125, -110, -110, -110, 105]  # the others are read as American
    [rec] = records(q, "american_beyond_10000")
    assert rec["raw_ref"] == ref and rec["column"] == "price_american"
    assert detail(rec)["outcomes"][0]["price_american"] == price
    error_checks_pass(table)


@pytest.mark.parametrize("market", ["spreads", "totals"])
@pytest.mark.parametrize(("point", "problem"), [(float("nan"), "point_not_finite"), (None, "point_missing"),
                                                (float("inf"), "point_not_finite")], ids=["nan", "null", "inf"])
def test_a_spread_or_total_without_a_real_point_is_quarantined(lake_root: Path, market: str, point: float | None,
                                                              problem: str) -> None:
    body = game()
    outcome = next(m for m in body["bookmakers"][0]["markets"] if m["key"] == market)["outcomes"][0]
    outcome["point"] = point
    ref = write(lake_root, snapshot(body))
    table, _, q = normalise(lake_root)
    rows = table.to_pandas()
    assert len(rows) == 5 and rows.loc[rows["market"] == market, "point"].map(np.isfinite).all()
    [rec] = records(q, problem)
    assert (rec["raw_ref"], rec["column"], rec["rows"]) == (ref, "point", 1)
    assert detail(rec)["outcomes"][0]["point"] == (None if point is None else str(point))
    error_checks_pass(table)


def test_a_point_missing_from_the_json_is_quarantined_too(lake_root: Path) -> None:
    body = game()
    del body["bookmakers"][0]["markets"][1]["outcomes"][1]["point"]  # the away spread
    write(lake_root, snapshot(body))
    table, _, q = normalise(lake_root)
    assert table.num_rows == 5 and len(records(q, "point_missing")) == 1


def test_pregame_points_beyond_the_league_bounds_are_quarantined(lake_root: Path) -> None:
    write(lake_root, snapshot(game(spread=(-45.5, 1.91, 1.91), total=(330.5, 1.91, 1.91))))
    table, _, q = normalise(lake_root)
    assert set(table.column("market").to_pylist()) == {"h2h"}
    assert [r["rows"] for r in records(q, "spread_points_out_of_bounds")] == [2]
    assert [r["rows"] for r in records(q, "total_points_out_of_bounds")] == [2]


def test_a_non_numeric_price_costs_its_row_not_its_response(lake_root: Path) -> None:
    body = snapshot(game(h2h=("lots", 2.1)), game("e2", book="fanduel"))
    ref = write(lake_root, body)
    table, _, q = normalise(lake_root, ids=("e1", "e2"))
    assert table.num_rows == 11
    [rec] = [r for r in q.records if r["column"] == "price"]
    assert rec["raw_ref"] == ref and rec["kind"] == "rows" and "'lots'" in rec["reason"]
    assert detail(rec)["outcomes"][0]["price"] == "'lots'"


def test_an_unreadable_last_update_is_quarantined_not_a_crash(lake_root: Path) -> None:
    write(lake_root, snapshot(game(last_update="yesterday"), game("e2", book="fanduel")))
    table, _, q = normalise(lake_root, ids=("e1", "e2"))
    assert set(table.column("provider_event_id").to_pylist()) == {"e2"}
    [rec] = q.records
    assert rec["column"] == "bookmaker_last_update_utc" and "'yesterday'" in rec["reason"] and rec["rows"] == 6


def test_a_last_update_after_now_is_quarantined(lake_root: Path) -> None:
    write(lake_root, snapshot(game(last_update="2025-11-12T14:00:00Z"), game("e2", book="fanduel")))
    table, _, q = normalise(lake_root, ids=("e1", "e2"))
    assert set(table.column("provider_event_id").to_pylist()) == {"e2"}
    [rec] = records(q, "last_update_in_future")
    assert rec["column"] == "bookmaker_last_update_utc" and rec["rows"] == 6
    error_checks_pass(table)
    # within the clock skew allowed, it is kept
    table, _, q = normalise(lake_root, ids=("e1", "e2"), now=datetime(2025, 11, 12, 13, 56, tzinfo=UTC))
    assert table.num_rows == 12 and not q.records


# -- conflicting duplicates ------------------------------------------------------------------

def test_a_repeated_event_with_other_prices_is_quarantined_as_pairs(lake_root: Path) -> None:
    ref = write(lake_root, snapshot(game(), game(h2h=(1.83, 2.05))))  # the same event id, two h2h prices
    table, stats, q = normalise(lake_root)
    rows = table.to_pandas()
    assert len(rows) == 4 and "h2h" not in set(rows["market"])  # the spreads and totals are exact repeats
    assert stats["intra_response_duplicates"] == 4 and stats["conflicting_duplicates"] == 4
    [rec] = records_conflicting(q)
    assert rec["raw_ref"] == ref and rec["rows"] == 4 and rec["column"] == "price"
    quotes = {c["selection"]: sorted(x["price"] for x in c["quotes"]) for c in detail(rec)["conflicts"]}
    assert quotes == {"home": [1.8, 1.83], "away": [2.05, 2.1]}
    assert not rows.duplicated(ODDS_KEY).any()
    error_checks_pass(table)


def records_conflicting(q: Quarantine) -> list[dict]:
    return [r for r in q.records if r["reason"].startswith("conflicting duplicates")]


def test_a_line_priced_differently_by_two_runs_of_one_snapshot_is_quarantined_in_both(lake_root: Path) -> None:
    ref_a = write(lake_root, snapshot(game()), run_id="run-a")
    ref_b = write(lake_root, snapshot(game(total=(220.5, 1.95, 1.87))), run_id="run-b")
    table, stats, q = normalise(lake_root)
    assert set(table.column("market").to_pylist()) == {"h2h", "spreads"} and table.num_rows == 4
    assert stats["cross_run_duplicates"] == 4 and stats["conflicting_duplicates"] == 4
    recs = records_conflicting(q)
    assert sorted(r["raw_ref"] for r in recs) == sorted([ref_a, ref_b]) and [r["rows"] for r in recs] == [2, 2]
    for rec in recs:  # each record shows both runs' prices
        over = next(c for c in detail(rec)["conflicts"] if c["selection"] == "over")
        assert sorted((x["price"], x["raw_ref"]) for x in over["quotes"]) == sorted([(1.91, ref_a), (1.95, ref_b)])


def test_exact_repeats_are_still_deduplicated_not_quarantined(lake_root: Path) -> None:
    write(lake_root, snapshot(game(), game()), run_id="run-a")
    write(lake_root, snapshot(game()), run_id="run-b")
    table, stats, q = normalise(lake_root)
    assert table.num_rows == 6 and not q.records
    assert (stats["intra_response_duplicates"], stats["cross_run_duplicates"]) == (6, 6)


def _american_fixture(path: Path) -> dict:
    """A real decimal-odds response rewritten in American odds, as the provider sends them on request."""
    body = json.loads(path.read_text())
    for book in body["bookmakers"]:
        for market in book["markets"]:
            for o in market["outcomes"]:
                o["price"] = int(round(float(decimal_to_american(np.array([o["price"]]))[0])))
    return body


def test_williamhill_quoting_one_player_line_twice_is_quarantined_and_the_slate_builds(lake_root: Path) -> None:
    """The recorded case: williamhill_us quotes the same player's Over 7.5 at −106 and at −112."""
    body = _american_fixture(FIXTURES / "the_odds_api" / "nhl_event_odds_single_event_2024-03-21.json")
    book = next(b for b in body["bookmakers"] if b["key"] == "williamhill_us")
    book["markets"].append({"key": "player_points", "last_update": book["markets"][0]["last_update"], "outcomes": [
        {"name": "Over", "description": "David Pastrnak", "price": -106, "point": 7.5},
        {"name": "Under", "description": "David Pastrnak", "price": -114, "point": 7.5},
        {"name": "Over", "description": "David Pastrnak", "price": -112, "point": 7.5}]})
    sport, day = "icehockey_nhl", "2024-03-21"
    ref = write(lake_root, body, endpoint="event_odds", sport=sport, day=day, snapshot="2024-03-21T14:15:00Z")
    result = run_silver(sport, day, assets=[silver_events, odds_snapshot], raise_on_error=False)
    assert result.success
    evaluations = {c.check_name: c for c in result.get_asset_check_evaluations()
                   if c.asset_key == dg.AssetKey("odds_snapshot")}
    assert all(c.passed for c in evaluations.values() if c.severity == dg.AssetCheckSeverity.ERROR)
    assert evaluations["unique_after_dedupe"].passed
    odds = read(lake_root, "odds_snapshot", sport, day)
    props = odds[odds["market"] == "player_points"]
    assert props["selection"].tolist() == ["under"] and props["price_american"].tolist() == [-114]
    assert len(odds) == 2 * len(body["bookmakers"]) + 1  # every h2h price is kept, read as American
    q = pq.read_table(quarantine_file(lake_root, "odds_snapshot", sport, day)).to_pandas()
    [rec] = q[q["reason"].str.startswith("conflicting duplicates")].to_dict("records")
    assert (rec["raw_ref"], rec["column"], rec["rows"]) == (ref, "price", 2)
    [conflict] = json.loads(rec["detail"])["conflicts"]
    assert conflict["participant"] == "David Pastrnak" and conflict["point"] == 7.5
    assert sorted(x["price_american"] for x in conflict["quotes"]) == [-112, -106]
    assert "-112" in rec["reason"] and "-106" in rec["reason"]


# -- the odds format is read from valid prices only ------------------------------------------

NFL_FIXTURE = FIXTURES / "the_odds_api" / "nfl_odds_2025-12-30_week18.json"


def test_one_nan_price_does_not_change_how_an_american_response_is_read(lake_root: Path) -> None:
    """Row 8: one NaN in an American-odds response used to turn the whole response into decimal reading."""
    body = json.loads(NFL_FIXTURE.read_text())
    sport, day = "americanfootball_nfl", "2026-01-04"
    league = league_for(sport)
    start, end = league.slate_bounds_utc(date.fromisoformat(day))
    on_slate = [ev for ev in body if start <= datetime.fromisoformat(ev["commence_time"]) < end]
    target = on_slate[3]["bookmakers"][0]["markets"][0]["outcomes"][0]
    target["price"] = float("nan")
    ref = write(lake_root, body, endpoint="odds", sport=sport, day=day, snapshot="2025-12-30T12:00:00Z",
                raw=json.dumps(body, indent=2).encode())  # as recorded: pretty-printed, with a NaN token
    result = run_silver(sport, day, assets=[silver_events, odds_snapshot], raise_on_error=False)
    assert result.success
    assert all(c.passed for c in result.get_asset_check_evaluations() if c.severity == dg.AssetCheckSeverity.ERROR)
    odds = read(lake_root, "odds_snapshot", sport, day)
    expected = Counter((ev["id"], b["key"], m["key"], o.get("point"), float(o["price"]))
                       for ev in on_slate for b in ev["bookmakers"] for m in b["markets"] for o in m["outcomes"]
                       if o is not target)
    stored = Counter(zip(odds["provider_event_id"], odds["bookmaker"], odds["market"],
                         odds["point"].astype(object).where(odds["point"].notna(), None), odds["price_american"],
                         strict=True))
    assert stored == expected and len(odds) == sum(expected.values()) > 600
    assert np.allclose(odds["price"], american_to_decimal(odds["price_american"].to_numpy()))
    q = pq.read_table(quarantine_file(lake_root, "odds_snapshot", sport, day)).to_pandas()
    [rec] = q[q["column"] == "price"].to_dict("records")
    assert rec["raw_ref"] == ref and rec["reason"] == PROBLEMS["price_not_finite"].reason and rec["rows"] == 1
    assert json.loads(rec["detail"])["outcomes"][0]["quoted_price"] == "nan"


def test_a_price_valid_only_as_decimal_does_not_flip_an_american_response(lake_root: Path) -> None:
    write(lake_root, [game(h2h=(5, -110), spread=(-2.5, -110, -110), total=(220.5, 105, -125))], endpoint="odds")
    table, _, q = normalise(lake_root)
    assert sorted(table.column("price_american").to_pylist()) == [-125, -110, -110, -110, 105]
    [rec] = records(q, "american_below_100")
    assert detail(rec)["outcomes"][0]["quoted_price"] == 5


def test_the_requested_format_wins_and_a_bad_price_in_it_is_quarantined(lake_root: Path) -> None:
    write(lake_root, [game(h2h=(1.9, -110), spread=(-2.5, -110, -110), total=(220.5, 105, -125))], endpoint="odds",
          params={"oddsFormat": "american"})
    table, _, q = normalise(lake_root)
    assert table.num_rows == 5 and len(records(q, "american_below_100")) == 1


# -- the asset: quarantine first, then store; the ERROR checks pass -------------------------

def test_a_slate_with_bad_rows_builds_and_its_parquet_holds_none_of_them(lake_root: Path) -> None:
    bad = [game(h2h=(float("nan"), 2.1), book="b-nan"), game(h2h=(float("inf"), 2.1), book="b-inf"),
           game(h2h=(0, 2.1), book="b-zero"), game(h2h=(1.0, 2.1), book="b-one"),
           game(h2h=(1e308, 2.1), book="b-huge"), game(spread=(float("nan"), 1.91, 1.91), book="b-nan-point"),
           game(total=(None, 1.91, 1.91), book="b-null-total"), game(h2h=(1.85, 2.0), book="pinnacle")]
    ref = write(lake_root, snapshot(game(book="pinnacle"), *bad))
    ref_us = write(lake_root, [game(h2h=(10001, -110), spread=(-2.5, -110, -110), total=(220.5, -10001, -110),
                                    book="b-american")], endpoint="odds", run_id="r2",
                   snapshot="2025-11-12T12:30:00Z")
    result = run_silver(NBA, DAY, assets=[silver_events, odds_snapshot], raise_on_error=False)
    assert result.success
    failed = {c.check_name: c.severity for c in result.get_asset_check_evaluations()
              if not c.passed and c.asset_key == dg.AssetKey("odds_snapshot")}
    assert dg.AssetCheckSeverity.ERROR not in failed.values() and failed["quarantine"] == dg.AssetCheckSeverity.WARN
    odds = read(lake_root, "odds_snapshot")
    assert odds["price"].between(1.01, 101).all() and odds["price_american"].abs().between(100, 10000).all()
    assert odds.loc[odds["market"].isin(["spreads", "totals"]), "point"].notna().all()
    assert not odds.duplicated(ODDS_KEY).any()
    assert "h2h" not in set(odds.loc[odds["bookmaker"] == "pinnacle", "market"])  # its two h2h prices conflict
    per_book = odds.groupby("bookmaker").size().to_dict()
    assert per_book == {"b-nan": 5, "b-inf": 5, "b-zero": 5, "b-one": 5, "b-huge": 5, "b-nan-point": 4,
                        "b-null-total": 4, "pinnacle": 4, "b-american": 4}
    q = pq.read_table(quarantine_file(lake_root, "odds_snapshot", NBA, DAY)).to_pandas()
    by_reason = q.groupby(["raw_ref", "column", "reason"])["rows"].sum().to_dict()
    assert by_reason == {
        (ref, "price", PROBLEMS["price_not_finite"].reason): 2,
        (ref, "price", PROBLEMS["decimal_price_not_above_1"].reason): 2,
        (ref, "price_american", PROBLEMS["american_beyond_10000"].reason): 1,
        (ref, "point", PROBLEMS["point_not_finite"].reason): 2,  # the spread's NaN is on both sides
        (ref, "point", PROBLEMS["point_missing"].reason): 2,
        (ref, "price", q.loc[q["reason"].str.startswith("conflicting"), "reason"].iloc[0]): 4,
        (ref_us, "price_american", PROBLEMS["american_beyond_10000"].reason): 2,
    }
    meta = result.asset_materializations_for_node("odds_snapshot")[0].metadata
    assert meta["quarantined_rows"].value == 15 and meta["rows"].value == len(odds)
    assert meta["outcomes_in_window"].value == len(odds) + 15 + meta["intra_response_duplicates"].value


def test_a_row_in_the_future_is_quarantined_with_the_assets_own_now(lake_root: Path) -> None:
    write(lake_root, snapshot(game(last_update="2099-01-01T00:00:00Z"), game(book="fanduel")))
    result = run_silver(NBA, DAY, assets=[silver_events, odds_snapshot], raise_on_error=False)
    assert result.success
    future = next(c for c in result.get_asset_check_evaluations() if c.check_name == "no_future_times")
    assert future.passed and future.metadata["last_update_in_future"].value == 0
    odds = read(lake_root, "odds_snapshot")
    assert set(odds["bookmaker"]) == {"fanduel"}
    q = pq.read_table(quarantine_file(lake_root, "odds_snapshot", NBA, DAY)).to_pandas()
    assert q["column"].tolist() == ["bookmaker_last_update_utc"] and q["rows"].tolist() == [6]


@pytest.mark.parametrize("commence", ["yesterday", None, "2024-03-21T23:00:00", "0001-01-01T00:00:00Z"])
def test_an_event_whose_start_cannot_be_read_has_its_outcomes_quarantined(lake_root: Path,
                                                                         commence: str | None) -> None:
    ref = write(lake_root, snapshot({**game(), "commence_time": commence}, game("e2", book="fanduel")))
    table, stats, q = normalise(lake_root, ids=("e1", "e2"))
    assert set(table.column("provider_event_id").to_pylist()) == {"e2"} and stats["outcomes_in_window"] == 12
    [rec] = q.records
    assert (rec["kind"], rec["rows"], rec["column"], rec["raw_ref"]) == ("rows", 6, "commence_time_utc", ref)
    assert detail(rec)["events"] == [{"id": "e1", "commence_time": commence, "outcomes": 6}]
