"""Import of every real recorded response, and rejection of files that are not responses."""

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from linelogic_assets.bronze.importer import ImportRejected, import_file
from linelogic_assets.bronze.store import BronzeStore
from linelogic_assets.cli import main
from linelogic_assets_tests.conftest import FIXTURES, REPO, endpoint_of, fixture_files

FILES = fixture_files()


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_real_fixture_imports_into_its_slate_partitions(path: Path, lake_root: Path) -> None:
    provider, endpoint, sport = endpoint_of(path)
    store = BronzeStore(lake_root)
    # responses that name no slate date (teams, sports) need one from the caller
    day = date(2024, 3, 21) if endpoint in ("teams", "sports") else None
    res = import_file(store, path, provider=provider, endpoint=endpoint, sport=sport, day=day)
    assert res.status == "imported" and res.folders
    for folder in res.folders:
        manifest = json.loads((lake_root / folder / "manifest.json").read_text())
        assert manifest["source"] == "import"
        assert manifest["original_path"] == str(path.resolve())
        (entry,) = manifest["responses"]
        assert entry["sha256"] == res.sha256
        assert (lake_root / folder / entry["file"]).read_bytes() == path.read_bytes()
        if endpoint in ("odds", "event_odds") or endpoint.startswith("historical_"):
            assert entry["snapshot_timestamp"], "every odds response records when it was observed"
    # the same bytes again: a no-op
    again = import_file(store, path, provider=provider, endpoint=endpoint, sport=sport, day=day)
    assert again.status == "duplicate"
    assert len(list((lake_root / "bronze").rglob("manifest.json"))) == len(res.folders)


def test_a_multi_date_file_lands_in_each_slate_date(lake_root: Path) -> None:
    path = next(p for p in FILES if p.name.startswith("nhl_scores"))
    res = import_file(BronzeStore(lake_root), path, provider="oddsapi", endpoint="scores", sport="icehockey_nhl")
    # commence 2024-03-19T00:41Z is the evening of 2024-03-18 in New York
    assert res.dates[0] == "2024-03-18" and len(res.dates) >= 4


