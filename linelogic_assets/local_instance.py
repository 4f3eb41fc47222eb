"""The embedded default instance (dagster.yaml): Dagster's SQLite storage, with an event log that keeps its
connections open.

Dagster's `SqliteEventLogStorage` builds a new SQLAlchemy engine for every statement it runs and disposes it
after: a fresh connection, a cold statement cache and a WAL checkpoint at every close, about 10 ms per event on
this machine. A range run records a materialization per partition and a check result per partition and check,
so a season's rebuild writes about 9,000 events, and that cost was most of its bookkeeping. Here each process
keeps one engine per database file (the cross-run index and the run shards it touched, least recently used
first out), so an event costs about 1.5 ms (`bench/event_log.py`). Two more savings: the per-partition
materializations of a range output (and a run's planned events) are stored as one batch, in one transaction
per database, and Dagster's question before each check result, whether the check tables exist, is asked once.
Everything else is Dagster's own storage.

What stays as it was:
- durability: the same WAL journal and synchronous mode; a commit is on disk when it returns;
- the UI's live run log: Dagster watches a run's `<run_id>.db` for changes, and a kept connection leaves its
  writes in the `-wal` file (checkpointed into the `.db` only now and then), so the watcher here is woken by
  either file;
- processes: an engine belongs to the process that made it (a forked child makes its own), and the storage's
  lock still lets one thread at a time use a connection.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

import yaml
from dagster import DagsterInstance
from dagster._core.errors import DagsterInvariantViolationError
from dagster._core.events import ASSET_EVENTS
from dagster._core.events.log import EventLogEntry
from dagster._core.instance.ref import InstanceRef
from dagster._core.storage.event_log.base import EventHandlerFn
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    SQLITE_BUSY_TIMEOUT_SECONDS,
    SqliteEventLogStorage,
    SqliteEventLogStorageWatchdog,
)
from dagster._core.storage.sqlalchemy_compat import db_result
from dagster._core.storage.sqlite_storage import DagsterSqliteStorage, _event_logs_directory
from dagster._serdes import ConfigurableClassData
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import QueuePool
from watchdog.events import FileSystemEvent
from watchdog.observers import Observer

EVENT_BATCH_SIZE = 500  # asset events stored per transaction when Dagster batches them
KEPT_ENGINES = 16  # the index plus the run shards in use: a webserver reading many runs holds no more files open


class KeptConnectionEventLogStorage(SqliteEventLogStorage):
    """Dagster's run-sharded SQLite event log, each database's connection kept open for the process."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        self._engines: OrderedDict[tuple[int, str], Engine] = OrderedDict()  # set first: Dagster's init connects
        self._tables: set[str] = set()  # tables known to exist
        super().__init__(base_dir, inst_data=inst_data)

    @classmethod
    def from_config_value(cls, inst_data: ConfigurableClassData | None, config_value: Mapping
                          ) -> KeptConnectionEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> Engine:
        """This process's engine for one database file (made on first use; the oldest is closed past the cap)."""
        key = (os.getpid(), shard)
        engine = self._engines.get(key)
        if engine is None:
            engine = create_engine(self.conn_string_for_shard(shard), poolclass=QueuePool, pool_size=1,
                                   max_overflow=2, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS,
                                                                 "check_same_thread": False})
            self._engines[key] = engine
            while len(self._engines) > KEPT_ENGINES:
                _, oldest = self._engines.popitem(last=False)
                oldest.dispose()
        self._engines.move_to_end(key)
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:  # one thread at a time, as in Dagster's: the pool holds one connection per file
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def store_event_batch(self, events: Sequence[EventLogEntry]) -> None:
        """A batch of one run's asset events (a range output's materializations, one per partition; a run's
        planned materializations) stored by the statements `store_event` runs for each, in one transaction
        per database instead of two per event."""
        if len({e.run_id for e in events}) != 1 or not all(
                e.is_dagster_event and e.dagster_event_type in ASSET_EVENTS for e in events):
            return super().store_event_batch(events)
        inserts = [self.prepare_insert_event(e) for e in events]
        with self.run_connection(events[0].run_id) as conn:
            for insert in inserts:
                conn.execute(insert)
        with self.index_transaction() as conn:  # the cross-run mirror, as store_event writes it
            for event, insert in zip(events, inserts, strict=True):
                with db_result(conn, insert) as result:
                    event_id = result.inserted_primary_key[0]
                if event_id is None:
                    raise DagsterInvariantViolationError("Cannot store asset event tags for null event id.")
                self._store_asset_event_tags(conn, [event], [event_id])
                self._store_asset_event(conn, event, event_id)

    def has_table(self, table_name: str) -> bool:
        """Dagster asks before every check result whether the index has the asset-check tables (a new engine
        each time); a table once there stays there."""
        if table_name not in self._tables and super().has_table(table_name):
            self._tables.add(table_name)
        return table_name in self._tables

    def watch(self, run_id: str, cursor: str | None, callback: EventHandlerFn) -> None:
        if not self._obs:
            self._obs = Observer()
            self._obs.start()
        watchdog = WalAwareWatchdog(self, run_id, callback, cursor)
        self._watchers[run_id][callback] = (watchdog, self._obs.schedule(watchdog, self._base_dir, recursive=True))

    def dispose(self) -> None:
        super().dispose()
        for engine in self._engines.values():
            engine.dispose()
        self._engines.clear()


class WalAwareWatchdog(SqliteEventLogStorageWatchdog):
    """Dagster's watcher of a run's events, woken by a change to its `.db` file or to its `-wal` file."""

    @property
    def patterns(self) -> list[str]:
        return [self._log_path, f"{self._log_path}-wal"]

    def on_modified(self, event: FileSystemEvent) -> None:
        self._process_log()


class LocalSqliteStorage(DagsterSqliteStorage):
    """Dagster's SQLite storage (runs, schedules, event log under the instance's folder) with the kept-connection
    event log."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        super().__init__(base_dir, inst_data=inst_data)
        self._event_log_storage = KeptConnectionEventLogStorage(_event_logs_directory(base_dir))

    @classmethod
    def from_config_value(cls, inst_data: ConfigurableClassData, config_value: Mapping) -> LocalSqliteStorage:
        return cls.from_local(inst_data=inst_data, **config_value)


class LocalInstance(DagsterInstance):
    """The default instance with `LocalSqliteStorage` in place of Dagster's SQLite storage (dagster.yaml names it
    as `instance_class`; any `storage:` the file sets still wins)."""

    @classmethod
    def config_schema(cls) -> dict:
        return {}

    def _get_event_batch_size(self) -> int:
        """Dagster batches a range output's per-partition materializations and a run's planned events when this is
        positive (its `DAGSTER_EVENT_BATCH_SIZE`, off by default): on by default here, the variable still wins."""
        return int(os.getenv("DAGSTER_EVENT_BATCH_SIZE", str(EVENT_BATCH_SIZE)))

    @staticmethod
    def config_defaults(base_dir: str) -> Mapping[str, ConfigurableClassData | None]:
        defaults = dict(InstanceRef.config_defaults(base_dir))
        defaults["storage"] = ConfigurableClassData(
            __name__, LocalSqliteStorage.__name__, yaml.dump({"base_dir": base_dir}, default_flow_style=False))
        return defaults
