"""The production topology as plain processes: the code-location gRPC server, the webserver and the daemon
on a PostgreSQL-backed instance (`deploy/dagster.yaml`, `deploy/workspace.yaml`).

docker-compose.yml runs the same three commands in containers; `make prod-local` (`linelogic prod-local`),
the deployment tests and `bench/deploy_load.py` run them on this machine. The GraphQL requests here are the
ones the UI sends (its "Materialize" → partitions dialog launches `launchPartitionBackfill`).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dagster as dg
import httpx
import psycopg2
from psycopg2 import sql

from linelogic_assets.config import REPO_ROOT
from linelogic_assets.redact import scrub

DEPLOY_DIR = REPO_ROOT / "deploy"
MODULE = "linelogic_assets.definitions"
LOCATION = "linelogic"
SERVICES = ("code", "webserver", "daemon")  # start order


class DeploymentError(RuntimeError):
    """A service did not come up in time, exited, or the webserver refused a request."""

    def __init__(self, message: str) -> None:
        super().__init__(scrub(message))  # it quotes service logs, which may quote a provider


@dataclass(frozen=True)
class Postgres:
    """Where the instance's records live; the same PG_* variables deploy/dagster.yaml reads."""

    host: str = "127.0.0.1"
    port: int = 5432
    user: str = "postgres"
    password: str = ""
    db: str = "linelogic"

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Postgres:
        return cls(
            host=env.get("PG_HOST") or cls.host,
            port=int(env.get("PG_PORT") or cls.port),
            user=env.get("PG_USER") or cls.user,
            password=env.get("PG_PASSWORD", cls.password),
            db=env.get("PG_DB") or cls.db,
        )

    def env(self) -> dict[str, str]:
        return {"PG_HOST": self.host, "PG_PORT": str(self.port), "PG_USER": self.user,
                "PG_PASSWORD": self.password, "PG_DB": self.db}

    def connect(self, db: str | None = None):
        return psycopg2.connect(host=self.host, port=self.port, user=self.user, password=self.password or None,
                                dbname=db or self.db, connect_timeout=10)

    def create_database(self, maintenance_db: str = "postgres") -> bool:
        """Create the instance database unless it exists; True when it was created."""
        with closing(self.connect(maintenance_db)) as conn:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (self.db,))
                if cur.fetchone():
                    return False
                cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.db)))
        return True

    def drop_database(self, maintenance_db: str = "postgres") -> None:
        with closing(self.connect(maintenance_db)) as conn:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.db)))


def service_commands(*, code_host: str, code_port: int, web_host: str, web_port: int, workspace: str,
                     bin_dir: Path | None = None) -> dict[str, list[str]]:
    """The three processes of the deployment (docker-compose.yml's `command:` lines are these)."""

    def exe(name: str) -> str:
        return str(bin_dir / name) if bin_dir else name

    return {
        "code": [exe("dagster"), "code-server", "start", "-h", code_host, "-p", str(code_port),
                 "-m", MODULE, "--location-name", LOCATION],
        "webserver": [exe("dagster-webserver"), "-h", web_host, "-p", str(web_port), "-w", workspace],
        "daemon": [exe("dagster-daemon"), "run", "-w", workspace],
        "pools": [exe("linelogic"), "pools"],  # once, before the daemon: see provision_pools
    }


