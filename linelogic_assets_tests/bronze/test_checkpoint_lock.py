"""Two Dagster instances on one lake never buy a snapshot twice: buying a historical snapshot holds a
cross-process lock on its checkpoint key and re-reads the checkpoints from disk once it has the lock."""

from __future__ import annotations

import json
import multiprocessing
import os
from collections import Counter

import pytest

from linelogic_assets_tests.bronze.test_assets import NBA_DAY, manifests, write_config
from linelogic_assets_tests.bronze.test_lost_data import still_needed

NBA = "basketball_nba"


def materialize_in_own_instance(config: str, dagster_home: str, data_root: str, barrier, out) -> None:
    """A second Dagster instance: its own DAGSTER_HOME, the shared lake. Starts when both are ready."""
    os.environ["DAGSTER_HOME"], os.environ["LINELOGIC_DATA_ROOT"] = dagster_home, data_root
    import dagster as dg

    from linelogic_assets.partitions import partition_key
    from linelogic_assets.providers.oddsapi.assets import oddsapi_events, oddsapi_odds
    from linelogic_assets.providers.oddsapi.resource import OddsApiResource
    from linelogic_assets.resources import LakeResource

    resources = {"lake": LakeResource(config_path=config), "oddsapi": OddsApiResource(config_path=config)}
    with dg.DagsterInstance.get() as instance:
        barrier.wait(timeout=300)
        result = dg.materialize([oddsapi_events, oddsapi_odds], partition_key=partition_key(NBA, NBA_DAY),
                                resources=resources, instance=instance, raise_on_error=False)
        out.put(result.success)


@pytest.mark.slow
def test_two_instances_materializing_one_partition_at_once_buy_each_snapshot_once(tmp_path, lake_root,
                                                                                  capsys) -> None:
    # a provider answering at 4 calls a second keeps both runs buying for seconds, so they overlap
    config = write_config(tmp_path, oddsapi__rate_limit={"requests_per_second": 4, "burst": 1})
    one_run = still_needed(capsys, config)["quota_units"]  # what one run of the slate pays
    ctx = multiprocessing.get_context("spawn")
    barrier, out = ctx.Barrier(2), ctx.Queue()
    procs = []
    for name in ("dagster_home_a", "dagster_home_b"):
        home = tmp_path / name
        home.mkdir()
        procs.append(ctx.Process(target=materialize_in_own_instance,
                                 args=(config, str(home), str(lake_root.parent), barrier, out)))
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=600)
    assert [p.exitcode for p in procs] == [0, 0]
    assert [out.get(timeout=5), out.get(timeout=5)] == [True, True]

    ledger = [json.loads(line) for line in (lake_root / "quota" / "oddsapi" / "ledger.jsonl").read_text().splitlines()]
    bought = Counter(line["url"] for line in ledger if line["endpoint"].startswith("historical_"))
    twice = {url: n for url, n in bought.items() if n > 1}
    assert twice == {}, f"{len(twice)} of {len(bought)} snapshots bought twice"
    assert sum(line["cost"] or 0 for line in ledger) == one_run > 0, "the two runs together pay one run's units"
    # both runs hold every target: the one that waited references what the other bought
    for m in manifests(lake_root, "oddsapi", "historical_odds"):
        assert m["status"] == "complete" and m["responses"]
    left = still_needed(capsys, config)
    assert left["quota_units"] == 0 and left["held"] == left["targets"] > 0
