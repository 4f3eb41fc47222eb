"""Fuzz drill: seeded mutations of the real fixtures through `linelogic import` and every silver normaliser.

Each case mutates one seed document (`fuzzing.mutants`, a fixed seed), imports it into a fresh lake
(with the unmutated seeds its normaliser needs), and, when import accepts it, builds every slate it
landed in with the normaliser functions themselves: events, odds, people and teams. The same bytes
are also written straight into bronze, as a live fetch would store them (import refuses much of
what a provider can still return), and built again.

Asserted for every case: import raises nothing but ImportRejected; silver raises nothing; no case
takes longer than CASE_SECONDS; and every row of the mutated response is accounted for in the slate
that owns it: in a table, deduplicated, or in quarantine (a row whose slate cannot be told, e.g.
an unreadable start, is owed by every slate holding the response). A row is

* odds endpoints: an outcome (odds_snapshot rows + duplicates + quarantined rows), and an event;
* events, historical events, scores and BALLDONTLIE games: an event, found by its id in the
  event map or among the quarantined events, or as a quarantined row naming that id;
* BALLDONTLIE stats, players, injuries, lineups, teams: a row (table rows of the response +
  duplicates + quarantined rows; teams: rows matched to a canonical team + quarantined rows).
"""

from __future__ import annotations

import json
import signal
import time
import traceback
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from linelogic_assets.bronze.importer import ImportRejected, import_file
from linelogic_assets.bronze.store import BronzeStore
from linelogic_assets.lake.quarantine import Quarantine
from linelogic_assets.lake.raw import partition_responses
from linelogic_assets.providers.balldontlie.events import bdl_game_day
from linelogic_assets.providers.balldontlie.people import build_people
from linelogic_assets.providers.balldontlie.rows import bdl_rows
from linelogic_assets.providers.oddsapi.normalise import ODDS_ENDPOINTS, normalise_partitions
from linelogic_assets.registry.overrides import Overrides
from linelogic_assets.registry.teams import TeamIndex
from linelogic_assets.silver.coerce import BadValue
from linelogic_assets.silver.events import build_events
from linelogic_assets.silver.odds import OddsPartition
from linelogic_assets.silver.teams import build_teams
from linelogic_assets.sports import League, league_for
from linelogic_assets.timeutil import parse_ts
from linelogic_assets_tests.fuzzing import Mutant, Seed, mutants, seed_corpus, write_json
from linelogic_assets_tests.silver.test_assets import run_silver

CASES = 520
SEED = 13  # the number: any fixed seed gives the same drill on every machine
CASE_SECONDS = 10.0  # a case past this is a hang (the slowest real case takes well under a second)
TOLERANCE = timedelta(minutes=90)
ODDSAPI_EVENT_ROWS = ("events", "historical_events", "scores", *ODDS_ENDPOINTS)


class Hang(Exception):
    """A case ran past CASE_SECONDS."""


@dataclass
class Built:
    """One slate's silver, built by the normaliser functions."""

    events: Any
    odds: pd.DataFrame
    odds_stats: dict[str, int]
    people: Any
    teams: Any
    quarantine: dict[str, Quarantine]


@dataclass
class Tally:
    mutations: int = 0
    imported: int = 0
    rejected: int = 0
    rejected_by_kind: Counter = field(default_factory=Counter)
    slates_built: int = 0
    rows_in_tables: int = 0
    rows_quarantined: int = 0
    rows_deduplicated: int = 0
    responses_quarantined: int = 0
    slowest_case_s: float = 0.0
    quarantined_by_column: Counter = field(default_factory=Counter)  # (table, kind, column) of the records
    failures: list[tuple[str, str]] = field(default_factory=list)  # (exception | rows | outcomes, what)

    def summary(self) -> str:
        fields = {k: v for k, v in vars(self).items() if k not in ("failures", "quarantined_by_column")}
        return ", ".join(f"{k}={v}" for k, v in fields.items()) + f", failures={len(self.failures)}"

    def found(self, category: str) -> list[str]:
        return [what for c, what in self.failures if c == category]


