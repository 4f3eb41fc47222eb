"""`linelogic backtest run | show | compare | list` on a demo lake built without the backtests."""

from __future__ import annotations

import dataclasses
import json
import shutil
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest

from linelogic_assets.backtest.cli import SHOWN
from linelogic_assets.backtest.runner import configured
from linelogic_assets.backtest.schema import SUMMARY
from linelogic_assets.backtest.store import backtest_dir
from linelogic_assets.cli import main
from linelogic_assets.gold.io_manager import gold_database
from linelogic_assets.silver.io_manager import read_range
from linelogic_assets_tests.conftest import NBA_DEMO_DAYS, nba_demo_copy

NBA = "basketball_nba"
DAYS = NBA_DEMO_DAYS
SPECS = configured()
FLAT = "favourites_draftkings"
BEST = "favourite_best_price"
RANGE = ["--sport", NBA, "--start", DAYS[0], "--end", DAYS[1]]


@dataclasses.dataclass(frozen=True)
class Lake:
    data_root: Path
    backtest_tables_after_demo: set[str]

    @property
    def root(self) -> Path:
        return self.data_root / "demo"


@pytest.fixture(scope="module")
def cli_lake(tmp_path_factory: pytest.TempPathFactory, _nba_demo_template: tuple[Path, Path]) -> Lake:
    """Two NBA slates through bronze, silver and gold by the demo command, told to skip the backtests (a copy
    of the session's)."""
    lake, home = nba_demo_copy(_nba_demo_template, tmp_path_factory.mktemp("backtest_cli"))
    mp = pytest.MonkeyPatch()
    mp.setenv("LINELOGIC_DATA_ROOT", str(lake))
    mp.setenv("DAGSTER_HOME", str(home))
    with duckdb.connect(str(gold_database(lake / "demo")), read_only=True) as con:
        tables = {t for (t,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE table_name LIKE "
                                            "'backtest%'").fetchall()}
    yield Lake(lake, tables)
    mp.undo()


@pytest.fixture
def lake(cli_lake: Lake, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LINELOGIC_DATA_ROOT", str(cli_lake.data_root))
    return cli_lake.root


@dataclasses.dataclass
class Ran:
    code: int
    out: str
    err: str

    def json(self):
        return json.loads(self.out)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture):
    def run(*argv: str) -> Ran:
        capsys.readouterr()
        code = main(list(argv))
        out, err = capsys.readouterr()
        return Ran(code, out, err)
    return run


def stored_summary(root: Path, name: str) -> dict:
    with duckdb.connect(str(gold_database(root)), read_only=True) as con:
        (row,) = con.execute("SELECT * FROM gold.backtest_summary WHERE backtest = ?", [name]).fetchdf().to_dict(
            "records")
    return {k: (None if isinstance(v, float) and v != v else v.date() if isinstance(v, pd.Timestamp) else v)
            for k, v in row.items()}


def ledger(root: Path, name: str) -> pd.DataFrame:
    return pq.read_table(backtest_dir(root, name) / "bets.parquet").to_pandas()


def comparable(summary: dict) -> dict:
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in summary.items()}


def test_demo_with_no_backtests_stores_none(cli_lake: Lake, lake: Path, cli) -> None:
    assert cli_lake.backtest_tables_after_demo == set()
    ran = cli("backtest", "show", FLAT)
    assert ran.code == 1 and ran.out == ""
    assert ran.err.splitlines() == [f"no stored backtest {FLAT!r}: run it first (linelogic backtest run --config "
                                    f"{FLAT})"]


def test_run_config_json_prints_exactly_the_summary_fields(lake: Path, cli) -> None:
    ran = cli("backtest", "run", "--config", FLAT, "--format", "json")
    assert ran.code == 0, ran.err
    summary = ran.json()  # the whole of stdout is the JSON
    assert list(summary) == SUMMARY.names
    assert summary == comparable(stored_summary(lake, FLAT))
    assert summary == json.loads((backtest_dir(lake, FLAT) / "summary.json").read_text())
    spec = SPECS[FLAT]
    assert (summary["backtest"], summary["strategy"], summary["sizing"], summary["buckets"]) == (
        FLAT, spec.strategy, str(spec.sizing), ",".join(spec.buckets))
    assert summary["bets"] == len(ledger(lake, FLAT)) > 0


def test_run_table_prints_the_summary_and_where_it_wrote(lake: Path, cli) -> None:
    ran = cli("backtest", "run", "--config", BEST)
    assert ran.code == 0, ran.err
    lines = ran.out.splitlines()
    assert lines[0].startswith(f"backtest {BEST}: favourite_best_price on {NBA} ")
    shown = {line.split()[0] for line in lines[1:-1]}
    assert shown == set(SHOWN)
    assert lines[-1].strip() == (f"ledger: {backtest_dir(lake, BEST) / 'bets.parquet'}  equity curve: "
                                 f"{backtest_dir(lake, BEST) / 'equity.png'}")


