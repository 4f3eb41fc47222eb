"""Bronze range runs (a UI backfill under the bronze backfill policy): one step walks the range's slates in date
order and holds exactly what one-partition runs in date order hold, pays the same credits, and records a
materialization and the check results per partition. A slate that fails costs only itself; a run-ending
provider error stops the range."""

from __future__ import annotations

import json
import re
from pathlib import Path

import dagster as dg
import pytest

from linelogic_assets.bronze.assets import bronze_assets
from linelogic_assets.config import load_config
from linelogic_assets.partitions import partition_key
from linelogic_assets.providers.oddsapi import assets as oddsapi_assets
from linelogic_assets.simulator import Simulator
from linelogic_assets_tests.bronze.test_assets import resources, write_config

NBA = "basketball_nba"
DAYS = ["2025-11-10", "2025-11-11", "2025-11-12"]
CLOCK = {"start": "2025-11-20T12:00:00Z", "speed": 0}  # every slate in the past: history is bought
RANGE_TAGS = ("dagster/asset_partition_range_start", "dagster/asset_partition_range_end")
# the Odds API and BALLDONTLIE assets (Polymarket's price histories are slow to simulate and are walked by the
# same code)
ASSETS = [a for a in bronze_assets if not a.key.path[-1].startswith("polymarket")]


def range_tags(first: str, last: str) -> dict[str, str]:
    return dict(zip(RANGE_TAGS, (str(partition_key(NBA, first)), str(partition_key(NBA, last))), strict=True))


def lake_config(tmp_path: Path, name: str, **updates) -> tuple[str, Path]:
    """A config with a lake of its own: (config path, lake root)."""
    (tmp_path / name).mkdir()
    path = write_config(tmp_path / name, data_root=str(tmp_path / name / "lake"), simulator__clock=CLOCK, **updates)
    return path, load_config(path).resolved_data_root()


def held(root: Path) -> dict[str, bytes]:
    """Every raw response by partition, endpoint and file, without the run id (which differs between lakes)."""
    out = {}
    for p in (root / "bronze").rglob("response_*"):
        rel = re.sub(r"run_id=[^/]+/", "", str(p.relative_to(root)))
        out[rel] = p.read_bytes()
    return out


def spent(root: Path) -> int:
    return sum(json.loads(p.read_text())["totals"]["cost"] for p in (root / "bronze").rglob("manifest.json"))


def records(result) -> tuple[dict, dict]:
    """(asset, partition) → metadata without run folders, and (asset, check, partition) → passed."""
    mats = {}
    for m in result.get_asset_materialization_events():
        meta = {k: v.value for k, v in m.materialization.metadata.items() if k != "folders"}
        key = (m.asset_key.to_user_string(), m.materialization.partition)
        assert key not in mats, f"{key} materialized twice"
        mats[key] = meta
    checks = {(c.asset_key.to_user_string(), c.check_name, c.partition): c.passed
              for c in result.get_asset_check_evaluations()}
    return mats, checks


@pytest.fixture(autouse=True)
def _own_lakes(monkeypatch) -> None:
    monkeypatch.delenv("LINELOGIC_DATA_ROOT", raising=False)  # each config names its lake


@pytest.fixture
def instance():
    with dg.instance_for_test() as inst:
        yield inst


def test_a_range_run_holds_and_records_what_one_slate_runs_in_date_order_do(tmp_path, instance) -> None:
    one_cfg, one_root = lake_config(tmp_path, "one")
    range_cfg, range_root = lake_config(tmp_path, "range")
    with Simulator(load_config(one_cfg).simulator).serve() as server:
        singles = [dg.materialize(ASSETS, partition_key=partition_key(NBA, d), instance=instance,
                                  resources=resources(one_cfg, server.url)) for d in DAYS]
    with Simulator(load_config(range_cfg).simulator).serve() as server:
        ranged = dg.materialize(ASSETS, instance=instance, tags=range_tags(DAYS[0], DAYS[-1]),
                                resources=resources(range_cfg, server.url))
    assert ranged.success and all(r.success for r in singles)
    assert held(range_root) == held(one_root), "the same responses, byte for byte, under the same partitions"
    assert spent(range_root) == spent(one_root) > 0, "later slates share earlier slates' snapshots as before"
    one_mats, one_checks = {}, {}
    for r in singles:
        m, c = records(r)
        one_mats |= m
        one_checks |= c
    range_mats, range_checks = records(ranged)
    assert len(range_mats) == len(ASSETS) * len(DAYS)
    assert range_mats == one_mats, "each partition's own metadata (responses, quota, targets), not the range's"
    assert range_checks == one_checks and all(range_checks.values())
    tags = instance.get_run_by_id(ranged.run_id).tags
    odds_cost = sum(m["quota_cost"] for (asset, _), m in range_mats.items() if asset == "oddsapi_odds")
    assert int(tags["linelogic/quota_units"]) == odds_cost > 0, "the run's cost tag sums its slates' odds"