def build_slate(store: BronzeStore, league: League, day: date) -> Built:
    sport = league.sport_key
    q = {t: Quarantine(sport, t) for t in ("event", "odds_snapshot", "player", "team")}
    events = build_events(store, league, day, Overrides(), TOLERANCE, q["event"])
    responses = partition_responses(store, "oddsapi", sport, day, ODDS_ENDPOINTS)
    [(odds, odds_stats)] = normalise_partitions([OddsPartition(sport, league.slate_bounds_utc(day), responses,
                                                               events.keys, q["odds_snapshot"])])
    index = TeamIndex(sport)
    emap, ev = events.frames["event_provider_map"], events.frames["event"]
    bdl = emap[emap["provider"] == "balldontlie"]
    people = build_people(store, league, day, index, dict(zip(bdl["provider_event_id"], bdl["canonical_event_id"],
                                                              strict=True)),
                          dict(zip(ev["canonical_event_id"], ev["home_team_id"], strict=True)), q["player"])
    teams = build_teams(store, league, day, index, q["team"])
    return Built(events, odds.to_pandas(), odds_stats, people, teams, q)


# -- what the mutated response holds, read independently of silver ---------------------------

def _bodies(seed: Seed, doc: Any) -> list[Any]:
    if seed.provider == "balldontlie" and isinstance(doc, list) and doc and all(
            isinstance(b, dict) and "data" in b for b in doc):
        return doc  # a list of responses saved by an earlier pipeline
    if seed.endpoint == "stats" and isinstance(doc, dict) and set(doc) == {"home", "visitor"} and all(
            isinstance(v, list) for v in doc.values()):
        return [{"data": [*doc["home"], *doc["visitor"]]}]
    return [doc]


def _odds_events(endpoint: str, doc: Any) -> list:
    data = doc.get("data") if endpoint.startswith("historical_") and isinstance(doc, dict) else doc
    return [data] if isinstance(data, dict) else data if isinstance(data, list) else []


def _owner(league: League, day: date, ev: Any) -> bool:
    """Does slate `day` owe this Odds API event? Its own slate's, or every slate's when its start is unreadable."""
    try:
        return league.slate_date(parse_ts(ev["commence_time"])) == day
    except (TypeError, KeyError, ValueError, OverflowError):
        return True


def _bdl_owner(league: League, day: date, game: Any) -> bool:
    try:
        return bdl_game_day(game, league) == day
    except (BadValue, AttributeError, TypeError):
        return True


def _outcomes(ev: Any) -> int:
    n = 0
    for book in ev.get("bookmakers") or [] if isinstance(ev, dict) and isinstance(ev.get("bookmakers"), list) else []:
        for market in book.get("markets") if isinstance(book, dict) and isinstance(book.get("markets"), list) else []:
            outcomes = market.get("outcomes") if isinstance(market, dict) else None
            n += len(outcomes) if isinstance(outcomes, list) else 0
    return n


def _key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


# -- accounting -------------------------------------------------------------------------------

def _records(q: Quarantine, ref: str, kind: str | None = None) -> list[dict]:
    return [r for r in q.records if r["raw_ref"] == ref and (kind is None or r["kind"] == kind)]


def _quarantined_rows(q: Quarantine, ref: str) -> int:
    return sum(r["rows"] for r in _records(q, ref, "rows"))