@dataclass
class Topology:
    """Code server, webserver and daemon as child processes, each in its own process group (a run is a
    child of the code server, so stopping the group stops its runs too). Logs go to `<home>/service-logs`
    (Dagster clears `<home>/logs` itself)."""

    home: Path
    pg: Postgres
    web_host: str = "127.0.0.1"  # loopback unless asked otherwise, as in docker-compose.yml
    web_port: int = 3000
    code_port: int = 4000
    extra_env: dict[str, str] = field(default_factory=dict)
    base_env: dict[str, str] = field(default_factory=lambda: dict(os.environ))  # as it was when constructed
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.web_host in ("0.0.0.0", "") else self.web_host
        return f"http://{host}:{self.web_port}"

    @property
    def environment(self) -> dict[str, str]:
        return {**self.base_env, **self.extra_env, **self.pg.env(), "DAGSTER_HOME": str(self.home),
                "LINELOGIC_CODE_HOST": "127.0.0.1", "LINELOGIC_CODE_PORT": str(self.code_port)}

    def install(self) -> None:
        """DAGSTER_HOME gets the production instance and workspace files, unchanged."""
        (self.home / "service-logs").mkdir(parents=True, exist_ok=True)
        for name in ("dagster.yaml", "workspace.yaml"):
            shutil.copyfile(DEPLOY_DIR / name, self.home / name)

    def commands(self) -> dict[str, list[str]]:
        return service_commands(code_host="127.0.0.1", code_port=self.code_port, web_host=self.web_host,
                                web_port=self.web_port, workspace=str(self.home / "workspace.yaml"),
                                bin_dir=Path(sys.executable).parent)

    def start(self, timeout: float = 180, daemon: bool = True) -> Topology:
        """Code server, then webserver (until it has loaded the code), the pools, the sweep of dead runs, then
        the daemon (unless `daemon=False`: work submitted before `start_service("daemon")` meets a daemon's
        first pass)."""
        self.install()
        try:
            self.start_service("code")
            self.start_service("webserver")
            self.wait_loaded(timeout)
            pools = subprocess.run(self.commands()["pools"], env=self.environment, cwd=REPO_ROOT, text=True,
                                   capture_output=True, timeout=timeout)
            if pools.returncode:
                raise DeploymentError(f"linelogic pools failed:\n{pools.stderr[-2000:]}")
            # on the runs' host (a run is a child of the code server): a run whose process died with the last
            # deployment is failed, or it holds its pools in the queue until max_runtime_seconds (pool_slots.py)
            sweep = subprocess.run([sys.executable, "-m", "linelogic_assets.pool_slots"], env=self.environment,
                                   cwd=REPO_ROOT, text=True, capture_output=True, timeout=timeout)
            if sweep.returncode:
                raise DeploymentError(f"the sweep of dead runs failed:\n{sweep.stderr[-2000:]}")
            with open(self.home / "service-logs" / "sweep.log", "a") as log:
                log.write(sweep.stdout)
            if daemon:
                self.start_service("daemon")
        except BaseException:
            self.stop()
            raise
        return self

    def start_service(self, name: str) -> None:
        log = open(self.home / "service-logs" / f"{name}.log", "ab")  # noqa: SIM115 - owned by the process
        self.procs[name] = subprocess.Popen(self.commands()[name], env=self.environment, cwd=REPO_ROOT,
                                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()

    def signal(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Send `sig` to a service's process group and wait until the whole group is gone (SIGKILL: a crash,
        no cleanup). Whatever of the group outlives the leader by 30 s is killed."""
        proc = self.procs.pop(name, None)
        if proc is None:
            return
        _signal_group(proc.pid, sig)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            _signal_group(proc.pid, signal.SIGKILL)
            proc.wait(30)
        deadline = time.monotonic() + 30
        while group_members(proc.pid) and time.monotonic() < deadline + 10:
            if time.monotonic() > deadline:
                _signal_group(proc.pid, signal.SIGKILL)
            time.sleep(0.2)

    def stop(self) -> list[int]:
        """Stop every service; the process groups it started (all gone when this returns)."""
        groups = [p.pid for p in self.procs.values()]
        for name in reversed(SERVICES):
            self.signal(name, signal.SIGTERM)
        return groups

    def log(self, name: str, tail: int = 4000) -> str:
        path = self.home / "service-logs" / f"{name}.log"
        return scrub(path.read_text(errors="replace")[-tail:]) if path.exists() else ""

    def check_alive(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                raise DeploymentError(f"{name} exited with {proc.returncode}:\n{self.log(name)}")

    def graphql(self, query: str, variables: dict[str, Any] | None = None, timeout: float = 60) -> dict:
        response = httpx.post(f"{self.url}/graphql", json={"query": query, "variables": variables or {}},
                              timeout=timeout)
        body = response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
        if response.status_code != 200 or body.get("errors"):
            raise DeploymentError(f"GraphQL {response.status_code}: {body.get('errors') or response.text[:500]}")
        return body["data"]

    def wait_loaded(self, timeout: float) -> None:
        """Until the webserver serves and has loaded the code location from the gRPC server."""
        deadline = time.monotonic() + timeout
        last = "webserver not answering"
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                status = location_status(self)
            except (httpx.HTTPError, DeploymentError) as err:
                status, last = None, f"{type(err).__name__}: {err}"
            if status == "LOADED":
                return
            if status is not None:
                last = f"location {status}"
                if status == "ERROR":  # the webserver asked before the code server listened: ask again
                    self.graphql(RELOAD, {"name": LOCATION})
            time.sleep(1)
        raise DeploymentError(f"code location not loaded after {timeout:.0f} s ({last}):\n{self.log('code')}")


WORKSPACE = """{ workspaceOrError { __typename ... on Workspace { locationEntries { name loadStatus
  locationOrLoadError { __typename ... on PythonError { message } } } } } }"""

RELOAD = """mutation($name: String!) { reloadRepositoryLocation(repositoryLocationName: $name) { __typename } }"""

ASSETS = """{ assetNodes { assetKey { path } groupName isPartitioned } }"""

LAUNCH_BACKFILL = """mutation($params: LaunchBackfillParams!) { launchPartitionBackfill(backfillParams: $params) {
  __typename ... on LaunchBackfillSuccess { backfillId } ... on PythonError { message stack }
  ... on InvalidSubsetError { message } ... on UnauthorizedError { message } } }"""

BACKFILL = """query($id: String!) { partitionBackfillOrError(backfillId: $id) { __typename
  ... on PartitionBackfill { id status numPartitions endTimestamp error { message }
  assetSelection { path } } } }"""


SENSOR = """query($selector: SensorSelector!) { sensorOrError(sensorSelector: $selector) { __typename
  ... on Sensor { id sensorState { status } } } }"""

STOP_SENSOR = """mutation($id: String!) { stopSensor(id: $id) { __typename
  ... on StopSensorMutationResult { instigationState { status } } ... on PythonError { message } } }"""


def stop_sensor(topology: Topology, name: str) -> None:
    """Turn a sensor off, as its toggle in the UI does (it stays off until turned on again)."""
    selector = {"repositoryLocationName": LOCATION, "repositoryName": "__repository__", "sensorName": name}
    sensor = topology.graphql(SENSOR, {"selector": selector})["sensorOrError"]
    if sensor["__typename"] != "Sensor":
        raise DeploymentError(f"no sensor {name}: {sensor}")
    result = topology.graphql(STOP_SENSOR, {"id": sensor["id"]})["stopSensor"]
    if result["__typename"] != "StopSensorMutationResult":
        raise DeploymentError(f"sensor {name} not stopped: {result}")


def location_status(topology: Topology) -> str | None:
    """LOADED, LOADING or ERROR for our code location (None before the workspace lists it)."""
    workspace = topology.graphql(WORKSPACE)["workspaceOrError"]
    for entry in workspace.get("locationEntries", []):
        if entry["name"] == LOCATION:
            loaded = entry["locationOrLoadError"] or {}
            if loaded.get("__typename") == "PythonError":
                return "ERROR"
            return entry["loadStatus"]
    return None


def asset_keys(topology: Topology, groups: set[str] | None = None) -> list[list[str]]:
    """Every partitioned asset the webserver shows (in `groups` when given): what "Materialize all" selects.
    Unpartitioned assets (the backtests) are left out: a partition backfill cannot hold them."""
    nodes = topology.graphql(ASSETS)["assetNodes"]
    return [n["assetKey"]["path"] for n in nodes if n["isPartitioned"] and (groups is None or n["groupName"] in groups)]


def launch_backfill(topology: Topology, assets: list[list[str]], partitions: list[str], title: str) -> str:
    """Launch an asset backfill of `partitions` ("date|sport" keys) as the UI's dialog does; its id."""
    params = {"assetSelection": [{"path": p} for p in assets], "partitionNames": partitions,
              "fromFailure": False, "title": title}
    result = topology.graphql(LAUNCH_BACKFILL, {"params": params})["launchPartitionBackfill"]
    if result["__typename"] != "LaunchBackfillSuccess":
        raise DeploymentError(f"backfill refused: {result}")
    return result["backfillId"]


def backfill_status(topology: Topology, backfill_id: str) -> dict:
    return topology.graphql(BACKFILL, {"id": backfill_id})["partitionBackfillOrError"]


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass


def group_members(pgid: int) -> list[int]:
    """Live (non-zombie) processes of a process group; Linux reads /proc, elsewhere a signal-0 probe."""
    proc = Path("/proc")
    if not proc.is_dir():
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return []
        return [pgid]
    members = []
    for stat in proc.glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[2]) == pgid:  # state, ppid, pgrp
            members.append(int(stat.parent.name))
    return members


