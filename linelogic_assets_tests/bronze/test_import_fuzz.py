"""Seeded fuzzing of `import`: mutated real responses either import or are rejected in one line.

Every mutation of a real Odds API or BALLDONTLIE fixture (keys deleted, types swapped, nulls, extreme
numbers and dates, deep nesting, truncation, huge strings, NaN/Infinity literals, another sport) goes
through `import_file` and then through the `linelogic import` CLI. Nothing may raise but
ImportRejected, no file may take long, what is imported stays readable by silver, and the CLI prints
exactly one line per rejected file and no traceback.
"""

from __future__ import annotations

import json
import random
import time
from collections import Counter
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from linelogic_assets.bronze.importer import ImportRejected, ImportResult, import_file
from linelogic_assets.bronze.store import BronzeStore
from linelogic_assets.cli import main
from linelogic_assets.lake.raw import partition_responses
from linelogic_assets.partitions import slate_date_in_range
from linelogic_assets_tests.conftest import endpoint_of, fixture_files

SEED = 20261201
MUTATIONS = 320
SECONDS_PER_FILE = 5.0  # generous on a shared 2-core machine; a clean import takes milliseconds
NO_DATE_DAY = date(2024, 3, 21)  # for responses that name no slate date (teams, sports)

TIME_KEYS = {"commence_time", "last_update", "timestamp", "previous_timestamp", "next_timestamp", "date", "datetime"}
EXTREME_NUMBERS = [1e308, -1e308, 10**30, -(10**30), 0, -1, 2**63, 5e-324, 1e20, -1e20]
EXTREME_DATES = ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "yesterday", "2024-03-21T14:10:14", "", "2024-02-30T00:00:00Z",
                 "1969-12-31T23:59:59Z", "2100-01-01T00:00:00Z", "0001-01-01T00:00:00+01:00", "9" * 40, 1e20, -1e20, 0, None,
                 "2019-01-01T00:00:00Z", [], {}]
SWAPS: list[Any] = ["x", 7, 1.5, True, None, [], {}, [1, "a"], {"k": None}]
PLACEHOLDER = "__FUZZ_LITERAL__"


def _nodes(body: Any) -> list[tuple[Any, Any]]:
    """Every (container, key or index) slot of a parsed body, without recursion."""
    out, stack = [], [body]
    while stack:
        node = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for k, v in items:
            out.append((node, k))
            stack.append(v)
    return out


def _pick(rng: random.Random, body: Any, want: Callable[[Any, Any], bool] = lambda c, k: True) -> tuple[Any, Any] | None:
    slots = [s for s in _nodes(body) if want(*s)]
    return rng.choice(slots) if slots else None


def _set(rng: random.Random, body: Any, value: Any, want: Callable[[Any, Any], bool] = lambda c, k: True) -> bool:
    slot = _pick(rng, body, want)
    if slot is None:
        return False
    container, key = slot
    container[key] = value
    return True


def _literal(rng: random.Random, body: Any, literal: str, want: Callable[[Any, Any], bool]) -> str | None:
    """The body as text with one slot replaced by a raw JSON literal json.dumps would not write."""
    if not _set(rng, body, PLACEHOLDER, want):
        return None
    return json.dumps(body).replace(json.dumps(PLACEHOLDER), literal, 1)


def _is_number(c: Any, k: Any) -> bool:
    return isinstance(c[k], int | float) and not isinstance(c[k], bool)


def _is_time(c: Any, k: Any) -> bool:
    return isinstance(c, dict) and k in TIME_KEYS


def _mutate(kind: str, rng: random.Random, raw: bytes) -> bytes:
    """One mutation of a real response; falls back to another slot kind when the body has none."""
    body = json.loads(raw)
    text: str | None = None
    if kind == "delete_key":
        slot = _pick(rng, body, lambda c, k: isinstance(c, dict))
        if slot:
            del slot[0][slot[1]]
    elif kind == "swap_type":
        _set(rng, body, rng.choice(SWAPS))
    elif kind == "null_value":
        _set(rng, body, None)
    elif kind == "extreme_number":
        _set(rng, body, rng.choice(EXTREME_NUMBERS), _is_number) or _set(rng, body, rng.choice(EXTREME_NUMBERS))
    elif kind == "extreme_date":
        _set(rng, body, rng.choice(EXTREME_DATES), _is_time) or _set(rng, body, rng.choice(EXTREME_DATES))
    elif kind == "wrong_sport":
        _set(rng, body, rng.choice(["basketball_nba", "soccer_epl", None, 3]), lambda c, k: k == "sport_key") \
            or _set(rng, body, "soccer_epl")
    elif kind == "deep_nesting":
        depth = rng.choice([65, 200, 999, 1000, 5000, 50_000])
        text = _literal(rng, body, "[" * depth + "]" * depth, lambda c, k: True)
    elif kind == "nan_inf":
        literal = rng.choice(["NaN", "Infinity", "-Infinity"])
        text = _literal(rng, body, literal, _is_number) or _literal(rng, body, literal, lambda c, k: True)
    elif kind == "huge_number_literal":
        text = _literal(rng, body, "9" * rng.choice([400, 5000, 100_000]), lambda c, k: True)
    elif kind == "huge_string":
        _set(rng, body, "x" * rng.choice([10_000, 1_000_000, 4_000_000]), lambda c, k: isinstance(c[k], str)) \
            or _set(rng, body, "x" * 1_000_000)
    elif kind == "truncation":
        return raw[: rng.randrange(0, len(raw))]
    elif kind == "garbage_bytes":
        cut = rng.randrange(0, len(raw))
        return raw[:cut] + bytes(rng.randrange(256) for _ in range(rng.randint(1, 8))) + raw[cut:]
    else:
        raise AssertionError(kind)
    return (text if text is not None else json.dumps(body)).encode()


