"""Pool slots after a crash, on a real instance (the project's dagster.yaml) with real run processes.

A holder is a run of a one-op job in a pool, in its own process: it claims the pool's only slot and keeps it
until it is killed. Processes are waited on with deadlines (`proc.wait(timeout=)`), never slept on.
"""

from __future__ import annotations

import os
import selectors
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest

from linelogic_assets.config import REPO_ROOT
from linelogic_assets.pool_slots import slot_holders, sweep_dead_runs

BIN = Path(sys.executable).parent
START_S = 60  # a safety net for a process that does not start on a loaded host, not a timing assertion

# argv: pool, job name, "wait" to use LineLogic's slot wait (otherwise plain Dagster)
HOLDER = """
import sys, threading
import dagster as dg
pool, name, mode = sys.argv[1:4]
if mode == "wait":
    from linelogic_assets.pool_slots import install_slot_wait
    install_slot_wait()

@dg.op(pool=pool)
def hold():
    print("holding", flush=True)
    threading.Event().wait()  # hold the slot until the test kills this process

@dg.job(name=name)
def job():
    hold()

job.execute_in_process(instance=dg.DagsterInstance.get())
"""


def project_instance_home() -> Path:
    """The test's DAGSTER_HOME (conftest) with the project's dagster.yaml in it, its storage created here:
    processes that create a new SQLite instance at the same moment can both write its schema version."""
    home = Path(os.environ["DAGSTER_HOME"])
    shutil.copyfile(REPO_ROOT / "dagster.yaml", home / "dagster.yaml")
    with dg.DagsterInstance.get() as instance:
        instance.get_run_records(limit=1)  # creates the storage
    return home