FINISHED = {"COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED"}


def wait_backfill(topology: Topology, backfill_id: str, timeout: float, poll: float = 2) -> dict:
    """Until the backfill has finished (any way); raises if a service dies or time runs out."""
    deadline = time.monotonic() + timeout
    while True:
        topology.check_alive()
        status = backfill_status(topology, backfill_id)
        if status.get("status") in FINISHED:
            return status
        if time.monotonic() > deadline:
            raise DeploymentError(f"backfill {backfill_id} not finished after {timeout:.0f} s: {status}\n"
                                  f"{topology.log('daemon')}")
        time.sleep(poll)


def peak_in_flight(records: list) -> dict[str, int]:
    """The most runs that were in flight at once per pool, from run records (start and end times, and the
    pools of the run's steps): what the `run` granularity of deploy/dagster.yaml bounds."""
    spans: dict[str, list[tuple[float, float]]] = {}
    for r in records:
        concurrency = r.dagster_run.run_op_concurrency
        if r.start_time is not None and concurrency is not None:
            for pool in concurrency.all_pools or []:
                spans.setdefault(pool, []).append(_span(r))
    return {pool: _peak(s) for pool, s in spans.items()}


def peak_runs(records: list) -> int:
    """The most runs in flight at once, whatever they ran (the queue's `max_concurrent_runs` bounds it)."""
    return _peak([_span(r) for r in records if r.start_time is not None])


