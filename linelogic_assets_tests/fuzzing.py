"""A seeded mutator of JSON documents, and the seed corpus of real provider responses it mutates.

`mutants(docs, n, seed)` returns the same `n` mutated documents for the same seed on every machine.
Each mutant applies one to three operators at random nodes: replace a value with a hostile one,
delete a key, retype a container, duplicate or drop a list item, nest a value, edit a string or a
number. Nodes under the keys normalisers read (ids, teams, times, scores, stats) are picked more
often than the rest, so a few hundred cases reach every field that matters.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from linelogic_assets_tests.conftest import FIXTURES, endpoint_of, fixture_files

PathKey = tuple[str | int, ...]

HOSTILE: tuple[Any, ...] = (
    None, "", " ", "two", "lots", "abc", "12:xx", "yesterday", "NaN", "-", "null",
    -1, 0, -(10**6), 10**20, 2**63, 1e308, -1e308, 0.5, 3.0, float("nan"), float("inf"), True, False,
    [], {}, [1, 2], {"x": 1}, [None],
    "9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "1711062000", "2024-03-21T23:00:00", "2024-02-30",
    "2024-03-21T23:00:00+05:00", "\u0000", "üñí", "x" * 300,
)
# the keys the normalisers read: mutations land under them more often than elsewhere
FOCUS = frozenset({
    "id", "home_team", "away_team", "commence_time", "last_update", "completed", "scores", "score", "name",
    "timestamp", "data", "date", "datetime", "status", "season", "home_team_score", "visitor_team_score",
    "home_team_id", "visitor_team_id", "visitor_team", "player", "team", "team_id", "game", "game_id", "min",
    "pts", "reb", "ast", "fgm", "plus_minus", "starter", "position", "first_name", "last_name", "full_name",
    "abbreviation", "draft_year", "jersey_number", "return_date", "description", "bookmakers", "markets",
    "outcomes", "price", "point", "key",
})
FOCUS_SHARE = 0.7


def nodes(doc: Any, prefix: PathKey = ()) -> Iterator[PathKey]:
    """Every path below the root, depth first, in document order."""
    children = doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(doc, list) else ()
    for key, child in children:
        yield (*prefix, key)
        yield from nodes(child, (*prefix, key))


def get_at(doc: Any, path: PathKey) -> Any:
    for key in path:
        doc = doc[key]
    return doc


def _parent(doc: Any, path: PathKey) -> tuple[Any, str | int]:
    return get_at(doc, path[:-1]), path[-1]


def _show(path: PathKey) -> str:
    return "$" + "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in path)


def _short(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."


# -- operators: each changes doc in place at path and says what it did -------------------------

def _replace(doc: Any, path: PathKey, rng: random.Random) -> str:
    parent, key = _parent(doc, path)
    parent[key] = rng.choice(HOSTILE)
    return f"{_show(path)} = {_short(parent[key])}"


def _delete(doc: Any, path: PathKey, rng: random.Random) -> str:
    parent, key = _parent(doc, path)
    del parent[key]
    return f"del {_show(path)}"


def _duplicate(doc: Any, path: PathKey, rng: random.Random) -> str:
    parent, key = _parent(doc, path)
    if not isinstance(parent, list):
        return _replace(doc, path, rng)
    parent.insert(key, json.loads(json.dumps(parent[key])))
    return f"duplicate {_show(path)}"


def _retype(doc: Any, path: PathKey, rng: random.Random) -> str:
    parent, key = _parent(doc, path)
    value = parent[key]
    if isinstance(value, dict):
        parent[key] = list(value.values())
    elif isinstance(value, list):
        parent[key] = {str(i): v for i, v in enumerate(value)}
    else:
        parent[key] = [value]
    return f"retype {_show(path)} -> {type(parent[key]).__name__}"


def _nest(doc: Any, path: PathKey, rng: random.Random) -> str:
    parent, key = _parent(doc, path)
    depth = rng.choice((2, 5, 40))
    value = parent[key]
    for _ in range(depth):
        value = [value]
    parent[key] = value
    return f"nest {_show(path)} {depth} deep"


def _edit(doc: Any, path: PathKey, rng: random.Random) -> str:
    parent, key = _parent(doc, path)
    value = parent[key]
    if isinstance(value, str):
        parent[key] = rng.choice((value[: len(value) // 2], value + "x", " " + value + " ", value.upper(), value * 2))
    elif isinstance(value, bool):
        parent[key] = not value
    elif isinstance(value, int | float):
        parent[key] = rng.choice((-value, value * 1000, value + 0.5, str(value), value - 10**9))
    else:
        return _retype(doc, path, rng)
    return f"{_show(path)} {_short(value)} -> {_short(parent[key])}"


def _swap(doc: Any, path: PathKey, rng: random.Random) -> str:
    parent, key = _parent(doc, path)
    siblings = list(parent) if isinstance(parent, dict) else list(range(len(parent)))
    other = rng.choice(siblings)
    parent[key], parent[other] = parent[other], parent[key]
    return f"swap {_show(path)} <-> {_show((*path[:-1], other))}"


OPERATORS: tuple[tuple[Callable[[Any, PathKey, random.Random], str], int], ...] = (
    (_replace, 6), (_delete, 2), (_duplicate, 2), (_retype, 1), (_nest, 1), (_edit, 2), (_swap, 1),
)


def mutate(doc: Any, rng: random.Random, max_ops: int = 3) -> tuple[Any, list[str]]:
    """A mutated deep copy of `doc` and what was done to it (the original is left as it is)."""
    doc = json.loads(json.dumps(doc))
    ops: list[str] = []
    for _ in range(rng.randint(1, max_ops)):
        paths = list(nodes(doc))
        if not paths:
            break
        focus = [p for p in paths if isinstance(p[-1], str) and p[-1] in FOCUS]
        path = rng.choice(focus if focus and rng.random() < FOCUS_SHARE else paths)
        op = rng.choices([o for o, _ in OPERATORS], weights=[w for _, w in OPERATORS])[0]
        ops.append(op(doc, path, rng))
    return doc, ops


@dataclass(frozen=True)
class Mutant:
    index: int
    source: str  # the seed document's name
    doc: Any
    ops: tuple[str, ...]

    def describe(self) -> str:
        return f"mutant {self.index} of {self.source}: {'; '.join(self.ops)}"

    def dumps(self) -> bytes:
        return json.dumps(self.doc).encode()  # NaN/Infinity stay as Python's json writes them


def mutants(docs: Mapping[str, Any], n: int, seed: int, max_ops: int = 3) -> list[Mutant]:
    """`n` mutants, spread round-robin over the documents in name order; the same for the same seed."""
    rng = random.Random(seed)
    names = sorted(docs)
    out = []
    for i in range(n):
        name = names[i % len(names)]
        doc, ops = mutate(docs[name], rng, max_ops)
        out.append(Mutant(i, name, doc, tuple(ops)))
    return out


# -- the seed corpus --------------------------------------------------------------------------

STATS_FIXTURE = FIXTURES / "balldontlie" / "v1_stats_rows_game1037684_grouped_home_visitor.json"
REFERENCE_DAY = date(2024, 3, 1)  # reference data (teams) names no date


@dataclass(frozen=True)
class Seed:
    """A real response (or one built from real objects) and how it is imported."""

    name: str
    provider: str
    endpoint: str
    sport: str
    doc: Any
    day: date | None = None  # for responses that name no slate date
    context: tuple[str, ...] = ()  # other seeds its normaliser needs in the same partition (lineups: their game)


def people_documents() -> dict[str, Any]:
    """players, injuries and lineups responses built from the real stats fixture's player and team objects.

    No real recording of those endpoints is vendored; their rows are the documented shapes filled with
    the real (legacy v1) objects: a player with `team_id`, a team object, the game's id.
    """
    stats = json.loads(STATS_FIXTURE.read_text())
    rows = [*stats["home"], *stats["visitor"]]
    game = rows[0]["game"]["id"]
    players = [{**{k: v for k, v in r["player"].items() if k != "team_id"}, "team": r["team"]} for r in rows]
    injuries = [{"player": r["player"], "return_date": "Nov 18", "status": "Out",
                 "description": "Ankle - expected back mid-November"} for r in rows[:: 5]]
    starters = {side: 0 for side in ("home", "visitor")}
    lineups = []
    for i, r in enumerate(rows):
        side = "home" if r in stats["home"] else "visitor"
        starters[side] += 1
        lineups.append({"id": 900 + i, "game_id": game, "starter": starters[side] <= 5,
                        "position": r["player"].get("position") or "", "player": r["player"], "team": r["team"]})
    meta = {"next_cursor": None, "per_page": 100}
    return {"players": {"data": players, "meta": meta}, "injuries": {"data": injuries, "meta": meta},
            "lineups": {"data": lineups, "meta": meta}}


def seed_corpus() -> dict[str, Seed]:
    """Every real recorded response silver normalises, plus the players/injuries/lineups built from real objects."""
    out: dict[str, Seed] = {}
    for path in fixture_files():
        provider, endpoint, sport = endpoint_of(path)
        if endpoint == "sports":
            continue  # reference data no silver table reads
        out[path.stem] = Seed(path.stem, provider, endpoint, sport, json.loads(path.read_text()),
                              day=REFERENCE_DAY if endpoint == "teams" else None)
    stats = STATS_FIXTURE.stem
    game_day = date(2023, 11, 6)  # the stats fixture's game
    for endpoint, doc in people_documents().items():
        name = f"derived_{endpoint}_game1037684"
        out[name] = Seed(name, "balldontlie", endpoint, "basketball_nba", doc, day=game_day,
                         context=(stats,) if endpoint == "lineups" else ())
    return out


def write_json(path: Path, doc: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(json.dumps(doc).encode())
    return path
