"""The silver graph through `materialize`: replay determinism, dedupe, quarantine, blocking checks."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import dagster as dg
import pandas as pd
import pyarrow.parquet as pq
import pytest

from linelogic_assets.bronze.store import BronzeStore
from linelogic_assets.lake.paths import partition_file, quarantine_file
from linelogic_assets.partitions import partition_key, sport_date_partitions
from linelogic_assets.providers.oddsapi import normalise as odds
from linelogic_assets.providers.oddsapi.resource import OddsApiResource
from linelogic_assets.resources import ClockResource, LakeResource
from linelogic_assets.silver.assets import odds_snapshot, silver_events, silver_people, team
from linelogic_assets.silver.io_manager import SilverIOManager
from linelogic_assets_tests.bronze.test_assets import run_bronze, write_config

NBA = "basketball_nba"
DAY = "2025-11-12"
SILVER = [silver_events, odds_snapshot, team, silver_people]


def silver_resources(config_path: str | None = None) -> dict:
    lake = LakeResource(config_path=config_path)
    return {"lake": lake, "oddsapi": OddsApiResource(config_path=config_path), "clock": ClockResource(config_path=config_path),
            "silver_io": SilverIOManager(lake=lake)}


def run_silver(sport: str, day: str, config_path: str | None = None, assets=SILVER, **kw) -> dg.ExecuteInProcessResult:
    return dg.materialize(assets, partition_key=partition_key(sport, day), resources=silver_resources(config_path),
                          instance=dg.DagsterInstance.ephemeral(), **kw)


def read(root: Path, table: str, sport: str = NBA, day: str = DAY) -> pd.DataFrame:
    return pq.read_table(partition_file(root, table, sport, day)).to_pandas()


def silver_bytes(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in (root / "silver").rglob("*.parquet")}


@pytest.fixture(scope="module")
def simulated_lake(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """One NBA slate of simulated bronze, collected by the real bronze assets over loopback."""
    tmp = tmp_path_factory.mktemp("silver_sim")
    mp = pytest.MonkeyPatch()
    mp.setenv("LINELOGIC_DATA_ROOT", str(tmp / "lake"))
    config = write_config(tmp)
    assert run_bronze(config, dg.DagsterInstance.ephemeral()).success
    yield tmp / "lake" / "demo", config
    mp.undo()


def test_silver_from_simulated_bronze(simulated_lake, monkeypatch) -> None:
    root, config = simulated_lake
    monkeypatch.setenv("LINELOGIC_DATA_ROOT", str(root.parent))
    result = run_silver(NBA, DAY, config)
    assert result.success
    checks = result.get_asset_check_evaluations()
    assert checks and all(c.passed for c in checks), [(c.asset_key, c.check_name) for c in checks if not c.passed]
    event, odds = read(root, "event"), read(root, "odds_snapshot")
    assert len(event) >= 5 and event["providers"].eq("balldontlie,oddsapi").all()
    assert set(odds["canonical_event_id"]) == set(event["canonical_event_id"])
    assert set(odds["selection"]) == {"home", "away", "over", "under"}
    assert (odds["price"] > 1).all() and odds["snapshot_time_utc"].dt.tz is not None
    results = read(root, "event_result")
    assert set(results["canonical_event_id"]) == set(event.loc[event["status"] == "final", "canonical_event_id"])
    stats = read(root, "game_team_stats")
    assert len(stats) == 2 * len(results)
    # every bookmaker present in bronze is kept (the allowlist limits requests, not rows)
    assert odds["bookmaker"].nunique() >= 6


def test_replay_is_deterministic(simulated_lake, monkeypatch) -> None:
    root, config = simulated_lake
    monkeypatch.setenv("LINELOGIC_DATA_ROOT", str(root.parent))
    assert run_silver(NBA, DAY, config).success
    first = silver_bytes(root)
    for p in (root / "silver").rglob("*.parquet"):
        p.unlink()
    assert run_silver(NBA, DAY, config).success
    assert silver_bytes(root) == first and first


def _write(root: Path, endpoint: str, run_id: str, body: object, snapshot: str | None, day: str = DAY,
           sport: str = NBA) -> str:
    w = BronzeStore(root).open(provider="oddsapi", sport=sport, day=day, run_id=run_id, endpoint=endpoint,
                               source="import")
    entry = w.add_raw(json.dumps(body).encode(), valid_json=True,
                      extra={"snapshot_timestamp": snapshot, "received_at": "2025-11-12T12:00:00Z"})
    w.close()
    return entry["raw_ref"]


def _event(pid: str, home: str, away: str, commence: str, books: list[dict]) -> dict:
    return {"id": pid, "sport_key": NBA, "commence_time": commence, "home_team": home, "away_team": away,
            "bookmakers": books}


def _book(key: str, h2h: tuple[float, float] | None = None, spread: tuple[float, float, float] | None = None,
          home: str = "Boston Celtics", away: str = "Los Angeles Lakers") -> dict:
    markets = []
    if h2h:
        markets.append({"key": "h2h", "last_update": "2025-11-12T11:59:00Z",
                        "outcomes": [{"name": home, "price": h2h[0]}, {"name": away, "price": h2h[1]}]})
    if spread:
        markets.append({"key": "spreads", "outcomes": [{"name": home, "price": spread[1], "point": spread[0]},
                                                       {"name": away, "price": spread[2], "point": -spread[0]}]})
    return {"key": key, "last_update": "2025-11-12T11:59:00Z", "markets": markets}


def _snapshot(ts: str, events: list[dict]) -> dict:
    return {"timestamp": ts, "previous_timestamp": None, "next_timestamp": None, "data": events}


COMMENCE = "2025-11-13T00:30:00Z"  # 7:30 pm ET on the 12th


def test_dedupe_within_a_response_and_across_runs(lake_root: Path) -> None:
    ev = _event("e1", "Boston Celtics", "Los Angeles Lakers", COMMENCE,
                [_book("pinnacle", (1.8, 2.1), (-2.5, 1.95, 1.95)), _book("fanduel", (1.77, 2.08))])
    dup = dict(ev)  # the provider repeats the event inside one response
    body = _snapshot("2025-11-12T12:00:00Z", [ev, dup])
    _write(lake_root, "historical_odds", "run-a", body, "2025-11-12T12:00:00Z")
    _write(lake_root, "historical_odds", "run-b", body, "2025-11-12T12:00:00Z")  # paid twice, same snapshot
    later = _snapshot("2025-11-12T13:00:00Z", [ev])  # same prices, later snapshot: never collapsed
    _write(lake_root, "historical_odds", "run-c", later, "2025-11-12T13:00:00Z")
    result = run_silver(NBA, DAY, assets=[silver_events, odds_snapshot])
    assert result.success
    odds = read(lake_root, "odds_snapshot")
    assert len(odds) == 2 * 6  # 6 outcomes per snapshot, two snapshot times
    assert odds.groupby("snapshot_time_utc").size().tolist() == [6, 6]
    assert set(odds.loc[odds["snapshot_time_utc"] == pd.Timestamp("2025-11-12T12:00:00Z"), "ingest_run_id"]) == {"run-a"}
    meta = result.asset_materializations_for_node("odds_snapshot")[0].metadata
    assert meta["intra_response_duplicates"].value == 12  # the repeated event, in run-a and run-b
    assert meta["cross_run_duplicates"].value == 6  # run-b repeats run-a


def test_unknown_team_and_bad_responses_are_quarantined_with_reason(lake_root: Path) -> None:
    good = _event("e1", "Boston Celtics", "Los Angeles Lakers", COMMENCE, [_book("pinnacle", (1.8, 2.1))])
    unknown = _event("e2", "Springfield Isotopes", "Boston Celtics", COMMENCE,
                     [_book("pinnacle", (1.8, 2.1), home="Springfield Isotopes", away="Boston Celtics")])
    ref = _write(lake_root, "historical_odds", "run-a", _snapshot("2025-11-12T12:00:00Z", [good, unknown]),
                 "2025-11-12T12:00:00Z")
    w = BronzeStore(lake_root).open(provider="oddsapi", sport=NBA, day=DAY, run_id="run-x", endpoint="odds",
                                    source="import")
    w.add_raw(json.dumps(json.dumps([good])).encode(), valid_json=True,
              extra={"snapshot_timestamp": "2025-11-12T12:30:00Z"})  # double-encoded
    w.add_raw(b'[{"id": "e1", "commence_', valid_json=False, extra={"snapshot_timestamp": None})  # truncated
    w.close()
    result = run_silver(NBA, DAY, assets=[silver_events, odds_snapshot], raise_on_error=False)
    assert result.success  # WARN checks flag, they do not stop the run
    odds = read(lake_root, "odds_snapshot")
    assert set(odds["provider_event_id"]) == {"e1"}
    q_event = pq.read_table(quarantine_file(lake_root, "event", NBA, DAY)).to_pandas()
    assert "Springfield Isotopes" in q_event["reason"].iloc[0] and q_event["raw_ref"].iloc[0] == ref
    q_odds = pq.read_table(quarantine_file(lake_root, "odds_snapshot", NBA, DAY)).to_pandas()
    reasons = " | ".join(q_odds["reason"])
    assert "double-encoded" in reasons and "invalid JSON" in reasons and "not in the canonical event map" in reasons
    failed = {(c.asset_key.to_user_string(), c.check_name) for c in result.get_asset_check_evaluations()
              if not c.passed}
    assert ("event", "quarantine") in failed and ("odds_snapshot", "quarantine") in failed


@dg.asset(partitions_def=sport_date_partitions, deps=[odds_snapshot])
def downstream_of_odds() -> None:
    """Stands in for gold: must not run when a blocking silver check fails."""


def test_blocking_check_stops_downstream(lake_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bad price is quarantined by the normaliser, so only a platform bug lets one reach the table: one is
    simulated here by hiding prices ≤ 1 from the normaliser's call of the rule (the check still sees them)."""
    rule = odds.odds_problems

    def blind(*args, **kwargs):
        masks = rule(*args, **kwargs)
        masks.pop("decimal_price_not_above_1", None)
        return masks

    monkeypatch.setattr(odds, "odds_problems", blind)
    bad = _event("e1", "Boston Celtics", "Los Angeles Lakers", COMMENCE, [_book("pinnacle", (0.95, 2.1))])
    _write(lake_root, "historical_odds", "run-a", _snapshot("2025-11-12T12:00:00Z", [bad]), "2025-11-12T12:00:00Z")
    result = run_silver(NBA, DAY, assets=[silver_events, odds_snapshot, downstream_of_odds], raise_on_error=False)
    assert not result.success
    failed = [c for c in result.get_asset_check_evaluations()
              if not c.passed and c.severity == dg.AssetCheckSeverity.ERROR]
    assert [(c.asset_key.to_user_string(), c.check_name) for c in failed] == [("odds_snapshot", "price_bounds")]
    assert failed[0].metadata["decimal_price_not_above_1"].value == 1
    materialized = {m.asset_key.to_user_string() for m in result.get_asset_materialization_events()
                    if m.asset_key is not None}
    assert "downstream_of_odds" not in materialized and "odds_snapshot" in materialized


