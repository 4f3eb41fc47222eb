"""The query API (linelogic_assets/query.py) and its CLI: as-of odds, line movement, best odds, books compared."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from linelogic_assets import odds_math
from linelogic_assets.cli import main
from linelogic_assets.gold.asof import quotes_asof_at as as_of
from linelogic_assets.lakesql import connect
from linelogic_assets.query import (
    AmbiguousEventError,
    LakeQuery,
    UnknownEventError,
)
from linelogic_assets.silver.io_manager import write_partition
from linelogic_assets.silver.schemas import SCHEMAS
from linelogic_assets.timeutil import parse_ts
from linelogic_assets_tests.bronze.test_assets import NBA_DAY as SIM_DAY
from linelogic_assets_tests.bronze.test_assets import run_bronze, write_config
from linelogic_assets_tests.silver.test_assets import run_silver

NBA, NFL = "basketball_nba", "americanfootball_nfl"
DAY = "2025-11-12"


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text).tz_convert("UTC")


T1, T2, T3 = ts("2025-11-12T18:00:00Z"), ts("2025-11-12T19:00:00Z"), ts("2025-11-12T20:00:00Z")
COMMENCE = ts("2025-11-13T00:30:00Z")
LIVE = ts("2025-11-13T00:40:00Z")
SEC = pd.Timedelta(seconds=1)


def frame(table: str, rows: list[dict]) -> pd.DataFrame:
    """Rows as a frame with every column of the silver table (absent values null)."""
    return pd.DataFrame([{c: r.get(c) for c in SCHEMAS[table].names} for r in rows], columns=SCHEMAS[table].names)


def event(cid: str, sport: str, day: str, home: tuple[str, str], away: tuple[str, str], commence: pd.Timestamp) -> dict:
    return {"canonical_event_id": cid, "sport": sport, "league": sport.split("_")[1], "slate_date": pd.Timestamp(day).date(),
            "season": 2025, "home_team_id": home[0], "home_team": home[1], "away_team_id": away[0],
            "away_team": away[1], "commence_time_utc": commence, "status": "scheduled", "providers": "oddsapi",
            "home_away_swapped": False}


def mapping(provider: str, pid: str, cid: str, sport: str = NBA) -> dict:
    return {"provider": provider, "provider_event_id": pid, "canonical_event_id": cid, "sport": sport,
            "match_confidence": 1.0, "match_method": "registry", "home_away_swapped": False}


def quote(cid: str, at: pd.Timestamp, book: str, market: str, selection: str, price: float,
          point: float | None = None, live: bool = False, sport: str = NBA) -> dict:
    return {"provider": "oddsapi", "sport": sport, "canonical_event_id": cid, "provider_event_id": f"oa-{cid}",
            "commence_time_utc": COMMENCE, "snapshot_time_utc": at, "is_live": live, "bookmaker": book,
            "market": market, "selection": selection, "price": price, "point": point,
            "price_american": float(odds_math.decimal_to_american(price)), "record_hash": f"{book}{at}{selection}"}


def two_way(cid: str, at: pd.Timestamp, book: str, market: str, a: float, b: float,
            point: float | None = None, live: bool = False) -> list[dict]:
    sides = ("over", "under") if market == "totals" else ("home", "away")
    pa_, pb = (point, point) if market == "totals" else (point, None if point is None else -point)
    return [quote(cid, at, book, market, sides[0], a, pa_, live), quote(cid, at, book, market, sides[1], b, pb, live)]


E1 = "nba-e1"


def e1_odds() -> list[dict]:
    rows = []
    # alpha: h2h at t1 < t2 < t3 and live after the start; spreads only at t1 and t3
    rows += two_way(E1, T1, "alpha", "h2h", 1.80, 2.10)
    rows += two_way(E1, T2, "alpha", "h2h", 1.85, 2.05)
    rows += two_way(E1, T3, "alpha", "h2h", 1.90, 2.00)
    rows += two_way(E1, LIVE, "alpha", "h2h", 1.50, 2.70, live=True)
    rows += two_way(E1, T1, "alpha", "spreads", 1.91, 1.91, point=-3.5)
    rows += two_way(E1, T3, "alpha", "spreads", 1.95, 1.87, point=-4.0)
    rows += two_way(E1, T2, "alpha", "totals", 1.90, 1.90, point=220.5)
    # beta: 30 min after t1, and 1 second after t2 (the nearest snapshot to t2, but after it)
    rows += two_way(E1, T1 + pd.Timedelta(minutes=30), "beta", "h2h", 1.83, 2.08)
    rows += two_way(E1, T2 + SEC, "beta", "h2h", 1.95, 1.95)
    rows += two_way(E1, T2, "beta", "spreads", 1.95, 1.87, point=-3.5)
    rows += two_way(E1, T2, "beta", "totals", 1.93, 1.87, point=221.0)
    # gamma: only at t2; delta: an incomplete h2h (home only)
    rows += two_way(E1, T2, "gamma", "h2h", 1.70, 2.30)
    rows += two_way(E1, T2, "gamma", "spreads", 1.95, 1.85, point=-3.5)
    rows.append(quote(E1, T2, "delta", "h2h", "home", 2.00))
    return rows


@pytest.fixture
def hand_lake(lake_root: Path) -> Path:
    """A small hand-made silver lake with exactly known snapshots (written where the CLI's config looks)."""
    lakers, celtics = ("nba-lal", "Los Angeles Lakers"), ("nba-bos", "Boston Celtics")
    write_partition(lake_root, "event", NBA, DAY, frame("event", [
        event(E1, NBA, DAY, celtics, lakers, COMMENCE),
        event("nba-e2", NBA, DAY, ("nba-nyk", "New York Knicks"), ("nba-mia", "Miami Heat"), ts("2025-11-13T01:00Z")),
    ]))
    # the Lakers under another spelling: only the registry (canonical team id) finds them here
    write_partition(lake_root, "event", NBA, "2025-11-15", frame("event", [
        event("nba-e3", NBA, "2025-11-15", ("nba-lal", "LA Lakers"), ("nba-gsw", "Golden State Warriors"),
              ts("2025-11-16T03:30Z"))]))
    write_partition(lake_root, "event", NFL, "2025-11-16", frame("event", [
        event("nfl-e4", NFL, "2025-11-16", ("nfl-nyg", "New York Giants"), ("nfl-chi", "Chicago Bears"),
              ts("2025-11-16T18:00Z"))]))
    write_partition(lake_root, "event_provider_map", NBA, DAY, frame("event_provider_map", [
        mapping("oddsapi", "oa-e1", E1), mapping("balldontlie", "9001", E1), mapping("oddsapi", "oa-e2", "nba-e2"),
        mapping("oddsapi", "dup", "nba-e2")]))
    write_partition(lake_root, "event_provider_map", NBA, "2025-11-15", frame("event_provider_map", [
        mapping("oddsapi", "oa-e3", "nba-e3"), mapping("balldontlie", "dup", "nba-e3")]))
    # E2's odds share E1's partition file: they must never leak into E1's answers
    write_partition(lake_root, "odds_snapshot", NBA, DAY, frame("odds_snapshot", [
        *e1_odds(), *two_way("nba-e2", T2, "alpha", "h2h", 1.20, 5.00), *two_way("nba-e2", T2, "omega", "h2h", 1.3, 4)]))
    return lake_root


def prices(df: pd.DataFrame, book: str, market: str) -> dict[str, float]:
    sub = df[(df["bookmaker"] == book) & (df["market"] == market)]
    return dict(zip(sub["selection"], sub["price"], strict=True))


def snap(df: pd.DataFrame, book: str, market: str) -> pd.Timestamp:
    times = set(df.loc[(df["bookmaker"] == book) & (df["market"] == market), "snapshot_time_utc"])
    assert len(times) == 1, times  # all of a market's selections come from one snapshot
    return times.pop()


# -- as of -------------------------------------------------------------------------------------

def test_odds_at_takes_each_books_last_snapshot_at_or_before_at(hand_lake: Path) -> None:
    q = LakeQuery(hand_lake)
    before = q.odds_at(E1, (T2 - SEC).to_pydatetime())
    assert snap(before, "alpha", "h2h") == T1 and prices(before, "alpha", "h2h") == {"home": 1.80, "away": 2.10}
    exact = q.odds_at(E1, T2.to_pydatetime())
    assert snap(exact, "alpha", "h2h") == T2 and prices(exact, "alpha", "h2h") == {"home": 1.85, "away": 2.05}
    between = q.odds_at(E1, (T2 + pd.Timedelta(minutes=30)).to_pydatetime())
    assert snap(between, "alpha", "h2h") == T2
    assert between.loc[between["bookmaker"].eq("alpha") & between["market"].eq("h2h"), "age_seconds"].eq(1800).all()
    # markets are independent: alpha's spreads at t2 are still its t1 spreads (none at t2)
    assert snap(exact, "alpha", "spreads") == T1 and prices(exact, "alpha", "spreads") == {"home": 1.91, "away": 1.91}
    # every row is of this event and at or before `at`; implied probability is 1/price
    assert (exact["snapshot_time_utc"] <= T2).all() and "omega" not in set(exact["bookmaker"])
    assert np.allclose(exact["implied_prob"], 1 / exact["price"])
    assert list(exact.columns[:11]) == ["bookmaker", "market", "selection", "participant", "point", "price",
                                        "price_american", "implied_prob", "snapshot_time_utc", "age_seconds", "is_live"]
    # live quotes count once `at` is past them, flagged
    live = q.odds_at(E1, LIVE.to_pydatetime(), market="h2h")
    assert snap(live, "alpha", "h2h") == LIVE and live.loc[live["bookmaker"].eq("alpha"), "is_live"].all()
    assert set(live["market"]) == {"h2h"}


def test_a_snapshot_after_at_is_never_returned_even_when_it_is_the_nearest(hand_lake: Path) -> None:
    """A "nearest snapshot within ±5 min" lookup fails every assertion here: it would look ahead."""
    q = LakeQuery(hand_lake)
    at = T2 - SEC  # alpha's and gamma's t2 snapshots are 1 s away; alpha's t1 is an hour back
    df = q.odds_at(E1, at.to_pydatetime())
    assert snap(df, "alpha", "h2h") == T1
    assert "gamma" not in set(df["bookmaker"]) and "delta" not in set(df["bookmaker"])  # nothing at or before
    assert (df["snapshot_time_utc"] <= at).all() and (df["age_seconds"] >= 0).all()
    # beta moved 1 s after t2: at t2 its quote is still the one from t1 + 30 min
    at_t2 = q.odds_at(E1, T2.to_pydatetime())
    assert snap(at_t2, "beta", "h2h") == T1 + pd.Timedelta(minutes=30)
    assert prices(at_t2, "beta", "h2h") == {"home": 1.83, "away": 2.08}
    assert snap(q.odds_at(E1, (T2 + SEC).to_pydatetime()), "beta", "h2h") == T2 + SEC
    # before the first snapshot there is nothing
    assert q.odds_at(E1, (T1 - SEC).to_pydatetime()).empty


def test_as_of_is_one_function_on_arrow_tables(hand_lake: Path) -> None:
    q = LakeQuery(hand_lake)
    _, odds = q.event_odds(E1)
    rows = as_of(odds, T2.to_pydatetime()).to_pandas()
    assert set(zip(rows["bookmaker"], rows["market"], rows["snapshot_time_utc"], strict=True)) == {
        ("alpha", "h2h", T2), ("alpha", "spreads", T1), ("alpha", "totals", T2), ("beta", "h2h", T1 + 30 * 60 * SEC),
        ("beta", "spreads", T2), ("beta", "totals", T2), ("gamma", "h2h", T2), ("gamma", "spreads", T2),
        ("delta", "h2h", T2)}
    closing = as_of(odds, None, pregame_only=True).to_pandas()
    assert not closing["is_live"].any() and set(closing.loc[closing["bookmaker"] == "alpha", "snapshot_time_utc"]) == {T3, T2}
    latest = as_of(odds, None).to_pandas()  # no bound: the live quote is alpha's latest h2h
    assert set(latest.loc[latest["bookmaker"].eq("alpha") & latest["market"].eq("h2h"), "snapshot_time_utc"]) == {LIVE}
    with pytest.raises(ValueError, match="timezone"):
        as_of(odds, datetime(2025, 11, 12, 19))


def test_provider_ids_resolve_and_unknown_ids_are_typed_errors(hand_lake: Path) -> None:
    q = LakeQuery(hand_lake)
    for pid, by in (("oa-e1", "oddsapi"), ("9001", "balldontlie"), (E1, "canonical")):
        ref = q.resolve_event(pid)
        assert ref.canonical_event_id == E1 and ref.matched_by == by and ref.sport == NBA
        assert ref.partitions == ((NBA, DAY),) and ref.provider_ids == {"balldontlie": ("9001",), "oddsapi": ("oa-e1",)}
    at = T2.to_pydatetime()
    pd.testing.assert_frame_equal(q.odds_at("oa-e1", at), q.odds_at(E1, at))
    pd.testing.assert_frame_equal(q.odds_at("9001", at), q.odds_at(E1, at))
    with pytest.raises(UnknownEventError, match="no-such-event"):
        q.odds_at("no-such-event", at)
    with pytest.raises(UnknownEventError):
        q.best_odds("no-such-event", "h2h")
    with pytest.raises(AmbiguousEventError, match="nba-e2, nba-e3"):
        q.resolve_event("dup")
    assert q.resolve_event("oa-e3").home_team == "LA Lakers"


def test_naive_datetimes_are_refused(hand_lake: Path) -> None:
    q = LakeQuery(hand_lake)
    naive = datetime(2025, 11, 12, 19, 0)
    for call in (lambda: q.odds_at(E1, naive), lambda: q.best_odds(E1, "h2h", naive),
                 lambda: q.compare_books(E1, "h2h", naive), lambda: q.events(1, now=naive)):
        with pytest.raises(ValueError, match="timezone"):
            call()
    assert parse_ts("2025-11-12T19:00:00Z") == T2.to_pydatetime()
    assert parse_ts("2025-11-12T14:00:00-05:00") == T2.to_pydatetime()
    with pytest.raises(ValueError, match="no timezone"):
        parse_ts("2025-11-12T19:00:00")
    # an aware time in another zone is the same instant
    assert q.odds_at(E1, parse_ts("2025-11-12T20:00:00+01:00")).equals(q.odds_at(E1, T2.to_pydatetime()))


def test_only_the_events_partition_file_is_read_and_a_rewrite_is_seen(hand_lake: Path, monkeypatch) -> None:
    q = LakeQuery(hand_lake)
    opened: list[str] = []
    real = pq.ParquetFile
    monkeypatch.setattr(pq, "ParquetFile", lambda path, *a, **kw: opened.append(str(path)) or real(path, *a, **kw))
    q.odds_at(E1, T2.to_pydatetime())
    q.odds_at(E1, T3.to_pydatetime())  # cached
    assert len(opened) == 1 and "odds_snapshot/sport=basketball_nba/date=2025-11-12" in opened[0]
    assert q.odds_at("nba-e3", T2.to_pydatetime()).empty  # no odds partition: no rows, no error
    rows = [r for r in e1_odds() if r["bookmaker"] != "gamma"]
    write_partition(hand_lake, "odds_snapshot", NBA, DAY, frame("odds_snapshot", rows))
    assert "gamma" not in set(q.odds_at(E1, T2.to_pydatetime())["bookmaker"])


# -- best odds, compare books, movement ---------------------------------------------------------

def test_best_odds_picks_the_max_price_per_selection_and_point(hand_lake: Path) -> None:
    q = LakeQuery(hand_lake)
    best = q.best_odds(E1, "spreads", T2.to_pydatetime())
    got = {(r.selection, r.point): (r.price, r.bookmakers, r.n_books) for r in best.itertuples()}
    assert got == {("home", -3.5): (1.95, ["beta", "gamma"], 3), ("away", 3.5): (1.91, ["alpha"], 3)}
    later = q.best_odds(E1, "spreads", T3.to_pydatetime())
    got = {(r.selection, r.point): (r.price, r.bookmakers) for r in later.itertuples()}
    assert got == {("home", -4.0): (1.95, ["alpha"]), ("home", -3.5): (1.95, ["beta", "gamma"]),
                   ("away", 3.5): (1.87, ["beta"]), ("away", 4.0): (1.87, ["alpha"])}
    # with no time: each book's latest pre-game quote (alpha's live 2.70 is not pre-game)
    closing = q.best_odds(E1, "h2h").set_index("selection")
    assert closing.loc["home", "price"] == 2.00 and closing.loc["home", "bookmakers"] == ["delta"]
    assert closing.loc["away", "price"] == 2.30 and closing.loc["away", "bookmakers"] == ["gamma"]
    assert list(closing.index) == ["home", "away"]
    assert np.isclose(closing.loc["away", "implied_prob"], 1 / 2.30)
    # at the live time, the live quote counts
    assert q.best_odds(E1, "h2h", LIVE.to_pydatetime()).set_index("selection").loc["away", "price"] == 2.70
    assert q.best_odds(E1, "no_such_market").empty


@pytest.mark.parametrize("method", ["shin", "multiplicative", "power"])
def test_compare_books_devigs_each_complete_book(hand_lake: Path, method: str) -> None:
    q = LakeQuery(hand_lake, fair_method=method)
    df = q.compare_books(E1, "h2h", T2.to_pydatetime())
    assert set(df["bookmaker"]) == {"alpha", "beta", "gamma", "delta"}
    complete = df[df["complete"]]
    assert set(complete["bookmaker"]) == {"alpha", "beta", "gamma"}
    for _book, g in complete.groupby("bookmaker"):
        assert list(g["selection"]) == ["home", "away"]
        assert abs(g["fair_prob"].sum() - 1) < 1e-9
        assert np.allclose(g["implied_prob"], 1 / g["price"], rtol=0, atol=1e-15)
        assert np.allclose(g["overround"], (1 / g["price"]).sum() - 1, rtol=0, atol=1e-12)
        assert np.allclose(g["fair_prob"], odds_math.devig(list(g["price"]), method), rtol=0, atol=1e-12)
    alpha = complete[complete["bookmaker"] == "alpha"].set_index("selection")
    assert np.isclose(alpha.loc["home", "overround"], 1 / 1.85 + 1 / 2.05 - 1)  # its t2 quote, not t3
    if method == "multiplicative":
        assert np.isclose(alpha.loc["home", "fair_prob"], (1 / 1.85) / (1 / 1.85 + 1 / 2.05))
    delta = df[df["bookmaker"] == "delta"]
    assert len(delta) == 1 and delta["fair_prob"].isna().all() and delta["overround"].isna().all()


def test_compare_books_on_lines_groups_each_books_line(hand_lake: Path) -> None:
    q = LakeQuery(hand_lake)
    totals = q.compare_books(E1, "totals", T2.to_pydatetime())
    assert totals["complete"].all() and set(totals["point"]) == {220.5, 221.0}
    for _, g in totals.groupby("bookmaker"):
        assert abs(g["fair_prob"].sum() - 1) < 1e-9
    spreads = q.compare_books(E1, "spreads", T3.to_pydatetime())
    for _, g in spreads.groupby("bookmaker"):
        assert len(g) == 2 and abs(g["fair_prob"].sum() - 1) < 1e-9 and g["point"].sum() == 0


def test_line_movement_lists_every_observation_with_changes(hand_lake: Path) -> None:
    q = LakeQuery(hand_lake)
    mv = q.line_movement("oa-e1", "alpha", "h2h")
    assert list(mv["snapshot_time_utc"]) == [T1, T1, T2, T2, T3, T3, LIVE, LIVE]
    assert list(mv["selection"]) == ["home", "away"] * 4
    home = mv[mv["selection"] == "home"]
    assert list(home["price"]) == [1.80, 1.85, 1.90, 1.50]
    assert np.isnan(home["prev_price"].iloc[0]) and list(home["prev_price"].iloc[1:]) == [1.80, 1.85, 1.90]
    assert np.allclose(home["price_change"].iloc[1:], [0.05, 0.05, -0.40])
    assert home["changed"].all() and list(home["is_live"]) == [False, False, False, True]
    spreads = q.line_movement(E1, "alpha", "spreads")
    away = spreads[spreads["selection"] == "away"]
    assert list(away["point"]) == [3.5, 4.0] and away["point_change"].iloc[1] == 0.5
    assert q.line_movement(E1, "nobody", "h2h").empty


def test_line_movement_flags_unchanged_observations(lake_root: Path) -> None:
    write_partition(lake_root, "event", NBA, DAY, frame("event", [
        event(E1, NBA, DAY, ("nba-bos", "Boston Celtics"), ("nba-lal", "Los Angeles Lakers"), COMMENCE)]))
    write_partition(lake_root, "odds_snapshot", NBA, DAY, frame("odds_snapshot", [
        *two_way(E1, T1, "alpha", "spreads", 1.91, 1.91, point=-3.5),
        *two_way(E1, T2, "alpha", "spreads", 1.91, 1.91, point=-3.5),  # unchanged
        *two_way(E1, T3, "alpha", "spreads", 1.91, 1.91, point=-4.0),  # the point moved, not the price
    ]))
    mv = LakeQuery(lake_root).line_movement(E1, "alpha", "spreads")
    assert list(mv["changed"]) == [True, True, False, False, True, True]
    assert list(mv.loc[mv["changed"], "snapshot_time_utc"].unique()) == [T1, T3]


# -- events ------------------------------------------------------------------------------------

def test_events_filter_by_days_and_team(hand_lake: Path) -> None:
    now = datetime(2025, 11, 14, tzinfo=UTC)
    q = LakeQuery(hand_lake, now=lambda: now)
    assert list(q.events(1)["canonical_event_id"]) == [E1, "nba-e2"]
    three = q.events(3)
    assert list(three["canonical_event_id"]) == [E1, "nba-e2", "nba-e3", "nfl-e4"]  # by start time
    assert three["commence_time_utc"].is_monotonic_increasing
    assert list(three.columns[:8]) == ["canonical_event_id", "sport", "league", "slate_date", "commence_time_utc",
                                       "home_team", "away_team", "status"]
    assert three.set_index("canonical_event_id").loc[E1, ["oddsapi_event_id", "balldontlie_event_id"]].tolist() == [
        "oa-e1", "9001"]
    assert q.events(0.5).empty
    # an explicit `now` wins over the provider's clock; the window is before and after it
    assert list(q.events(1, now=datetime(2025, 11, 17, tzinfo=UTC))["canonical_event_id"]) == ["nba-e3", "nfl-e4"]
    # the registry resolves the name (an abbreviation, a full name) to a team id: "LA Lakers" is found too
    assert list(q.events(3, team="LAL")["canonical_event_id"]) == [E1, "nba-e3"]
    assert list(q.events(3, team="Los Angeles Lakers")["canonical_event_id"]) == [E1, "nba-e3"]
    assert list(q.events(3, team="NYG")["canonical_event_id"]) == ["nfl-e4"]
    # otherwise a case-insensitive substring of either team's name
    assert list(q.events(3, team="giants")["canonical_event_id"]) == ["nfl-e4"]
    assert list(q.events(3, team="lakers")["canonical_event_id"]) == [E1, "nba-e3"]
    assert list(q.events(1, team="heat")["canonical_event_id"]) == ["nba-e2"]
    assert q.events(3, team="Toronto Raptors").empty


# -- CLI ---------------------------------------------------------------------------------------

def cli_json(capsys, argv: list[str]) -> list[dict]:
    assert main(argv) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def test_cli_subcommands_print_json(hand_lake: Path, tmp_path: Path, capsys) -> None:
    # the provider's now (demo mode: the simulator's clock) is what `events` counts days from
    cfg = ["--config", write_config(tmp_path, simulator__clock={"start": "2025-11-14T00:00:00Z", "speed": 0})]
    rows = cli_json(capsys, [*cfg, "odds-at", "--event", "oa-e1", "--at", "2025-11-12T18:59:59Z", "--format", "json"])
    alpha = [r for r in rows if r["bookmaker"] == "alpha" and r["market"] == "h2h"]
    assert [r["price"] for r in alpha] == [1.80, 2.10] and alpha[0]["snapshot_time_utc"].startswith("2025-11-12T18:00:00")
    assert {r["bookmaker"] for r in rows} == {"alpha", "beta"}
    # an offset is honoured: 20:00+01:00 is 19:00Z
    rows = cli_json(capsys, [*cfg, "odds-at", "--event", E1, "--at", "2025-11-12T20:00:00+01:00", "--market", "h2h",
                             "--format", "json"])
    assert {r["bookmaker"] for r in rows} == {"alpha", "beta", "gamma", "delta"}

    rows = cli_json(capsys, [*cfg, "line-movement", "--event", "9001", "--bookmaker", "alpha", "--market", "h2h",
                             "--format", "json"])
    assert len(rows) == 8 and rows[0]["changed"] is True and rows[0]["prev_price"] is None
    rows = cli_json(capsys, [*cfg, "best-odds", "--event", E1, "--market", "h2h", "--format", "json"])
    assert [(r["selection"], r["price"], r["bookmakers"]) for r in rows] == [("home", 2.0, ["delta"]),
                                                                            ("away", 2.3, ["gamma"])]
    rows = cli_json(capsys, [*cfg, "compare-books", "--event", E1, "--market", "h2h", "--at", "2025-11-12T19:00:00Z",
                             "--format", "json"])
    fair = pd.DataFrame(rows).groupby("bookmaker")["fair_prob"].sum(min_count=1)
    assert np.allclose(fair[["alpha", "beta", "gamma"]], 1) and np.isnan(fair["delta"])
    # events: the provider's now (the simulator clock of this config)
    rows = cli_json(capsys, [*cfg, "events", "--days", "1", "--format", "json"])
    assert [r["canonical_event_id"] for r in rows] == [E1, "nba-e2"] and rows[0]["slate_date"] == DAY
    rows = cli_json(capsys, [*cfg, "events", "--days", "3", "--team", "LAL", "--format", "json"])
    assert [r["canonical_event_id"] for r in rows] == [E1, "nba-e3"]
    # table format names the event and prints the rows
    assert main([*cfg, "best-odds", "--event", E1, "--market", "spreads", "--at", "2025-11-12T19:00:00Z"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith(f"{E1} Los Angeles Lakers @ Boston Celtics") and "gamma" in out


def test_cli_exit_codes(hand_lake: Path, capsys) -> None:
    assert main(["odds-at", "--event", "nope", "--at", "2025-11-12T19:00:00Z"]) == 1
    err = capsys.readouterr().err
    assert "unknown event 'nope'" in err and len(err.strip().splitlines()) == 1
    assert main(["best-odds", "--event", "nope", "--market", "h2h", "--format", "json"]) == 1
    capsys.readouterr()
    assert main(["odds-at", "--event", E1, "--at", "2025-11-12T19:00:00"]) == 2
    err = capsys.readouterr().err
    assert "no timezone" in err and len(err.strip().splitlines()) == 1
    assert main(["compare-books", "--event", E1, "--market", "h2h", "--at", "yesterday"]) == 2
    assert "not an ISO 8601" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # --at is required
        main(["odds-at", "--event", E1])


# -- end to end, on silver built by the real pipeline -------------------------------------------

def reference_odds_at(root: Path, cid: str, at: datetime) -> pd.DataFrame:
    """A different implementation of the as-of rule (SQL window over the whole table) to check against."""
    con = connect(root)
    try:
        con.execute("SET TimeZone = 'UTC'")
        return con.execute("""
            WITH o AS (SELECT * FROM odds_snapshot WHERE canonical_event_id = ? AND snapshot_time_utc <= ?),
            l AS (SELECT *, max(snapshot_time_utc) OVER (PARTITION BY bookmaker, market) AS last FROM o)
            SELECT bookmaker, market, selection, point, price, snapshot_time_utc FROM l WHERE snapshot_time_utc = last
            ORDER BY ALL""", [cid, at]).df()
    finally:
        con.close()


def test_queries_on_a_simulated_lake(lake_root: Path, tmp_path: Path, capsys) -> None:
    """Bronze collected from the simulator and silver built by the real assets (one NBA slate), then queried."""
    config = write_config(tmp_path)
    assert run_bronze(config, dg.DagsterInstance.ephemeral()).success
    assert run_silver(NBA, SIM_DAY, config).success
    q = LakeQuery.from_config(config)
    events = q.events(30)  # the simulator's clock is days after these games
    assert len(events) >= 5 and events["oddsapi_event_id"].notna().all() and set(events["sport"]) == {NBA}
    rng = random.Random(7)
    checked = 0
    for cid in rng.sample(list(events["canonical_event_id"]), 5):
        ref = q.resolve_event(cid)
        assert q.resolve_event(ref.provider_ids["oddsapi"][0]).canonical_event_id == cid
        for minutes in (-600, -90, -1, 20):
            at = ref.commence_time_utc + timedelta(minutes=minutes, seconds=rng.randint(0, 59))
            got = q.odds_at(cid, at)
            want = reference_odds_at(lake_root, cid, at)
            assert len(got) == len(want)
            cols = ["bookmaker", "market", "selection", "point", "price"]
            g = got[cols].sort_values(cols).reset_index(drop=True)
            w = want[cols].sort_values(cols).reset_index(drop=True)
            pd.testing.assert_frame_equal(g, w, check_dtype=False)
            assert (got["snapshot_time_utc"] <= at).all()
            checked += len(got)
        for market in ("h2h", "spreads", "totals"):
            cmp = q.compare_books(cid, market)
            complete = cmp[cmp["complete"]]
            assert not complete.empty and complete["fair_prob"].notna().all()
            fair_sums = complete.groupby("bookmaker")["fair_prob"].sum()  # one line per book in these markets
            assert np.allclose(fair_sums, 1, rtol=0, atol=1e-9), fair_sums
            best = q.best_odds(cid, market)
            for r in best.itertuples():
                same = cmp[cmp["selection"].eq(r.selection) & (cmp["point"].eq(r.point) | pd.isna(r.point))]
                assert r.price == same["price"].max() and set(r.bookmakers) == set(
                    same.loc[same["price"] == r.price, "bookmaker"])
    assert checked > 100

    cid = events["canonical_event_id"].iloc[0]
    pid = q.resolve_event(cid).provider_ids["oddsapi"][0]
    at = (q.resolve_event(cid).commence_time_utc - timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    cfg = ["--config", config]
    rows = cli_json(capsys, [*cfg, "odds-at", "--event", pid, "--at", at, "--format", "json"])
    assert rows and {"h2h", "spreads", "totals"} <= {r["market"] for r in rows}
    book = rows[0]["bookmaker"]
    assert cli_json(capsys, [*cfg, "line-movement", "--event", cid, "--bookmaker", book, "--market", "h2h",
                             "--format", "json"])
    assert cli_json(capsys, [*cfg, "best-odds", "--event", cid, "--market", "spreads", "--format", "json"])
    assert cli_json(capsys, [*cfg, "compare-books", "--event", cid, "--market", "totals", "--at", at, "--format", "json"])
    listed = cli_json(capsys, [*cfg, "events", "--days", "30", "--format", "json"])
    assert [r["canonical_event_id"] for r in listed] == list(events["canonical_event_id"])
    team = events["home_team"].iloc[0]
    for argv in (["odds-at", "--event", cid, "--at", at], ["events", "--days", "30", "--team", team]):
        assert main([*cfg, *argv]) == 0
        assert capsys.readouterr().out.strip()


# -- prediction-market venues ------------------------------------------------------------------
def _venue_market(selection: str, token: str) -> dict:
    return {"provider_market_id": "pm-h2h", "provider_event_id": "pm-ev", "sport": NBA, "canonical_event_id": E1,
            "market": "h2h", "selection": selection, "point": None, "token_id": token, "venue": "polymarket",
            "fee_rate": 0.03, "question": "Lakers vs. Celtics"}


def _book(token: str, at: pd.Timestamp, bid: float, ask: float) -> list[dict]:
    return [{"token_id": token, "ts_utc": at, "price": p, "size": 100.0, "source": s}
            for s, p in (("bid", bid), ("ask", ask), ("mid", (bid + ask) / 2))]


def test_a_venue_is_a_book_of_the_query_api_at_its_taker_odds_on_the_best_ask(hand_lake: Path) -> None:
    write_partition(hand_lake, "prediction_market", NBA, DAY, frame("prediction_market", [
        _venue_market("home", "t-home"), _venue_market("away", "t-away")]))
    read = T2 - 10 * SEC  # both sides read in one sweep, before t2
    write_partition(hand_lake, "prediction_price", NBA, DAY, frame("prediction_price", [
        *_book("t-home", read, 0.38, 0.40), *_book("t-away", read + 2 * SEC, 0.58, 0.62),
        *_book("t-home", T2 + SEC, 0.08, 0.10),  # a later read: never seen at t2
        {"token_id": "t-home", "ts_utc": read - SEC, "price": 0.01, "size": None, "source": "history"}]))
    q = LakeQuery(hand_lake)
    home, away = odds_math.taker_decimal_odds(0.40, 0.03), odds_math.taker_decimal_odds(0.62, 0.03)
    best = q.best_odds(E1, "h2h", T2.to_pydatetime()).set_index("selection")
    assert best.loc["home", "bookmakers"] == ["polymarket"] and np.isclose(best.loc["home", "price"], home)
    assert best.loc["home", "n_books"] == 5  # alpha, beta, gamma, delta and the venue
    at = q.odds_at(E1, T2.to_pydatetime(), "h2h")
    assert prices(at, "polymarket", "h2h") == pytest.approx({"home": home, "away": away})
    assert snap(at, "polymarket", "h2h") == read + 2 * SEC  # one quote, stamped at the sweep's last read
    books = q.compare_books(E1, "h2h", T2.to_pydatetime())
    venue = books[books["bookmaker"] == "polymarket"]
    assert venue["complete"].all() and np.isclose(venue["fair_prob"].sum(), 1.0)
    # home read again: the next sweep, the venue's last snapshot after it (as a book's, its last whole snapshot)
    later = q.odds_at(E1, T3.to_pydatetime(), "h2h")
    assert prices(later, "polymarket", "h2h") == pytest.approx({"home": odds_math.taker_decimal_odds(0.10, 0.03)})