def test_a_failing_slate_costs_only_itself_and_a_retry_of_it_alone_succeeds(tmp_path, instance, monkeypatch) -> None:
    cfg, root = lake_config(tmp_path, "lake")
    bad = DAYS[1]
    real = oddsapi_assets.held_events

    def broken(store, league, day):
        if str(day) == bad:
            raise OSError("disk read error (injected)")
        return real(store, league, day)

    monkeypatch.setattr(oddsapi_assets, "held_events", broken)
    with Simulator(load_config(cfg).simulator).serve() as server:
        result = dg.materialize(ASSETS, instance=instance, tags=range_tags(DAYS[0], DAYS[-1]),
                                resources=resources(cfg, server.url), raise_on_error=False)
        assert not result.success
        (failure,) = [e for e in result.all_events if e.is_step_failure]
        assert failure.step_key == "oddsapi_odds"
        text = failure.step_failure_data.user_failure_data.description
        assert "1 of 3 slates failed" in text and bad in text and "OSError" in text and "\n" not in text
        mats, checks = records(result)
        odds = {p for a, p in mats if a == "oddsapi_odds"}
        assert odds == {str(partition_key(NBA, d)) for d in DAYS if d != bad}
        for d in DAYS:
            got = {name for a, name, p in checks if a == "oddsapi_odds" and p == str(partition_key(NBA, d))}
            assert bool(got) == (d != bad), (d, got)
        assert {p for a, p in mats if a == "balldontlie_games"} == {str(partition_key(NBA, d)) for d in DAYS}
        before = spent(root)

        monkeypatch.setattr(oddsapi_assets, "held_events", real)
        retry = dg.materialize([oddsapi_assets.oddsapi_odds], partition_key=partition_key(NBA, bad),
                               instance=instance, resources=resources(cfg, server.url))
    assert retry.success and all(c.passed for c in retry.get_asset_check_evaluations())
    (mat,) = retry.get_asset_materialization_events()
    assert mat.materialization.partition == str(partition_key(NBA, bad))
    assert spent(root) - before == mat.materialization.metadata["quota_cost"].value > 0


def test_a_wrong_key_stops_the_range_at_its_first_slate(tmp_path, instance, monkeypatch) -> None:
    wrong = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
    monkeypatch.setenv("ODDS_API_KEY", wrong)
    with Simulator(load_config(write_config(tmp_path)).simulator).serve() as server:
        cfg, root = lake_config(tmp_path, "live", mode="live", oddsapi__base_url=server.url)
        result = dg.materialize([oddsapi_assets.oddsapi_events], instance=instance,
                                tags=range_tags(DAYS[0], DAYS[-1]), resources=resources(cfg, server.url),
                                raise_on_error=False)
    assert not result.success and not result.get_asset_materialization_events()
    (failure,) = [e for e in result.all_events if e.is_step_failure]
    text = failure.step_failure_data.user_failure_data.description
    assert "3 of 3 slates failed" in text and "AuthError" in text and "not attempted" in text
    assert wrong not in text and "\n" not in text
    manifests = [json.loads(p.read_text()) for p in (root / "bronze").rglob("manifest.json")]
    assert len(manifests) == 1, "one call, on the first slate; the later slates send none"


def test_a_range_of_one_slate_records_its_checks_against_the_partition(tmp_path, instance) -> None:
    """A backfill of non-adjacent slates launches ranges of one (start = end): no `dagster/partition` tag, so
    Dagster would record a plain check result with no partition."""
    cfg, _ = lake_config(tmp_path, "lake")
    with Simulator(load_config(cfg).simulator).serve() as server:
        result = dg.materialize([oddsapi_assets.oddsapi_events], instance=instance, tags=range_tags(DAYS[0], DAYS[0]),
                                resources=resources(cfg, server.url))
    assert result.success
    key = str(partition_key(NBA, DAYS[0]))
    (mat,) = result.get_asset_materialization_events()
    assert mat.materialization.partition == key and mat.materialization.metadata["responses"].value > 0
    checks = result.get_asset_check_evaluations()
    assert checks and {c.partition for c in checks} == {key}
