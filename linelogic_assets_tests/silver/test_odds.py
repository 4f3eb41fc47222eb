"""The odds normaliser: the byte-level slate cut, batching, and price formats."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa

from linelogic_assets.bronze.store import BronzeStore
from linelogic_assets.lake.quarantine import Quarantine
from linelogic_assets.lake.raw import partition_responses
from linelogic_assets.odds_math import american_to_decimal, decimal_to_american
from linelogic_assets.providers.oddsapi.normalise import normalise_partitions, slate_events
from linelogic_assets.silver.odds import (
    EventKey,
    OddsPartition,
    _record_and_line_hashes,
    record_hash,
)
from linelogic_assets.sports import league_for

NBA = league_for("basketball_nba")


def ev(pid: str, commence: str, price: float = 1.9) -> dict:
    return {"id": pid, "sport_key": "basketball_nba", "commence_time": commence, "home_team": "Boston Celtics",
            "away_team": "Miami Heat", "bookmakers": [{"key": "pinnacle", "last_update": commence, "markets": [
                {"key": "h2h", "outcomes": [{"name": "Boston Celtics", "price": price},
                                            {"name": "Miami Heat", "price": 2.0}]}]}]}


def line(events: list[dict]) -> bytes:
    return json.dumps({"timestamp": "2025-11-12T12:00:00Z", "data": events}, separators=(",", ":")).encode()


LO, HI = b"2025-11-12T05:00:00Z", b"2025-11-13T05:00:00Z"


def test_slate_cut_keeps_exactly_the_slate_events() -> None:
    events = [ev("a", "2025-11-12T23:00:00Z"), ev("b", "2025-11-13T06:00:00Z"), ev("c", "2025-11-13T00:30:00Z"),
              ev("d", "2025-11-11T23:00:00Z")]
    cut = json.loads(slate_events(line(events), LO, HI))
    assert [e["id"] for e in cut["data"]] == ["a", "c"] and cut["timestamp"] == "2025-11-12T12:00:00Z"
    assert cut["data"][0] == events[0]
    assert json.loads(slate_events(line([events[1]]), LO, HI))["data"] == []
    whole = line(events[:1])
    assert slate_events(whole, LO, HI) is whole  # nothing to cut: the same bytes


def test_slate_cut_leaves_unknown_layouts_whole() -> None:
    reordered = line([{"sport_key": "x", **ev("a", "2025-11-13T06:00:00Z")}])  # id is not the first key
    assert slate_events(reordered, LO, HI) == reordered
    unix = line([{**ev("a", "2025-11-13T06:00:00Z"), "commence_time": 1763013600}])
    assert slate_events(unix, LO, HI) == unix
    pretty = json.dumps({"timestamp": "t", "data": [ev("a", "2025-11-13T06:00:00Z")]}, indent=1).encode()
    assert slate_events(pretty, LO, HI) == pretty


def _lake(root: Path) -> list[OddsPartition]:
    store = BronzeStore(root)
    days = [date(2025, 11, 12), date(2025, 11, 13)]
    games = [ev("a", "2025-11-12T23:00:00Z"), ev("b", "2025-11-13T23:30:00Z"), ev("c", "2025-11-14T00:00:00Z")]
    for n, snap in enumerate(("2025-11-12T12:00:00Z", "2025-11-12T18:00:00Z")):
        for day in days:  # both slates hold both snapshots (as checkpoint references would)
            w = store.open(provider="oddsapi", sport="basketball_nba", day=day, run_id=f"r{n}",
                           endpoint="historical_odds", source="import")
            body = {"timestamp": snap, "data": [ev(g["id"], g["commence_time"], 1.9 + n / 10) for g in games]}
            w.add_raw(json.dumps(body, separators=(",", ":")).encode(), valid_json=True,
                      extra={"snapshot_timestamp": snap, "received_at": snap})
            w.close()
    keys = {g["id"]: EventKey(f"nba-{g['id']}", datetime.fromisoformat(g["commence_time"]), False) for g in games}
    return [OddsPartition("basketball_nba", NBA.slate_bounds_utc(d),
                          partition_responses(store, "oddsapi", "basketball_nba", d, ("historical_odds",)),
                          keys, Quarantine("basketball_nba", "odds_snapshot")) for d in days]


def test_batched_equals_one_partition_at_a_time(tmp_path: Path) -> None:
    parts = _lake(tmp_path)
    batched = normalise_partitions(parts)
    single = [normalise_partitions([p])[0] for p in parts]
    for (a, sa), (b, sb) in zip(batched, single, strict=True):
        assert a.equals(b) and sa == sb
    assert [set(t.column("provider_event_id").to_pylist()) for t, _ in batched] == [{"a"}, {"b", "c"}]
    assert [t.num_rows for t, _ in batched] == [2 * 2, 2 * 2 * 2]  # 2 outcomes × 2 snapshots per game
    assert all(s["cross_run_duplicates"] == 0 for _, s in batched)


def test_record_hash_is_a_content_hash(tmp_path: Path) -> None:
    """The same record hashes the same whichever partition or batch it is normalised in."""
    parts = _lake(tmp_path)
    alone = normalise_partitions([parts[1]])[0][0]
    batched = normalise_partitions(parts)[1][0]
    assert alone.column("record_hash").to_pylist() == batched.column("record_hash").to_pylist()
    assert all(len(h) == 16 for h in alone.column("record_hash").to_pylist())
    assert len(set(alone.column("record_hash").to_pylist())) == alone.num_rows


def test_price_formats_round_trip() -> None:
    am = np.array([-110.0, 150.0, -250.0, 100.0])
    dec = american_to_decimal(am)
    assert np.allclose(dec, [1.0 + 100 / 110, 2.5, 1.4, 2.0])
    assert np.allclose(decimal_to_american(dec), am, atol=0.01)


def test_american_prices_are_recognised_without_a_format_hint(tmp_path: Path) -> None:
    store = BronzeStore(tmp_path)
    w = store.open(provider="oddsapi", sport="basketball_nba", day="2025-11-12", run_id="r", endpoint="odds",
                   source="import")
    body = [ev("a", "2025-11-12T23:00:00Z", -150)]
    body[0]["bookmakers"][0]["markets"][0]["outcomes"][1]["price"] = 130
    w.add_raw(json.dumps(body).encode(), valid_json=True, extra={"snapshot_timestamp": "2025-11-12T12:00:00Z"})
    w.close()
    part = OddsPartition("basketball_nba", NBA.slate_bounds_utc(date(2025, 11, 12)),
                         partition_responses(store, "oddsapi", "basketball_nba", "2025-11-12", ("odds",)),
                         {"a": EventKey("nba-a", datetime(2025, 11, 12, 23, tzinfo=UTC), False)},
                         Quarantine("basketball_nba", "odds_snapshot"))
    rows = normalise_partitions([part])[0][0].to_pandas().sort_values("selection")
    assert rows["price"].round(4).tolist() == [2.3, round(1 + 100 / 150, 4)]
    assert rows["price_american"].tolist() == [130.0, -150.0]


def test_record_hashes_are_stable_and_a_line_hash_ignores_only_the_price() -> None:
    """Stored record_hash values must not change between releases (dedupe across rebuilds relies on them);
    the line hash that finds conflicting quotes is the same chain without the price."""
    ts = pa.timestamp("us", tz="UTC")
    cols = {"canonical_event_id": pa.array(["nba-a", "nba-a", "nba-b"]),
            "snapshot_time_utc": pa.array([datetime(2025, 11, 12, 12, tzinfo=UTC)] * 3, ts),
            "bookmaker": pa.array(["pinnacle", "pinnacle", "fanduel"]), "market": pa.array(["h2h", "spreads", "totals"]),
            "selection": pa.array(["home", "away", "over"]), "participant": pa.array([None, None, "x"]),
            "price": pa.array([1.9, 2.0, 1.95]), "point": pa.array([None, 2.5, 220.5])}
    assert [f"{h:016x}" for h in record_hash(cols)] == ["37d5d113eacc5461", "36db3a08a69302c1", "83095b601af303fd"]
    _, lines = _record_and_line_hashes(cols)
    _, repriced = _record_and_line_hashes({**cols, "price": pa.array([3.0, 1.5, 1.01])})
    assert (lines == repriced).all() and len(set(lines.tolist())) == 3
    _, moved = _record_and_line_hashes({**cols, "point": pa.array([None, 3.5, 220.5])})
    assert (moved != lines).tolist() == [False, True, False]
