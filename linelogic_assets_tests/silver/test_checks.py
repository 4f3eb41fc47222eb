"""Every silver check passes on a small valid partition and fails, with the crafted count, on a bad one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import dagster as dg
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linelogic_assets.lake.checks import ERROR
from linelogic_assets.lake.quarantine import Quarantine
from linelogic_assets.silver import checks
from linelogic_assets.silver.checks import CHECKS, CheckInputs
from linelogic_assets.silver.odds_rules import PROBLEMS, odds_problems, point_bounds
from linelogic_assets.silver.schemas import SCHEMAS, typed

NOW = datetime(2025, 11, 18, 12, tzinfo=UTC)
SPORT = "basketball_nba"
COMMENCE = {"E1": "2025-11-18T00:00", "E2": "2025-11-19T00:30"}
Scenario = tuple[CheckInputs, dict[str, Any], str]  # inputs, expected metadata, phrase of the description


def ts(s: str) -> pd.Timestamp:
    return pd.Timestamp(s, tz="UTC")


def frame(table: str, rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Rows naming only the columns a test cares about (the rest null), typed as the table is stored."""
    names = SCHEMAS[table].names
    assert all(set(r) <= set(names) for r in rows), "unknown column in a test row"
    df = pd.DataFrame(rows, columns=names, dtype=object)
    return typed(table, df.where(df.notna(), None))


def _american(price: float) -> float | None:
    return None if price <= 1 else (price - 1) * 100 if price >= 2 else -100 / (price - 1)


def quote(event: str | None, snap: str, market: str, selection: str, price: float = 1.91,
          point: float | None = None, book: str = "draftkings", live: bool = False,
          **cols: Any) -> dict[str, Any]:
    return {"provider": "oddsapi", "sport": SPORT, "canonical_event_id": event,
            "provider_event_id": f"oa-{event}",
            "commence_time_utc": ts(COMMENCE.get(event, "2025-11-19T00:30")), "snapshot_time_utc": ts(snap),
            "is_live": live, "bookmaker": book, "market": market, "selection": selection, "price": price,
            "point": point, "price_american": _american(price), "bookmaker_last_update_utc": ts(snap),
            "ingested_at_utc": ts(snap), "raw_ref": f"raw/{event}/{snap}", **cols}


def book(event: str, snap: str, price: float = 1.91, spread: float = 3.5, total: float = 220.5,
         **kw: Any) -> list[dict[str, Any]]:
    """One book's h2h, spread and total at one snapshot, both sides each."""
    return [quote(event, snap, "h2h", "home", price, **kw), quote(event, snap, "h2h", "away", price, **kw),
            quote(event, snap, "spreads", "home", price, -spread, **kw),
            quote(event, snap, "spreads", "away", price, spread, **kw),
            quote(event, snap, "totals", "over", price, total, **kw),
            quote(event, snap, "totals", "under", price, total, **kw)]


def odds(*extra: dict[str, Any]) -> pd.DataFrame:
    rows = (book("E1", "2025-11-17T22:00") + book("E1", "2025-11-17T23:00", spread=4.0, total=222.5)
            + book("E2", "2025-11-18T10:00") + book("E2", "2025-11-18T11:00", spread=4.5, total=218.5)
            + book("E2", "2025-11-18T11:00", 1.99, book="betfair_ex_uk"))  # an exchange's 0.5 % is fine
    return frame("odds_snapshot", rows + list(extra))


def event(eid: str | None, commence: str, status: str = "scheduled", home: str = "nba-lal",
          away: str = "nba-bos", providers: str = "balldontlie,oddsapi") -> dict[str, Any]:
    return {"canonical_event_id": eid, "sport": SPORT, "league": "nba", "home_team_id": home,
            "away_team_id": away,
            "commence_time_utc": ts(commence), "status": status, "providers": providers,
            "home_away_swapped": False, "first_seen_utc": ts("2025-11-17T00:00"),
            "last_seen_utc": ts("2025-11-18T11:00")}


