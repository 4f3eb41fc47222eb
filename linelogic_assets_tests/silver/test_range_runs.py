"""A silver asset over a partition range (one step for many slates) leaves the records of one-partition runs:
a materialization per partition with that slate's own metadata, a check result per partition, the same bytes."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import pytest

from linelogic_assets.lake.paths import quarantine_file
from linelogic_assets.partitions import partition_key
from linelogic_assets.silver.assets import team
from linelogic_assets_tests.conftest import FIXTURES
from linelogic_assets_tests.silver.test_assets import run_silver, silver_bytes, silver_resources
from linelogic_assets_tests.silver.test_events import import_mutated

NBA = "basketball_nba"
FIRST = date(2024, 3, 1)
DAYS = [FIRST + timedelta(days=i) for i in range(10)]
BAD_DAY = DAYS[3]  # its team response names a team the registry does not know
TEAMS = FIXTURES / "balldontlie" / "v0_teams_list_of_responses_2020.json"
RANGE = {"dagster/asset_partition_range_start": str(partition_key(NBA, DAYS[0])),
         "dagster/asset_partition_range_end": str(partition_key(NBA, DAYS[-1]))}


def _lake(root: Path) -> None:
    row = json.loads(TEAMS.read_text())[0]["data"][0]
    import_mutated(root, TEAMS, lambda body: body[0]["data"].append({**row, "id": 99, "full_name": "Nowhere Nobodies"}),
                   day=BAD_DAY)


@pytest.fixture
def ranged(lake_root: Path) -> tuple[Path, dg.DagsterInstance, dg.ExecuteInProcessResult]:
    _lake(lake_root)
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize([team], resources=silver_resources(), instance=instance, tags=RANGE)
    assert result.success
    return lake_root, instance, result


def test_a_range_run_records_each_partition_with_its_own_metadata(ranged) -> None:
    _, instance, result = ranged
    events = {e.materialization.partition: e.materialization.metadata for e in result.get_asset_materialization_events()}
    assert sorted(events) == sorted(str(partition_key(NBA, d)) for d in DAYS)
    quarantined = {k: m["quarantined"].value for k, m in events.items()}
    assert quarantined == {k: int(k.startswith(str(BAD_DAY))) for k in events}
    assert all(m["dagster/row_count"].value == 30 for m in events.values())
    assert instance.get_materialized_partitions(dg.AssetKey("team")) == set(events)


def test_a_range_run_records_a_check_result_per_partition(ranged) -> None:
    _, instance, result = ranged
    evaluations = {e.partition: e.passed for e in result.get_asset_check_evaluations()}
    assert evaluations == {str(partition_key(NBA, d)): d != BAD_DAY for d in DAYS}
    history = instance.event_log_storage.get_asset_check_execution_history(
        dg.AssetCheckKey(dg.AssetKey("team"), "quarantine"), limit=100)
    assert sorted(r.partition for r in history) == sorted(evaluations)
    failed = [r.partition for r in history if r.status.value == "FAILED"]
    assert failed == [str(partition_key(NBA, BAD_DAY))]


def test_a_range_run_writes_the_bytes_of_one_partition_runs(ranged, tmp_path: Path, monkeypatch) -> None:
    root, _, _ = ranged
    ranged_bytes = silver_bytes(root)
    single = tmp_path / "single"
    monkeypatch.setenv("LINELOGIC_DATA_ROOT", str(single))
    _lake(single / "demo")
    for d in DAYS:
        assert run_silver(NBA, str(d), assets=[team]).success
    assert silver_bytes(single / "demo") == ranged_bytes and len(ranged_bytes) == len(DAYS)
    for d in DAYS:  # and the same quarantine, slate by slate
        assert quarantine_file(single / "demo", "team", NBA, d).read_bytes() == quarantine_file(root, "team", NBA, d).read_bytes()


def test_a_failed_slate_leaves_the_others_materialized_and_a_retry_of_it_alone_succeeds(lake_root: Path,
                                                                                        monkeypatch) -> None:
    from linelogic_assets.silver import assets as silver_assets

    built = silver_assets.build_teams

    def failing(store, league, day, *args):
        if day == BAD_DAY:
            raise OSError("disk gone for this slate")
        return built(store, league, day, *args)

    monkeypatch.setattr(silver_assets, "build_teams", failing)
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize([team], resources=silver_resources(), instance=instance, tags=RANGE, raise_on_error=False)
    assert not result.success  # the run says it lost a slate
    bad = str(partition_key(NBA, BAD_DAY))
    good = {str(partition_key(NBA, d)) for d in DAYS if d != BAD_DAY}
    assert instance.get_materialized_partitions(dg.AssetKey("team")) == good
    events = {e.materialization.partition: e.materialization.metadata for e in result.get_asset_materialization_events()}
    assert set(events) == good and all(m["dagster/row_count"].value == 30 for m in events.values())
    assert {e.partition for e in result.get_asset_check_evaluations()} == good
    assert all((lake_root / "silver" / "tables" / "team" / f"sport={NBA}" / f"date={d}").exists() for d in DAYS
               if d != BAD_DAY)
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert bad in failure.step_failure_data.user_failure_data.description

    monkeypatch.setattr(silver_assets, "build_teams", built)
    retry = dg.materialize([team], resources=silver_resources(), instance=instance,
                           partition_key=partition_key(NBA, BAD_DAY))
    assert retry.success
    assert instance.get_materialized_partitions(dg.AssetKey("team")) == good | {bad}
