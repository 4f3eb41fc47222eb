"""The production deployment with real processes on PostgreSQL (see deployment.py for how it is brought up),
and the docker-compose topology it mirrors."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import dagster as dg
import httpx
import yaml

from linelogic_assets.config import REPO_ROOT
from linelogic_assets.definitions import defs
from linelogic_assets.deploy import (
    DEPLOY_DIR,
    SERVICES,
    Postgres,
    group_members,
    peak_in_flight,
    peak_runs,
    pool_limits,
    service_commands,
)
from linelogic_assets.partitions import sport_date_partitions
from linelogic_assets.providers.registry import PROVIDERS
from linelogic_assets_tests.deployment import Deployment, free_port

GRAPH = defs.resolve_asset_graph()
# the demo backfill's selection: every partitioned asset; the backtests (unpartitioned) run in backtest_job
ASSETS = [k for k in GRAPH.get_all_asset_keys() if GRAPH.get(k).is_partitioned]
BACKTESTS = [k for k in GRAPH.get_all_asset_keys() if GRAPH.get(k).group_name == "backtest"]
CHECKS = [k for k in GRAPH.asset_check_keys if k.asset_key in ASSETS]
BACKTEST_CHECKS = [k for k in GRAPH.asset_check_keys if k.asset_key in BACKTESTS]
HISTORY_LOST = "history_retained"  # prediction_price's retention check
RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"


def range_keys(run: dg.DagsterRun) -> list[str]:
    """The partitions a range run covered."""
    return sport_date_partitions.get_partition_keys_in_range(
        dg.PartitionKeyRange(run.tags[RANGE_START], run.tags[RANGE_END]))


def run_keys(run: dg.DagsterRun) -> list[str]:
    """The partitions a run covered: its range, or its one partition."""
    return range_keys(run) if RANGE_START in run.tags else [run.tags["dagster/partition"]]


def test_the_backfill_selects_every_partitioned_asset_and_no_backtest(deployment: Deployment) -> None:
    selected = {dg.AssetKey(a["path"]) for a in deployment.status["assetSelection"]}
    assert selected == set(ASSETS) and len(ASSETS) >= 27
    assert not selected & set(BACKTESTS) and len(BACKTESTS) >= 4
    assert set(ASSETS) | set(BACKTESTS) == set(GRAPH.get_all_asset_keys())
    assert all(not GRAPH.get(k).is_partitioned for k in BACKTESTS)


def test_demo_window_backfill_completes_after_the_daemon_is_killed(deployment: Deployment) -> None:
    assert deployment.status["status"] == "COMPLETED_SUCCESS", deployment.status
    assert deployment.status["numPartitions"] == len(deployment.partitions) >= 10
    # the daemon died with part of the backfill done and the rest queued or not yet submitted
    assert 1 <= deployment.killed_after_runs < len(deployment.partitions)
    with deployment.instance() as instance:
        runs = instance.get_runs(dg.RunsFilter(tags={"dagster/backfill": deployment.backfill_id}))
        ok = [r for r in runs if r.status == dg.DagsterRunStatus.SUCCESS]
        # no partition lost, none run twice: every layer ran as range runs (one per sport and run of consecutive
        # slates, the backfill grouping by its smaller dimension), started as the bronze they read landed; each
        # asset × partition was built by exactly one successful run, never a partition outside the backfill
        built = Counter((k, p) for r in ok for k in r.asset_selection for p in run_keys(r))
        assert built == Counter({(k, p): 1 for k in ASSETS for p in deployment.partitions})
        ranged = [r for r in ok if RANGE_START in r.tags]
        assert any(len(range_keys(r)) > 1 for r in ranged)
        assert {GRAPH.get(k).group_name for r in ranged for k in r.asset_selection} >= {"bronze", "silver", "gold"}
        # a run the killed daemon was launching is failed by run monitoring and retried by run retries
        for run in runs:
            if run.status != dg.DagsterRunStatus.SUCCESS:
                retry = instance.get_run_by_id(run.tags["dagster/auto_retry_run_id"])
                assert run.tags["dagster/failure_reason"] == "START_TIMEOUT" and retry is not None, run.tags
                assert retry.status == dg.DagsterRunStatus.SUCCESS


def test_postgres_holds_the_runs_materializations_check_evaluations_and_sensor_ticks(deployment: Deployment) -> None:
    backtest = deployment.backtest_run_id
    runs = dict(deployment.query("SELECT status, count(*) FROM runs WHERE run_id <> %s GROUP BY status", (backtest,)))
    with deployment.instance() as instance:  # range runs (see the test above)
        ok = instance.get_runs(dg.RunsFilter(tags={"dagster/backfill": deployment.backfill_id},
                                             statuses=[dg.DagsterRunStatus.SUCCESS]))
    assert runs["SUCCESS"] == len(ok) and set(runs) <= {"SUCCESS", "FAILURE"}  # a failure: see the test above
    assert deployment.query("SELECT pipeline_name, status FROM runs WHERE run_id = %s", (backtest,)) == [
        ("backtest_job", "SUCCESS")]
    materialized = deployment.query(
        "SELECT partition, count(DISTINCT asset_key) FROM event_logs "
        "WHERE dagster_event_type = 'ASSET_MATERIALIZATION' GROUP BY partition")
    # every partitioned asset in every partition; the backtests once each, unpartitioned
    assert dict(materialized) == {**{p: len(ASSETS) for p in deployment.partitions}, None: len(BACKTESTS)}
    backtests = deployment.query(
        "SELECT DISTINCT asset_key FROM event_logs WHERE dagster_event_type = 'ASSET_MATERIALIZATION' "
        "AND partition IS NULL")
    assert {dg.AssetKey.from_db_string(k) for (k,) in backtests} == set(BACKTESTS)
    checks = deployment.query(
        "SELECT execution_status, partition, count(*) FROM asset_check_executions GROUP BY 1, 2")
    # every check passes but one, on every slate: the clock is months after the window, past Polymarket's
    # retention, so each game's history came back empty, and the retention check says the price paths are lost
    assert {(status, part): count for status, part, count in checks} == {
        **{("SUCCEEDED", p): len(CHECKS) - 1 for p in deployment.partitions},
        **{("FAILED", p): 1 for p in deployment.partitions}, ("SUCCEEDED", None): len(BACKTEST_CHECKS)}
    # the stored evaluation is the check's result itself, with its metadata
    for (body,) in deployment.query("SELECT evaluation_event FROM asset_check_executions"):
        evaluation = dg.deserialize_value(body, dg.EventLogEntry).dagster_event.event_specific_data
        assert evaluation.metadata
        if evaluation.check_name == HISTORY_LOST:
            assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.WARN
            assert evaluation.metadata["closed_tokens_with_empty_history"].value > 0
            continue
        assert evaluation.passed, (evaluation.asset_key, evaluation.check_name)
        if evaluation.asset_key in BACKTESTS:  # the no-look-ahead proof, from the backtest run
            assert evaluation.partition is None and evaluation.check_name == "no_lookahead"
            assert evaluation.metadata["quote_after_decision"].value == 0
        else:
            assert evaluation.partition in deployment.partitions
    ticks = deployment.query("SELECT tick_body FROM job_ticks WHERE type = 'SENSOR'")
    ticked = {dg.deserialize_value(b).instigator_name for (b,) in ticks}
    running = {s.name for s in defs.sensors if s.default_status == dg.DefaultSensorStatus.RUNNING}
    assert {"pregame_snapshots_nba", "results_nba", "linelogic_automation", "alert_on_run_failure"} <= running
    assert running <= ticked
    backfill = deployment.query("SELECT status FROM bulk_actions WHERE key = %s", (deployment.backfill_id,))
    assert backfill == [("COMPLETED_SUCCESS",)]


def test_no_pool_had_more_runs_in_flight_than_its_limit(deployment: Deployment) -> None:
    with deployment.instance() as instance:
        records = instance.get_run_records()
        peaks = peak_in_flight(records)
        limits = pool_limits(instance, peaks)
    pools = {*(p.name for p in PROVIDERS), "duckdb"}  # one pool per provider, and DuckDB's writers
    assert set(peaks) == pools
    assert all(peaks[p] <= limits[p] for p in peaks), (peaks, limits)
    assert limits == dict.fromkeys(pools, 1)


def test_webserver_listens_on_loopback_only(deployment: Deployment) -> None:
    port = f"{deployment.topology.web_port:04X}"
    listening = [line.split()[1] for line in Path("/proc/net/tcp").read_text().splitlines()[1:]
                 if line.split()[1].endswith(f":{port}") and line.split()[3] == "0A"]
    assert listening == [f"0100007F:{port}"]
    assert not any(line.split()[1].endswith(f":{port}") and line.split()[3] == "0A"
                   for line in Path("/proc/net/tcp6").read_text().splitlines()[1:])


def test_every_service_runs_in_its_own_process_group(deployment: Deployment) -> None:
    assert len(deployment.groups) == len(SERVICES)
    assert all(group_members(g) for g in deployment.groups)  # up now; the fixture checks they end with it


# --- docker-compose: the same topology in containers (Docker cannot run on this machine) ---

COMPOSE = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())


def test_compose_runs_the_same_three_commands_as_the_local_topology() -> None:
    services = COMPOSE["services"]
    assert set(services) == {"postgres", "pools", *SERVICES}
    assert services["postgres"]["image"] == "postgres:15"
    expected = service_commands(code_host="0.0.0.0", code_port=4000, web_host="0.0.0.0", web_port=3000,
                                workspace="/opt/dagster/workspace.yaml")
    assert {name: services[name]["command"] for name in expected} == expected
    assert services["daemon"]["depends_on"]["pools"] == {"condition": "service_completed_successfully"}
    for name in expected:
        env = services[name]["environment"]
        assert (env["LINELOGIC_CODE_HOST"], env["LINELOGIC_CODE_PORT"], env["PG_HOST"]) == ("code", "4000", "postgres")
        assert "lake:/data/lake" in services[name]["volumes"]
        assert services[name]["env_file"] == [".env"]
    # the webserver is published on the host's loopback unless WEBSERVER_BIND says otherwise
    assert services["webserver"]["ports"] == ["${WEBSERVER_BIND:-127.0.0.1}:${WEBSERVER_PORT:-3000}:3000"]


def test_compose_takes_every_secret_from_the_env_file() -> None:
    def values(node):
        if isinstance(node, dict):
            for k, v in node.items():
                yield k, v
                yield from values(v)
        elif isinstance(node, list):
            for v in node:
                yield from values(v)

    secret_like = ("PASSWORD", "KEY", "TOKEN", "WEBHOOK")
    for key, value in values(COMPOSE):
        if isinstance(key, str) and any(s in key.upper() for s in secret_like) and isinstance(value, str):
            assert value.startswith("${") and value.endswith("}"), f"{key} is set inline"
    example = (REPO_ROOT / ".env.example").read_text()
    for var in ("PG_USER", "PG_PASSWORD", "PG_DB", "ODDS_API_KEY", "BALLDONTLIE_API_KEY"):
        assert f"{var}=" in example


def test_the_image_carries_the_production_instance_and_workspace() -> None:
    dockerfile = (REPO_ROOT / "Dockerfile").read_text()
    assert "COPY deploy/dagster.yaml deploy/workspace.yaml /opt/dagster/" in dockerfile
    assert "DAGSTER_HOME=/opt/dagster" in dockerfile
    workspace = yaml.safe_load((DEPLOY_DIR / "workspace.yaml").read_text())
    assert workspace["load_from"][0]["grpc_server"]["host"] == {"env": "LINELOGIC_CODE_HOST"}


def test_postgres_settings_come_from_the_pg_variables() -> None:
    pg = Postgres.from_env({"PG_HOST": "db", "PG_PORT": "6543", "PG_USER": "u", "PG_PASSWORD": "", "PG_DB": "d"})
    assert pg == Postgres("db", 6543, "u", "", "d")
    assert Postgres.from_env({}) == Postgres()


def test_prod_local_starts_the_topology_and_stops_it_on_sigterm(tmp_path: Path) -> None:
    """`make prod-local`'s command: creates its database, serves the UI, and leaves nothing behind."""
    pg = Postgres.from_env({**os.environ, "PG_DB": f"linelogic_test_{uuid.uuid4().hex[:10]}"})
    home, web, code = tmp_path / "prod", free_port(), free_port()
    env = {**os.environ, **pg.env(), "LINELOGIC_DATA_ROOT": str(tmp_path / "lake")}
    cli = subprocess.Popen([sys.executable, "-m", "linelogic_assets.cli", "prod-local", "--home", str(home),
                            "--web-port", str(web), "--code-port", str(code)], env=env, cwd=REPO_ROOT,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        banner = [cli.stdout.readline() for _ in range(2)]
        assert banner[0].startswith(f"created database {pg.db}"), banner
        assert f"UI at http://127.0.0.1:{web}" in banner[1], banner
        assert httpx.get(f"http://127.0.0.1:{web}/server_info", timeout=10).json()["dagster_version"] == dg.__version__
        cli.send_signal(signal.SIGTERM)
        assert cli.wait(120) == 0
    finally:
        if cli.poll() is None:
            cli.kill()
        pg.drop_database()
    # no process of the topology is left: none has this home in its command line
    left = [p for p in Path("/proc").glob("[0-9]*/cmdline") if str(home).encode() in _read(p)]
    assert not left


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


def _record(start: float | None, end: float | None, pools: set[str]) -> SimpleNamespace:
    run = SimpleNamespace(run_op_concurrency=SimpleNamespace(all_pools=pools))
    return SimpleNamespace(start_time=start, end_time=end, dagster_run=run)


def test_peak_in_flight_counts_overlaps_per_pool_and_not_back_to_back_runs() -> None:
    records = [
        _record(0, 10, {"oddsapi", "balldontlie"}),
        _record(10, 20, {"oddsapi"}),  # starts as the first ends: not concurrent
        _record(5, 15, {"balldontlie", "duckdb"}),  # overlaps the first on balldontlie
        _record(12, None, {"duckdb"}),  # still running: overlaps the third
        _record(None, None, {"oddsapi"}),  # queued, never started: not in flight
    ]
    assert peak_in_flight(records) == {"oddsapi": 1, "balldontlie": 2, "duckdb": 2}
    assert peak_runs(records) == 3


MATERIALIZATIONS = """
query Materializations($path: [String!]!) {
  assetOrError(assetKey: {path: $path}) {
    ... on Asset { assetMaterializations { partition runId metadataEntries { label ... on IntMetadataEntry { intValue } } } }
  }
}"""
CHECK_EXECUTIONS = """
query Executions($path: [String!]!, $name: String!) {
  assetCheckExecutions(assetKey: {path: $path}, checkName: $name, limit: 1000) { partition runId status }
}"""


def test_graphql_shows_each_partition_of_a_range_run_with_its_own_records(deployment: Deployment) -> None:
    """Silver and gold ran as range runs; the API (what the UI reads) still holds, for every partition, its
    materialization with that slate's own row count and a result of every check."""
    import duckdb

    from linelogic_assets.gold.io_manager import gold_database
    from linelogic_assets.silver.io_manager import read_partition

    with deployment.instance() as instance:
        runs = instance.get_runs(dg.RunsFilter(tags={"dagster/backfill": deployment.backfill_id}))
    ranged = {r.run_id for r in runs if RANGE_START in r.tags}
    assert ranged
    with duckdb.connect(str(gold_database(deployment.lake)), read_only=True) as con:
        gold_rows = {f"{d}|{s}": n for s, d, n in con.execute(
            "SELECT sport, strftime(slate_date, '%Y-%m-%d'), count(*) FROM gold.book_lines GROUP BY ALL").fetchall()}
    stored = {"book_lines": gold_rows,
              "odds_snapshot": {p: len(read_partition(deployment.lake, "odds_snapshot", *p.split("|")[::-1]))
                                for p in deployment.partitions}}
    for asset, rows in stored.items():
        mats = deployment.topology.graphql(MATERIALIZATIONS, {"path": [asset]})["assetOrError"]["assetMaterializations"]
        assert sorted(m["partition"] for m in mats) == sorted(deployment.partitions), asset
        assert {m["runId"] for m in mats} <= ranged
        counted = {m["partition"]: next(e["intValue"] for e in m["metadataEntries"] if e["label"] == "dagster/row_count")
                   for m in mats}
        assert counted == {p: rows.get(p, 0) for p in deployment.partitions} and len(set(counted.values())) > 1
        for check in (k for k in GRAPH.asset_check_keys if k.asset_key == dg.AssetKey(asset)):
            runs_of = deployment.topology.graphql(CHECK_EXECUTIONS, {"path": [asset], "name": check.name})
            executions = runs_of["assetCheckExecutions"]
            assert sorted(e["partition"] for e in executions) == sorted(deployment.partitions), check
            assert {e["runId"] for e in executions} <= ranged
            assert {e["status"] for e in executions} == {"SUCCEEDED"}, check