def events(*extra: dict[str, Any], e2_providers: str = "balldontlie,oddsapi") -> pd.DataFrame:
    e2 = event("E2", COMMENCE["E2"], home="nba-gsw", away="nba-den", providers=e2_providers)
    return frame("event", [event("E1", COMMENCE["E1"], "final"), e2, *extra])


def results(e1_agree: bool = True) -> pd.DataFrame:
    return frame("event_result", [{"canonical_event_id": "E1", "sport": SPORT, "home_score": 110,
                                   "away_score": 100, "winner": "home", "margin": 10, "total": 210,
                                   "providers_agree": e1_agree}])


def event_map(*extra: dict[str, Any]) -> pd.DataFrame:
    def row(provider: str, eid: str, confidence: float = 1.0, method: str = "registry",
            swapped: bool = False) -> dict[str, Any]:
        return {"provider": provider, "provider_event_id": f"{provider[:2]}-{eid}", "canonical_event_id": eid,
                "sport": SPORT, "match_confidence": confidence, "match_method": method,
                "home_away_swapped": swapped}
    rows = [row("balldontlie", "E1"), row("oddsapi", "E1"), row("balldontlie", "E2"),
            row("oddsapi", "E2", 0.9, "registry+start_tolerance")]  # 0.9 is still a confident match
    return frame("event_provider_map", rows + [row(*e) for e in extra])


def team_stats(away_pts: int = 100) -> pd.DataFrame:
    return frame("game_team_stats", [
        {"sport": SPORT, "canonical_event_id": "E1", "team_id": "nba-lal", "is_home": True, "pts": 110},
        {"sport": SPORT, "canonical_event_id": "E1", "team_id": "nba-bos", "is_home": False,
         "pts": away_pts}])


def valid(**changes: Any) -> CheckInputs:
    inputs = CheckInputs(SPORT, "nba", NOW, Quarantine(SPORT, "event"), odds=odds(), events=events(),
                         results=results(), event_map=event_map(), team_stats=team_stats())
    return replace(inputs, **changes)


def _retz(df: pd.DataFrame, column: str, tz: str | None) -> pd.DataFrame:
    df = df.copy()
    df[column] = df[column].dt.tz_localize(None) if tz is None else df[column].dt.tz_convert(tz)
    return df


# -- the crafted failures, one or more per check ----------------------------------------------

def bad_odds_identity() -> list[Scenario]:
    snap = "2025-11-18T11:00"
    nulls = odds(quote(None, snap, "h2h", "home"), quote(None, snap, "h2h", "away"))
    counts = {"canonical_event_id": 2, "provider_event_id": 0, "bookmaker": 0, "market": 0, "selection": 0,
              "snapshot_time_utc": 0, "commence_time_utc": 0}
    return [(valid(odds=nulls), {"nulls": counts, "non_utc_columns": []}, "2 null identity value(s)"),
            (valid(odds=_retz(odds(), "snapshot_time_utc", None)), {"non_utc_columns": ["snapshot_time_utc"]},
             "non-UTC columns ['snapshot_time_utc']"),
            (valid(odds=_retz(odds(), "commence_time_utc", "America/New_York")),
             {"non_utc_columns": ["commence_time_utc"]}, "non-UTC columns ['commence_time_utc']")]


def bad_price_bounds() -> list[Scenario]:
    snap = "2025-11-18T11:00"
    df = odds(quote("E2", snap, "h2h", "home", 0.95, book="fanduel"),
              quote("E2", snap, "h2h", "away", 0.95, book="fanduel"),
              quote("E2", snap, "h2h", "home", 151.0, book="caesars"),  # American +15000
              quote("E2", snap, "spreads", "home", point=-45.5, book="betmgm"),
              quote("E2", snap, "spreads", "away", point=45.5, book="betmgm"),
              quote("E2", snap, "totals", "over", point=330.5, book="betmgm"),
              quote("E2", snap, "totals", "under", point=330.5, book="betmgm"),
              quote("E2", snap, "alternate_spreads", "home", point=-50.5, book="betmgm"),  # alternates: 1.5x
              quote("E2", snap, "alternate_totals", "over", point=99.5, book="betmgm"))
    return [(valid(odds=df), {"decimal_price_not_above_1": 2, "american_beyond_10000": 1,
                              "spread_points_out_of_bounds": 2, "total_points_out_of_bounds": 3},
             "8 row(s) with impossible prices or points"),
            (valid(odds=odds(quote("E2", snap, "h2h", "home", 1.0, book="fanduel"))),
             {"decimal_price_not_above_1": 1}, "1 row(s) with impossible prices")]