def _bad_files(tmp: Path) -> dict[str, tuple[Path, str]]:
    good = json.loads(next(p for p in FILES if p.name.startswith("nhl_odds")).read_text())
    raw = json.dumps(good)
    cases = {
        "truncated": (raw[: len(raw) // 2], "truncated JSON"),
        "not_json": ("<html>502 Bad Gateway</html>", "not JSON"),
        "double_encoded": (json.dumps(raw), "double-encoded JSON"),
        "v3": (json.dumps({"success": True, "data": [{"sport_key": "icehockey_nhl", "teams": ["A", "B"], "sites": []}]}),
               "v3"),
        "wrong_endpoint": (json.dumps([{"key": "x", "group": "g", "title": "t", "active": True}]), "not a The Odds API v4 odds"),
        "empty": ("", "empty file"),
    }
    out = {}
    for name, (text, reason) in cases.items():
        p = tmp / f"{name}.json"
        p.write_text(text)
        out[name] = (p, reason)
    return out


def test_bad_files_are_rejected_with_a_reason_and_nothing_is_written(tmp_path: Path, lake_root: Path) -> None:
    store = BronzeStore(lake_root)
    for path, reason in _bad_files(tmp_path).values():
        with pytest.raises(ImportRejected, match=reason):
            import_file(store, path, provider="oddsapi", endpoint="odds", sport="icehockey_nhl")
    assert not (lake_root / "bronze").exists() or not any((lake_root / "bronze").rglob("*"))


def test_cli_exits_non_zero_with_one_line_per_rejection(tmp_path: Path, lake_root: Path, capsys) -> None:
    bad = _bad_files(tmp_path)
    good = next(p for p in FILES if p.name.startswith("nhl_odds"))
    code = main(["import", "--provider", "oddsapi", "--endpoint", "odds", "--sport", "icehockey_nhl",
                 str(good), str(bad["truncated"][0]), str(bad["double_encoded"][0])])
    out, err = capsys.readouterr()
    assert code == 1
    assert out.startswith("imported nhl_odds")
    lines = err.strip().splitlines()
    assert len(lines) == 2 and all(line.startswith("rejected ") for line in lines)


# --- one error boundary per file: each crash of the table is a one-line rejection, the batch goes on ---

ODDS_API = FIXTURES / "the_odds_api"
NHL_ODDS = ODDS_API / "nhl_odds_2024-03-21_h2h.json"
HISTORICAL_EVENT_ODDS = ODDS_API / "historical_event_odds_nfl_2023-10-10_DOCS_EXAMPLE.json"


def _mutated(src: Path, dest: Path, mutate) -> Path:
    body = json.loads(src.read_text())
    mutate(body)
    dest.write_text(json.dumps(body))
    return dest


def _cli_import(*files: Path, endpoint: str = "odds", sport: str = "icehockey_nhl", provider: str = "oddsapi",
                extra: tuple[str, ...] = ()) -> int:
    return main(["import", "--provider", provider, "--endpoint", endpoint, "--sport", sport, *extra, *map(str, files)])


def _one_rejection(err: str, name: str, *words: str) -> str:
    """stderr holds exactly one line, the rejection of `name`, and it says why."""
    assert "Traceback" not in err
    (line,) = err.strip().splitlines()
    assert line.startswith(f"rejected {name}: "), line
    for word in words:
        assert word in line, line
    return line


def _nothing_in_bronze(lake_root: Path) -> None:
    assert not (lake_root / "bronze").exists() or not any((lake_root / "bronze").rglob("manifest.json"))


def _nest(depth: int) -> list:
    inner: list = []
    for _ in range(depth - 1):
        inner = [inner]
    return inner


def test_row1_json_nested_1000_levels_is_rejected_naming_the_depth_limit(tmp_path: Path, lake_root: Path,
                                                                         capsys) -> None:
    deep = tmp_path / "d.json"
    deep.write_text("[" * 1000 + "]" * 1000)
    assert _cli_import(deep, sport="basketball_nba") == 1
    _one_rejection(capsys.readouterr().err, "d.json", "nested deeper than")
    # a valid response carrying a 100-deep value (json parses it; no real response is nested so deep)
    hidden = _mutated(NHL_ODDS, tmp_path / "hidden.json",
                      lambda b: b[0]["bookmakers"][0]["markets"][0]["outcomes"][0].update(extra=_nest(100)))
    assert _cli_import(hidden) == 1
    _one_rejection(capsys.readouterr().err, "hidden.json", "nested deeper than")
    _nothing_in_bronze(lake_root)


def _set_last_update(value):
    return lambda b: b[0]["bookmakers"][0].update(last_update=value)


@pytest.mark.parametrize(("src", "endpoint", "sport", "mutate", "field"), [
    (NHL_ODDS, "odds", "icehockey_nhl", _set_last_update("yesterday"), "last_update"),
    (NHL_ODDS, "odds", "icehockey_nhl", _set_last_update("2024-03-21T14:10:14"), "last_update"),  # naive
    (NHL_ODDS, "odds", "icehockey_nhl",
     lambda b: b[1]["bookmakers"][0]["markets"][0].update(last_update="soon"), "last_update"),
    (HISTORICAL_EVENT_ODDS, "historical_event_odds", "americanfootball_nfl", lambda b: b.update(timestamp=None),
     "timestamp"),
    (HISTORICAL_EVENT_ODDS, "historical_event_odds", "americanfootball_nfl", lambda b: b.update(timestamp="garbage"),
     "timestamp"),
], ids=["yesterday", "naive", "market_soon", "historical_null", "historical_garbage"])
def test_row2_a_bad_snapshot_time_is_a_one_line_rejection(src: Path, endpoint: str, sport: str, mutate, field: str,
                                                          tmp_path: Path, lake_root: Path, capsys) -> None:
    bad = _mutated(src, tmp_path / "bad.json", mutate)
    assert _cli_import(bad, endpoint=endpoint, sport=sport) == 1
    _one_rejection(capsys.readouterr().err, "bad.json", field)
    _nothing_in_bronze(lake_root)


def _set_commence(value):
    return lambda b: b[0].update(commence_time=value)


@pytest.mark.parametrize("mutate", [
    _set_commence(1e20), _set_commence(-1e20), _set_commence("0001-01-01T00:00:00Z"),
    _set_commence("9999-12-31T23:59:59-01:00"), _set_commence(10**40), _set_last_update(1e20),
    _set_last_update("0001-01-01T00:00:00+01:00"),
], ids=["commence_1e20", "commence_-1e20", "commence_year1", "commence_year9999_offset", "commence_huge_int",
        "last_update_1e20", "last_update_year1_offset"])
def test_row3_extreme_dates_are_a_one_line_rejection(mutate, tmp_path: Path, lake_root: Path, capsys) -> None:
    bad = _mutated(NHL_ODDS, tmp_path / "bad.json", mutate)
    assert _cli_import(bad) == 1
    _one_rejection(capsys.readouterr().err, "bad.json")
    _nothing_in_bronze(lake_root)


@pytest.mark.parametrize("bad_kind", ["deep", "yesterday", "commence_1e20"])
def test_row4_one_bad_file_does_not_stop_the_batch_and_no_traceback_reaches_the_terminal(
        bad_kind: str, tmp_path: Path, lake_root: Path) -> None:
    good = tmp_path / "good.json"
    good.write_bytes(NHL_ODDS.read_bytes())
    good2 = _mutated(NHL_ODDS, tmp_path / "good2.json", lambda b: b[0]["bookmakers"].pop())  # other bytes
    bad = tmp_path / "bad.json"
    if bad_kind == "deep":
        bad.write_text("[" * 1000 + "]" * 1000)
    else:
        _mutated(NHL_ODDS, bad, _set_last_update("yesterday") if bad_kind == "yesterday" else _set_commence(1e20))
    # the real console entry point in its own process: what a user's terminal shows
    proc = subprocess.run(
        [sys.executable, "-c", "import sys; from linelogic_assets.cli import main; sys.exit(main(sys.argv[1:]))",
         "import", "--provider", "oddsapi", "--endpoint", "odds", "--sport", "icehockey_nhl",
         str(good), str(bad), str(good2)],
        capture_output=True, text=True, timeout=120, cwd=REPO,
    )
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    _one_rejection(proc.stderr, "bad.json")
    imported = [line.split()[1] for line in proc.stdout.splitlines() if line.startswith("imported ")]
    assert imported == ["good.json", "good2.json"]
    runs = {m.parent.parent.name for m in (lake_root / "bronze").rglob("manifest.json")}
    assert len(runs) == 2  # one import run per good file


@pytest.mark.parametrize("commence", ["9999-12-30T23:59:59Z", "2019-06-01T23:00:00Z", "2090-01-01T23:00:00Z"])
def test_row5_an_impossible_slate_date_is_refused_naming_the_allowed_range(commence: str, tmp_path: Path,
                                                                           lake_root: Path, capsys) -> None:
    from linelogic_assets.partitions import FIRST_DATE, last_slate_date

    bad = _mutated(NHL_ODDS, tmp_path / "bad.json", _set_commence(commence))
    assert _cli_import(bad) == 1
    _one_rejection(capsys.readouterr().err, "bad.json", commence[:4], FIRST_DATE, str(last_slate_date()))
    _nothing_in_bronze(lake_root)


def test_row5_the_issues_last_second_of_the_calendar_is_refused(tmp_path: Path, lake_root: Path, capsys) -> None:
    # too close to the calendar's edge to be shown in every timezone: refused as a timestamp already
    bad = _mutated(NHL_ODDS, tmp_path / "bad.json", _set_commence("9999-12-31T23:59:59Z"))
    assert _cli_import(bad) == 1
    _one_rejection(capsys.readouterr().err, "bad.json", "commence_time", "out of range")
    _nothing_in_bronze(lake_root)


def test_row5_a_date_given_by_the_caller_is_held_to_the_same_range(lake_root: Path, capsys) -> None:
    teams = FIXTURES / "balldontlie" / "v0_teams_list_of_responses_2020.json"
    assert _cli_import(teams, provider="balldontlie", endpoint="teams", sport="basketball_nba",
                       extra=("--date", "1999-01-01")) == 1
    _one_rejection(capsys.readouterr().err, teams.name, "1999-01-01")
    _nothing_in_bronze(lake_root)


def test_row5_the_slate_range_is_the_partitions_definition() -> None:
    from datetime import timedelta

    from linelogic_assets.partitions import FIRST_DATE, last_slate_date, slate_date_in_range

    first, last = date.fromisoformat(FIRST_DATE), last_slate_date()
    assert slate_date_in_range(first) and slate_date_in_range(last)
    assert not slate_date_in_range(first - timedelta(days=1))
    assert not slate_date_in_range(last + timedelta(days=1))
    assert not slate_date_in_range(date.max) and not slate_date_in_range(date.min)


def test_row5_sport_key_must_match_the_sport_argument(tmp_path: Path, lake_root: Path, capsys) -> None:
    assert _cli_import(NHL_ODDS, sport="basketball_nba") == 1
    _one_rejection(capsys.readouterr().err, NHL_ODDS.name, "icehockey_nhl", "basketball_nba")
    # one event of another sport among the right ones
    mixed = _mutated(NHL_ODDS, tmp_path / "mixed.json", lambda b: b[2].update(sport_key="basketball_nba"))
    assert _cli_import(mixed) == 1
    _one_rejection(capsys.readouterr().err, "mixed.json", "basketball_nba", "icehockey_nhl")
    # the historical envelope's event
    assert _cli_import(HISTORICAL_EVENT_ODDS, endpoint="historical_event_odds", sport="basketball_nba") == 1
    _one_rejection(capsys.readouterr().err, HISTORICAL_EVENT_ODDS.name, "americanfootball_nfl", "basketball_nba")
    _nothing_in_bronze(lake_root)


def test_file_size_is_checked_before_reading(tmp_path: Path, lake_root: Path, capsys, monkeypatch) -> None:
    from linelogic_assets.lake import contracts

    monkeypatch.setattr(contracts, "MAX_FILE_BYTES", 1024)  # the real limit in small: the file is 88 KB
    assert _cli_import(NHL_ODDS) == 1
    _one_rejection(capsys.readouterr().err, NHL_ODDS.name, "larger than")
    _nothing_in_bronze(lake_root)


def test_an_unexpected_exception_is_one_line_naming_its_type(tmp_path: Path, lake_root: Path, capsys,
                                                            monkeypatch) -> None:
    from linelogic_assets.bronze import importer

    def boom(*args, **kwargs):
        raise MemoryError("cannot allocate")

    monkeypatch.setattr(importer, "classify", boom)  # whatever parsing raises, the file is rejected, not the run
    good2 = _mutated(NHL_ODDS, tmp_path / "good2.json", lambda b: b.pop())
    assert _cli_import(NHL_ODDS, good2) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 2 and all("MemoryError" in line for line in lines)
