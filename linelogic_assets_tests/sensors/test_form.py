"""The form-staleness sensor: a changed result rebuilds exactly the later slates whose team form read it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from linelogic_assets.partitions import partition_key
from linelogic_assets.resources import LakeResource
from linelogic_assets.sensors.form import FORM, RESULTS, form_staleness, stale_slates
from linelogic_assets.silver.events import RESULT_HASH, result_hash
from linelogic_assets.silver.io_manager import write_partition
from linelogic_assets.silver.schemas import typed

NBA = "basketball_nba"
D0 = date(2025, 11, 10)
# slate → games (home, away); form_games is 10 in the default config, so use few games and a small N below
SLATES = {
    D0: [("nba-bos", "nba-nyk")],
    D0 + timedelta(days=1): [("nba-lal", "nba-gsw")],  # neither team played on D0: never stale
    D0 + timedelta(days=2): [("nba-bos", "nba-mia")],  # BOS's next game: D0's result is in its form
    D0 + timedelta(days=3): [("nba-nyk", "nba-lal")],  # NYK's next game
    D0 + timedelta(days=4): [("nba-bos", "nba-mia")],  # BOS's second game since D0
    D0 + timedelta(days=5): [("nba-bos", "nba-lal")],  # BOS's third: with N = 2, D0's game is out of its form
    D0 + timedelta(days=6): [("nba-nyk", "nba-gsw")],  # NYK's second: still in
}


def _events(day: date, games: list[tuple[str, str]]) -> pd.DataFrame:
    return typed("event", pd.DataFrame([{
        "canonical_event_id": f"{day}-{h}-{a}", "sport": NBA, "league": "nba", "slate_date": day, "season": 2025,
        "home_team_id": h, "away_team_id": a, "home_team": h, "away_team": a,
        "commence_time_utc": pd.Timestamp(datetime(day.year, day.month, day.day, 23, tzinfo=UTC)),
        "actual_start_utc": pd.NaT, "status": "final", "providers": "balldontlie", "home_away_swapped": False,
        "first_seen_utc": pd.NaT, "last_seen_utc": pd.NaT} for h, a in games]))


def _results(day: date, home_score: int) -> pd.DataFrame:
    h, a = SLATES[day][0]
    return pd.DataFrame({"canonical_event_id": [f"{day}-{h}-{a}"], "home_score": [home_score], "away_score": [100],
                         "winner": ["home" if home_score > 100 else "away"]})


@pytest.fixture
def lake(lake_root: Path) -> Path:
    for day, games in SLATES.items():
        write_partition(lake_root, "event", NBA, day, _events(day, games))
    return lake_root


def test_stale_slates_are_the_later_ones_where_a_team_of_the_changed_games_has_it_in_its_last_n(lake) -> None:
    later = set(SLATES) - {D0}
    on = [D0 + timedelta(days=d) for d in range(7)]
    assert stale_slates(lake, NBA, D0, 2, later) == [on[2], on[3], on[4], on[6]]
    assert stale_slates(lake, NBA, D0, 1, later) == [on[2], on[3]]  # each team's next game only
    assert stale_slates(lake, NBA, D0, 2, {D0 + timedelta(days=1)}) == []  # only slates that were built


def _materialize(instance: dg.DagsterInstance, asset: dg.AssetKey, day: date, **metadata) -> None:
    instance.report_runless_asset_event(dg.AssetMaterialization(asset, partition=str(partition_key(NBA, day)),
                                                                metadata=metadata))


def test_a_changed_result_requests_the_stale_slates_in_date_order_and_an_unchanged_one_nothing(lake) -> None:
    resources = {"lake": LakeResource()}
    with dg.instance_for_test() as instance:
        _materialize(instance, RESULTS, D0, **{RESULT_HASH: result_hash(_results(D0, 99))})
        for day in sorted(SLATES)[1:]:  # later slates built on D0's first result
            _materialize(instance, FORM, day)
        first = form_staleness(dg.build_sensor_context(instance=instance, resources=resources))
        assert isinstance(first, dg.SkipReason)  # the first tick starts watching from now
        cursor = instance.fetch_materializations(RESULTS, limit=1).records[0].storage_id

        # the same result again (a re-run with identical scores): nothing is stale
        _materialize(instance, RESULTS, D0, **{RESULT_HASH: result_hash(_results(D0, 99))})
        same = form_staleness(dg.build_sensor_context(instance=instance, cursor=str(cursor), resources=resources))
        assert not same.run_requests
        cursor = int(same.cursor)

        # a corrected score: the later slates where BOS or NYK still carry that game are rebuilt, in date order
        _materialize(instance, RESULTS, D0, **{RESULT_HASH: result_hash(_results(D0, 120))})
        changed = form_staleness(dg.build_sensor_context(instance=instance, cursor=str(cursor), resources=resources))
        keys = [r.partition_key for r in changed.run_requests]
        assert keys == [str(partition_key(NBA, D0 + timedelta(days=d))) for d in (2, 3, 4, 5, 6)]
        assert all(r.asset_selection == [FORM] for r in changed.run_requests)
        assert {r.tags["linelogic/changed_result"] for r in changed.run_requests} == {str(partition_key(NBA, D0))}

        # once they are rebuilt after the change, the same change asks for nothing more
        for d in (2, 3, 4, 5, 6):
            _materialize(instance, FORM, D0 + timedelta(days=d))
        again = form_staleness(dg.build_sensor_context(instance=instance, cursor=str(changed.cursor),
                                                       resources=resources))
        assert not again.run_requests


def test_a_slates_first_results_after_later_slates_were_built_make_them_stale(lake) -> None:
    """Results that arrive late (stored for the first time after later slates' rows were built)."""
    resources = {"lake": LakeResource()}
    d1 = D0 + timedelta(days=1)
    with dg.instance_for_test() as instance:
        for day in sorted(SLATES)[2:]:
            _materialize(instance, FORM, day)
        assert isinstance(form_staleness(dg.build_sensor_context(instance=instance, resources=resources)),
                          dg.SkipReason)
        h, a = SLATES[d1][0]
        _materialize(instance, RESULTS, d1, **{RESULT_HASH: result_hash(pd.DataFrame({
            "canonical_event_id": [f"{d1}-{h}-{a}"], "home_score": [101], "away_score": [99], "winner": ["home"]}))})
        tick = form_staleness(dg.build_sensor_context(instance=instance, cursor="0", resources=resources))
        # LAL plays on D0+3 and D0+5, GSW on D0+6
        assert [r.partition_key for r in tick.run_requests] == [
            str(partition_key(NBA, D0 + timedelta(days=d))) for d in (3, 5, 6)]