def test_an_ad_hoc_ev_run_with_kelly_sizing(lake: Path, cli) -> None:
    ran = cli("backtest", "run", "--strategy", "ev", *RANGE, "--bucket", "T-60m", "--sizing", "kelly:0.25",
              "--format", "json")
    assert ran.code == 0, ran.err
    summary = ran.json()
    assert list(summary) == SUMMARY.names
    assert (summary["backtest"], summary["strategy"], summary["buckets"], summary["sizing"]) == (
        "adhoc_ev", "ev", "T-60m", "kelly:0.25")
    assert (summary["start_date"], summary["end_date"]) == tuple(DAYS)
    assert summary == comparable(stored_summary(lake, "adhoc_ev"))
    bets = ledger(lake, "adhoc_ev")
    assert len(bets) == summary["bets"]
    # every bet is a quarter of its Kelly stake at most (caps only lower it), on a positive edge, at T-60m
    assert (bets["bucket"] == "T-60m").all() and (bets["kelly_fraction"] > 0).all()
    assert (bets["edge"] >= 0.02 - 1e-12).all()  # the strategy's default minimum edge
    assert (bets["stake"] <= 0.25 * bets["kelly_fraction"] * bets["bankroll_before"] + 1e-9).all()


def test_a_custom_offset_bucket_reads_silver_at_that_offset(lake: Path, cli) -> None:
    ran = cli("backtest", "run", "--strategy", "flat", *RANGE, "--bucket", "T-90m", "--sizing", "flat:100",
              "--param", "bookmaker=draftkings", "--save-as", "flat_t90", "--format", "json")
    assert ran.code == 0, ran.err
    assert ran.json()["buckets"] == "T-90m"
    bets = ledger(lake, "flat_t90")
    assert len(bets) > 0 and (bets["bucket"] == "T-90m").all() and (bets["stake"] == 100).all()
    assert (bets["decision_time_utc"] == bets["commence_time_utc"] - timedelta(minutes=90)).all()
    # each price is DraftKings' last pregame quote at or before the decision, straight from silver
    odds = read_range(lake, "odds_snapshot", NBA, [date.fromisoformat(d) for d in DAYS])
    odds = odds[(odds["bookmaker"] == "draftkings") & ~odds["is_live"]]
    for bet in bets.itertuples():
        seen = odds[(odds["canonical_event_id"] == bet.canonical_event_id) & (odds["market"] == bet.market)
                    & (odds["selection"] == bet.selection) & (odds["snapshot_time_utc"] <= bet.decision_time_utc)]
        last = seen.loc[seen["snapshot_time_utc"] == seen["snapshot_time_utc"].max()]
        assert bet.snapshot_time_utc == last["snapshot_time_utc"].iloc[0]
        assert bet.price == pytest.approx(last["price"].iloc[0])
    # and it is not the T-60m backtest under another name: an earlier snapshot for some game
    at_60 = cli("backtest", "run", "--strategy", "flat", *RANGE, "--bucket", "T-60m", "--sizing", "flat:100",
                "--param", "bookmaker=draftkings", "--save-as", "flat_t60", "--format", "json")
    assert at_60.code == 0
    later = ledger(lake, "flat_t60").set_index(["canonical_event_id", "selection"])["snapshot_time_utc"]
    earlier = bets.set_index(["canonical_event_id", "selection"])["snapshot_time_utc"]
    both = earlier.index.intersection(later.index)
    assert len(both) and (earlier[both] <= later[both]).all() and (earlier[both] < later[both]).any()


def test_show_a_stored_backtest(lake: Path, cli) -> None:
    assert cli("backtest", "run", "--config", FLAT).code == 0
    ran = cli("backtest", "show", FLAT)
    assert ran.code == 0, ran.err
    spec = SPECS[FLAT]
    assert ran.out.splitlines()[0] == (f"backtest {FLAT}: flat on {NBA} {spec.start}..{spec.end} at T-60m, "
                                       "sizing flat:100, bankroll 10,000.00")
    for dim in ("bookmaker", "bucket", "market", "month"):
        assert f"by {dim}:" in ran.out.splitlines()
    as_json = cli("backtest", "show", FLAT, "--format", "json")
    assert as_json.code == 0 and as_json.json() == comparable(stored_summary(lake, FLAT))


