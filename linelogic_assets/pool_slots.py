"""Pool slots that outlive their run, and how a run waits for a slot.

A step of a pool (`oddsapi`, `balldontlie`, `duckdb`) claims one of the pool's slots in the instance
before it runs and gives it back when it ends. A run killed by SIGKILL never gives it back: its slot, and
its queued claims, stay in the instance, and every later run of that pool waits for them forever.

- `sweep_dead_runs`: the runs still in progress whose process is gone (and finished runs that left slots
  behind) get their slots and queued claims freed; the dead ones are marked failed. `linelogic demo` runs
  it first; a run waiting for a slot runs it on the holder (`SlotWait`). The daemon's run monitoring
  (dagster.yaml) cannot see these: the default run launcher has no worker health check, so it only fails a
  run after `max_runtime_seconds`, and frees the slots of finished runs after `free_slots_after_run_end_seconds`.
- `SlotWait`: Dagster 1.13.27's in-process executor spins while a step waits for a slot
  (`InstanceConcurrencyContext.interval_to_next_pending_claim_check` returns `min([0, ...])`, never a
  positive sleep) and only looks at SIGTERM/SIGINT inside a step, so a waiting run takes a core and ignores
  SIGTERM. `SlotWait` sleeps between checks (Dagster's own backoff, 1 s growing to 15 s), names the pool
  and the run holding it, and ends the run on SIGTERM/SIGINT. `install_slot_wait` puts it in place of the
  executor's context.
- Claims on a SQLite instance are serialised by a lock file in its home (`claim_lock`): Dagster's SQLite
  storage claims a slot by a SELECT and then an UPDATE of that row with no re-check that it is still free
  (`FOR UPDATE SKIP LOCKED` does nothing in SQLite), so two runs claiming at once could both take a pool's
  one slot and a provider would see two steps. PostgreSQL locks the row itself.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
from dagster._core.errors import DagsterExecutionInterruptedError
from dagster._core.events import EngineEventData, JobFailureData, RunFailureReason
from dagster._core.execution.plan.instance_concurrency_context import InstanceConcurrencyContext
from dagster._core.storage.dagster_run import FINISHED_STATUSES, DagsterRunStatus, RunsFilter
from dagster._utils.interrupts import pop_captured_interrupt

from linelogic_assets.filelock import exclusive_lock

logger = logging.getLogger(__name__)

HOST_KEY = "linelogic/host"  # engine-event metadata: the host of the process that runs the run
SLICE_S = 0.2  # how often a waiting run looks for SIGTERM/SIGINT between its slot checks
POOL_RECHECK_S = 1.0  # at most one storage re-check per pool and run in this time
_PID_SLACK_S = 2.0  # /proc start times are whole clock ticks from a boot time in whole seconds

Log = Callable[[str], None]


# --- processes -------------------------------------------------------------------------------------

def _boot_time() -> float | None:
    try:
        with open("/proc/stat") as f:
            return next(float(line.split()[1]) for line in f if line.startswith("btime "))
    except (OSError, StopIteration, ValueError):
        return None


def _proc_state(pid: int) -> tuple[str, float | None] | None:
    """(state letter, start time as a timestamp) from /proc, or None where /proc has no such pid."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()  # the command name may hold spaces and parentheses
    except (OSError, IndexError):
        return None
    boot = _boot_time()
    started = boot + int(fields[19]) / os.sysconf("SC_CLK_TCK") if boot is not None else None
    return fields[0], started


