"""Import of every real recorded response, and rejection of files that are not responses."""

import json
from datetime import date
from pathlib import Path

import pytest

from linelogic_assets.bronze.importer import ImportRejected, import_file
from linelogic_assets.bronze.store import BronzeStore
from linelogic_assets.cli import main
from linelogic_assets_tests.conftest import endpoint_of, fixture_files

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
