"""Declarative automation: silver and gold follow a bronze partition, that partition only, once."""

from __future__ import annotations

import dagster as dg

from linelogic_assets.automation import DERIVED, FOLLOW_UPSTREAM
from linelogic_assets.definitions import defs
from linelogic_assets.partitions import partition_key
from linelogic_assets_tests.bronze.test_assets import write_config

NBA = "basketball_nba"


def requested(result, graph) -> dict[dg.AssetKey, set[str]]:
    return {k: {str(p) for p in result.get_requested_partitions(k)} for k in DERIVED.resolve(graph)
            if result.get_requested_partitions(k)}


def test_silver_and_gold_follow_the_bronze_partition_that_landed(tmp_path, lake_root, monkeypatch) -> None:
    monkeypatch.setenv("LINELOGIC_CONFIG", write_config(tmp_path))
    graph = defs.resolve_asset_graph()
    derived = DERIVED.resolve(graph)
    assert all(graph.get(k).automation_condition == FOLLOW_UPSTREAM for k in derived)
    assert defs.get_sensor_def("linelogic_automation").default_status == dg.DefaultSensorStatus.RUNNING
    with dg.instance_for_test() as instance:
        first = dg.evaluate_automation_conditions(defs=defs, instance=instance)
        assert first.total_requested == 0, "nothing runs before bronze lands (missing history is for backfills)"
        pk = partition_key(NBA, "2025-11-12")
        odds = defs.resolve_job_def("pregame_odds_job")
        assert odds.execute_in_process(partition_key=pk, instance=instance).success
        second = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=first.cursor)
        got = requested(second, graph)
        # everything downstream of the odds, in that partition only; `team` follows BALLDONTLIE teams alone
        assert set(got) == derived - {dg.AssetKey("team")}
        assert all(parts == {str(pk)} for parts in got.values())
        # requested once: the next tick does not ask again while nothing new landed
        third = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=second.cursor)
        assert third.total_requested == 0
