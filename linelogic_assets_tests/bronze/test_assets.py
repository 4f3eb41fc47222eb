"""The bronze graph through `materialize`, with real clients against the simulator on loopback."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import pytest
import yaml

from linelogic_assets.bronze.assets import bronze_assets
from linelogic_assets.config import DEFAULT_CONFIG_PATH, load_config
from linelogic_assets.partitions import partition_key
from linelogic_assets.providers.balldontlie.resource import BallDontLieResource
from linelogic_assets.providers.oddsapi.resource import OddsApiResource
from linelogic_assets.providers.polymarket.resource import PolymarketResource
from linelogic_assets.resources import LakeResource
from linelogic_assets.simulator import Simulator

NBA_DAY = "2025-11-12"
SECRET = "9f8e7d6c5b4a39281706f5e4d3c2b1a0"  # looks like a real Odds API key


def write_config(tmp_path: Path, **updates) -> str:
    raw = yaml.safe_load(DEFAULT_CONFIG_PATH.read_text())
    for dotted, value in updates.items():
        node = raw
        *parents, leaf = dotted.split("__")
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = value
    path = tmp_path / "ingest.yaml"
    path.write_text(yaml.safe_dump(raw))
    return str(path)


def resources(config_path: str, simulator_url: str) -> dict:
    return {
        "lake": LakeResource(config_path=config_path),
        "oddsapi": OddsApiResource(config_path=config_path, simulator_url=simulator_url),
        "balldontlie": BallDontLieResource(config_path=config_path, simulator_url=simulator_url),
        "polymarket": PolymarketResource(config_path=config_path, simulator_url=simulator_url),
    }


def run_bronze(config_path: str, instance: dg.DagsterInstance, sport: str = "basketball_nba", day: str = NBA_DAY):
    with Simulator(load_config(config_path).simulator).serve() as server:
        return dg.materialize(
            bronze_assets,
            partition_key=partition_key(sport, day),
            resources=resources(config_path, server.url),
            instance=instance,
        )


def manifests(root: Path, provider: str, endpoint: str) -> list[dict]:
    paths = sorted(root.glob(f"bronze/provider={provider}/*/*/run_id=*/endpoint={endpoint}/manifest.json"))
    return sorted((json.loads(p.read_text()) for p in paths), key=lambda m: m["created_at"])


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in (root / "bronze").rglob("response_*")}


@pytest.fixture
def instance():
    with dg.instance_for_test() as inst:
        yield inst


def test_bronze_partition_holds_every_source_with_manifests_and_green_checks(tmp_path, lake_root, instance) -> None:
    result = run_bronze(write_config(tmp_path), instance)
    assert result.success
    mats = {m.asset_key.to_user_string() for m in result.get_asset_materialization_events()}
    assert mats == {a.key.to_user_string() for a in bronze_assets}
    checks = result.get_asset_check_evaluations()
    assert checks and all(c.passed for c in checks), [c.check_name for c in checks if not c.passed]
    assert all(c.partition == f"{NBA_DAY}|basketball_nba" for c in checks)

    (odds,) = manifests(lake_root, "oddsapi", "historical_odds")
    assert odds["source"] == "simulator" and odds["status"] == "complete"
    assert odds["partition_key"] == f"{NBA_DAY}|basketball_nba"
    for entry in odds["responses"]:
        assert entry["snapshot_timestamp"] and entry["cost"] == 30  # 10 × 3 markets × 1 region (8 books)
        body = (lake_root / entry["raw_ref"]).read_bytes()
        assert len(body) == entry["bytes"]
        assert "apiKey=***" in entry["request"]["url"]
        assert entry["snapshot_timestamp"] <= entry["requested_at"], "at or before: never a later snapshot"
    for endpoint in ("games", "stats", "teams", "players", "lineups"):
        (m,) = manifests(lake_root, "balldontlie", endpoint)
        assert m["responses"], endpoint
    run_dir = next(lake_root.glob("runs/*/run_id=*"))
    for name in ("run_config.json", "run_summary.json", "metrics.json", "logs.txt"):
        assert (run_dir / name).exists(), name
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["oddsapi_cost"] > 0


def test_rerun_appends_keeps_old_bytes_and_never_pays_twice(tmp_path, lake_root, instance) -> None:
    config = write_config(tmp_path)
    assert run_bronze(config, instance).success
    before = snapshot(lake_root)
    second = run_bronze(config, instance)
    assert second.success
    after = snapshot(lake_root)
    assert {k: after[k] for k in before} == before, "old bytes unchanged"
    assert len(after) > len(before), "the re-run appended new run folders"
    first_odds, second_odds = manifests(lake_root, "oddsapi", "historical_odds")
    assert first_odds["run_id"] != second_odds["run_id"]
    assert first_odds["totals"]["cost"] > 0
    assert second_odds["totals"]["cost"] == 0, "historical snapshots already held are not bought again"
    assert second_odds["totals"]["responses"] == 0, "the first run's snapshots serve every target: nothing re-fetched"
    meta = next(m.materialization.metadata for m in second.get_asset_materialization_events()
                if m.asset_key == dg.AssetKey("oddsapi_odds"))
    assert meta["window_targets_held"].value == meta["window_targets_due"].value > 0
    assert meta["historical_calls_planned"].value == meta["planned_quota_units"].value == 0
    hist_events = manifests(lake_root, "oddsapi", "historical_events")
    assert hist_events[1]["totals"]["cost"] == 0


def test_truncated_responses_are_kept_and_fail_the_valid_json_check(tmp_path, lake_root, instance) -> None:
    config = write_config(tmp_path, simulator__faults={"rate_truncated": 0.25, "seed": 7},
                          oddsapi__retry={"max_attempts": 1, "backoff_base_seconds": 0, "timeout_seconds": 5})
    result = run_bronze(config, instance)
    assert result.success, "bad input never crashes the run"
    failing = {c.check_name for c in result.get_asset_check_evaluations() if not c.passed}
    assert "valid_json" in failing
    invalid = list((lake_root / "bronze").rglob("response_*.invalid"))
    assert invalid, "the raw truncated body is kept"
    errors = [e for m in manifests(lake_root, "oddsapi", "historical_odds") for e in m["errors"]]
    assert any(e["error_type"] == "MalformedResponseError" for e in errors)


def test_no_api_key_reaches_the_lake_or_the_logs(tmp_path, lake_root, instance, caplog) -> None:
    config = write_config(tmp_path, simulator__oddsapi_keys=[SECRET], simulator__balldontlie_keys=[SECRET],
                          simulator__faults={"rate_5xx": 0.2, "rate_429": 0.1, "seed": 3, "retry_after_seconds": 0},
                          oddsapi__retry={"max_attempts": 2, "backoff_base_seconds": 0, "timeout_seconds": 5},
                          balldontlie__retry={"max_attempts": 2, "backoff_base_seconds": 0, "timeout_seconds": 5})
    caplog.set_level("DEBUG")
    result = run_bronze(config, instance)
    assert result.success
    leaks = [p for p in lake_root.rglob("*") if p.is_file() and SECRET.encode() in p.read_bytes()]
    assert leaks == []
    assert SECRET not in caplog.text
    events = instance.all_logs(result.run_id)
    assert len(events) > 50 and all(SECRET not in repr(e) for e in events), "nor any Dagster event"
    entries = [r for m in manifests(lake_root, "oddsapi", "historical_odds") for r in m["responses"]]
    assert any(r["attempts"] > 1 for r in entries), "the injected faults exercised the retry and error paths"


def test_nhl_partition_records_why_balldontlie_is_skipped(tmp_path, lake_root, instance) -> None:
    result = run_bronze(write_config(tmp_path), instance, sport="icehockey_nhl", day="2025-11-12")
    assert result.success
    (games,) = manifests(lake_root, "balldontlie", "games")
    assert games["responses"] == [] and "no NHL API" in games["skipped"][0]
    (odds,) = manifests(lake_root, "oddsapi", "historical_odds")
    assert odds["responses"]


def test_windows_on_time_warns_of_the_windows_a_tracked_slate_bought_late(tmp_path, lake_root, instance) -> None:
    """A slate tracked live (a live snapshot before its window) whose window came and went without a run
    gets that window as a historical snapshot afterwards: late, per window, a WARN on `oddsapi_odds`."""
    from datetime import datetime, timedelta

    from linelogic_assets.providers.oddsapi.assets import oddsapi_events, oddsapi_odds
    from linelogic_assets.resources import simulator_for

    day = "2025-11-20"
    config = write_config(tmp_path, simulator__clock={"start": "2025-11-20T12:00:00Z", "speed": 0})
    cfg = load_config(config)
    sim = simulator_for(cfg)
    games = [g for g in sim.games("nba", datetime.fromisoformat(day).date()) if g.postponed_at is None]
    first = min(g.commence_time for g in games)
    res = {"lake": LakeResource(config_path=config), "oddsapi": OddsApiResource(config_path=config)}

    def run_at(now: datetime) -> dict[str, dg.AssetCheckEvaluation]:
        sim.clock.set(now)
        result = dg.materialize([oddsapi_events, oddsapi_odds], partition_key=partition_key("basketball_nba", day),
                                resources=res, instance=instance)
        return {c.check_name: c for c in result.get_asset_check_evaluations()
                if c.asset_key == dg.AssetKey("oddsapi_odds")}

    tracked = first - timedelta(hours=6, minutes=1)  # the pregame run for the first game's T-6h, on time
    checks = run_at(tracked)
    on_time = checks["windows_on_time"]
    assert on_time.passed, "OPEN, due before tracking began, is a backfill, not a late window"
    assert on_time.metadata["backfilled_OPEN"].value == len(games)

    # the next run comes only after the first game's T-60m: the windows in between were missed live
    now = first - timedelta(minutes=50)
    checks = run_at(now)
    late = checks["windows_on_time"]
    assert not late.passed and late.severity == dg.AssetCheckSeverity.WARN
    staleness = cfg.snapshot_schedule.staleness()
    for w in cfg.snapshot_schedule.windows:
        targets = [g.commence_time + timedelta(minutes=w.offset_minutes) for g in games]
        due = [t for t in targets if t <= now]
        # served live only by the tracked run's snapshot (at or before the target, within the window's staleness)
        expected = 0 if w.first_seen else sum(1 for t in due if t > tracked + staleness[w.name])
        assert late.metadata[f"late_{w.name}"].value == expected, w.name
        assert late.metadata[f"missed_{w.name}"].value == 0
    assert late.metadata["late_T-6h"].value == 4 and late.metadata["late_T-60m"].value == 2
    assert "T-60m: 2 late" in late.description
    assert checks["calls_complete"].passed, "late is not lost: every target is held"


def test_a_snapshot_a_killed_run_paid_for_and_stored_but_never_indexed_is_reused_not_bought_again(
        tmp_path, lake_root, instance) -> None:
    """The kill window between storing a paid response and writing its checkpoint: the re-run's plan counts the
    responses the killed run's manifest (left in progress) holds, so none of them is paid for again."""
    config = write_config(tmp_path)
    assert run_bronze(config, instance).success
    (first,) = manifests(lake_root, "oddsapi", "historical_odds")
    paid = [e for e in first["responses"] if e.get("file")]
    assert paid
    for cp in (lake_root / "checkpoints" / "oddsapi").rglob("*.json"):
        cp.unlink()  # as if the run died right after storing each response, before indexing it
    path = next(lake_root.glob(f"bronze/provider=oddsapi/*/*/run_id={first['run_id']}/endpoint=historical_odds/"
                               "manifest.json"))
    path.write_text(json.dumps({**first, "status": "in_progress", "completed_at": None}))
    second = run_bronze(config, instance)
    assert second.success
    _, again = manifests(lake_root, "oddsapi", "historical_odds")
    assert again["totals"]["cost"] == 0, "a stored paid response is never bought twice"