def bad_unique() -> list[Scenario]:
    df = odds(quote("E2", "2025-11-18T11:00", "h2h", "home", 1.95))  # same key as draftkings' 1.91
    return [(valid(odds=df), {"duplicate_rows": 2},
             "2 rows share an (event, snapshot, book, market, selection")]


def bad_future() -> list[Scenario]:
    df = odds(*book("E1", "2025-11-18T12:04")[:2],  # within the 5 minutes of clock skew
              *book("E2", "2025-11-18T13:00")[:2],
              quote("E2", "2025-11-18T11:30", "h2h", "home", book="fanduel",
                    bookmaker_last_update_utc=ts("2025-11-18T12:30")))
    return [(valid(odds=df), {"snapshot_time_in_future": 2, "last_update_in_future": 3},
             "2 snapshot time(s) and 3 last_update(s) after 2025-11-18T12:00:00+00:00")]


def bad_two_sided() -> list[Scenario]:
    df = odds(quote("E2", "2025-11-18T11:00", "h2h", "home", book="fanduel"),
              quote("E2", "2025-11-18T11:00", "totals", "under", point=219.5, book="fanduel"))
    return [(valid(odds=df), {"one_sided": 2}, "2 market quote(s) have only one side")]


def bad_spread_inverse() -> list[Scenario]:
    df = odds(quote("E2", "2025-11-18T11:00", "spreads", "home", point=-3.5, book="fanduel"),
              quote("E2", "2025-11-18T11:00", "spreads", "away", point=4.5, book="fanduel"))
    return [(valid(odds=df), {"not_inverse": 1}, "1 spread pair(s) whose points are not +x/−x")]


def bad_overround() -> list[Scenario]:
    snap = "2025-11-18T11:00"
    df = odds(*book("E2", snap, 1.99, book="fanduel")[:2],  # 0.5 %: too little for a sportsbook
              *book("E2", snap, 1.70, book="caesars")[:2],  # 17.6 %
              *book("E2", snap, 1.99, book="betfair_ex_eu")[:2])  # exchange: exempt
    markets = 4 * 3 + 2  # draftkings' quotes in the valid partition, plus the two crafted books
    return [(valid(odds=df), {"out_of_range": 2, "markets_checked": markets,
                              "out_of_range_by_book": {"fanduel": 1, "caesars": 1}},
             f"2 of {markets} market quotes have an overround outside 2%–15%")]


def bad_movement() -> list[Scenario]:
    e1_live = book("E1", "2025-11-18T01:00", spread=18.5, live=True)[2:4]  # in play: 15 points, exempt
    e2_jump = book("E2", "2025-11-18T11:30", spread=15.5)[2:4]  # pregame 4.5 → 15.5: 11 points
    total_jump = book("E1", "2025-11-17T23:30", total=243.5)[4:]  # pregame 222.5 → 243.5: 21 points
    return [(valid(odds=odds(*e1_live, *e2_jump)), {"excessive": 2, "in_play_rows_exempt": 2},
             "2 line move(s) beyond"),
            (valid(odds=odds(*total_jump)), {"excessive": 2}, "2 line move(s) beyond")]


def bad_coverage() -> list[Scenario]:
    ev = events(event("E3", "2025-11-19T02:00"), event("E4", "2025-11-19T03:00", "postponed"))
    return [(valid(events=ev), {"events": 3, "events_with_odds": 2, "events_without_odds": ["E3"]},
             "1 of 3 events have no odds snapshot")]


def bad_quarantine(table: str) -> Callable[[], list[Scenario]]:
    def craft() -> list[Scenario]:
        q = Quarantine(SPORT, table)
        q.add("rows", "team 'Seattle SuperSonics' matches no canonical team", rows=3)
        q.add("response", "response is not JSON", raw_ref="raw/x.json")
        return [(valid(quarantine=q), {"quarantined_records": 2, "quarantined_rows": 4,
                                       "by_kind": {"rows": 1, "response": 1}},
                 "2 item(s) quarantined (4 rows): team 'Seattle SuperSonics' matches no canonical team")]
    return craft


