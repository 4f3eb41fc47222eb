"""Every real recorded response imports into bronze and normalises into its silver tables."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from linelogic_assets.bronze.importer import import_file, snapshot_time
from linelogic_assets.bronze.store import BronzeStore
from linelogic_assets.lake.paths import quarantine_file
from linelogic_assets.lakesql import query
from linelogic_assets_tests.conftest import endpoint_of, fixture_files
from linelogic_assets_tests.silver.test_assets import run_silver

REFERENCE_DAY = date(2024, 3, 1)
ODDS = ("odds", "event_odds", "historical_odds", "historical_event_odds")


def _events(endpoint: str, body) -> list[dict]:
    data = body["data"] if endpoint.startswith("historical_") else body
    return [data] if isinstance(data, dict) else data


def expected_odds_rows(files: list[Path]) -> int:
    """Distinct outcomes, counted straight from the files (one snapshot time per file)."""
    seen = set()
    for path in files:
        _, endpoint, _ = endpoint_of(path)
        body = json.loads(path.read_text())
        snap, _ = snapshot_time("oddsapi", endpoint, body)
        for ev in _events(endpoint, body):
            for book in ev["bookmakers"]:
                for market in book["markets"]:
                    for o in market["outcomes"]:
                        seen.add((ev["id"], snap, book["key"], market["key"], o["name"], o.get("point"),
                                  o.get("description"), o["price"]))
    return len(seen)


@pytest.fixture(scope="module")
def fixture_lake(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("fixtures") / "lake"
    mp = pytest.MonkeyPatch()
    mp.setenv("LINELOGIC_DATA_ROOT", str(root))
    store = BronzeStore(root / "demo")
    partitions: set[tuple[str, str]] = set()
    for path in fixture_files():
        provider, endpoint, sport = endpoint_of(path)
        day = REFERENCE_DAY if endpoint in ("sports", "teams") else None  # reference data names no date
        res = import_file(store, path, provider=provider, endpoint=endpoint, sport=sport, day=day)
        if endpoint != "sports":
            partitions |= {(sport, d) for d in res.dates}
    results = {p: run_silver(*p, raise_on_error=False) for p in sorted(partitions)}
    yield root / "demo", results
    mp.undo()


def test_every_partition_builds_without_blocking_errors(fixture_lake) -> None:
    _, results = fixture_lake
    assert len(results) >= 10
    for partition, result in results.items():
        assert result.success, partition
        errors = [c.check_name for c in result.get_asset_check_evaluations()
                  if not c.passed and c.severity.value == "ERROR"]
        assert not errors, (partition, errors)


def test_odds_files_give_one_row_per_distinct_outcome(fixture_lake) -> None:
    root, _ = fixture_lake
    files = [p for p in fixture_files() if endpoint_of(p)[1] in ODDS]
    odds = query(root, "SELECT * FROM odds_snapshot")
    assert len(odds) == expected_odds_rows(files) > 1000
    assert (odds["price"] > 1).all() and odds["canonical_event_id"].notna().all()
    assert set(odds["selection"]) == {"home", "away", "over", "under"}
    nfl = odds[odds["sport"] == "americanfootball_nfl"]
    assert nfl["price_american"].abs().ge(100).all()  # the NFL file is in American odds, stored as decimal too
    assert not odds["is_live"].any()  # every odds fixture was taken before its games began
    alt = odds[odds["market"] == "alternate_spreads"]  # repeated outcome names at different points are kept
    assert alt["point"].nunique() > 2


def test_events_and_scores_become_events_and_results(fixture_lake) -> None:
    root, _ = fixture_lake
    ids = Counter()
    for path in fixture_files():
        provider, endpoint, sport = endpoint_of(path)
        if provider == "oddsapi" and endpoint in ("events", "historical_events", "scores"):
            ids.update(ev["id"] for ev in _events(endpoint, json.loads(path.read_text())))
    mapped = set(query(root, "SELECT provider_event_id FROM event_provider_map WHERE provider = 'oddsapi'")
                 ["provider_event_id"])
    assert set(ids) <= mapped
    scores = json.loads(next(p for p in fixture_files() if p.name.startswith("nhl_scores")).read_text())
    completed = [s for s in scores if s["completed"]]
    res = query(root, "SELECT r.*, m.provider_event_id FROM event_result r JOIN event_provider_map m "
                      "USING (canonical_event_id) WHERE m.provider = 'oddsapi' AND r.sport = 'icehockey_nhl'")
    assert len(res) == len(completed) == 18
    by_id = res.set_index("provider_event_id")
    for s in completed:
        score = {x["name"]: int(x["score"]) for x in s["scores"]}
        row = by_id.loc[s["id"]]
        assert (row["home_score"], row["away_score"]) == (score[s["home_team"]], score[s["away_team"]])
    # a completed game's commence_time is the rewritten real start; the event keeps it as actual_start
    rewritten = query(root, "SELECT count(*) n FROM event WHERE actual_start_utc IS NOT NULL")["n"].iloc[0]
    assert rewritten > 0


def test_balldontlie_files_fill_their_tables(fixture_lake) -> None:
    root, _ = fixture_lake
    games = query(root, "SELECT e.* FROM event e JOIN event_provider_map m USING (canonical_event_id) "
                        "WHERE m.provider = 'balldontlie' AND e.sport = 'basketball_nba' ORDER BY commence_time_utc")
    legacy = games[games["home_team_id"] == "nba-bos"]
    assert len(legacy) == 3 and (legacy["status"] == "scheduled").all()
    # "7:00 PM ET" tip-off text on 2021-02-28 → 2021-03-01T00:00Z
    assert legacy["commence_time_utc"].iloc[0] == pd.Timestamp("2021-03-01T00:00:00Z")
    stats = query(root, "SELECT * FROM game_player_stats")
    assert len(stats) == 21 and stats["canonical_player_id"].notna().all()
    team_stats = query(root, "SELECT * FROM game_team_stats ORDER BY is_home")
    assert team_stats["team_id"].tolist() == ["nba-gsw", "nba-det"]
    players = query(root, "SELECT * FROM player")
    assert len(players) == 21 and players["team_id"].notna().all()
    teams = query(root, "SELECT * FROM team WHERE sport = 'basketball_nba' AND date = '2024-03-01'")
    assert len(teams) == 30 and teams["balldontlie_id"].notna().all()
    q = query(root, "SELECT * FROM quarantine WHERE \"table\" = 'team'")
    assert q.empty  # all 30 legacy teams resolve


def test_legacy_and_double_encoded_bodies_are_quarantined_with_reason(lake_root: Path) -> None:
    store = BronzeStore(lake_root)
    v3 = {"success": True, "data": [{"id": "x", "sport_key": "basketball_nba", "teams": ["A", "B"],
                                     "commence_time": 1731000000, "sites": []}]}
    w = store.open(provider="oddsapi", sport="basketball_nba", day="2025-11-12", run_id="r1", endpoint="odds",
                   source="import")
    w.add_raw(json.dumps(v3).encode(), valid_json=True, extra={"snapshot_timestamp": "2025-11-12T12:00:00Z"})
    w.add_raw(json.dumps(json.dumps([])).encode(), valid_json=True, extra={"snapshot_timestamp": "2025-11-12T12:00:00Z"})
    w.close()
    assert run_silver("basketball_nba", "2025-11-12", raise_on_error=False).success
    q = pq.read_table(quarantine_file(lake_root, "odds_snapshot", "basketball_nba", "2025-11-12")).to_pandas()
    reasons = sorted(q["reason"])
    assert any("v3" in r for r in reasons) and any("double-encoded" in r for r in reasons)
    assert q["raw_ref"].notna().all()
