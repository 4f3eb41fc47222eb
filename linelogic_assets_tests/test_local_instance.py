"""The embedded default instance (the project's dagster.yaml): its kept-connection event log stores and reads
what Dagster's does, across processes, and a run's watchers (the UI's live log) still see each event."""

import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.definitions.asset_checks.asset_check_evaluation import AssetCheckEvaluation
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

from linelogic_assets.config import REPO_ROOT
from linelogic_assets.local_instance import KEPT_ENGINES, KeptConnectionEventLogStorage, LocalInstance

WAIT_S = 30  # a watcher's thread is woken by the file system; this bounds a broken one, never paces a good one


@pytest.fixture
def home(tmp_path: Path) -> Path:
    shutil.copyfile(REPO_ROOT / "dagster.yaml", tmp_path / "dagster.yaml")
    return tmp_path


@dg.asset(partitions_def=dg.StaticPartitionsDefinition(["a", "b"]),
          check_specs=[dg.AssetCheckSpec("positive", asset="scores")])
def scores(context: dg.AssetExecutionContext):
    yield dg.Output(1, metadata={"rows": 1})
    yield dg.AssetCheckResult(check_name="positive", passed=True, metadata={"min": 1})


def test_the_project_instance_uses_the_kept_connection_event_log(home: Path) -> None:
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert isinstance(instance, LocalInstance)
        storage = instance.event_log_storage
        assert isinstance(storage, KeptConnectionEventLogStorage)
        assert Path(storage._base_dir) == home / "history" / "runs"  # where Dagster keeps it: old homes still read