KINDS = ["delete_key", "swap_type", "null_value", "extreme_number", "extreme_date", "wrong_sport", "deep_nesting",
         "nan_inf", "huge_number_literal", "huge_string", "truncation", "garbage_bytes"]


def _day_for(endpoint: str) -> date | None:
    return NO_DATE_DAY if endpoint in ("teams", "sports") else None


def test_mutated_real_responses_import_or_are_rejected_in_one_line(tmp_path: Path, lake_root: Path, capsys) -> None:
    fixtures = fixture_files()
    assert len(fixtures) >= 10
    store = BronzeStore(lake_root)
    outcome: dict[str, str] = {}  # file name -> "imported" | rejection kind
    groups: dict[tuple[str, str, str], list[Path]] = {}
    slowest = 0.0
    unexpected: list[str] = []  # a rejection naming an exception type nothing expected: a bug to fix
    for i in range(MUTATIONS):
        rng = random.Random(SEED + i)
        src = fixtures[i % len(fixtures)]
        kind = KINDS[(i // len(fixtures)) % len(KINDS)] if i < len(fixtures) * len(KINDS) else rng.choice(KINDS)
        provider, endpoint, sport = endpoint_of(src)
        path = tmp_path / "in" / f"{i:03d}_{kind}_{src.name}"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(_mutate(kind, rng, src.read_bytes()))
        groups.setdefault((provider, endpoint, sport), []).append(path)

        started = time.perf_counter()
        try:
            res = import_file(store, path, provider=provider, endpoint=endpoint, sport=sport, day=_day_for(endpoint))
        except ImportRejected as err:
            assert "\n" not in str(err) and str(err).startswith(f"{path.name}: "), str(err)
            outcome[path.name] = err.kind
            if err.kind == "unexpected":
                unexpected.append(str(err))
            continue
        finally:
            elapsed = time.perf_counter() - started
            slowest = max(slowest, elapsed)
            assert elapsed < SECONDS_PER_FILE, f"{path.name} took {elapsed:.1f} s"
        # what was imported is readable as silver reads bronze, in partitions the platform has
        assert isinstance(res, ImportResult) and res.folders
        outcome[path.name] = res.status  # imported, or duplicate: a mutation that left the bytes of an earlier one
        for d in res.dates:
            assert slate_date_in_range(date.fromisoformat(d))
            held = partition_responses(store, provider, sport, d, (endpoint,))
            assert any(r.path.read_bytes() == path.read_bytes() for r in held)

    # the same files through the real CLI: one line per rejected file, no traceback, the batch goes on
    for (provider, endpoint, sport), paths in groups.items():
        extra = ["--date", str(NO_DATE_DAY)] if _day_for(endpoint) else []
        code = main(["import", "--provider", provider, "--endpoint", endpoint, "--sport", sport, *extra,
                     *map(str, paths)])
        out, err = capsys.readouterr()
        assert "Traceback" not in out + err
        rejected = {line.split()[1].rstrip(":") for line in err.splitlines()}
        assert all(line.startswith("rejected ") for line in err.splitlines())
        assert rejected == {p.name for p in paths if outcome[p.name] not in ("imported", "duplicate")}
        assert len(out.splitlines()) == len(paths) - len(rejected)  # every other file: imported or duplicate
        assert code == (1 if rejected else 0)

    counts = Counter(outcome.values())
    print(f"\nimport fuzz: {MUTATIONS} mutations, slowest file {slowest:.2f} s: {dict(sorted(counts.items()))}")
    assert sum(counts.values()) == MUTATIONS
    assert counts["imported"] > 0 and not unexpected, unexpected
