"""The raw store never overwrites, and a crash mid-write leaves no partial file under a final name."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from linelogic_assets.bronze.store import BronzeStore
from linelogic_assets.lake.atomic import BronzeImmutableError, atomic_write


def test_atomic_write_refuses_to_overwrite_raw_files(tmp_path: Path) -> None:
    target = tmp_path / "response_0001.json"
    atomic_write(target, b"{}")
    with pytest.raises(BronzeImmutableError):
        atomic_write(target, b"[]")
    assert target.read_bytes() == b"{}"


def test_a_crash_before_the_rename_leaves_no_visible_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(src, dst):  # the process dies between writing the temp file and renaming it
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        atomic_write(tmp_path / "response_0001.json", b'{"data": []}')
    assert not (tmp_path / "response_0001.json").exists()
    assert all(p.name.startswith(".") for p in tmp_path.iterdir()), "only a hidden temp file may remain"


def test_a_second_writer_for_the_same_run_gets_its_own_folder(tmp_path: Path) -> None:
    store = BronzeStore(tmp_path)
    kw = dict(provider="oddsapi", sport="basketball_nba", day="2025-11-12", run_id="r1", endpoint="odds", source="simulator")
    first, second = store.open(**kw), store.open(**kw)  # e.g. a retried step in the same run
    assert first.folder != second.folder and second.manifest["run_id"] == "r1.2"
    first.add_raw(b"[]", valid_json=True, extra={})
    first.close()
    second.close()
    assert [m["run_id"] for _, m in store.manifests("oddsapi", "basketball_nba", "2025-11-12")] == ["r1", "r1.2"]
