"""The `team` asset on BALLDONTLIE team responses import lets through: unmatched rows are quarantined, never a crash."""

from __future__ import annotations

import json
from pathlib import Path

from linelogic_assets.silver.assets import team
from linelogic_assets_tests.conftest import FIXTURES
from linelogic_assets_tests.fuzzing import REFERENCE_DAY
from linelogic_assets_tests.silver.test_assets import run_silver
from linelogic_assets_tests.silver.test_events import import_mutated, one_record, quarantined, table

TEAMS = FIXTURES / "balldontlie" / "v0_teams_list_of_responses_2020.json"
NBA, DAY = "basketball_nba", str(REFERENCE_DAY)


def _built(root: Path) -> None:
    assert run_silver(NBA, DAY, assets=[team], raise_on_error=False).success


def test_a_team_whose_id_and_name_are_objects_is_quarantined(lake_root: Path) -> None:
    def broken(body: list) -> None:
        body[0]["data"][3] |= {"id": {"id": 4}, "full_name": {"en": "Charlotte Hornets"}, "name": ["Hornets"]}
    import_mutated(lake_root, TEAMS, broken, day=REFERENCE_DAY)
    _built(lake_root)
    rec = one_record(quarantined(lake_root, "team", NBA, DAY), "id")
    assert rec["kind"] == "rows" and "matches no canonical NBA team" in rec["reason"]
    assert len(table(lake_root, "team", NBA, DAY)) == 30


def test_a_single_team_response_is_read_as_one_row(lake_root: Path) -> None:
    """`/teams/{id}` answers {"data": {...}}: one team, not a list of its keys."""
    row = json.loads(TEAMS.read_text())[0]["data"][0]
    import_mutated(lake_root, TEAMS, lambda body: body.__setitem__(0, {"data": {**row, "full_name": "Nowhere Nobodies",
                                                                                 "id": 99}}), day=REFERENCE_DAY)
    _built(lake_root)
    rec = one_record(quarantined(lake_root, "team", NBA, DAY), "id")
    assert "'Nowhere Nobodies'" in rec["reason"]
