"""The gold graph on simulated data: DuckDB tables, checks, idempotent partitions and the leakage proof."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest

from linelogic_assets.config import load_config
from linelogic_assets.definitions import defs
from linelogic_assets.gold import asof as asof_module
from linelogic_assets.gold import checks as gold_checks
from linelogic_assets.gold.asof import asof_points, close_source
from linelogic_assets.gold.assets import form_history, windows
from linelogic_assets.gold.checks import GoldInputs, no_leakage
from linelogic_assets.gold.consensus import lines_asof
from linelogic_assets.gold.io_manager import gold_database
from linelogic_assets.gold.schemas import GOLD_SCHEMAS
from linelogic_assets.gold.training import build_training
from linelogic_assets.lake.checks import Outcome
from linelogic_assets.lakesql import query
from linelogic_assets.partitions import partition_key
from linelogic_assets.resources import ClockResource, LakeResource
from linelogic_assets.silver.io_manager import read_partition
from linelogic_assets.sports import league_for
from linelogic_assets_tests.conftest import NBA_DEMO_DAYS, nba_demo_copy

NBA = "basketball_nba"
DAYS = NBA_DEMO_DAYS


@pytest.fixture(scope="module")
def gold_lake(tmp_path_factory: pytest.TempPathFactory, _nba_demo_template: tuple[Path, Path]) -> Path:
    """Two NBA slates run end to end (bronze → silver → gold) by the demo command (a copy of the session's)."""
    lake, home = nba_demo_copy(_nba_demo_template, tmp_path_factory.mktemp("gold"))
    mp = pytest.MonkeyPatch()
    mp.setenv("LINELOGIC_DATA_ROOT", str(lake))
    mp.setenv("DAGSTER_HOME", str(home))
    yield lake / "demo"
    mp.undo()


@pytest.fixture
def in_lake(gold_lake: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LINELOGIC_DATA_ROOT", str(gold_lake.parent))
    return gold_lake


def gold_counts(root: Path) -> dict[str, int]:
    with duckdb.connect(str(gold_database(root)), read_only=True) as con:
        return {t: con.execute(f"SELECT count(*) FROM gold.{t}").fetchone()[0] for t in GOLD_SCHEMAS}


def test_demo_builds_every_gold_table_with_exact_schemas(in_lake: Path) -> None:
    counts = gold_counts(in_lake)
    # opportunities are rare on two slates (and may be none); every other table has rows
    assert all(n > 0 for t, n in counts.items() if t != "market_opportunities"), counts
    with duckdb.connect(str(gold_database(in_lake)), read_only=True) as con:
        for table, schema in GOLD_SCHEMAS.items():
            cols = [r[0] for r in con.execute(f"DESCRIBE gold.{table}").fetchall()]
            assert cols == schema.names, table
        dates = con.execute("SELECT DISTINCT sport, slate_date FROM gold.consensus_lines ORDER BY 2").fetchall()
    assert dates == [(NBA, date.fromisoformat(d)) for d in DAYS]
    # and the SQL CLI reads gold next to silver
    rows = query(in_lake, "SELECT bucket, count(*) AS n FROM pregame_training_rows GROUP BY 1 ORDER BY 1")
    assert set(rows["bucket"]) == {"OPEN", "T-6h", "T-60m", "T-15m", "CLOSE"}
    keys = query(in_lake, "SELECT canonical_event_id, bucket, count(*) n FROM pregame_training_rows GROUP BY ALL")
    assert keys["n"].eq(1).all()  # keyed (canonical_event_id, asof_bucket)
    labelled = query(in_lake, "SELECT count(*) FILTER (WHERE home_win IS NULL) AS unlabeled FROM pregame_training_rows")
    assert labelled["unlabeled"].iloc[0] == 0  # every game of a past slate is final


def test_gold_partition_rebuild_replaces_its_slice(in_lake: Path) -> None:
    before = gold_counts(in_lake)
    job = defs.resolve_job_def("gold_job")
    result = job.execute_in_process(partition_key=partition_key(NBA, DAYS[1]), instance=dg.DagsterInstance.ephemeral())
    assert result.success
    checks = result.get_asset_check_evaluations()
    assert len(checks) == 7 and all(c.passed for c in checks), [c.check_name for c in checks if not c.passed]
    assert gold_counts(in_lake) == before  # deleted and re-inserted, never appended


def gold_rows(root: Path, table: str) -> pd.DataFrame:
    with duckdb.connect(str(gold_database(root)), read_only=True) as con:
        return con.execute(f"SELECT * FROM gold.{table} ORDER BY ALL").df()


@pytest.mark.parametrize("asset", ["pregame_training_rows", "odds_movement_features", "market_opportunities"])
def test_a_run_of_one_snapshot_path_dataset_builds_only_it_with_its_checks(in_lake: Path, asset: str) -> None:
    """The three datasets on the consensus path share one step; a run of one of them (the form sensor rebuilds
    training rows alone) builds, records and checks that one only, with the rows the shared step gives."""
    paths = ["pregame_training_rows", "odds_movement_features", "market_opportunities"]
    before = {t: gold_rows(in_lake, t) for t in paths}
    job = defs.resolve_implicit_global_asset_job_def()
    result = job.execute_in_process(asset_selection=[dg.AssetKey(asset)], partition_key=partition_key(NBA, DAYS[1]),
                                    instance=dg.DagsterInstance.ephemeral())
    assert result.success
    assert {m.asset_key.path[-1] for m in result.asset_materializations_for_node("snapshot_paths")} == {asset}
    evaluations = result.get_asset_check_evaluations()
    assert {e.asset_key.path[-1] for e in evaluations} == {asset} and all(e.passed for e in evaluations)
    assert [e.check_name for e in evaluations] == [c.name for c in gold_checks.CHECKS if c.asset == asset]
    for t in paths:
        pd.testing.assert_frame_equal(gold_rows(in_lake, t), before[t])


def test_book_lines_metadata_names_the_close_each_event_stands_on(in_lake: Path) -> None:
    """Gold's CLOSE is each book's last pregame quote at or before commence: without the CLOSE window's
    snapshot it silently is an older one (T-15m's). The materialization says which, per event."""
    job = defs.resolve_job_def("gold_job")
    result = job.execute_in_process(partition_key=partition_key(NBA, DAYS[0]), instance=dg.DagsterInstance.ephemeral())
    assert result.success
    mat = next(m for m in result.get_asset_materialization_events() if m.asset_key == dg.AssetKey("book_lines"))
    meta = mat.materialization.metadata
    source = meta["close_source"].value
    inp = _inputs(in_lake, DAYS[0])
    points = asof_points(inp["events"], inp["odds"], inp["windows"], inp["now"])
    due = points.loc[points["bucket"] == "CLOSE", "canonical_event_id"].nunique()
    assert due > 1 and source["close_snapshot"] + source["earlier_snapshot"] + source["no_quote"] == due
    # the demo's backfill bought every game's CLOSE window: no fallback, no quote older than its staleness
    assert source["earlier_snapshot"] == 0 and meta["close_fallbacks"].value == 0
    assert meta["close_max_age_minutes"].value <= 5

    # the same slate without one game's CLOSE snapshot (a missed window): its CLOSE is an earlier quote
    odds, settings = inp["odds"], inp["settings"]
    eid = points.loc[points["bucket"] == "CLOSE", "canonical_event_id"].iloc[0]
    commence = inp["events"].set_index("canonical_event_id").loc[eid, "commence_time_utc"]
    lost = odds[~((odds["canonical_event_id"] == eid) & (odds["snapshot_time_utc"] > commence - pd.Timedelta(minutes=10)))]
    lines = lines_asof(lost, points, settings)
    fell_back = close_source(points, lines, "CLOSE", load_config().snapshot_schedule.staleness()["CLOSE"])
    assert fell_back["earlier_snapshot"] == 1 and fell_back["fallback_events"] == [eid]
    assert fell_back["close_snapshot"] == source["close_snapshot"] - 1 and fell_back["max_age_minutes"] >= 10


def test_close_source_of_a_slate_no_book_quoted_yet_counts_every_game_as_without_a_quote(in_lake: Path) -> None:
    inp = _inputs(in_lake, DAYS[0])
    points = asof_points(inp["events"], inp["odds"], inp["windows"], inp["now"])
    no_lines = lines_asof(inp["odds"].iloc[:0], points, inp["settings"])  # what book_lines builds from no quote
    games = points.loc[points["bucket"] == "CLOSE", "canonical_event_id"].nunique()
    assert close_source(points, no_lines, "CLOSE", load_config().snapshot_schedule.staleness()["CLOSE"]) == {
        "close_snapshot": 0, "earlier_snapshot": 0, "no_quote": games, "max_age_minutes": 0.0, "fallback_events": []}


def _inputs(root: Path, day: str) -> dict:
    cfg = load_config()
    return dict(odds=read_partition(root, "odds_snapshot", NBA, day), events=read_partition(root, "event", NBA, day),
                results=read_partition(root, "event_result", NBA, day),
                history=form_history(LakeResource(), NBA, date.fromisoformat(day), cfg.gold.form_games),
                settings=cfg.gold, windows=windows(cfg), now=ClockResource().now(),
                game_minutes=league_for(NBA).max_game_minutes)


def _check(rows: pd.DataFrame, inp: dict) -> Outcome:
    return no_leakage(GoldInputs(inp["settings"], rows, now=inp["now"], odds=inp["odds"], events=inp["events"],
                                 history=inp["history"], windows=inp["windows"], game_minutes=inp["game_minutes"]))


def _build(inp: dict, **kw) -> pd.DataFrame:
    args = {**inp, **kw}
    return build_training(args["odds"], args["events"], args["results"], args["history"], args["settings"],
                          args["windows"], args["now"], args["game_minutes"])


def test_leakage_check_passes_honest_rows_and_fails_when_a_later_snapshot_is_slipped_in(
        in_lake: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inp = _inputs(in_lake, DAYS[1])
    honest = _build(inp)
    assert _check(honest, inp).passed

    # a feature taken from the closing snapshot slipped into the T-60m row
    tampered = honest.copy()
    t60 = tampered.index[tampered["bucket"] == "T-60m"][0]
    close = tampered[(tampered["canonical_event_id"] == tampered.at[t60, "canonical_event_id"])
                     & (tampered["bucket"] == "CLOSE")].index[0]
    assert tampered.at[t60, "total_point"] != tampered.at[close, "total_point"] or \
        tampered.at[t60, "h2h_home_fair_prob"] != tampered.at[close, "h2h_home_fair_prob"]
    tampered.loc[t60, ["total_point", "h2h_home_fair_prob"]] = tampered.loc[close, ["total_point", "h2h_home_fair_prob"]]
    out = _check(tampered, inp)
    assert not out.passed and out.metadata["market_features_changed_when_future_cut"] >= 1

    # a builder that takes the nearest snapshot (what peers do with a ±5 min tolerance) instead of the last one
    real = pd.merge_asof
    monkeypatch.setattr(asof_module.pd, "merge_asof", lambda *a, **k: real(*a, **{**k, "direction": "nearest"}))
    leaky = _build(inp)
    monkeypatch.undo()
    out = _check(leaky, inp)
    assert not out.passed
    assert out.metadata["quote_after_asof"] > 0 and out.metadata["market_features_changed_when_future_cut"] > 0


def test_leakage_check_fails_when_a_later_game_is_slipped_into_team_form(in_lake: Path) -> None:
    inp = _inputs(in_lake, DAYS[0])
    # the history now also holds the next slate's finished games, as a lake rebuilt later does
    later = form_history(LakeResource(), NBA, date.fromisoformat(DAYS[1]), inp["settings"].form_games)
    inp["history"] = later
    honest = _build(inp)
    assert _check(honest, inp).passed  # honest form ignores games that ended after the as-of time
    # a builder whose notion of "ended" lets the next day's games in
    leaky = _build(inp, game_minutes=-2 * 24 * 60)
    assert (leaky["home_form_games"] + leaky["away_form_games"]).sum() > \
        (honest["home_form_games"] + honest["away_form_games"]).sum()
    out = _check(leaky, inp)
    # its own provenance claims the games had ended; rebuilding from the truly finished games exposes it
    assert not out.passed and out.metadata["form_features_changed_when_future_cut"] > 0


def test_gold_writers_share_one_duckdb_pool_of_one() -> None:
    import yaml

    from linelogic_assets.config import REPO_ROOT
    from linelogic_assets.gold.assets import gold_assets

    assert {a.op.pool for a in gold_assets} == {"duckdb"}
    assert yaml.safe_load((REPO_ROOT / "dagster.yaml").read_text())["concurrency"]["pools"]["default_limit"] == 1


def test_every_step_of_a_run_cuts_at_one_provider_now(tmp_path, monkeypatch) -> None:
    """With the demo clock running, steps of one run (silver's and gold's) must agree on which buckets are due
    and what is in the future: the clock resource pins its time on the run."""
    from datetime import timedelta

    from linelogic_assets.resources import NOW_TAG, simulator_for
    from linelogic_assets_tests.bronze.test_assets import write_config

    monkeypatch.setenv("LINELOGIC_DATA_ROOT", str(tmp_path / "lake"))
    config = write_config(tmp_path, simulator__clock={"start": "2025-11-18T23:00:00Z", "speed": 0})
    oddsapi = ClockResource(config_path=config)
    sim = simulator_for(load_config(config))
    seen = []

    @dg.asset
    def first(context) -> None:  # (this module's annotations are strings; Dagster wants the context unannotated)
        seen.append(oddsapi.run_now(context))
        sim.clock.advance(timedelta(minutes=20))  # the clock runs on between steps

    @dg.asset(deps=[first])
    def second(context) -> None:
        seen.append(oddsapi.run_now(context))

    with dg.instance_for_test() as instance:
        result = dg.materialize([first, second], instance=instance)
        assert seen[0] == seen[1] == pd.Timestamp("2025-11-18T23:00:00Z")
        assert instance.get_run_by_id(result.run_id).tags[NOW_TAG] == seen[0].isoformat()
    assert oddsapi.now() > seen[0]