def account(seed: Seed, doc: Any, league: League, day: date, ref: str, built: Built,
            tally: Tally) -> list[tuple[str, str]]:
    """What of the response at `ref` slate `day` owes but no table or quarantine holds (empty: all accounted),
    as (rows | outcomes, what)."""
    lost: list[tuple[str, str]] = []
    table = {"players": "player", "injuries": "injuries", "lineups": "lineups", "stats": "game_player_stats"}
    if seed.provider == "oddsapi":
        events = [ev for ev in _odds_events(seed.endpoint, doc) if _owner(league, day, ev)]
        lost += [("rows", x) for x in _events_lost(events, "oddsapi", ref, built)]
        if seed.endpoint in ODDS_ENDPOINTS:
            lost += [("outcomes", x) for x in _outcomes_lost(events, ref, built, tally)]
    elif seed.endpoint == "games":
        games = [g for b in _bodies(seed, doc) for g in bdl_rows(b) if _bdl_owner(league, day, g)]
        lost += [("rows", x) for x in _events_lost(games, "balldontlie", ref, built)]
    elif seed.endpoint == "teams":
        rows = [row for b in _bodies(seed, doc) for row in bdl_rows(b)]
        q = built.quarantine["team"]
        if not _records(q, ref, "response"):
            held = built.teams.stats["matched"] + _quarantined_rows(q, ref)
            tally.rows_in_tables += built.teams.stats["matched"]
            tally.rows_quarantined += _quarantined_rows(q, ref)
            if held != len(rows):
                lost.append(("rows", f"teams: {len(rows)} rows, {held} matched or quarantined"))
    else:
        rows = [row for b in _bodies(seed, doc) for row in bdl_rows(b)]
        if seed.endpoint == "stats":
            rows = [row for row in rows if _bdl_owner(league, day, row.get("game") if isinstance(row, dict) else None)]
        q = built.quarantine["player"]
        if not _records(q, ref, "response"):
            frame = built.people.frames[table[seed.endpoint]]
            in_table = int((frame["raw_ref"] == ref).sum())
            dup = {"players": "duplicate_players", "lineups": "duplicate_lineups",
                   "stats": "duplicate_stat_lines"}.get(seed.endpoint)
            dups = built.people.stats[dup] if dup else 0
            held = in_table + dups + _quarantined_rows(q, ref)
            tally.rows_in_tables += in_table
            tally.rows_deduplicated += dups
            tally.rows_quarantined += _quarantined_rows(q, ref)
            if held != len(rows):
                lost.append(("rows", f"{seed.endpoint}: {len(rows)} rows owed, {in_table} in {table[seed.endpoint]} "
                                     f"+ {dups} duplicates + {_quarantined_rows(q, ref)} quarantined"))
    for q in built.quarantine.values():
        tally.responses_quarantined += len(_records(q, ref, "response"))
        tally.quarantined_by_column.update((q.table, r["kind"], r["column"]) for r in _records(q, ref))
    return lost


def _events_lost(rows: list, provider: str, ref: str, built: Built) -> list[str]:
    q = built.quarantine["event"]
    if _records(q, ref, "response"):
        return []  # the whole response is quarantined: every row with it
    emap = built.events.frames["event_provider_map"]
    known = set(emap.loc[emap["provider"] == provider, "provider_event_id"])
    known |= {json.loads(r["detail"])["provider_event_id"] for r in q.records if r["kind"] == "event"}
    named = Counter(_key(json.loads(r["detail"] or "{}").get("provider_event_id")) for r in _records(q, ref, "rows"))
    lost = []
    for row in rows:
        rid = row.get("id") if isinstance(row, dict) else None
        if isinstance(rid, str | int) and not isinstance(rid, bool) and str(rid) in known:
            continue
        if named[_key(rid)] > 0:
            named[_key(rid)] -= 1
            continue
        lost.append(f"{provider} event {_key(rid)[:60]} neither in the event map nor quarantined")
    return lost


def _outcomes_lost(events: list, ref: str, built: Built, tally: Tally) -> list[str]:
    q = built.quarantine["odds_snapshot"]
    if _records(q, ref, "response"):
        return []
    owed = sum(_outcomes(ev) for ev in events)
    in_table = int((built.odds["raw_ref"] == ref).sum())
    dups = built.odds_stats["intra_response_duplicates"] + built.odds_stats["cross_run_duplicates"]
    held = in_table + dups + _quarantined_rows(q, ref)
    tally.rows_in_tables += in_table
    tally.rows_deduplicated += dups
    tally.rows_quarantined += _quarantined_rows(q, ref)
    if held != owed:
        return [f"odds: {owed} outcomes owed, {in_table} in odds_snapshot + {dups} duplicates + "
                f"{_quarantined_rows(q, ref)} quarantined"]
    return []


