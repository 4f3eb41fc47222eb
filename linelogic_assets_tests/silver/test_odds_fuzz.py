"""Property: mutated real odds responses never crash the normaliser, and every outcome is accounted for.

Hypothesis mutates the recorded Odds API fixtures (prices and points to NaN/inf/text/null/huge,
names and keys to other types, times to garbage, outcomes and events duplicated with other
prices, keys dropped, containers retyped) and feeds each mutant, with or without the original
beside it as a second run of the same snapshot, to `normalise_partitions`. It asserts: no
exception; every outcome of the slate window is stored, deduplicated or quarantined, counted
from the JSON independently; the stored rows pass every ERROR check of `odds_snapshot`; every
quarantine record has a one-line reason and its raw_ref.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linelogic_assets.lake.quarantine import Quarantine
from linelogic_assets.lake.raw import RawResponse
from linelogic_assets.providers.oddsapi.normalise import normalise_partitions
from linelogic_assets.silver.odds import EventKey, OddsPartition
from linelogic_assets.silver.schemas import conform
from linelogic_assets.sports import league_for
from linelogic_assets.timeutil import parse_ts
from linelogic_assets_tests.conftest import FIXTURES, endpoint_of
from linelogic_assets_tests.silver.test_odds_quarantine import assert_accounted, error_checks_pass

NOW = datetime(2030, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Seed:
    name: str
    endpoint: str
    sport: str
    doc: Any
    snapshot: datetime
    window: tuple[datetime, datetime]
    keys: dict[str, EventKey]


def _events(endpoint: str, doc: Any) -> list:
    data = doc["data"] if endpoint.startswith("historical_") else doc
    return [data] if isinstance(data, dict) else data


def _seed(path: Path) -> Seed:
    _, endpoint, sport = endpoint_of(path)
    doc = json.loads(path.read_text())
    events = _events(endpoint, doc)
    first = parse_ts(events[0]["commence_time"])
    league = league_for(sport)
    snapshot = parse_ts(doc["timestamp"]) if endpoint.startswith("historical_") else first.replace(hour=12)
    keys = {ev["id"]: EventKey(f"c-{ev['id']}", parse_ts(ev["commence_time"]), False) for ev in events}
    return Seed(path.name, endpoint, sport, doc, snapshot, league.slate_bounds_utc(league.slate_date(first)), keys)


SEEDS = [_seed(p) for p in sorted((FIXTURES / "the_odds_api").glob("*odds*.json"))]

NUMBERS = (float("nan"), float("inf"), float("-inf"), None, "lots", "1.9", "-110", " 2.5 ", "", 1e308, -1e308,
           10**400, 0, 1.0, 1.005, 5, 100, 10001, -10001, -50, True, [], {}, [1.9], {"x": 1})
TEXTS = (None, "", " ", 123, 1.5, True, [], {}, {"x": 1}, "Over", "under", "DRAW", "x" * 300, "a\nb", "Boston Bruins",
         "New York Rangers", "Houston Texans", "üñí")
TIMES = (None, "", "yesterday", 1e20, -1e20, 0, 1711062000, "1711062000", "9999-12-31T23:59:59Z",
         "0001-01-01T00:00:00Z", "2024-03-21T23:00:00", "2024-02-30T00:00:00Z", "2024-03-21T23:00:00+05:00", True,
         [], {}, float("nan"), "2099-01-01T00:00:00Z")
KEYS = ("id", "commence_time", "home_team", "away_team", "bookmakers", "key", "last_update", "markets", "outcomes",
        "name", "price", "point", "description", "timestamp", "data")
PRICES = (-112, -106, 1.87, 1.95, 250, 3.4)


def _paths(doc: Any, prefix: tuple = ()) -> list[tuple]:
    out = []
    children = doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(doc, list) else ()
    for key, child in children:
        out.append((*prefix, key))
        out.extend(_paths(child, (*prefix, key)))
    return out


def _at(doc: Any, path: tuple) -> Any:
    for key in path:
        doc = doc[key]
    return doc


def _reprice(node: Any, price: Any) -> Any:
    """A copy of an event, book, market or outcome with every price set to `price`."""
    node = json.loads(json.dumps(node))
    for path in _paths(node):
        if path[-1] == "price":
            _at(node, path[:-1])["price"] = price
    return node


@st.composite
def mutants(draw: st.DrawFn) -> tuple[Seed, Any, list[str]]:
    seed = draw(st.sampled_from(SEEDS))
    doc = json.loads(json.dumps(seed.doc))
    ops = []
    for _ in range(draw(st.integers(1, 4))):
        paths = _paths(doc)
        op = draw(st.sampled_from(("number", "text", "time", "drop", "duplicate", "retype", "replace")))
        wanted = {"number": ("price", "point"), "text": ("name", "description", "home_team", "away_team", "key", "id"),
                  "time": ("commence_time", "last_update", "timestamp"), "drop": KEYS}.get(op)
        if wanted:
            paths = [p for p in paths if p[-1] in wanted]
        elif op == "duplicate":
            paths = [p for p in paths if isinstance(p[-1], int)]
        if not paths:
            continue
        path = draw(st.sampled_from(paths))
        parent, key = _at(doc, path[:-1]), path[-1]
        if op == "number":
            parent[key] = draw(st.sampled_from(NUMBERS))
        elif op == "text":
            parent[key] = draw(st.sampled_from(TEXTS))
        elif op == "time":
            parent[key] = draw(st.sampled_from(TIMES))
        elif op == "drop":
            del parent[key]
        elif op == "duplicate":  # the same item again, as is or at another price
            price = draw(st.sampled_from((None, *PRICES)))
            parent.insert(key, json.loads(json.dumps(parent[key])) if price is None else _reprice(parent[key], price))
        elif op == "retype":
            value = parent[key]
            parent[key] = (list(value.values()) if isinstance(value, dict) else
                           {str(i): v for i, v in enumerate(value)} if isinstance(value, list) else [value])
        else:
            parent[key] = draw(st.sampled_from(NUMBERS + TEXTS))
        ops.append(f"{op} {path}")
    return seed, doc, ops


def _time(value: Any) -> datetime | None:
    try:
        return parse_ts(value)
    except ValueError:
        return None


def outcomes_in_window(seed: Seed, doc: Any) -> int:
    """The outcomes the slate owes, counted straight from the JSON: its events', and those of events
    whose start cannot be read (they may be its)."""
    if seed.endpoint.startswith("historical_") and not (isinstance(doc, dict) and "data" in doc):
        return 0
    events = _events(seed.endpoint, doc)
    n = 0
    lo, hi = seed.window
    for ev in events if isinstance(events, list) else []:
        if not isinstance(ev, dict):
            continue
        when = _time(ev.get("commence_time"))
        if when is not None and not lo <= when < hi:
            continue
        for book in ev.get("bookmakers") or []:
            for market in (book.get("markets") or []) if isinstance(book, dict) else []:
                if isinstance(market, dict):
                    n += len(market.get("outcomes") or [])
    return n


def _response(seed: Seed, run: str, odds_format: str | None) -> RawResponse:
    return RawResponse(provider="oddsapi", endpoint=seed.endpoint, run_id=run, raw_ref=f"fuzz/{run}/{seed.name}",
                       path=Path("/nonexistent") / run, snapshot_time=seed.snapshot, ingested_at=seed.snapshot,
                       valid_json=True, odds_format=odds_format)


@settings(max_examples=300, derandomize=True, database=None, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutant=mutants(), with_original=st.booleans(), pretty=st.booleans(),
       odds_format=st.sampled_from((None, None, "decimal", "american")))
def test_mutated_real_odds_never_crash_and_every_outcome_is_accounted_for(
        mutant: tuple[Seed, Any, list[str]], with_original: bool, pretty: bool, odds_format: str | None) -> None:
    seed, doc, ops = mutant
    responses, contents, docs = [], {}, {}
    for run, body in ([("r0", seed.doc)] if with_original else []) + [("r1", doc)]:
        r = _response(seed, run, odds_format if run == "r1" else None)
        responses.append(r)
        contents[r.raw_ref] = json.dumps(body, indent=2 if pretty and run == "r1" else None).encode()
        docs[r.raw_ref] = body
    quarantine = Quarantine(seed.sport, "odds_snapshot")
    part = OddsPartition(seed.sport, seed.window, responses, seed.keys, quarantine)
    [(table, stats)] = normalise_partitions([part], contents, now=NOW)

    assert_accounted(table, stats, quarantine)
    whole = {r["raw_ref"] for r in quarantine.records if r["kind"] == "response"}
    assert "fuzz/r0/" + seed.name not in whole, ops  # the original is never lost with the mutant
    expected = sum(outcomes_in_window(seed, body) for ref, body in docs.items() if ref not in whole)
    assert stats["outcomes_in_window"] == expected, ops
    error_checks_pass(table, seed.sport, NOW)
    assert isinstance(conform("odds_snapshot", table), pa.Table)
    assert len(conform("quarantine", quarantine.frame())) == len(quarantine.records)
