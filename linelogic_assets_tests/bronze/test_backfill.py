"""Backfill planning: the CLI's plan, the budget refusal, and the plan held to by a real partition backfill."""

from __future__ import annotations

import json

import dagster as dg
import pytest

from linelogic_assets.bronze.store import BronzeStore
from linelogic_assets.cli import main
from linelogic_assets.partitions import partition_key
from linelogic_assets.providers.oddsapi.assets import oddsapi_events, oddsapi_odds
from linelogic_assets.providers.oddsapi.resource import OddsApiResource
from linelogic_assets.resources import LakeResource
from linelogic_assets_tests.bronze.test_assets import write_config

NBA = "basketball_nba"
DAYS = ["2025-11-03", "2025-11-04", "2025-11-05"]


def plan(capsys, config: str, *extra: str) -> tuple[int, dict | str]:
    code = main(["--config", config, "plan", "backfill", "--sport", "nba", "--start", DAYS[0], "--end", DAYS[-1],
                 "--format", "json", *extra])
    out = capsys.readouterr()
    return code, (json.loads(out.out) if out.out.strip() else out.err)


def backfill(config: str, instance: dg.DagsterInstance, days=DAYS) -> list[dg.ExecuteInProcessResult]:
    """One run per partition, in date order, as a UI partition backfill launches them."""
    res = {"lake": LakeResource(config_path=config), "oddsapi": OddsApiResource(config_path=config)}
    return [dg.materialize([oddsapi_events, oddsapi_odds], partition_key=partition_key(NBA, d), resources=res,
                           instance=instance, raise_on_error=False) for d in days]


def paid(lake_root) -> tuple[int, int]:
    """(paid historical odds calls, credits spent) over every bronze run of the window."""
    store = BronzeStore(lake_root)
    calls = credits = 0
    for d in DAYS:
        for endpoint in ("historical_odds", "historical_events", "odds", "events"):
            for _, m in store.manifests("oddsapi", NBA, d, endpoint):
                credits += sum(e.get("cost") or 0 for e in m["responses"])
                calls += sum(1 for e in m["responses"] if e.get("file") and endpoint == "historical_odds")
    return calls, credits


def config_in(tmp_path, name: str, **updates) -> str:
    """A config file of its own (the resources cache configs by path)."""
    (tmp_path / name).mkdir(exist_ok=True)
    return write_config(tmp_path / name, **updates)


@pytest.fixture
def instance():
    with dg.instance_for_test() as inst:
        yield inst


def test_plan_prints_calls_and_units_against_the_naive_plan(tmp_path, lake_root, capsys) -> None:
    code, summary = plan(capsys, write_config(tmp_path))
    assert code == 0
    assert {"games", "calls", "quota_units", "naive_quota_units"} <= set(summary)
    assert summary["games"] > 0 and summary["slates"] == 3
    assert summary["naive_quota_units"] == summary["games"] * 5 * summary["odds_call_cost"]
    # shared calls: far fewer than one per game per window, and some targets ride on other slates' calls
    assert summary["historical_odds_calls"] < summary["games"] * 5 / 2
    assert summary["targets_shared"] > 0
    assert summary["quota_units"] == (summary["historical_odds_calls"] * summary["odds_call_cost"]
                                      + summary["historical_events_calls"])
    assert summary["quota_units"] < summary["naive_quota_units"] and summary["within_budget"]


def test_a_plan_over_the_budget_is_refused_with_its_numbers(tmp_path, lake_root, capsys) -> None:
    config = write_config(tmp_path)
    code, summary = plan(capsys, config)
    code, err = plan(capsys, config, "--budget", "100")
    assert code == 3
    # the JSON still says what it would cost; stderr says why it is refused
    main(["--config", config, "plan", "backfill", "--sport", "nba", "--start", DAYS[0], "--end", DAYS[-1],
          "--budget", "100"])
    out = capsys.readouterr()
    assert f"needs {summary['quota_units']} quota units, over the budget of 100" in out.err
    small = config_in(tmp_path, "small", monthly_quota_budget=500)  # the monthly budget left refuses it too
    assert plan(capsys, small)[0] == 3


def test_the_backfill_pays_what_the_plan_said_and_a_rerun_pays_nothing(tmp_path, lake_root, instance, capsys) -> None:
    config = write_config(tmp_path)
    code, before = plan(capsys, config)
    results = backfill(config, instance)
    assert all(r.success for r in results)
    calls, credits = paid(lake_root)
    assert calls == before["historical_odds_calls"]
    assert credits == before["quota_units"]
    # the cost is on each run, as the backfill's run list shows it
    runs = instance.get_runs()
    assert all("linelogic/quota_units" in r.tags for r in runs)
    assert sum(int(r.tags["linelogic/quota_units"]) for r in runs) == before["historical_odds_calls"] * 30
    # everything is held now: the plan is free, and re-running the backfill buys nothing
    code, after = plan(capsys, config)
    assert after["quota_units"] == 0 and after["targets_held"] == before["window_targets"]
    backfill(config, instance)
    assert paid(lake_root) == (calls, credits)


def test_a_failed_partition_reruns_without_paying_again_for_what_it_holds(tmp_path, lake_root, instance, capsys) -> None:
    config = write_config(tmp_path)
    main(["--config", config, "plan", "backfill", "--sport", "nba", "--start", DAYS[0], "--end", DAYS[0],
          "--format", "json", "--per-slate"])
    full = json.loads(capsys.readouterr().out)
    # a budget that runs out halfway through the first slate: the run fails loudly, keeps what it bought
    first = full_slate_units(capsys, config)
    tight = config_in(tmp_path, "tight", monthly_quota_budget=first // 2)
    failed = backfill(tight, instance, DAYS[:1])[0]
    assert not failed.success
    bought, _ = paid(lake_root)
    assert 0 < bought
    # the budget is raised and the partition re-run: only the snapshots it lacks are bought
    backfill(config, instance, DAYS[:1])
    total, _ = paid(lake_root)
    assert total == full["per_slate"][0]["odds_calls"]


def full_slate_units(capsys, config: str) -> int:
    main(["--config", config, "plan", "backfill", "--sport", "nba", "--start", DAYS[0], "--end", DAYS[0],
          "--format", "json"])
    return json.loads(capsys.readouterr().out)["quota_units"]