def test_live_events_are_flagged(lake_root: Path) -> None:
    pre = _event("e1", "Boston Celtics", "Los Angeles Lakers", COMMENCE, [_book("pinnacle", (1.8, 2.1))])
    live = _event("e1", "Boston Celtics", "Los Angeles Lakers", "2025-11-13T00:41:10Z",  # rewritten at tip-off
                  [_book("pinnacle", (1.3, 3.6))])
    _write(lake_root, "odds", "run-a", [pre], "2025-11-12T23:00:00Z")
    _write(lake_root, "odds", "run-b", [live], "2025-11-13T01:00:00Z")
    assert run_silver(NBA, DAY, assets=[silver_events, odds_snapshot]).success
    odds = read(lake_root, "odds_snapshot").sort_values("snapshot_time_utc")
    assert odds.groupby("snapshot_time_utc")["is_live"].first().tolist() == [False, True]
    assert odds["canonical_event_id"].nunique() == 1  # the rewrite did not create a second event
    event = read(lake_root, "event")
    assert event["commence_time_utc"].iloc[0] == datetime(2025, 11, 13, 0, 30, tzinfo=UTC)
    assert event["actual_start_utc"].iloc[0] == datetime(2025, 11, 13, 0, 41, 10, tzinfo=UTC)
    assert date.fromisoformat(DAY) == event["slate_date"].iloc[0]