def process_alive(pid: int, since: float | None = None) -> bool:
    """Whether `pid` is a running process that already existed at `since` (a timestamp): a zombie is dead,
    and a process started later only reuses the number."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's process: it exists
    state = _proc_state(pid)
    if state is None:
        return not os.path.isdir("/proc")  # no /proc (macOS): os.kill is all there is
    letter, started = state
    if letter in ("Z", "X"):
        return False
    return since is None or started is None or started <= since + _PID_SLACK_S


def _same_host_by_storage(instance: dg.DagsterInstance) -> bool:
    """A SQLite instance lives in a local DAGSTER_HOME: every process that runs its runs is on this host."""
    from dagster._core.storage.runs.sqlite.sqlite_run_storage import SqliteRunStorage

    return isinstance(instance.run_storage, SqliteRunStorage)


def claim_lock(instance: dg.DagsterInstance) -> Path | None:
    """The lock file that serialises pool-slot claims on a SQLite instance; None where the storage locks
    the slot row itself (PostgreSQL)."""
    from dagster._core.storage.event_log.sqlite.consolidated_sqlite_event_log import (
        ConsolidatedSqliteEventLogStorage,
    )
    from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

    if not isinstance(instance.event_log_storage, SqliteEventLogStorage | ConsolidatedSqliteEventLogStorage):
        return None
    return Path(instance.root_directory) / ".pool_claims.lock"


def run_processes(instance: dg.DagsterInstance, run_id: str) -> tuple[list[tuple[int, float]], bool]:
    """The processes a run's engine events name, as (pid, time of the event), and whether they are known to
    be on this host: `SlotWait` records the host; Dagster's own events (the executor's "pid: N") do not."""
    pids: list[tuple[int, float]] = []
    hosts: set[str] = set()
    for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.ENGINE_EVENT):
        data = entry.dagster_event.event_specific_data if entry.dagster_event else None
        metadata = getattr(data, "metadata", None) or {}
        pid = metadata.get("pid")
        try:
            pids.append((int(pid.value), entry.timestamp))
        except (AttributeError, TypeError, ValueError):
            continue
        if HOST_KEY in metadata:
            hosts.add(str(metadata[HOST_KEY].value))
    local = hosts == {socket.gethostname()} if hosts else _same_host_by_storage(instance)
    return pids, local


def run_process_gone(instance: dg.DagsterInstance, run_id: str) -> tuple[bool, tuple[int, ...]]:
    """(gone, pids): gone only when the run's processes are known, on this host, and none is alive."""
    pids, local = run_processes(instance, run_id)
    gone = bool(pids) and local and not any(process_alive(pid, since) for pid, since in pids)
    return gone, tuple(sorted({pid for pid, _ in pids}))


# --- the sweep ------------------------------------------------------------------------------------

@dataclass
class SweptRun:
    run_id: str
    job_name: str
    partition: str | None
    status: str  # before the sweep
    pids: tuple[int, ...]
    slots: dict[str, int] = field(default_factory=dict)  # pool → slots it held
    queued: dict[str, int] = field(default_factory=dict)  # pool → claims it had queued
    marked: str | None = None  # "failed" or "canceled"; None for a finished run that left slots behind

    def line(self) -> str:
        pools = ", ".join(f"{p}: {self.slots.get(p, 0)} slot(s), {self.queued.get(p, 0)} queued"
                          for p in sorted({*self.slots, *self.queued})) or "no slots"
        why = (f"process {', '.join(map(str, self.pids))} is gone" if self.marked
               else "it had ended without giving them back")
        tail = f"; marked {self.marked}" if self.marked else ""
        what = " ".join(filter(None, (self.job_name, self.partition)))
        return f"swept run {self.run_id} ({what}, {self.status}, {why}): freed {pools}{tail}"


def slot_holders(instance: dg.DagsterInstance) -> dict[str, tuple[dict[str, int], dict[str, int]]]:
    """run id → ({pool: slots held}, {pool: claims queued and not holding a slot})."""
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        return {}
    out: dict[str, tuple[dict[str, int], dict[str, int]]] = {}
    for pool, info in storage.get_concurrency_infos(sorted(storage.get_concurrency_keys())).items():
        holding = {(s.run_id, s.step_key) for s in info.claimed_slots}
        for run_id, _ in holding:
            slots, _queued = out.setdefault(run_id, ({}, {}))
            slots[pool] = slots.get(pool, 0) + 1
        for p in info.pending_steps:
            if (p.run_id, p.step_key) not in holding:
                _slots, queued = out.setdefault(p.run_id, ({}, {}))
                queued[pool] = queued.get(pool, 0) + 1
    return out


