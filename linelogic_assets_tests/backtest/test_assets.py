"""The backtests as Dagster assets on a demo lake: materializations, metadata, the no-look-ahead check, the
gold DuckDB tables and the Parquet ledger, and the check failing on an engine that leaks."""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import io
import json
import math
import re
import shutil
import struct
from datetime import timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest

from linelogic_assets.backtest import runner, views
from linelogic_assets.backtest.assets import CHECK, GROUP, HEADLINE, PREVIEW, asset_name, backtest_assets
from linelogic_assets.backtest.runner import configured
from linelogic_assets.backtest.schema import BET_COLUMNS, BETS, SUMMARY
from linelogic_assets.backtest.store import backtest_dir
from linelogic_assets.cli import _demo_backtests, main
from linelogic_assets.config import load_config
from linelogic_assets.definitions import defs
from linelogic_assets.gold.io_manager import gold_database
from linelogic_assets.resources import LakeResource
from linelogic_assets_tests.conftest import NBA_DEMO_DAYS, nba_demo_copy

NBA = "basketball_nba"
DAYS = NBA_DEMO_DAYS
SPECS = configured()
NAMES = sorted(SPECS)
KEYS = {dg.AssetKey(asset_name(s)) for s in SPECS.values()}
# flat stakes on every DraftKings favourite: bets on any lake, so a leak has bets to show up in
FLAT = "favourites_draftkings"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
IMAGE = re.compile(r"!\[[^\]]*\]\(data:image/png;base64,([A-Za-z0-9+/=]+)\)")


@dataclasses.dataclass(frozen=True)
class DemoLake:
    data_root: Path  # LINELOGIC_DATA_ROOT
    home: Path  # the demo's DAGSTER_HOME
    output: str  # what the demo printed

    @property
    def root(self) -> Path:
        return self.data_root / "demo"


@pytest.fixture(scope="module")
def demo_lake(tmp_path_factory: pytest.TempPathFactory, _nba_demo_template: tuple[Path, Path]) -> DemoLake:
    """Two NBA slates run end to end by the demo command (a copy of the session's), then the demo's own last
    step, the configured backtests after gold (`cli._demo_backtests`, what `linelogic demo` runs)."""
    lake, home = nba_demo_copy(_nba_demo_template, tmp_path_factory.mktemp("backtest"))
    mp = pytest.MonkeyPatch()
    mp.setenv("LINELOGIC_DATA_ROOT", str(lake))
    mp.setenv("DAGSTER_HOME", str(home))
    out = io.StringIO()
    with contextlib.redirect_stdout(out), dg.DagsterInstance.get() as instance:
        assert _demo_backtests(defs, instance, load_config(), [NBA]) == 0
    yield DemoLake(lake, home, out.getvalue())
    mp.undo()


