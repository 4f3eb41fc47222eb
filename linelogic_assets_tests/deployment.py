"""The production topology, up once per test session: code server, webserver and daemon as real processes on
a fresh PostgreSQL database, with the demo window backfilled through the webserver's GraphQL API and the
daemon killed (SIGKILL) and restarted while the backfill runs; then `backtest_job` (the unpartitioned
backtests, which the partition backfill leaves out) is launched through GraphQL too. test_deploy.py and
test_deploy_ui.py read it.
"""

from __future__ import annotations

import json
import os
import socket
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import psycopg2
import pytest
import yaml

from linelogic_assets.bronze.backfill import demo_slates
from linelogic_assets.config import DEFAULT_CONFIG_PATH, REPO_ROOT, load_config
from linelogic_assets.deploy import (
    LOCATION,
    DeploymentError,
    Postgres,
    Topology,
    asset_keys,
    crash_daemon,
    group_members,
    launch_backfill,
    wait_backfill,
)
from linelogic_assets.partitions import partition_key

ARTIFACTS = Path(os.environ.get("LINELOGIC_TEST_ARTIFACTS", REPO_ROOT / "test-artifacts"))
SPORTS = ["basketball_nba", "americanfootball_nfl"]
# a frozen provider clock after the demo window and in both leagues' off-season: every game is final, and
# the sensors tick (and store their ticks) without finding anything due, so the backfill's runs are all there is
QUIET_CLOCK = {"start": "2026-07-15T12:00:00Z", "speed": 0}
DEADLINE_S = int(os.environ.get("LL_DEPLOY_DEADLINE", "900"))  # a safety net, not a timing assertion
BACKTEST_JOB = "backtest_job"

LAUNCH_RUN = """mutation($params: ExecutionParams!) { launchRun(executionParams: $params) { __typename
  ... on LaunchRunSuccess { run { runId } } ... on PythonError { message } ... on InvalidSubsetError { message }
  ... on RunConfigValidationInvalid { errors { message } } ... on UnauthorizedError { message } } }"""

RUN = """query($id: ID!) { runOrError(runId: $id) { __typename ... on Run { runId status } } }"""
RUN_DONE = {"SUCCESS", "FAILURE", "CANCELED"}


@dataclass
class Deployment:
    topology: Topology
    pg: Postgres
    backfill_id: str
    partitions: list[str]
    status: dict
    killed_after_runs: int  # runs already successful when the daemon was killed
    recovery_seconds: float  # daemon restart → the next run started
    wall_seconds: float  # backfill launch → finished
    backtest_run_id: str  # the run of backtest_job launched after the backfill
    backtest_status: str  # its final status
    groups: list[int] = field(default_factory=list)

    def instance(self) -> dg.DagsterInstance:
        """A DagsterInstance on the deployment's PostgreSQL database (the PG_* variables are set)."""
        return dg.DagsterInstance.from_config(str(self.topology.home))

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        with self.pg.connect() as conn, conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall()

    @property
    def lake(self) -> Path:
        """The deployment's lake root (LINELOGIC_DATA_ROOT of its services, demo mode)."""
        return Path(self.topology.extra_env["LINELOGIC_DATA_ROOT"]) / "demo"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def deploy_config(tmp: Path) -> Path:
    raw = yaml.safe_load(DEFAULT_CONFIG_PATH.read_text())
    raw["sports"] = {k: v for k, v in raw["sports"].items() if k in SPORTS}
    raw["simulator"]["clock"] = QUIET_CLOCK
    path = tmp / "ingest.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def demo_window(config: Path) -> list[str]:
    return [str(partition_key(s, d)) for s, d in demo_slates(load_config(config), str(config))]


def launch_job(topology: Topology, job: str) -> str:
    """Launch an (unpartitioned) job as the UI's launchpad does; its run id."""
    params = {"selector": {"repositoryLocationName": LOCATION, "repositoryName": "__repository__", "jobName": job},
              "runConfigData": {}}
    result = topology.graphql(LAUNCH_RUN, {"params": params})["launchRun"]
    if result["__typename"] != "LaunchRunSuccess":
        raise DeploymentError(f"{job} not launched: {result}")
    return result["run"]["runId"]


