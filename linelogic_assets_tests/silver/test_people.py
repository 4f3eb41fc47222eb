"""Silver people (box scores, players, injuries, lineups) on values import lets through.

A row whose identity is unreadable (no player, an id that is an object) is quarantined whole; a
box-score line with one unreadable stat is kept with that stat null and a quarantine record naming
the column, and the team total it feeds is unknown rather than wrong.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from linelogic_assets.bronze.importer import import_file
from linelogic_assets.bronze.store import BronzeStore
from linelogic_assets.silver.assets import silver_events, silver_people
from linelogic_assets_tests.fuzzing import STATS_FIXTURE, people_documents, write_json
from linelogic_assets_tests.silver.test_assets import run_silver
from linelogic_assets_tests.silver.test_events import built, import_mutated, one_record, quarantined, table

NBA, DAY = "basketball_nba", "2023-11-06"  # the stats fixture's game
LINES = 21


def _stats_rows() -> list[dict]:
    body = json.loads(STATS_FIXTURE.read_text())
    return [*body["home"], *body["visitor"]]


def _import_people(root: Path, endpoint: str, mutate) -> None:
    """A players/injuries/lineups response built from the real stats fixture, imported with `mutate` applied."""
    doc = people_documents()[endpoint]
    mutate(doc)
    path = write_json(root.parent / "incoming" / f"{endpoint}.json", doc)
    import_file(BronzeStore(root), path, provider="balldontlie", endpoint=endpoint, sport=NBA,
                day=date.fromisoformat(DAY))


@pytest.mark.parametrize("value", ["lots", 10**20, -5])
def test_an_unreadable_stat_is_nulled_and_quarantined_the_line_kept(lake_root: Path, value: object) -> None:
    target = _stats_rows()[0]
    import_mutated(lake_root, STATS_FIXTURE, lambda b: b["home"][0].__setitem__("pts", value))
    built(NBA, DAY)
    rec = one_record(quarantined(lake_root, "player", NBA, DAY), "pts")
    assert rec["kind"] == "value" and repr(value) in rec["reason"]
    stats = table(lake_root, "game_player_stats", NBA, DAY)
    assert len(stats) == LINES
    line = stats[stats["canonical_player_id"] == f"nba-p{target['player']['id']}"].iloc[0]
    assert pd.isna(line["pts"]) and line["reb"] == target["reb"]
    # the team total that line feeds is unknown, not short by one player's points
    teams = table(lake_root, "game_team_stats", NBA, DAY).set_index("team_id")
    assert pd.isna(teams.loc["nba-det", "pts"]) and teams.loc["nba-gsw", "pts"] == 120


def test_box_scores_check_reports_unknown_points_instead_of_a_mismatch(lake_root: Path) -> None:
    import_mutated(lake_root, STATS_FIXTURE, lambda b: b["home"][0].__setitem__("pts", "lots"))
    result = run_silver(NBA, DAY, assets=[silver_events, silver_people], raise_on_error=False)
    assert result.success
    [check] = [c for c in result.get_asset_check_evaluations() if c.check_name == "box_scores_reconciled"]
    meta = {k: v.value for k, v in check.metadata.items()}
    assert check.passed and meta["box_score_differs_from_result"] == 0 and meta["games_with_unknown_points"] == 1


def test_minutes_like_12_xx_are_nulled_and_quarantined(lake_root: Path) -> None:
    import_mutated(lake_root, STATS_FIXTURE, lambda b: b["home"][0].__setitem__("min", "12:xx"))
    built(NBA, DAY)
    rec = one_record(quarantined(lake_root, "player", NBA, DAY), "min")
    assert rec["kind"] == "value"
    stats = table(lake_root, "game_player_stats", NBA, DAY)
    assert len(stats) == LINES and stats["minutes"].isna().sum() == 1


def test_a_null_player_quarantines_that_line_only(lake_root: Path) -> None:
    import_mutated(lake_root, STATS_FIXTURE, lambda b: b["home"][0].__setitem__("player", None))
    built(NBA, DAY)
    rec = one_record(quarantined(lake_root, "player", NBA, DAY), "player")
    assert rec["kind"] == "rows" and rec["endpoint"] == "stats"
    assert len(table(lake_root, "game_player_stats", NBA, DAY)) == LINES - 1


def test_a_stat_line_for_a_game_of_another_slate_is_not_quarantined_here(lake_root: Path) -> None:
    """A file with two games' lines lands in both slates; each slate reads its own lines, quarantines none."""
    def other_game(b: dict) -> None:
        b["visitor"][0]["game"] = {**b["visitor"][0]["game"], "id": 1037999, "date": "2023-11-08T00:00:00.000Z"}
    dates = import_mutated(lake_root, STATS_FIXTURE, other_game)
    assert dates == [DAY, "2023-11-08"]
    built(NBA, DAY)
    assert quarantined(lake_root, "player", NBA, DAY).empty
    assert len(table(lake_root, "game_player_stats", NBA, DAY)) == LINES - 1


def test_an_injury_without_a_player_is_quarantined(lake_root: Path) -> None:
    _import_people(lake_root, "injuries", lambda d: d["data"][0].__setitem__("player", None))
    built(NBA, DAY)
    rec = one_record(quarantined(lake_root, "player", NBA, DAY), "player")
    assert rec["kind"] == "rows" and rec["endpoint"] == "injuries"
    assert len(table(lake_root, "injuries", NBA, DAY)) == len(people_documents()["injuries"]["data"]) - 1


def test_a_lineup_row_without_a_player_is_quarantined(lake_root: Path) -> None:
    import_mutated(lake_root, STATS_FIXTURE, lambda b: None)  # the game the lineups belong to
    _import_people(lake_root, "lineups", lambda d: d["data"][3].__setitem__("player", None))
    built(NBA, DAY)
    rec = one_record(quarantined(lake_root, "player", NBA, DAY), "player")
    assert rec["kind"] == "rows" and rec["endpoint"] == "lineups"
    assert len(table(lake_root, "lineups", NBA, DAY)) == LINES - 1


def test_a_player_id_that_is_an_object_is_quarantined(lake_root: Path) -> None:
    _import_people(lake_root, "players", lambda d: d["data"][2].__setitem__("id", {"id": 5}))
    built(NBA, DAY)
    rec = one_record(quarantined(lake_root, "player", NBA, DAY), "id")
    assert rec["kind"] == "rows"
    assert len(table(lake_root, "player", NBA, DAY)) == LINES - 1


def test_a_name_that_is_an_object_is_nulled_and_the_player_kept(lake_root: Path) -> None:
    _import_people(lake_root, "players", lambda d: d["data"][2].__setitem__("first_name", {"en": "Jalen"}))
    built(NBA, DAY)
    rec = one_record(quarantined(lake_root, "player", NBA, DAY), "first_name")
    assert rec["kind"] == "value"
    players = table(lake_root, "player", NBA, DAY)
    assert len(players) == LINES and players["first_name"].isna().sum() == 1