def test_runs_record_materializations_and_checks_per_partition_readable_by_another_process(home: Path) -> None:
    with dg.DagsterInstance.from_config(str(home)) as instance:
        for key in ("a", "b"):
            assert dg.materialize([scores], instance=instance, partition_key=key).success
        records = instance.fetch_materializations(dg.AssetKey("scores"), limit=10).records
        assert sorted(r.partition_key for r in records) == ["a", "b"]
        check = instance.event_log_storage.get_asset_check_execution_history(
            dg.AssetCheckKey(dg.AssetKey("scores"), "positive"), limit=10)
        assert len(check) == 2
    # a fresh process (the webserver, the daemon) reads the same records through its own connections
    code = ("import dagster as dg, sys; i = dg.DagsterInstance.from_config(sys.argv[1]); "
            "print(sorted(r.partition_key for r in i.fetch_materializations(dg.AssetKey('scores'), limit=10).records))")
    out = subprocess.run([sys.executable, "-c", code, str(home)], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['a', 'b']"


def test_the_event_log_reads_back_what_dagsters_own_reads(home: Path) -> None:
    """The same writes through both storages on one folder read back the same: ours is Dagster's but for its
    connections, and a folder written by either is read by the other."""
    base = home / "history" / "runs"
    ours = KeptConnectionEventLogStorage(str(base))
    with dg.DagsterInstance.from_config(str(home)) as instance:
        for i in range(3):
            instance.report_runless_asset_event(dg.AssetMaterialization("x", partition=f"p{i}", metadata={"i": i}))
            instance.report_runless_asset_event(AssetCheckEvaluation(
                asset_key=dg.AssetKey("x"), check_name="c", passed=i != 1, metadata={}, partition=f"p{i}"))
    theirs = SqliteEventLogStorage(str(base))
    for storage in (ours, theirs):
        records = storage.fetch_materializations(dg.AssetKey("x"), limit=10).records
        assert sorted(r.partition_key for r in records) == ["p0", "p1", "p2"]
        history = storage.get_asset_check_execution_history(dg.AssetCheckKey(dg.AssetKey("x"), "c"), limit=10)
        assert sorted(h.partition for h in history) == ["p0", "p1", "p2"]
    ours.dispose()


def test_a_runs_watcher_sees_each_event_as_it_is_written(home: Path) -> None:
    """The UI's live run log: Dagster watches the run's .db file, which a kept connection alone would leave
    untouched (its writes sit in the -wal file) until a checkpoint."""
    with dg.DagsterInstance.from_config(str(home)) as instance:
        run = instance.create_run_for_job(dg.GraphDefinition("noop", node_defs=[]).to_job(), run_id=None)
        instance.report_engine_event("run started", run)  # the run's shard exists before anyone watches it
        seen: list[str] = []
        changed = threading.Condition()

        def callback(entry, cursor) -> None:
            with changed:
                seen.append(entry.message)
                changed.notify_all()

        storage = instance.event_log_storage
        storage.watch(run.run_id, None, callback)
        try:
            for n in range(3):
                instance.report_engine_event(f"event {n}", run)
                with changed:
                    assert changed.wait_for(lambda n=n: f"event {n}" in seen, WAIT_S), f"the watcher missed event {n}"
        finally:
            storage.end_watch(run.run_id, callback)
        assert seen == ["run started", "event 0", "event 1", "event 2"]


def test_engines_are_bounded_and_belong_to_their_process(tmp_path: Path) -> None:
    storage = KeptConnectionEventLogStorage(str(tmp_path / "runs"))
    for n in range(KEPT_ENGINES + 5):
        storage.get_logs_for_run(f"run-{n}")  # each run shard opened once
    assert len(storage._engines) == KEPT_ENGINES
    assert all(pid == os.getpid() for pid, _ in storage._engines)
    storage.dispose()
    assert not storage._engines


def test_a_batch_of_partition_materializations_is_stored_as_one_by_one_would_be(home: Path) -> None:
    """A range output's per-partition materializations arrive as a batch (batching is on by default here): the
    run's log, the cross-run index, each partition's record and the asset's latest all hold them."""
    from dagster._core.events import DagsterEvent, DagsterEventBatchMetadata, StepMaterializationData
    from dagster._core.events.log import EventLogEntry

    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert instance._get_event_batch_size() > 0
        run = instance.create_run_for_job(dg.GraphDefinition("noop", node_defs=[]).to_job(), run_id=None)
        keys = [f"2026-01-{d:02d}|basketball_nba" for d in range(1, 11)]
        for i, key in enumerate(keys):
            event = DagsterEvent("ASSET_MATERIALIZATION", "noop", event_specific_data=StepMaterializationData(
                dg.AssetMaterialization("odds", partition=key, metadata={"rows": i},
                                        tags={"dagster/data_version": f"v{i}"})))
            instance.handle_new_event(EventLogEntry(None, 10, "", run.run_id, float(i), dagster_event=event,
                                                    job_name="noop"),
                                      batch_metadata=DagsterEventBatchMetadata("b1", i == len(keys) - 1))
            if i < len(keys) - 1:  # held until the batch ends
                assert not instance.fetch_materializations(dg.AssetKey("odds"), limit=20).records
        records = instance.fetch_materializations(dg.AssetKey("odds"), limit=20).records
        assert sorted(r.partition_key for r in records) == keys
        assert {r.asset_materialization.metadata["rows"].value for r in records} == set(range(10))
        latest = instance.get_latest_materialization_event(dg.AssetKey("odds"))
        assert latest.dagster_event.partition == keys[-1]
        logged = [e for e in instance.all_logs(run.run_id) if e.dagster_event_type is not None
                  and e.dagster_event_type.value == "ASSET_MATERIALIZATION"]
        assert len(logged) == len(keys)
        by_tag = instance.get_event_tags_for_asset(dg.AssetKey("odds"), filter_tags={"dagster/data_version": "v3"})
        assert by_tag
    theirs = SqliteEventLogStorage(str(home / "history" / "runs"))  # Dagster's own reader sees the same
    assert len(theirs.fetch_materializations(dg.AssetKey("odds"), limit=20).records) == len(keys)
