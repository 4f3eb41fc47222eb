"""Silver events on values import lets through: the bad row or value is quarantined with its column, the rest is built.

Each test imports a real fixture with one value broken, materializes the slate's silver and
checks the run succeeds, the quarantine names the reason, raw_ref and column, and the good rows
are in the tables.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from linelogic_assets.bronze.importer import import_file
from linelogic_assets.bronze.store import BronzeStore
from linelogic_assets.lake.paths import partition_file, quarantine_file
from linelogic_assets.sports import league_for
from linelogic_assets.timeutil import parse_ts
from linelogic_assets_tests.conftest import FIXTURES, endpoint_of
from linelogic_assets_tests.fuzzing import write_json
from linelogic_assets_tests.silver.test_assets import _write, run_silver

SCORES = FIXTURES / "the_odds_api" / "nhl_scores_2024-03-21_daysFrom_completed_and_upcoming.json"
EVENTS = FIXTURES / "the_odds_api" / "nhl_events_2024-03-21.json"
GAMES = FIXTURES / "balldontlie" / "v0_games_team2_upcoming_2021-02_status_tipoff_text.json"
NHL, NBA = "icehockey_nhl", "basketball_nba"


def import_mutated(root: Path, fixture: Path, mutate: Callable[[Any], None], day: date | None = None,
                   endpoint: str | None = None) -> list[str]:
    """Import a copy of a real fixture with `mutate` applied; the slate dates it landed in."""
    provider, default_endpoint, sport = endpoint_of(fixture)
    body = json.loads(fixture.read_text())
    mutate(body)
    path = write_json(root.parent / "incoming" / fixture.name, body)
    res = import_file(BronzeStore(root), path, provider=provider, endpoint=endpoint or default_endpoint, sport=sport,
                      day=day)
    return res.dates


def table(root: Path, name: str, sport: str, day: str) -> pd.DataFrame:
    return pq.read_table(partition_file(root, name, sport, day)).to_pandas()


def quarantined(root: Path, name: str, sport: str, day: str) -> pd.DataFrame:
    return pq.read_table(quarantine_file(root, name, sport, day)).to_pandas()


def built(sport: str, day: str) -> None:
    """Materialize the slate's silver; it must succeed whatever the data held."""
    result = run_silver(sport, day, raise_on_error=False)
    failed = [e.step_key for e in result.all_events if e.is_step_failure]
    assert result.success, failed


def slate(ev: dict, sport: str = NHL) -> str:
    return str(league_for(sport).slate_date(parse_ts(ev["commence_time"])))


def one_record(q: pd.DataFrame, column: str) -> pd.Series:
    rows = q[q["column"] == column]
    assert len(rows) == 1, q[["kind", "column", "reason"]].to_dict("records")
    rec = rows.iloc[0]
    assert rec["raw_ref"].startswith("bronze/provider=") and rec["reason"]
    return rec


def _first_completed(body: list[dict]) -> dict:
    return next(ev for ev in body if ev["completed"])


def _completed_ids(day: str) -> set[str]:
    return {ev["id"] for ev in json.loads(SCORES.read_text()) if ev["completed"] and slate(ev) == day}


def _mapped(root: Path, sport: str, day: str, provider: str = "oddsapi") -> set[str]:
    m = table(root, "event_provider_map", sport, day)
    return set(m.loc[m["provider"] == provider, "provider_event_id"])


def _with_result(root: Path, sport: str, day: str) -> set[str]:
    m, res = table(root, "event_provider_map", sport, day), table(root, "event_result", sport, day)
    m = m[m["provider"] == "oddsapi"]
    return set(m.loc[m["canonical_event_id"].isin(res["canonical_event_id"]), "provider_event_id"])


def _score_case(lake_root: Path, break_scores: Callable[[dict], None], column: str, shown: str) -> None:
    target = _first_completed(json.loads(SCORES.read_text()))
    day = slate(target)
    import_mutated(lake_root, SCORES, lambda body: break_scores(_first_completed(body)))
    built(NHL, day)
    rec = one_record(quarantined(lake_root, "event", NHL, day), column)
    assert shown in rec["reason"] and rec["kind"] == "value"
    assert json.loads(rec["detail"])["provider_event_id"] == target["id"]
    # the game is still an event (its identity is sound); only its unreadable result is missing
    assert target["id"] in _mapped(lake_root, NHL, day)
    assert _with_result(lake_root, NHL, day) == _completed_ids(day) - {target["id"]}


