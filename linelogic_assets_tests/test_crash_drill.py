"""The crash drill: `linelogic demo` SIGKILLed at seeded random moments, then run again.

Each of the 5 moments gets a fresh lake and instance (the project's dagster.yaml): the demo is killed (its
whole process group, no cleanup) that long after it started, and a second `linelogic demo` on the same lake
and instance must complete. The lake then holds what an uninterrupted run in a lake of its own holds: the
same silver tables and gold rows, and the same quota spent on the same calls (nothing bought twice).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import time
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest

from linelogic_assets.config import REPO_ROOT
from linelogic_assets.pool_slots import slot_holders
from linelogic_assets_tests.test_pool_slots import BIN, kill, wait_for_line

SEED = 7  # its 5 moments spread over the run (0.09 to 0.63 of it)
KILLS = 5
# one slate keeps the drill near 2 min; the backtests after gold are derived whole from gold (replaced in one
# transaction, files renamed into place) and have their own tests, so the drill kills the ingest only
WINDOW = ["--sport", "basketball_nba", "--start", "2025-11-10", "--days", "1", "--no-backtests"]

# Provenance, not content: these name the run that fetched a response, so a lake whose responses were
# fetched by two runs (the killed one and the re-run) legitimately differs from one filled by one run.
PROVENANCE = {
    "ingest_run_id": "the id of the run that ingested the response",
    "ingested_at_utc": "the wall-clock time of that ingest",
    # the bronze file a row was read from (its path names the run). Once the killed run and the re-run both
    # hold a copy of a free response (BALLDONTLIE games and stats both carry a final score), silver may cite
    # either copy; every content column is still compared, and every reference must name a file that exists.
    "raw_ref": "the bronze response the row was read from",
}


def make_instance(base: Path) -> dict[str, str]:
    home, lake = base / "home", base / "lake"
    home.mkdir(parents=True)
    shutil.copyfile(REPO_ROOT / "dagster.yaml", home / "dagster.yaml")
    return {**os.environ, "DAGSTER_HOME": str(home), "LINELOGIC_DATA_ROOT": str(lake)}


def start_demo(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([str(BIN / "linelogic"), "demo", *WINDOW], env=env, cwd=REPO_ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)


def working(proc: subprocess.Popen) -> str:
    """Wait until the demo begins its runs (start-up, imports and the schedule are done); what it printed."""
    return wait_for_line(proc, "stdout", "slate dates with games", timeout=120)


def run_demo(env: dict[str, str], timeout: float) -> tuple[int | None, str, float]:
    """(exit code, or None if it had not ended within `timeout` and was killed; output; seconds of runs)."""
    proc = start_demo(env)
    began, head = time.monotonic(), ""
    try:
        head = working(proc)
        began = time.monotonic()
        out, _ = proc.communicate(timeout=timeout)
        return proc.returncode, head + out, time.monotonic() - began
    except (subprocess.TimeoutExpired, AssertionError):
        kill(proc)
        return None, head + proc.stdout.read(), time.monotonic() - began


def _frame(df: pd.DataFrame) -> pd.DataFrame:
    df = df.drop(columns=[c for c in PROVENANCE if c in df.columns])
    columns = sorted(df.columns)
    return df[columns].astype(str).sort_values(columns, kind="stable").reset_index(drop=True)


def results(env: dict[str, str]) -> dict[str, pd.DataFrame]:
    """Every silver table (all partitions) and every gold table, as comparable frames."""
    root = Path(env["LINELOGIC_DATA_ROOT"]) / "demo"
    out = {}
    for table in sorted(p for p in (root / "silver" / "tables").iterdir()):
        parts = sorted(table.rglob("*.parquet"))
        frame = pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)
        refs = set(frame["raw_ref"].dropna()) if "raw_ref" in frame.columns else set()
        missing = sorted(ref for ref in refs if not (root / ref).is_file())
        assert not missing, f"silver {table.name} cites bronze files that do not exist: {missing[:3]}"
        out[f"silver.{table.name}"] = _frame(frame)
    with duckdb.connect(str(root / "gold" / "warehouse.duckdb"), read_only=True) as con:
        for schema, name in con.execute("SELECT table_schema, table_name FROM information_schema.tables").fetchall():
            out[f"{schema}.{name}"] = _frame(con.execute(f'SELECT * FROM "{schema}"."{name}"').df())
    return out


def paid_calls(env: dict[str, str]) -> tuple[int, list[tuple[str, str]]]:
    """The Odds API credits spent, and the calls that cost any (the ledger has a line per billed response)."""
    ledger = Path(env["LINELOGIC_DATA_ROOT"]) / "demo" / "quota" / "oddsapi" / "ledger.jsonl"
    lines = [json.loads(line) for line in ledger.read_text().splitlines()]
    return sum(x["cost"] or 0 for x in lines), sorted((x["endpoint"], x["url"]) for x in lines if x["cost"])


def left_behind(env: dict[str, str]) -> tuple[int, int]:
    """(runs holding pool slots or queued claims, runs still STARTED) in the instance after the kill."""
    with dg.DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        started = instance.get_run_ids(dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED]))
        return len(slot_holders(instance)), len(started)


@pytest.mark.slow
def test_demo_killed_at_random_moments_reruns_to_the_results_of_an_uninterrupted_run(tmp_path) -> None:
    clean_env = make_instance(tmp_path / "clean")
    code, out, duration = run_demo(clean_env, timeout=300)
    assert code == 0, out
    clean, clean_paid = results(clean_env), paid_calls(clean_env)
    assert clean["silver.odds_snapshot"].shape[0] and clean["gold.pregame_training_rows"].shape[0]

    rng = random.Random(SEED)
    # moments from the start of the runs (start-up time varies most with the host's load) over their duration
    moments = [round(rng.uniform(0.02, 0.95) * duration, 2) for _ in range(KILLS)]
    drill = []
    for i, at in enumerate(moments):
        env = make_instance(tmp_path / f"kill{i}")
        proc = start_demo(env)
        working(proc)
        try:
            proc.wait(timeout=at)  # the moment to kill it (a deadline on the process, not a sleep)
        except subprocess.TimeoutExpired:
            kill(proc)
        holding, started = left_behind(env)
        code, out, took = run_demo(env, timeout=3 * duration + 30)
        drill.append({"kill_at_s": at, "runs_holding_slots": holding, "runs_left_started": started,
                      "rerun_exit": code, "rerun_s": round(took, 1)})
        assert code == 0, f"re-run after the kill at {at} s ({drill[-1]}) did not complete:\n{out[-3000:]}"
        if holding:
            assert "swept run" in out, out  # the re-run said which runs it freed
        again = results(env)
        assert sorted(again) == sorted(clean)
        for table, frame in clean.items():
            pd.testing.assert_frame_equal(again[table], frame, obj=f"{table} after the kill at {at} s")
        assert paid_calls(env) == clean_paid, f"quota spent differs after the kill at {at} s"
    print(json.dumps({"uninterrupted_s": round(duration, 1), "seed": SEED, "drill": drill}, indent=2))
    # the drill is only worth something if some kill left a run holding a slot (the stalled re-run of issue 13)
    assert any(d["runs_holding_slots"] for d in drill), drill