def bad_event_identity() -> list[Scenario]:
    ev = events(event("E1", COMMENCE["E1"], "final"), event(None, "2025-11-19T02:00"),
                event("E5", "2025-11-19T03:00", home="nba-mia", away="nba-mia"))
    naive = _retz(events(), "commence_time_utc", None)
    return [(valid(events=ev), {"nulls": {"canonical_event_id": 1, "home_team_id": 0, "away_team_id": 0},
                                "duplicate_ids": 1, "team_plays_itself": 1}, "3 identity problem(s)"),
            (valid(events=naive), {"non_utc_columns": ["commence_time_utc"]},
             "non-UTC columns ['commence_time_utc']")]


def bad_matching() -> list[Scenario]:
    m = event_map(("balldontlie", "E3", 0.8, "fuzzy"), ("oddsapi", "E3", 0.95, "registry", True))
    return [(valid(event_map=m), {"provider_events": 6, "low_confidence_or_swapped": 2},
             "2 provider event(s) matched by a fallback")]


def bad_results() -> list[Scenario]:
    ev = events(event("E3", "2025-11-18T01:00", "final"),
                event("E5", "2025-11-18T02:00"),  # still 'scheduled' 10 h after tip-off: overdue
                event("E4", "2025-11-18T01:30", "postponed"))
    return [(valid(events=ev, results=results(e1_agree=False)),
             {"finished_events": 3, "with_result": 1, "finished_without_result": ["E3", "E5"],
              "providers_disagree": 1},
             "2 finished event(s) without a result; 1 result(s) where providers disagree")]


def bad_provider_coverage() -> list[Scenario]:
    ev = events(event("E4", "2025-11-19T02:00", "postponed", providers="balldontlie"), e2_providers="oddsapi")
    return [(valid(events=ev), {"events": 2, "seen_by_one_provider": 1, "only_by": {"oddsapi": 1}},
             "1 event(s) seen by one provider only")]


def bad_box_scores() -> list[Scenario]:
    return [(valid(team_stats=team_stats(away_pts=98)),
             {"games_checked": 1, "box_score_differs_from_result": 1, "examples": ["E1"]},
             "1 game(s) whose player points do not add up to the final score")]


CRAFTED: dict[tuple[str, str], Callable[[], list[Scenario]]] = {
    ("event", "ids_and_times"): bad_event_identity,
    ("event", "quarantine"): bad_quarantine("event"),
    ("event", "match_confidence"): bad_matching,
    ("event", "results_reconciled"): bad_results,
    ("event", "provider_coverage"): bad_provider_coverage,
    ("odds_snapshot", "ids_and_times"): bad_odds_identity,
    ("odds_snapshot", "price_bounds"): bad_price_bounds,
    ("odds_snapshot", "unique_after_dedupe"): bad_unique,
    ("odds_snapshot", "no_future_times"): bad_future,
    ("odds_snapshot", "two_sided_markets"): bad_two_sided,
    ("odds_snapshot", "spread_points_inverse"): bad_spread_inverse,
    ("odds_snapshot", "overround"): bad_overround,
    ("odds_snapshot", "line_movement"): bad_movement,
    ("odds_snapshot", "coverage"): bad_coverage,
    ("odds_snapshot", "quarantine"): bad_quarantine("odds_snapshot"),
    ("team", "quarantine"): bad_quarantine("team"),
    ("player", "quarantine"): bad_quarantine("player"),
    ("game_team_stats", "box_scores_reconciled"): bad_box_scores,
}
ASSETS = sorted({c.asset for c in CHECKS})
by_check = pytest.mark.parametrize("check", CHECKS, ids=lambda c: f"{c.asset}.{c.name}")


def test_every_check_has_a_crafted_failure() -> None:
    assert set(CRAFTED) == {(c.asset, c.name) for c in CHECKS}
    assert len(CRAFTED) == len(CHECKS), "two checks share an (asset, name)"


