"""The embedded default instance (dagster.yaml): Dagster's SQLite storage, with an event log that keeps its
connections open.

Dagster's `SqliteEventLogStorage` builds a new SQLAlchemy engine for every statement it runs and disposes it
after: a fresh connection, a cold statement cache and a WAL checkpoint at every close, about 10 ms per event on
this machine. A range run records a materialization per partition and a check result per partition and check,
so a season's rebuild writes about 9,000 events, and that cost was most of its bookkeeping. Here each process
keeps one engine per database file (the cross-run index and the run shards it touched, least recently used
first out), so an event costs about 2 ms; everything else is Dagster's own storage.

What stays as it was:
- durability: the same WAL journal and synchronous mode; a commit is on disk when it returns;
- the UI's live run log: Dagster watches a run's `<run_id>.db` for changes, and a kept connection leaves the
  writes in the `-wal` file, so a write to a run shard is checkpointed into the file at once (passive: it never
  waits on a reader);
- processes: an engine belongs to the process that made it (a forked child makes its own), and the storage's
  lock still lets one thread at a time use a connection.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import yaml
from dagster import DagsterInstance
from dagster._core.instance.ref import InstanceRef
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    INDEX_SHARD_NAME,
    SQLITE_BUSY_TIMEOUT_SECONDS,
    SqliteEventLogStorage,
)
from dagster._core.storage.sqlite_storage import DagsterSqliteStorage, _event_logs_directory
from dagster._serdes import ConfigurableClassData
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import QueuePool

KEPT_ENGINES = 16  # the index plus the run shards in use: a webserver reading many runs holds no more files open


class KeptConnectionEventLogStorage(SqliteEventLogStorage):
    """Dagster's run-sharded SQLite event log, each database's connection kept open for the process."""

    _engines: OrderedDict[tuple[int, str], Engine] | None = None

    @classmethod
    def from_config_value(cls, inst_data: ConfigurableClassData | None, config_value: Mapping
                          ) -> KeptConnectionEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> Engine:
        """This process's engine for one database file (made on first use; the oldest is closed past the cap)."""
        if self._engines is None:
            self._engines = OrderedDict()
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
            with engine.connect() as conn:
                raw = conn.connection.dbapi_connection
                before = raw.total_changes
                with conn.begin():
                    yield conn
                if shard != INDEX_SHARD_NAME and raw.total_changes != before:
                    # the run's watchers (the UI's live log) wait for its .db file to change
                    conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")

    def dispose(self) -> None:
        super().dispose()
        for engine in (self._engines or {}).values():
            engine.dispose()
        self._engines = OrderedDict()


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

    @staticmethod
    def config_defaults(base_dir: str) -> Mapping[str, ConfigurableClassData | None]:
        defaults = dict(InstanceRef.config_defaults(base_dir))
        defaults["storage"] = ConfigurableClassData(
            __name__, LocalSqliteStorage.__name__, yaml.dump({"base_dir": base_dir}, default_flow_style=False))
        return defaults
