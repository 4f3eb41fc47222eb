"""An asset backfill launched the way the UI's "Launch backfill" does (PartitionBackfill.from_asset_partitions)
and executed by a real `dagster-daemon`, timed from submission to the last run's end: what the season and
backfill benches measure Dagster by."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

BIN = Path(__file__).resolve().parent.parent / ".venv" / "bin"


def vm_hwm_kb(pid: int | str = "self") -> int:
    """A process's peak resident set (VmHWM), in kB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def descendants(pid: int) -> list[int]:
    """Every process the daemon started (code servers, run workers), however they were launched."""
    import psutil

    try:
        return [c.pid for c in psutil.Process(pid).children(recursive=True)]
    except psutil.Error:
        return []


def asset_backfill(env: dict, home: Path, location: list[str], selection: list, keys: list[str], title: str,
                   cwd: Path, bin_dir: Path = BIN) -> dict:
    """Submit a backfill of `selection` × `keys` on the instance at `home` and run the daemon on `location`
    (e.g. ["-f", path] or ["-m", module]) until the backfill ends. Returns the wall time to the last run's
    end, the runs, their materializations and the peak RSS of any process the daemon started."""
    import dagster as dg
    from dagster._core.execution.backfill import BulkActionStatus, PartitionBackfill
    from dagster._core.utils import make_new_backfill_id

    from linelogic_assets.definitions import defs

    graph = defs.resolve_asset_graph()
    log = open(home / "daemon.log", "wb")  # noqa: SIM115
    with dg.DagsterInstance.from_config(str(home)) as instance:
        t, submitted = time.perf_counter(), time.time()
        backfill = PartitionBackfill.from_asset_partitions(
            backfill_id=make_new_backfill_id(), asset_graph=graph, partition_names=keys, asset_selection=selection,
            backfill_timestamp=time.time(), tags={}, dynamic_partitions_store=instance, all_partitions=False,
            title=title, description=None, run_config=None)
        instance.add_backfill(backfill)
        daemon = subprocess.Popen([bin_dir / "dagster-daemon", "run", *location], env=env, cwd=cwd,
                                  stdout=log, stderr=subprocess.STDOUT)
        peak: dict[int, int] = {}
        try:
            while True:
                for pid in descendants(daemon.pid):
                    try:
                        peak[pid] = max(peak.get(pid, 0), vm_hwm_kb(pid))
                    except OSError:
                        pass
                status = instance.get_backfill(backfill.backfill_id).status
                if status not in (BulkActionStatus.REQUESTED, BulkActionStatus.CANCELING):
                    break
                time.sleep(0.25)
            marked = time.perf_counter() - t
            runs = instance.get_runs(dg.RunsFilter(tags={"dagster/backfill": backfill.backfill_id}))
        finally:
            daemon.terminate()
            daemon.wait(60)
            log.close()
        stats = [instance.get_run_stats(r.run_id) for r in runs]
        # the data is there when the last run ends; the backfill daemon marks the backfill done on its next
        # pass (every 30 s), which the UI shows a little later
        wall = max((s.end_time or time.time() for s in stats), default=time.time()) - submitted
        return {"seconds": wall, "marked_seconds": marked, "status": str(status.value), "runs": len(runs),
                "failed_runs": sum(r.status != dg.DagsterRunStatus.SUCCESS for r in runs),
                "failed_partitions": sorted(r.tags.get("dagster/partition", r.tags.get(
                    "dagster/asset_partition_range_start", "?")) for r in runs
                    if r.status != dg.DagsterRunStatus.SUCCESS),
                "run_seconds": sum((s.end_time or 0) - (s.start_time or 0) for s in stats),
                "rss_kb": max(peak.values(), default=0),
                "materializations": sum(s.materializations for s in stats)}