# -- the drill --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def corpus() -> dict[str, Seed]:
    return seed_corpus()


@pytest.fixture(scope="module")
def reference(corpus: dict[str, Seed], tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """Each seed imported as it is: its slate dates and manifest entry (what a live fetch would have recorded)."""
    out = {}
    for name, seed in corpus.items():
        store = BronzeStore(tmp_path_factory.mktemp("ref") / "lake")
        res = import_file(store, write_json(store.root.parent / f"{name}.json", seed.doc), provider=seed.provider,
                          endpoint=seed.endpoint, sport=seed.sport, day=seed.day)
        [(folder, manifest)] = store.manifests(seed.provider, seed.sport, res.dates[0], seed.endpoint)
        out[name] = {"dates": res.dates, "entry": manifest["responses"][0]}
    return out


@contextmanager
def _timed(seconds: float) -> Iterator[None]:
    def stop(signum: int, frame: Any) -> None:
        raise Hang(f"past {seconds} s")
    old = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _import_context(store: BronzeStore, seed: Seed, corpus: dict[str, Seed], root: Path) -> None:
    for name in seed.context:
        ctx = corpus[name]
        import_file(store, write_json(root / "context" / f"{name}.json", ctx.doc), provider=ctx.provider,
                    endpoint=ctx.endpoint, sport=ctx.sport, day=ctx.day)


def _build_and_account(store: BronzeStore, seed: Seed, m: Mutant, dates: list[str], tally: Tally,
                       path_name: str) -> None:
    league = league_for(seed.sport)
    for d in dates:
        day = date.fromisoformat(d)
        built = build_slate(store, league, day)
        tally.slates_built += 1
        refs = [r.raw_ref for r in partition_responses(store, seed.provider, seed.sport, day, (seed.endpoint,))]
        for ref in refs:
            for category, problem in account(seed, m.doc, league, day, ref, built, tally):
                tally.failures.append((category, f"{m.describe()} [{path_name} {d}]: {problem}"))


def run_case(m: Mutant, corpus: dict[str, Seed], ref: dict, root: Path, tally: Tally) -> None:
    seed = corpus[m.source]
    content = m.dumps()
    # through import
    store = BronzeStore(root / "imported")
    _import_context(store, seed, corpus, root)
    try:
        res = import_file(store, write_json(root / f"{m.source}.json", m.doc), provider=seed.provider,
                          endpoint=seed.endpoint, sport=seed.sport, day=seed.day)
    except ImportRejected as err:
        tally.rejected += 1
        tally.rejected_by_kind[getattr(err, "kind", "rejected")] += 1
    else:
        tally.imported += 1
        _build_and_account(store, seed, m, res.dates, tally, "imported")
    # as a live fetch stores it: whatever the provider returned, in the slates the request was for
    store = BronzeStore(root / "fetched")
    _import_context(store, seed, corpus, root)
    entry = {k: ref["entry"].get(k) for k in ("snapshot_timestamp", "received_at", "imported_at")}
    for d in ref["dates"]:
        w = store.open(provider=seed.provider, sport=seed.sport, day=d, run_id="run-fetched", endpoint=seed.endpoint,
                       source="live")
        w.add_raw(content, valid_json=_is_json(content), extra=entry)
        w.close()
    _build_and_account(store, seed, m, ref["dates"], tally, "fetched")


def _is_json(content: bytes) -> bool:
    try:
        json.loads(content)
    except (ValueError, RecursionError):
        return False
    return True


@pytest.fixture(scope="module")
def drill(corpus: dict[str, Seed], reference: dict[str, dict], tmp_path_factory: pytest.TempPathFactory) -> Tally:
    """Every case run once; the tests below read its findings."""
    root = tmp_path_factory.mktemp("drill")
    tally = Tally()
    for m in mutants({name: s.doc for name, s in corpus.items()}, CASES, SEED):
        tally.mutations += 1
        started = time.monotonic()
        try:
            with _timed(CASE_SECONDS):
                run_case(m, corpus, reference[m.source], root / f"case{m.index:04d}", tally)
        except Exception as err:  # noqa: BLE001 - the drill's point: any exception at all is a finding
            where = " | ".join(line.strip() for line in traceback.format_exception(err)[-3:])
            tally.failures.append(("exception", f"{m.describe()}: {type(err).__name__}: {err} @ {where[:400]}"))
        tally.slowest_case_s = round(max(tally.slowest_case_s, time.monotonic() - started), 3)
    print("\nfuzz drill:", tally.summary(), "\nrejected by kind:", dict(tally.rejected_by_kind),
          "\nquarantine records (table, kind, column):", dict(tally.quarantined_by_column.most_common()))
    return tally


def _shown(found: list[str]) -> str:
    return f"{len(found)} finding(s):\n" + "\n".join(found[:30])


@pytest.mark.slow
def test_drill_size(drill: Tally) -> None:
    assert drill.mutations >= 500 and drill.imported >= 100 and drill.rejected >= 50, drill.summary()
    assert drill.rows_quarantined >= 100 and drill.slates_built >= 1000, drill.summary()


@pytest.mark.slow
def test_no_traceback_and_no_hang(drill: Tally) -> None:
    """Import raises only ImportRejected, silver raises nothing, and no case runs past CASE_SECONDS."""
    assert not drill.found("exception"), _shown(drill.found("exception"))


@pytest.mark.slow
def test_every_row_is_in_a_table_or_in_quarantine(drill: Tally) -> None:
    assert not drill.found("rows"), _shown(drill.found("rows"))


@pytest.mark.slow
def test_every_odds_outcome_is_in_a_table_or_in_quarantine(drill: Tally) -> None:
    assert not drill.found("outcomes"), _shown(drill.found("outcomes"))


@pytest.mark.slow
def test_a_lake_of_mutants_materializes(corpus: dict[str, Seed], lake_root: Path) -> None:
    """Many mutated files in the same slates, through import and a Dagster materialization of each busiest slate:
    the run succeeds and no blocking check fails (provider data problems are quarantine, not platform bugs)."""
    store = BronzeStore(lake_root)
    files: Counter = Counter()
    for name, seed in corpus.items():  # every seed as it is, so each slate has its good rows too
        res = import_file(store, write_json(lake_root.parent / "seeds" / f"{name}.json", seed.doc),
                          provider=seed.provider, endpoint=seed.endpoint, sport=seed.sport, day=seed.day)
        files.update((seed.sport, d) for d in res.dates)
    for m in mutants({name: s.doc for name, s in corpus.items()}, 160, SEED + 1):
        seed = corpus[m.source]
        try:
            res = import_file(store, write_json(lake_root.parent / "mutants" / f"{m.index}.json", m.doc),
                              provider=seed.provider, endpoint=seed.endpoint, sport=seed.sport, day=seed.day)
        except ImportRejected:
            continue
        files.update((seed.sport, d) for d in res.dates)
    busiest = sorted(files, key=lambda p: (-files[p], p))[:3]
    for sport, day in busiest:
        result = run_silver(sport, day, raise_on_error=False)
        failed_steps = [e.step_key for e in result.all_events if e.is_step_failure]
        blocking = [(c.asset_key.to_user_string(), c.check_name) for c in result.get_asset_check_evaluations()
                    if not c.passed and c.severity.value == "ERROR"]
        assert result.success and not blocking, (sport, day, files[(sport, day)], failed_steps, blocking)