@by_check
def test_check_passes_on_a_valid_partition(check: checks.Check) -> None:
    out = check.fn(valid())
    assert out.passed is True, out.description
    assert out.description is None


@by_check
def test_check_fails_on_its_crafted_partition(check: checks.Check) -> None:
    for inputs, expected, phrase in CRAFTED[(check.asset, check.name)]():
        out = check.fn(inputs)
        assert out.passed is False
        assert {k: out.metadata[k] for k in expected} == expected
        assert phrase in (out.description or "")


# -- what the checks deliberately let through -------------------------------------------------

def test_exchange_overround_is_exempt_and_only_sportsbooks_are_counted() -> None:
    df = odds(*book("E2", "2025-11-18T11:00", 2.02, book="betfair_ex_uk")[:2])  # −1 %: exchanges may be
    out = checks.odds_overround(valid(odds=df))
    assert out.passed and out.metadata["out_of_range"] == 0 and out.metadata["exchanges_exempt"] is True
    assert out.metadata["markets_checked"] == 12 and out.metadata["median_overround"] == 0.0471


def test_in_play_move_is_exempt_and_pregame_move_within_limit_passes() -> None:
    live = book("E1", "2025-11-18T01:00", spread=18.5, live=True)[2:4]
    out = checks.odds_movement(valid(odds=odds(*live)))
    assert out.passed and out.metadata["in_play_rows_exempt"] == 2 and out.metadata["excessive"] == 0
    assert out.metadata["max_move"] == {"spreads": 1.0, "totals": 2.0}
    ten = book("E2", "2025-11-18T11:30", spread=14.5)[2:4]  # exactly the limit
    assert checks.odds_movement(valid(odds=odds(*ten))).passed


def test_postponed_events_need_no_odds_and_single_provider_partitions_pass() -> None:
    ev = events(event("E4", "2025-11-19T02:00", "postponed"), event("E6", "2025-11-19T02:00", "cancelled"))
    assert checks.odds_coverage(valid(events=ev)).metadata["events"] == 2
    assert checks.odds_coverage(valid(events=ev)).passed
    one = frame("event", [event("E1", COMMENCE["E1"], "final", providers="oddsapi"),
                          event("E2", COMMENCE["E2"], providers="oddsapi")])
    out = checks.event_provider_coverage(valid(events=one))
    assert out.passed and out.metadata["providers_in_partition"] == ["oddsapi"]


def test_events_not_yet_due_need_no_result_and_a_missing_box_score_is_not_a_mismatch() -> None:
    ev = events(event("E3", "2025-11-18T09:00"))  # started 3 h ago: not overdue yet
    assert checks.event_results(valid(events=ev)).passed
    no_box = checks.box_scores_reconciled(valid(team_stats=frame("game_team_stats", [])))
    assert no_box.passed and no_box.metadata["games_checked"] == 0


# -- Dagster wiring --------------------------------------------------------------------------

def test_error_checks_are_exactly_the_blocking_ones() -> None:
    blocking = {(s.asset_key.to_user_string(), s.name) for a in ASSETS for s in checks.specs(a) if s.blocking}
    assert blocking == {(c.asset, c.name) for c in CHECKS if c.severity == ERROR} == {
        ("event", "ids_and_times"), ("odds_snapshot", "ids_and_times"), ("odds_snapshot", "price_bounds"),
        ("odds_snapshot", "unique_after_dedupe"), ("odds_snapshot", "no_future_times")}
    assert sum(len(checks.specs(a)) for a in ASSETS) == len(CHECKS)


@pytest.mark.parametrize("asset", ASSETS)
def test_results_are_check_results_with_the_checks_severity(asset: str) -> None:
    severity = {c.name: c.severity for c in CHECKS if c.asset == asset}
    out = checks.results(asset, valid())
    assert all(isinstance(r, dg.AssetCheckResult) for r in out)
    assert {r.check_name: r.severity for r in out} == severity
    assert all(r.passed and r.asset_key == dg.AssetKey(asset) for r in out)