def wait_run(topology: Topology, run_id: str, timeout: float, poll: float = 1) -> str:
    """Until the run has finished (any way); its status. Raises if a service dies or time runs out."""
    deadline = time.monotonic() + timeout
    while True:
        topology.check_alive()
        status = topology.graphql(RUN, {"id": run_id})["runOrError"].get("status")
        if status in RUN_DONE:
            return status
        if time.monotonic() > deadline:
            raise DeploymentError(f"run {run_id} not finished after {timeout:.0f} s ({status}):\n"
                                  f"{topology.log('daemon')}")
        time.sleep(poll)


def _bring_up(topology: Topology, partitions: list[str]) -> Deployment:
    # the backfill is submitted before the daemon starts, so the daemon's first passes meet all of it at once:
    # the hardest case for the pool limits (see deploy.provision_pools)
    topology.start(daemon=False)
    started = time.monotonic()
    backfill_id = launch_backfill(topology, asset_keys(topology), partitions, "demo window")
    topology.start_service("daemon")
    with dg.DagsterInstance.from_config(str(topology.home)) as instance:
        killed_after, recovery = crash_daemon(topology, instance, backfill_id, after=1, mid_run=True,
                                              timeout=DEADLINE_S)
    status = wait_backfill(topology, backfill_id, DEADLINE_S)
    wall = time.monotonic() - started
    # the backtests read the gold the backfill built: one run of their job once it is done
    backtest_run = launch_job(topology, BACKTEST_JOB)
    backtest_status = wait_run(topology, backtest_run, DEADLINE_S)
    deployment = Deployment(topology, topology.pg, backfill_id, partitions, status, killed_after, recovery, wall,
                            backtest_run, backtest_status, groups=[p.pid for p in topology.procs.values()])
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "deploy.json").write_text(json.dumps({
        "partitions": len(partitions), "status": status["status"], "wall_seconds": deployment.wall_seconds,
        "daemon_killed_after_runs": killed_after, "recovery_seconds": recovery,
        "backtest_job": backtest_status}, indent=2))
    return deployment


@pytest.fixture(scope="session", autouse=True)
def _deployment_bring_up(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """Starts the deployment when the session begins, in a thread, if any collected test uses it: its runs are
    processes of their own, so the rest of the suite runs on the other core meanwhile instead of waiting."""
    if not any("deployment" in getattr(item, "fixturenames", ()) for item in request.session.items):
        yield None
        return
    pg = Postgres.from_env({**os.environ, "PG_DB": f"linelogic_test_{uuid.uuid4().hex[:10]}"})
    try:
        pg.create_database()
    except psycopg2.OperationalError as err:
        pytest.fail(f"PostgreSQL is not reachable at {pg.host}:{pg.port} ({err}); start it: "
                    "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start")
    tmp = tmp_path_factory.mktemp("deploy")
    config = deploy_config(tmp)
    partitions = demo_window(config)
    # the environment is taken now, before any test changes it (a test's simulator URL must not reach the runs)
    topology = Topology(home=tmp / "home", pg=pg, web_port=free_port(), code_port=free_port(),
                        extra_env={"LINELOGIC_CONFIG": str(config), "LINELOGIC_DATA_ROOT": str(tmp / "lake")})
    with pytest.MonkeyPatch.context() as mp, ThreadPoolExecutor(1, thread_name_prefix="deployment") as pool:
        for k, v in pg.env().items():  # so `Deployment.instance()` reads the same database
            mp.setenv(k, v)
        try:
            yield pool.submit(_bring_up, topology, partitions)
        finally:
            groups = _stop(topology, pool)
            pg.drop_database()
    left = {g: group_members(g) for g in groups if group_members(g)}
    assert not left, f"processes outlived the deployment: {left}"


def _stop(topology: Topology, pool: ThreadPoolExecutor) -> list[int]:
    groups = topology.stop()  # a bring-up still under way (an interrupted session) fails on the dead services
    pool.shutdown(wait=True, cancel_futures=True)
    return groups + topology.stop()


@pytest.fixture(scope="session")
def deployment(_deployment_bring_up) -> Deployment:
    return _deployment_bring_up.result()