def sweep_run(instance: dg.DagsterInstance, run_id: str, *, log: Log | None = None,
              holders: dict | None = None) -> SweptRun | None:
    """Free the slots and queued claims of one run that is finished, or whose process is gone (then it is
    marked failed, or canceled if it was canceling). None when the run may still be running."""
    record = instance.get_run_record_by_id(run_id)
    if record is None:
        return None  # not a run of this instance (deleting a run frees its slots)
    held = (holders if holders is not None else slot_holders(instance)).get(run_id, ({}, {}))
    run = record.dagster_run
    if run.status in FINISHED_STATUSES:
        if not any(held):
            return None
        swept = SweptRun(run_id, run.job_name, run.tags.get("dagster/partition"), run.status.value, (), *held)
    elif run.status in (DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING):
        gone, pids = run_process_gone(instance, run_id)
        if not gone:
            return None
        swept = SweptRun(run_id, run.job_name, run.tags.get("dagster/partition"), run.status.value, pids, *held)
        swept.marked = "canceled" if run.status == DagsterRunStatus.CANCELING else "failed"
    else:
        return None  # queued or being launched: no process of its own yet, and run monitoring times it out
    if instance.event_log_storage.supports_global_concurrency_limits:
        instance.event_log_storage.free_concurrency_slots_for_run(run_id)
    reason = f"the process of this run ({', '.join(map(str, swept.pids))}) is gone (killed?); its pool slots were freed"
    if swept.marked == "failed":
        instance.report_run_failed(run, reason, JobFailureData(None, RunFailureReason.UNEXPECTED_TERMINATION))
    elif swept.marked == "canceled":
        instance.report_run_canceled(run, reason)
    (log or logger.warning)(swept.line())
    return swept


def sweep_dead_runs(instance: dg.DagsterInstance, *, log: Log | None = None) -> list[SweptRun]:
    """Every run that holds pool slots or is in progress, swept if its process is gone or it is finished."""
    holders = slot_holders(instance)
    in_progress = instance.get_run_ids(RunsFilter(statuses=[DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING]))
    swept = [sweep_run(instance, run_id, log=log, holders=holders)
             for run_id in dict.fromkeys([*holders, *in_progress])]
    return [s for s in swept if s is not None]


# --- the wait -------------------------------------------------------------------------------------