@by_check
def test_results_report_a_crafted_failure(check: checks.Check) -> None:
    inputs, expected, _ = CRAFTED[(check.asset, check.name)]()[0]
    result = {r.check_name: r for r in checks.results(check.asset, inputs)}[check.name]
    assert result.passed is False and result.severity == check.severity
    key, value = next(iter(expected.items()))
    assert result.metadata[key].value == value


# -- regressions: defects found in checks.py and fixed ------------------------------------------

def test_max_move_metadata_is_never_nan() -> None:
    out = checks.odds_movement(valid(odds=frame("odds_snapshot", book("E2", "2025-11-18T11:00"))))
    assert all(v == v for v in out.metadata["max_move"].values())  # NaN would reach the JSON metadata


def test_coverage_shares_never_exceed_one() -> None:
    ev = events(event("E4", "2025-11-19T02:00", "postponed"))
    out = checks.odds_coverage(valid(events=ev, odds=odds(*book("E4", "2025-11-18T11:00"))))
    assert max(out.metadata["share_by_market"].values()) <= 1
    assert max(out.metadata["share_by_bookmaker"].values()) <= 1


def test_box_scores_with_one_side_missing_fail() -> None:
    ts = frame("game_team_stats", [{"canonical_event_id": "E1", "team_id": "nba-bos", "is_home": True, "pts": 100}])
    res = frame("event_result", [{"canonical_event_id": "E1", "home_score": 100, "away_score": 90}])
    out = checks.box_scores_reconciled(valid(team_stats=ts, results=res))
    assert out.passed is False and out.metadata["box_score_differs_from_result"] == 1


def test_missing_match_confidence_is_flagged() -> None:
    m = frame("event_provider_map", [{"provider": "oddsapi", "provider_event_id": "x", "canonical_event_id": "E1",
                                      "match_confidence": None, "home_away_swapped": False}])
    assert checks.event_matching(valid(event_map=m)).passed is False


def test_in_play_points_are_exempt_from_point_bounds() -> None:
    rows = [{"canonical_event_id": "E1", "provider_event_id": "p", "bookmaker": "draftkings", "market": "spreads",
             "selection": s, "price": 1.9, "price_american": -111.0, "point": p, "is_live": live,
             "snapshot_time_utc": "2025-11-18T11:00:00Z", "commence_time_utc": "2025-11-18T10:00:00Z"}
            for s, p in (("home", -45.5), ("away", 45.5)) for live in (True,)]  # NBA bound: 40
    blowout = frame("odds_snapshot", rows)
    assert checks.odds_price_bounds(valid(odds=blowout)).passed
    pregame = frame("odds_snapshot", [{**r, "is_live": False} for r in rows])
    assert checks.odds_price_bounds(valid(odds=pregame)).metadata["spread_points_out_of_bounds"] == 2


# -- odds: ERROR checks guard the stored table with the normaliser's rule; provider problems are WARN counts --

def test_price_bounds_counts_every_problem_the_normaliser_quarantines() -> None:
    snap = "2025-11-18T11:00"
    df = odds(quote("E2", snap, "spreads", "home", point=None, book="fanduel"),
              quote("E2", snap, "totals", "over", point=float("inf"), book="fanduel"),
              quote("E2", snap, "h2h", "home", float("inf"), book="caesars"),
              quote("E2", snap, "h2h", "away", 1.5, book="caesars", price_american=-50.0),
              quote("E2", snap, "h2h", "away", 2.5, book="betmgm", price_american=None))
    out = checks.odds_price_bounds(valid(odds=df))
    assert out.passed is False and out.description == "5 row(s) with impossible prices or points"
    assert {k: out.metadata[k] for k in ("point_missing", "point_not_finite", "price_not_finite",
                                         "american_below_100", "american_missing")} == dict.fromkeys(
        ("point_missing", "point_not_finite", "price_not_finite", "american_below_100", "american_missing"), 1)
    assert out.metadata["bounds"]["american"] == 10000 and out.metadata["bounds"]["decimal"] == [1.01, 101.0]