def start(argv: list[str], env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen(argv, env=env or dict(os.environ), cwd=REPO_ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


def holder(pool: str, name: str, mode: str = "plain") -> subprocess.Popen:
    return start([sys.executable, "-c", HOLDER, pool, name, mode])


def wait_for_line(proc: subprocess.Popen, stream: str, text: str, timeout: float = START_S) -> str:
    """Read `proc`'s stdout or stderr until a line holds `text` (and return what was read)."""
    pipe = getattr(proc, stream)
    seen = []
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as sel:
        sel.register(pipe, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if not sel.select(timeout=deadline - time.monotonic()):
                break
            line = pipe.readline()
            if not line:
                break
            seen.append(line)
            if text in line:
                return "".join(seen)
    kill(proc)  # then its other stream can be read to the end
    other_pipe = proc.stderr if stream == "stdout" else proc.stdout
    other = other_pipe.read() if other_pipe else ""
    raise AssertionError(f"no line with {text!r} from pid {proc.pid} in {timeout} s; read:\n{''.join(seen)[-3000:]}"
                         f"\nand on its other stream:\n{other[-3000:]}")


def wait_until(what: str, cond, proc: subprocess.Popen, timeout: float = START_S):
    """Poll `cond()` until it returns something true while `proc` runs (bounded by `timeout`)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := cond():
            return found
        try:
            proc.wait(timeout=0.25)
        except subprocess.TimeoutExpired:
            continue
        raise AssertionError(f"pid {proc.pid} exited ({proc.returncode}) before {what}: {proc.stderr.read()[-3000:]}")
    raise AssertionError(f"not within {timeout} s: {what}")


def queued_claims(job_name: str) -> dict[str, int]:
    """The pools a run of `job_name` has claims queued in (and holds no slot of)."""
    with dg.DagsterInstance.get() as instance:
        runs = [r.dagster_run.run_id for r in instance.get_run_records() if r.dagster_run.job_name == job_name]
        return slot_holders(instance).get(runs[0], ({}, {}))[1] if runs else {}


def kill(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=30)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (/proc/<pid>/stat utime and stime)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_of(instance: dg.DagsterInstance, job_name: str) -> dg.DagsterRun:
    runs = [r.dagster_run for r in instance.get_run_records() if r.dagster_run.job_name == job_name]
    assert len(runs) == 1, runs
    return runs[0]


def test_killed_runs_give_up_their_slots_to_the_sweep_and_to_a_run_waiting_for_them() -> None:
    project_instance_home()
    holding = holder("duckdb", "holder")  # plain Dagster: its process is known from Dagster's own pid event
    procs = [holding]
    try:
        wait_for_line(holding, "stdout", "holding")
        waiting = holder("duckdb", "waiter", "wait")  # both wait for the slot, with LineLogic's wait
        queued = holder("duckdb", "queued", "wait")
        procs += [waiting, queued]
        for proc, name in ((waiting, "waiter"), (queued, "queued")):
            wait_until(f"{name} queues its claim", lambda name=name: queued_claims(name), proc)
        with dg.DagsterInstance.get() as instance:
            before = slot_holders(instance)
            assert before[run_of(instance, "holder").run_id][0] == {"duckdb": 1}
            assert sweep_dead_runs(instance, log=lambda _: None) == []  # every process alive: untouched
            assert slot_holders(instance) == before

            # the holder dies: a run waiting for its slot frees it itself and goes on
            kill(holding)
            runs = [run_of(instance, "waiter"), run_of(instance, "queued")]
            wait_until("a waiting run takes the slot",
                       lambda: [r for r in runs if slot_holders(instance).get(r.run_id, ({}, {}))[0]], waiting)
            assert instance.get_run_by_id(run_of(instance, "holder").run_id).status == dg.DagsterRunStatus.FAILURE
            held = slot_holders(instance)
            assert sorted(str(held[r.run_id]) for r in runs) == ["({'duckdb': 1}, {})", "({}, {'duckdb': 1})"]

            # one dies holding the slot, one waiting for it: the sweep frees both and fails them
            kill(waiting)
            kill(queued)
            lines: list[str] = []
            swept = sweep_dead_runs(instance, log=lines.append)
            assert {s.run_id for s in swept} == {r.run_id for r in runs}
            assert slot_holders(instance) == {}
            for run in runs:
                assert instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.FAILURE
                assert any(run.run_id in line and "marked failed" in line for line in lines)
            assert len(lines) == 2  # one line per freed run
            assert sweep_dead_runs(instance, log=lines.append) == []  # idempotent
            assert instance.event_log_storage.claim_concurrency_slot("duckdb", runs[0].run_id, "next").is_claimed
    finally:
        for proc in procs:
            kill(proc)


@pytest.mark.usefixtures("lake_root")
def test_a_demo_waiting_for_a_held_slot_sleeps_names_the_holder_and_stops_on_sigterm() -> None:
    project_instance_home()
    # every bronze step waits (the rest depends on bronze): the demo has nothing to do but wait
    holders = [holder("oddsapi", "odds_holder"), holder("balldontlie", "bdl_holder"),
               holder("polymarket", "pm_holder")]
    demo = None
    try:
        for h in holders:
            wait_for_line(h, "stdout", "holding")
        with dg.DagsterInstance.get() as instance:
            odds_holder = run_of(instance, "odds_holder").run_id
        demo = start([str(BIN / "linelogic"), "demo", "--sport", "basketball_nba", "--start", "2025-11-10",
                      "--days", "1", "--no-backtests"])
        wait_until("the demo's run queues claims in both pools",
                   lambda: queued_claims("bronze_job").keys() >= {"oddsapi", "balldontlie", "polymarket"}, demo)

        cpu = cpu_seconds(demo.pid)
        with pytest.raises(subprocess.TimeoutExpired):
            demo.wait(timeout=5)  # still waiting...
        used = cpu_seconds(demo.pid) - cpu
        assert used < 0.5, f"the waiting demo used {used:.2f} s of CPU in 5 s (busy-waits)"

        demo.send_signal(signal.SIGTERM)
        try:
            code = demo.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pytest.fail("the waiting demo ignored SIGTERM for 10 s")
        assert code == 130
        said = demo.stderr.read()
        assert "waits for a slot of pool 'oddsapi'" in said and f"held by run {odds_holder}" in said, said
        with dg.DagsterInstance.get() as instance:
            run = run_of(instance, "bronze_job")
            assert run.status == dg.DagsterRunStatus.FAILURE
            assert run.run_id not in slot_holders(instance)  # its queued claims went with it
    finally:
        for proc in [*holders, *([demo] if demo else [])]:
            kill(proc)


def test_slot_claims_on_a_sqlite_instance_wait_for_the_claim_lock() -> None:
    """Dagster's SQLite storage claims a slot by SELECT then UPDATE with no row lock, so two runs claiming at
    once can both win a pool's one slot. A claim through `SlotWait` holds the instance's claim lock; while
    another process (here: this test) holds it, no claim reaches the storage."""
    import threading

    from linelogic_assets.filelock import exclusive_lock
    from linelogic_assets.pool_slots import SlotWait, claim_lock

    project_instance_home()
    with dg.DagsterInstance.get() as instance:
        lock = claim_lock(instance)
        assert lock is not None and lock.parent == Path(instance.root_directory)
        run = instance.create_run_for_job(dg.GraphDefinition(name="g").to_job())
        entered = threading.Event()
        storage = instance.event_log_storage
        real = storage.claim_concurrency_slot

        def spying(*args, **kwargs):
            entered.set()
            return real(*args, **kwargs)

        storage.claim_concurrency_slot = spying
        claimed: list[bool] = []
        with SlotWait(instance, run) as context:
            with exclusive_lock(lock):
                worker = threading.Thread(target=lambda: claimed.append(context.claim("balldontlie", "step")))
                worker.start()
                assert not entered.wait(0.5), "a claim reached the storage while another process held the lock"
            worker.join(30)
            assert entered.is_set() and claimed == [True]