@pytest.fixture
def lake(demo_lake: DemoLake, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LINELOGIC_DATA_ROOT", str(demo_lake.data_root))
    return demo_lake.root


@pytest.fixture
def lake_copy(demo_lake: DemoLake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the demo lake, for runs that must not leave their rows in the shared one."""
    shutil.copytree(demo_lake.data_root, tmp_path / "lake")
    monkeypatch.setenv("LINELOGIC_DATA_ROOT", str(tmp_path / "lake"))
    return tmp_path / "lake" / "demo"


def run_backtests(names: list[str] | None = None) -> dg.ExecuteInProcessResult:
    selection = None if names is None else [dg.AssetKey(asset_name(SPECS[n])) for n in names]
    result = defs.resolve_job_def("backtest_job").execute_in_process(
        instance=dg.DagsterInstance.ephemeral(), asset_selection=selection, raise_on_error=False)
    assert result.success
    return result


def materialized(result) -> dict[str, dict]:
    """backtest name → its materialization's metadata."""
    return {m.asset_key.path[-1].removeprefix("backtest_"): m.materialization.metadata
            for m in result.get_asset_materialization_events()}


def sql(root: Path, query: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(gold_database(root)), read_only=True) as con:
        return con.execute(query, params or []).fetchall()


def counts(root: Path) -> dict[str, dict[str, int]]:
    """table → backtest → rows."""
    return {t: dict(sql(root, f"SELECT backtest, count(*) FROM gold.{t} GROUP BY 1"))
            for t in ("backtest_bets", "backtest_summary", "backtest_breakdown")}


def test_the_configured_backtests_are_the_backtest_group_each_with_its_check() -> None:
    graph = defs.resolve_asset_graph()
    assert {k for k in graph.get_all_asset_keys() if graph.get(k).group_name == GROUP} == KEYS
    assert len(KEYS) == len(SPECS) >= 4
    assert {k for k in graph.asset_check_keys if k.asset_key in KEYS} == {
        dg.AssetCheckKey(k, CHECK) for k in KEYS}
    assert all(not graph.get(k).is_partitioned for k in KEYS)
    job = defs.resolve_job_def("backtest_job")
    assert set(job.asset_layer.selected_asset_keys) == KEYS


def test_the_demos_backtest_step_builds_every_backtest_after_gold(demo_lake: DemoLake) -> None:
    lines = demo_lake.output.splitlines()
    assert f"backtests: {len(SPECS)} (ok)" in lines
    for name in NAMES:
        line = next(x for x in lines if x.strip().startswith(f"backtest_{name}:"))
        assert line.endswith("no_lookahead passed"), line
    with dg.DagsterInstance.from_config(str(demo_lake.home)) as instance:
        for key in KEYS:
            assert instance.get_latest_materialization_event(key) is not None, key
    # and their rows are in the lake's gold warehouse
    assert set(sql(demo_lake.root, "SELECT backtest FROM gold.backtest_summary")) == {(n,) for n in NAMES}


def test_the_job_materializes_every_backtest_with_its_metadata(lake: Path) -> None:
    result = run_backtests()
    md = materialized(result)
    assert set(md) == set(NAMES)
    summaries = {r["backtest"]: r for r in _summaries(lake)}
    for name, meta in md.items():
        rows = sql(lake, "SELECT count(*) FROM gold.backtest_bets WHERE backtest = ?", [name])[0][0]
        assert meta["dagster/row_count"].value == rows == summaries[name]["bets"], name
        schema = meta["dagster/column_schema"].value
        assert [c.name for c in schema.columns] == BETS.names
        assert [c.description for c in schema.columns] == [d for *_, d in BET_COLUMNS]
        assert all(c.description for c in schema.columns)
        for k in HEADLINE:  # the headline metrics are the stored summary's, n/a where undefined
            stored, shown = summaries[name][k], meta[k].value
            if stored is None or (isinstance(stored, float) and not math.isfinite(stored)):
                assert shown == "n/a", (name, k)
            else:
                assert shown == pytest.approx(stored, abs=1e-6), (name, k)
        png = _png(meta["equity_curve"].value)
        assert png == (backtest_dir(lake, name) / "equity.png").read_bytes()
        assert _preview_rows(meta["ledger_preview"].value, lake, name)
        assert meta["ledger_path"].value == str(backtest_dir(lake, name) / "bets.parquet")
    assert md[FLAT]["bets"].value > 0  # flat stakes on every favourite: the demo slates have bets


def test_the_no_lookahead_check_passes_with_severity_error(lake: Path) -> None:
    result = run_backtests()
    checks = result.get_asset_check_evaluations()
    assert {c.asset_key for c in checks} == KEYS and {c.check_name for c in checks} == {CHECK}
    for c in checks:
        assert c.passed and c.severity == dg.AssetCheckSeverity.ERROR, c
        found = {k: v.value for k, v in c.metadata.items()}
        assert found["quote_after_decision"] == found["view_after_decision"] == found["bankroll_not_asof"] == 0
        assert found["exposure_not_asof"] == found["settled_before_end"] == 0 and found["examples"] == []


def test_the_tables_hold_each_backtests_own_rows_and_a_rebuild_replaces_them(lake: Path) -> None:
    run_backtests()
    before = counts(lake)
    assert set(before["backtest_summary"]) == set(NAMES)
    assert before["backtest_summary"] == dict.fromkeys(NAMES, 1)
    assert before["backtest_bets"][FLAT] > 0
    ledger_before = _ledger(lake, FLAT)
    # one backtest rebuilt by itself, twice, through `materialize`: its rows replaced, the others untouched
    flat = next(a for a in backtest_assets() if a.key == dg.AssetKey(asset_name(SPECS[FLAT])))
    for _ in range(2):
        res = dg.materialize([flat], resources={"lake": LakeResource()}, instance=dg.DagsterInstance.ephemeral())
        assert res.success
    assert counts(lake) == before
    pd.testing.assert_frame_equal(_ledger(lake, FLAT), ledger_before)
    ids = sql(lake, "SELECT bet_id FROM gold.backtest_bets WHERE backtest = ? ORDER BY bet_id", [FLAT])
    assert [i for (i,) in ids] == list(range(before["backtest_bets"][FLAT]))  # no duplicate bet


def test_the_sql_cli_sees_the_backtest_tables(lake: Path, capsys: pytest.CaptureFixture) -> None:
    run_backtests()
    capsys.readouterr()
    assert main(["sql", "SELECT backtest, count(*) AS n FROM backtest_bets GROUP BY 1 ORDER BY 1",
                 "--format", "json"]) == 0
    shown = {r["backtest"]: r["n"] for r in json.loads(capsys.readouterr().out)}
    assert shown == {k: v for k, v in counts(lake)["backtest_bets"].items()}
    assert main(["sql", "SELECT backtest, bets FROM backtest_summary ORDER BY 1", "--format", "json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert [r["backtest"] for r in summary] == NAMES
    assert {r["backtest"]: r["bets"] for r in summary} == {n: shown.get(n, 0) for n in NAMES}


def test_the_parquet_ledger_equals_the_duckdb_rows(lake: Path) -> None:
    run_backtests()
    for name in NAMES:
        path = backtest_dir(lake, name) / "bets.parquet"
        table = pq.read_table(path)
        assert table.schema.names == BETS.names and table.schema.types == BETS.types, name
        stored = sql(lake, "SELECT count(*) FROM gold.backtest_bets WHERE backtest = ?", [name])[0][0]
        assert table.num_rows == stored
        # the same rows both ways (EXCEPT ALL keeps duplicates, so a doubled row shows too)
        for a, b in (("read_parquet(?)", "gold.backtest_bets WHERE backtest = ?"),
                     ("gold.backtest_bets WHERE backtest = ?", "read_parquet(?)")):
            params = [str(path), name] if a.startswith("read") else [name, str(path)]
            assert sql(lake, f"SELECT count(*) FROM (SELECT * FROM {a} EXCEPT ALL SELECT * FROM {b})",
                       params) == [(0,)], name
        assert json.loads((backtest_dir(lake, name) / "summary.json").read_text())["bets"] == stored


def _later_quotes(monkeypatch: pytest.MonkeyPatch) -> str:
    """A data layer that hands the engine a snapshot from 30 minutes after each decision point."""
    real = runner.from_lake

    def leaky(*args, **kwargs):
        data = real(*args, **kwargs)
        lines = data.lines.assign(snapshot_time_utc=data.lines["asof_time_utc"] + timedelta(minutes=30))
        return dataclasses.replace(data, lines=lines)

    monkeypatch.setattr(runner, "from_lake", leaky)
    return "quote_after_decision"


def _later_view(monkeypatch: pytest.MonkeyPatch) -> str:
    """Views that hold something a minute after their decision time (a feature from later)."""
    monkeypatch.setattr(views.DecisionView, "latest_snapshot",
                        property(lambda self: self.decision_time + timedelta(minutes=1)))
    return "view_after_decision"


@pytest.mark.parametrize("leak", [_later_quotes, _later_view])
def test_the_check_fails_with_severity_error_when_the_engine_leaks(lake_copy: Path, monkeypatch, leak) -> None:
    finding = leak(monkeypatch)
    result = run_backtests([FLAT])
    (check,) = result.get_asset_check_evaluations()
    bets = materialized(result)[FLAT]["bets"].value
    assert bets > 0
    assert not check.passed and check.severity == dg.AssetCheckSeverity.ERROR
    assert check.metadata[finding].value == bets  # every bet of the run
    assert "look-ahead" in check.description
    assert len(check.metadata["examples"].value) == min(5, bets)


def _summaries(root: Path) -> list[dict]:
    with duckdb.connect(str(gold_database(root)), read_only=True) as con:
        frame = con.execute("SELECT * FROM gold.backtest_summary").fetchdf()
    assert list(frame.columns) == SUMMARY.names
    return [{k: (None if isinstance(v, float) and v != v else v) for k, v in r.items()}
            for r in frame.to_dict("records")]


def _ledger(root: Path, name: str) -> pd.DataFrame:
    with duckdb.connect(str(gold_database(root)), read_only=True) as con:
        return con.execute("SELECT * FROM gold.backtest_bets WHERE backtest = ? ORDER BY bet_id", [name]).fetchdf()


def _png(markdown: str) -> bytes:
    """The equity-curve image of the metadata's markdown: a 900 × 500 PNG."""
    (encoded,) = IMAGE.findall(markdown)
    png = base64.b64decode(encoded, validate=True)
    assert png.startswith(PNG_SIGNATURE) and png[12:16] == b"IHDR"
    assert struct.unpack(">II", png[16:24]) == (900, 500)
    return png


def _preview_rows(markdown: str, root: Path, name: str) -> bool:
    """The ledger preview is a markdown table of the first bets, in ledger order (or says there are none)."""
    ledger = _ledger(root, name)
    if ledger.empty:
        return markdown == "_no bets placed_"
    lines = markdown.split("\n\n")[0].splitlines()
    assert lines[0] == "| " + " | ".join(PREVIEW) + " |"
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in lines[2:]]
    assert len(rows) == min(20, len(ledger))
    assert [int(r[0]) for r in rows] == ledger["bet_id"].head(20).tolist()
    assert [r[1] for r in rows] == ledger["canonical_event_id"].head(20).tolist()
    assert [r[3] for r in rows] == ledger["bookmaker"].head(20).tolist()
    return len(ledger) <= 20 or markdown.endswith(f"… {len(ledger) - 20} more in `backtest_bets`")