def _odds_quarantine(rows: int, whole: int = 0, copies: int = 4) -> checks.Outcome:
    q = Quarantine(SPORT, "odds_snapshot")
    if rows:
        q.add("rows", "price is NaN or infinite", raw_ref="raw/a.json", rows=rows, column="price")
    for _ in range(whole):
        q.add("response", "bronze holds this body as invalid JSON (kept, not parsed)", raw_ref="raw/b.json")
    table = pd.concat([odds()] * copies, ignore_index=True)  # 120 stored rows
    return checks.quarantined(valid(quarantine=q, odds=table))


def test_odds_quarantine_passes_below_its_share_and_reports_the_numbers() -> None:
    out = _odds_quarantine(rows=1)
    assert out.passed is True
    assert {k: out.metadata[k] for k in ("table_rows", "quarantined_outcome_rows", "quarantined_share",
                                         "warn_above_share", "quarantined_whole")} == {
        "table_rows": 120, "quarantined_outcome_rows": 1, "quarantined_share": round(1 / 121, 6),
        "warn_above_share": 0.01, "quarantined_whole": 0}
    assert "0.83% of outcome rows quarantined" in out.description


def test_odds_quarantine_warns_above_its_share_or_on_a_whole_response() -> None:
    above = _odds_quarantine(rows=2)
    assert above.passed is False and above.metadata["quarantined_share"] == round(2 / 122, 6)
    assert above.description.startswith("1 item(s) quarantined (2 rows): price is NaN or infinite")
    whole = _odds_quarantine(rows=0, whole=1)
    assert whole.passed is False and whole.metadata["quarantined_whole"] == 1
    assert whole.metadata["quarantined_share"] == 0.0
    assert _odds_quarantine(rows=0).passed and _odds_quarantine(rows=0).description is None


def test_each_odds_error_check_applies_exactly_the_problems_it_guards() -> None:
    for name in ("ids_and_times", "price_bounds", "no_future_times"):
        masks = odds_problems(odds(), point_bounds("nba"), NOW, check=name)
        assert set(masks) == {p for p, problem in PROBLEMS.items() if problem.check == name}
        assert not any(m.any() for m in masks.values())  # the valid partition has none


def _one_sided_by_sets(odds_frame: pd.DataFrame) -> tuple[int, int, list[dict[str, Any]]]:
    """`two_sided_markets` by its definition, one Python set per market quote (the check runs vectorised)."""
    main = checks._sided(odds_frame)
    if main.empty:
        return 0, 0, []
    sides = main.groupby(checks._PAIR, dropna=False)["selection"].agg(frozenset)
    expected = {m: set(s) for m, s in checks.TWO_WAY_SIDES.items()}
    market = sides.index.get_level_values("market")
    missing = sides[[not expected[m] <= set(s) for m, s in zip(market, sides, strict=True)]]
    return len(sides), len(missing), [dict(zip(checks._PAIR, map(str, k), strict=True)) | {"sides": sorted(v)}
                                      for k, v in missing.head(5).items()]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(["E1", "E2"]), st.sampled_from(["2025-11-18T10:00", "2025-11-18T11:00"]),
                          st.sampled_from(["draftkings", "fanduel", "betfair_ex_uk"]),
                          st.sampled_from([("h2h", "home"), ("h2h", "away"), ("h2h", "draw"), ("spreads", "home"),
                                           ("spreads", "away"), ("totals", "over"), ("totals", "under"),
                                           ("h2h_lay", "home"), ("h2h_lay", "away")]),
                          st.sampled_from([None, 3.5, -3.5, 220.5]), st.sampled_from([None, "LeBron James"])),
                max_size=40))
def test_two_sided_agrees_with_its_definition_on_any_mix_of_sides(rows: list[tuple]) -> None:
    df = frame("odds_snapshot", [quote(e, snap, m, sel, point=pt, book=b, participant=who)
                                 for e, snap, b, (m, sel), pt, who in rows])
    out = checks.odds_two_sided(valid(odds=df))
    checked, one_sided, examples = _one_sided_by_sets(df)
    assert (out.metadata.get("markets_checked", 0), out.metadata.get("one_sided", 0)) == (checked, one_sided)
    assert out.metadata.get("examples", []) == examples
    assert out.passed == (one_sided == 0)