def test_compare_two_stored_backtests(lake: Path, cli) -> None:
    for name in (FLAT, BEST):
        assert cli("backtest", "run", "--config", name).code == 0
    table = cli("backtest", "compare", FLAT, BEST)
    assert table.code == 0, table.err
    lines = table.out.splitlines()
    assert lines[0].split() == ["metric", FLAT, BEST]
    rows = {line.split()[0]: line.split()[1:] for line in lines[1:]}
    assert list(rows) == ["strategy", "sizing", "buckets", *SHOWN]
    flat, best = stored_summary(lake, FLAT), stored_summary(lake, BEST)
    assert rows["strategy"] == [flat["strategy"], best["strategy"]]
    assert rows["bets"] == [str(flat["bets"]), str(best["bets"])]
    as_json = cli("backtest", "compare", BEST, FLAT, "--format", "json")
    assert as_json.code == 0
    assert as_json.json() == [comparable(best), comparable(flat)]  # in the order asked
    missing = cli("backtest", "compare", FLAT, "never_run")
    assert missing.code == 1 and missing.err.splitlines() == ["no stored backtest 'never_run': run it first"]


def test_list_names_every_configured_backtest(lake: Path, cli) -> None:
    ran = cli("backtest", "list")
    assert ran.code == 0
    lines = ran.out.splitlines()
    assert lines[0].startswith("backtests in ") and lines[0].endswith("backtests.yaml:")
    assert [line.split(":")[0].strip() for line in lines[1:]] == list(SPECS)
    for line, spec in zip(lines[1:], SPECS.values(), strict=True):
        assert f" {spec.strategy} {spec.sport} {spec.start}..{spec.end} at {','.join(spec.buckets)}" in line
        assert line.endswith(str(spec.sizing))


@pytest.mark.parametrize(("flags", "says"), [
    (["--strategy", "nope", *RANGE], "strategy 'nope'"),
    (["--strategy", "ev", *RANGE, "--sizing", "kelly:2"], "kelly fraction must be at most 1"),
    (["--strategy", "ev", *RANGE, "--sizing", "half:3"], "sizing must be flat:X, percent:X or kelly:X"),
    (["--strategy", "ev", *RANGE, "--bucket", "T+5m"], "bucket 'T+5m'"),
    (["--strategy", "ev", *RANGE, "--bucket", "T-0m"], "bucket 'T-0m'"),
    (["--strategy", "ev", "--start", DAYS[0], "--end", DAYS[1]], "(missing: --sport)"),
    (["--strategy", "ev", "--sport", "curling", "--start", DAYS[0], "--end", DAYS[1]], "unknown sport 'curling'"),
    (["--strategy", "ev", "--sport", NBA, "--start", DAYS[1], "--end", DAYS[0]], "is before start"),
    (["--strategy", "flat", *RANGE, "--param", "colour=red"], "unknown params ['colour']"),
    (["--config", "no_such_backtest"], "no backtest 'no_such_backtest'"),
])
def test_a_bad_flag_exits_2_with_one_line(lake: Path, cli, flags: list[str], says: str) -> None:
    before = sorted(p.name for p in (lake / "gold" / "backtests").glob("*")) if (lake / "gold").exists() else []
    ran = cli("backtest", "run", *flags)
    assert ran.code == 2 and ran.out == ""
    (line,) = ran.err.splitlines()
    assert line.startswith("config error: ") and says in line, line
    assert sorted(p.name for p in (lake / "gold" / "backtests").glob("*")) == before  # nothing written


@pytest.mark.parametrize(("without", "says"), [("gold", "materialize the gold assets first"),
                                               ("silver", "materialize silver first")])
def test_a_lake_without_gold_or_silver_exits_1_with_one_line(cli_lake: Lake, tmp_path: Path, monkeypatch, cli,
                                                             without: str, says: str) -> None:
    # (without the backtests earlier tests stored, to see that this run stores nothing)
    shutil.copytree(cli_lake.data_root, tmp_path / "lake", ignore=shutil.ignore_patterns(without, "backtests"))
    monkeypatch.setenv("LINELOGIC_DATA_ROOT", str(tmp_path / "lake"))
    ran = cli("backtest", "run", "--config", FLAT, "--format", "json")
    assert ran.code == 1 and ran.out == ""
    (line,) = ran.err.splitlines()
    assert line.startswith(f"backtest {FLAT}: ") and says in line, line
    assert not (tmp_path / "lake" / "demo" / "gold" / "backtests").exists()


def test_running_twice_gives_the_same_ledger_bytes(lake: Path, cli) -> None:
    files = ("bets.parquet", "summary.json", "equity.png")
    assert cli("backtest", "run", "--config", FLAT).code == 0
    first = {f: (backtest_dir(lake, FLAT) / f).read_bytes() for f in files}
    assert cli("backtest", "run", "--config", FLAT).code == 0
    assert {f: (backtest_dir(lake, FLAT) / f).read_bytes() for f in files} == first
    assert len(ledger(lake, FLAT)) > 0