def test_a_score_of_two_is_quarantined_and_the_slate_builds(lake_root: Path) -> None:
    def two(ev: dict) -> None:
        ev["scores"][0]["score"] = "two"
    _score_case(lake_root, two, "scores", "'two'")


def test_scores_as_an_object_is_quarantined(lake_root: Path) -> None:
    def as_object(ev: dict) -> None:
        ev["scores"] = {s["name"]: s["score"] for s in ev["scores"]}
    _score_case(lake_root, as_object, "scores", "is not a list")


def _event_row_case(lake_root: Path, fixture: Path, field: str, value: object) -> None:
    body = json.loads(fixture.read_text())
    day = slate(body[0])
    import_mutated(lake_root, fixture, lambda b: b[0].__setitem__(field, value))
    built(NHL, day)
    rec = one_record(quarantined(lake_root, "event", NHL, day), field)
    assert rec["kind"] == "rows" and repr(value) in rec["reason"]
    same_day = {ev["id"] for ev in body[1:] if slate(ev) == day}
    assert same_day and _mapped(lake_root, NHL, day) == same_day


def test_home_team_null_quarantines_that_event_only(lake_root: Path) -> None:
    _event_row_case(lake_root, EVENTS, "home_team", None)


def test_home_team_null_in_scores_quarantines_that_event_only(lake_root: Path) -> None:
    _event_row_case(lake_root, SCORES, "home_team", None)


def test_a_null_event_id_quarantines_that_event_only(lake_root: Path) -> None:
    _event_row_case(lake_root, EVENTS, "id", None)


def test_a_null_event_id_in_scores_quarantines_that_event_only(lake_root: Path) -> None:
    _event_row_case(lake_root, SCORES, "id", None)


def test_unix_seconds_as_text_are_a_start_time(lake_root: Path) -> None:
    """parse_ts (and so import) reads "1711062000" as unix seconds; silver must read it the same way."""
    body = json.loads(EVENTS.read_text())
    day = slate(body[0])
    seconds = str(int(parse_ts(body[0]["commence_time"]).timestamp()))
    import_mutated(lake_root, EVENTS, lambda b: b[0].__setitem__("commence_time", seconds))
    built(NHL, day)
    assert _mapped(lake_root, NHL, day) == {ev["id"] for ev in body if slate(ev) == day}


def test_a_garbage_start_in_a_fetched_response_quarantines_that_event(lake_root: Path) -> None:
    """Bronze holds what a live fetch returned (import would refuse this): silver still reads the rest."""
    body = json.loads(EVENTS.read_text())
    day = slate(body[0])
    body[0]["commence_time"] = "garbage"
    _write(lake_root, "events", "run-live", body, None, day=day, sport=NHL)
    built(NHL, day)
    rec = one_record(quarantined(lake_root, "event", NHL, day), "commence_time")
    assert rec["kind"] == "rows" and "'garbage'" in rec["reason"]
    assert _mapped(lake_root, NHL, day) == {ev["id"] for ev in body[1:] if slate(ev) == day}


def test_a_null_balldontlie_game_id_is_quarantined_not_called_none(lake_root: Path) -> None:
    first = json.loads(GAMES.read_text())["data"][0]
    day = first["date"][:10]
    import_mutated(lake_root, GAMES, lambda b: b["data"][0].__setitem__("id", None))
    built(NBA, day)
    rec = one_record(quarantined(lake_root, "event", NBA, day), "id")
    assert rec["kind"] == "rows" and rec["provider"] == "balldontlie"
    assert _mapped(lake_root, NBA, day, "balldontlie") == set()  # never a game called "None"


def test_a_balldontlie_game_without_a_home_team_is_quarantined(lake_root: Path) -> None:
    games = json.loads(GAMES.read_text())["data"]
    day = games[1]["date"][:10]

    dates = import_mutated(lake_root, GAMES, lambda b: b["data"][1].__setitem__("home_team", None))
    assert day in dates
    built(NBA, day)
    rec = one_record(quarantined(lake_root, "event", NBA, day), "home_team")
    assert rec["kind"] == "rows"
    other = games[0]["date"][:10]  # the other games build as before
    built(NBA, other)
    assert _mapped(lake_root, NBA, other, "balldontlie") == {str(games[0]["id"])}