class SlotWait(InstanceConcurrencyContext):
    """The in-process executor's concurrency context, waiting for slots without spinning.

    The executor calls `interval_to_next_pending_claim_check` whenever no step can start; it sleeps a
    slice here (Dagster's version returns 0, and the loop spins) and raises the interrupt Dagster captured
    (it would otherwise only be raised inside a step). When a blocked claim is re-checked (Dagster's backoff
    per step, 1 s growing to 15 s), the run looks at who holds the pool (at most every `HOLDERS_EVERY_S`
    per pool), says it when that changes, and sweeps a holder whose process is gone."""

    HOLDERS_EVERY_S = 5.0

    def __init__(self, instance: dg.DagsterInstance, dagster_run: dg.DagsterRun):
        super().__init__(instance, dagster_run)
        self._run = dagster_run
        self._pool_of: dict[str, str] = {}  # step → the pool it waits for
        self._looked: dict[str, tuple[float, tuple]] = {}  # pool → (when, (limit, holders, assigned ahead))
        self._refused_at: dict[str, float] = {}  # pool → when the storage last refused one of its steps
        self._claim_lock = claim_lock(instance)
        # the run's own process and host, so a sweep elsewhere can tell when it is gone
        instance.report_engine_event(
            f"Run process {os.getpid()} on {socket.gethostname()} (a sweep frees this run's pool slots once "
            "it is gone)",
            dagster_run,
            EngineEventData(metadata={"pid": dg.MetadataValue.text(str(os.getpid())),
                                      HOST_KEY: dg.MetadataValue.text(socket.gethostname())}),
        )

    def claim(self, concurrency_key: str, step_key: str, step_priority: int = 0) -> bool:
        now = time.time()
        due = step_key not in self._pending_claims or now > self._pending_timeouts.get(step_key, 0.0)
        refused = self._refused_at.get(concurrency_key)
        if due and step_key in self._pending_claims and refused is not None and now - refused < POOL_RECHECK_S:
            # a step of this pool was refused a moment ago: its other steps would be too (each re-check
            # costs two storage queries, per waiting step and run), so this one re-checks a little later
            self._pending_timeouts[step_key] = refused + POOL_RECHECK_S
            return False
        # the lock guards the storage's claim; a claim not yet due returns from memory and takes no lock
        with exclusive_lock(self._claim_lock) if self._claim_lock and due else contextlib.nullcontext():
            claimed = super().claim(concurrency_key, step_key, step_priority)
        if claimed:
            self._pool_of.pop(step_key, None)
            self._refused_at.pop(concurrency_key, None)
        else:
            self._pool_of[step_key] = concurrency_key
            if due:
                self._refused_at[concurrency_key] = time.time()
                try:
                    self._look_at_holders(concurrency_key)
                except Exception as err:  # only a report and a shortcut: the claim itself goes on as Dagster's
                    logger.warning("run %s: could not look at the holders of pool %r: %s", self._run_id,
                                   concurrency_key, err)
        return claimed

    def _look_at_holders(self, pool: str) -> None:
        last = self._looked.get(pool)
        if last and time.time() - last[0] < self.HOLDERS_EVERY_S:
            return
        info = self._instance.event_log_storage.get_concurrency_info(pool)
        holders = tuple(sorted({(s.run_id, s.step_key) for s in info.claimed_slots if s.run_id != self._run_id}))
        ahead = tuple(sorted({(p.run_id, p.step_key) for p in info.pending_steps
                              if p.assigned_timestamp is not None and p.run_id != self._run_id} - set(holders)))
        state = (info.limit, holders, ahead)
        self._looked[pool] = (time.time(), state)
        if (holders or ahead) and (not last or last[1] != state):
            steps = sorted(k for k, p in self._pool_of.items() if p == pool)
            who = ", ".join(f"run {r} (step {s})" for r, s in holders) or "no run"
            queued = ("; assigned ahead: " + ", ".join(f"run {r} (step {s})" for r, s in ahead)) if ahead else ""
            self._say(f"run {self._run_id} waits for a slot of pool {pool!r} (limit {info.limit}) for "
                      f"{', '.join(steps)}: held by {who}{queued}; checking again with backoff up to 15 s")
        for run_id in dict.fromkeys(r for r, _ in holders + ahead):
            if sweep_run(self._instance, run_id, log=self._say) is not None:  # dead, or ended and kept them
                self._looked.pop(pool, None)
                self._refused_at.pop(pool, None)
                for step, p in self._pool_of.items():
                    if p == pool:
                        self._pending_timeouts[step] = 0.0  # a slot is free: claim again at once

    def _say(self, message: str) -> None:
        logger.warning(message)
        self._instance.report_engine_event(message, self._run)

    def interval_to_next_pending_claim_check(self) -> float:
        if not self._pending_claims:
            return 0.0
        if pop_captured_interrupt():
            raise DagsterExecutionInterruptedError(f"interrupted while waiting for pool slots: {self._pending_claims}")
        due = min(self._pending_timeouts.values(), default=0.0)
        time.sleep(max(0.0, min(SLICE_S, due - time.time())))
        if pop_captured_interrupt():
            raise DagsterExecutionInterruptedError(f"interrupted while waiting for pool slots: {self._pending_claims}")
        return 0.0  # slept already; the executor re-checks its steps, claims not due return at once


def install_slot_wait() -> None:
    """Make the in-process executor (every run of this code location, `execute_in_process` included) use
    `SlotWait`. Fails loudly if Dagster no longer builds that context by name, as in 1.13.27."""
    from dagster._core.executor import in_process

    if in_process.InstanceConcurrencyContext is SlotWait:
        return
    names = in_process.inprocess_execution_iterator.__code__.co_names
    private = InstanceConcurrencyContext.__init__.__code__.co_names
    if (in_process.InstanceConcurrencyContext is not InstanceConcurrencyContext
            or "InstanceConcurrencyContext" not in names
            or not {"_pending_claims", "_pending_timeouts"} <= set(private)):
        raise RuntimeError(
            f"dagster {dg.__version__} changed its in-process executor's concurrency context; "
            "linelogic_assets/pool_slots.py (SlotWait) was written against 1.13.27"
        )
    in_process.InstanceConcurrencyContext = SlotWait


def main() -> int:
    """`python -m linelogic_assets.pool_slots`: sweep the instance of DAGSTER_HOME (deploy.py runs it at start)."""
    with dg.DagsterInstance.get() as instance:
        swept = sweep_dead_runs(instance, log=lambda line: print(line, flush=True))
    print(f"sweep of dead runs: {len(swept)} run(s) swept", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