def _span(record) -> tuple[float, float]:
    return record.start_time, record.end_time if record.end_time is not None else float("inf")


def _peak(spans: list[tuple[float, float]]) -> int:
    # an end sorts before a start at the same instant: back-to-back runs are not concurrent
    points = sorted([(start, 1) for start, _ in spans] + [(end, -1) for _, end in spans])
    now = peak = 0
    for _, step in points:
        now += step
        peak = max(peak, now)
    return peak


def provision_pools(instance, pools) -> dict[str, int]:
    """Give every pool the code location uses its slots (the instance's default limit, unless one is set)
    before the daemon dequeues anything. Dagster creates them lazily, and the dequeue pass that first meets a
    pool treats it as unlimited: on a fresh instance two runs of one provider could start together."""
    for pool in pools:
        instance.event_log_storage.initialize_concurrency_limit_to_default(pool)
    return pool_limits(instance, pools)


def pool_limits(instance, pools) -> dict[str, int]:
    """The configured run limit of each pool: set explicitly (`dagster instance concurrency set`, the UI)
    or the instance's `pools.default_limit`."""
    explicit = {p.name: p.limit for p in instance.event_log_storage.get_pool_limits()}
    default = instance.get_concurrency_config().pool_config.default_pool_limit
    return {pool: explicit.get(pool, default) for pool in pools}


def _of_backfill(backfill_id: str) -> dg.RunsFilter:
    return dg.RunsFilter(tags={"dagster/backfill": backfill_id})


def backfill_runs(instance: dg.DagsterInstance, backfill_id: str) -> list[dg.DagsterRun]:
    return list(instance.get_runs(_of_backfill(backfill_id)))


def crash_daemon(topology: Topology, instance, backfill_id: str, *, after: int, timeout: float,
                 mid_run: bool = False) -> tuple[int, float]:
    """The crash drill of the deployment test and the load bench: once `after` runs of the backfill succeeded
    (and, with `mid_run`, while one of its runs is executing, not being launched), SIGKILL the daemon (no
    cleanup, as a crash) and start a new one. Returns the runs done at the kill and the seconds from the
    restart until a run launched by the new daemon started.

    A daemon killed while launching a run leaves that run STARTING; it holds its pools until run monitoring's
    `start_timeout_seconds` fails it, and run retries relaunch it."""

    def ready(runs: list) -> bool:
        done = sum(r.status == dg.DagsterRunStatus.SUCCESS for r in runs)
        return done >= after and (not mid_run or any(r.status == dg.DagsterRunStatus.STARTED for r in runs))

    deadline = time.monotonic() + timeout
    while not ready(backfill_runs(instance, backfill_id)):
        if time.monotonic() > deadline:
            raise DeploymentError(f"backfill {backfill_id}: fewer than {after} runs succeeded:\n{topology.log('daemon')}")
        time.sleep(0.5)
    topology.signal("daemon", signal.SIGKILL)
    runs = backfill_runs(instance, backfill_id)  # what the dead daemon had launched
    done = sum(r.status == dg.DagsterRunStatus.SUCCESS for r in runs)
    launched = {r.run_id for r in runs if r.status != dg.DagsterRunStatus.QUEUED}
    restarted = time.time()
    topology.start_service("daemon")
    while True:
        records = instance.get_run_records(_of_backfill(backfill_id))
        fresh = [r.start_time for r in records if r.dagster_run.run_id not in launched and r.start_time]
        if fresh:
            return done, max(0.0, min(fresh) - restarted)
        if time.monotonic() > deadline:
            raise DeploymentError(f"the restarted daemon launched nothing:\n{topology.log('daemon')}")
        time.sleep(0.5)
