"""Per-provider concurrency with real processes: many partitions queued at once run in parallel, yet a
provider never sees two steps at a time.

Runs are queued with `dagster job backfill` on an instance using the QueuedRunCoordinator and the
repository's pool limits, and launched by a real `dagster-daemon`; each run is its own process. They
all talk to one simulator served over loopback, which counts the requests it is serving at once.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import pytest
import yaml

from linelogic_assets.config import REPO_ROOT, load_config
from linelogic_assets.partitions import partition_key
from linelogic_assets.simulator import Simulator
from linelogic_assets_tests.bronze.test_assets import write_config

NBA = "basketball_nba"
DAYS = [date(2025, 11, 3) + timedelta(days=i) for i in range(6)]
BIN = Path(sys.executable).parent
LOCATION = "linelogic_assets_tests.bronze_only_definitions"  # production bronze, without sensors or automation
DEADLINE_S = int(os.environ.get("LL_DEADLINE", "300"))  # a safety net for a hung daemon, not a timing assertion


class InFlight:
    """Requests the simulator is serving at once, per provider, and the peak."""

    def __init__(self, sim: Simulator) -> None:
        self.lock = threading.Lock()
        self.now = {"oddsapi": 0, "balldontlie": 0, "polymarket": 0}
        self.peak = {"oddsapi": 0, "balldontlie": 0, "polymarket": 0}
        self.served = 0
        respond = sim.respond

        def counted(method, path, query, headers):
            provider = ("oddsapi" if path.startswith("/v4") else "polymarket" if path.startswith("/polymarket")
                        else "balldontlie")
            with self.lock:
                self.now[provider] += 1
                self.served += 1
                self.peak[provider] = max(self.peak[provider], self.now[provider])
            try:
                return respond(method, path, query, headers)
            finally:
                with self.lock:
                    self.now[provider] -= 1

        sim.respond = counted


@pytest.fixture
def queued_home(tmp_path: Path) -> Path:
    """An instance with the repository's dagster.yaml (pools) plus a queue that runs 6 at once."""
    home = tmp_path / "home"
    home.mkdir()
    cfg = yaml.safe_load((REPO_ROOT / "dagster.yaml").read_text())
    cfg["run_coordinator"] = {"module": "dagster.core.run_coordinator", "class": "QueuedRunCoordinator"}
    cfg["concurrency"]["runs"] = {"max_concurrent_runs": len(DAYS)}
    (home / "dagster.yaml").write_text(yaml.safe_dump(cfg))
    return home


def test_queued_partitions_run_in_parallel_but_each_provider_sees_one_step_at_a_time(tmp_path, queued_home) -> None:
    # NBA only, and a clock in its off-season after the backfilled dates: the sensors have nothing to add
    config = write_config(tmp_path, sports={NBA: {"bookmakers": ["pinnacle", "draftkings", "fanduel"]}},
                          demo={"sports": [NBA]}, simulator__clock={"start": "2026-06-30T12:00:00Z", "speed": 0})
    sim = Simulator(load_config(config).simulator)
    counter = InFlight(sim)
    env = {**os.environ, "DAGSTER_HOME": str(queued_home), "LINELOGIC_CONFIG": config,
           "LINELOGIC_DATA_ROOT": str(tmp_path / "lake")}
    with sim.serve() as server:
        env["LINELOGIC_SIMULATOR_URL"] = server.url
        keys = ",".join(str(partition_key(NBA, d)) for d in DAYS)
        subprocess.run([BIN / "dagster", "job", "backfill", "-m", LOCATION, "-j", "bronze_job",
                        "--partitions", keys, "--noprompt"], env=env, check=True, capture_output=True, cwd=REPO_ROOT)
        log = open(tmp_path / "daemon.log", "wb")  # noqa: SIM115 - closed with the daemon
        daemon = subprocess.Popen([BIN / "dagster-daemon", "run", "-m", LOCATION], env=env,
                                  cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT)
        try:
            with dg.DagsterInstance.from_config(str(queued_home)) as instance:
                start = time.monotonic()
                while True:
                    runs = instance.get_runs()
                    if len(runs) == len(DAYS) and all(r.is_finished for r in runs):
                        break
                    assert time.monotonic() - start < DEADLINE_S, (
                        [(r.status.value, r.job_name, r.tags) for r in runs],
                        (tmp_path / "daemon.log").read_text()[-3000:])
                    time.sleep(1)
                records = instance.get_run_records()
        finally:
            daemon.terminate()
            daemon.wait(30)
            log.close()
    assert all(r.dagster_run.status == dg.DagsterRunStatus.SUCCESS for r in records)
    # the queue ran them side by side: some run started before another had ended
    spans = sorted((r.start_time, r.end_time) for r in records)
    assert any(b_start < a_end for (_, a_end), (b_start, _) in zip(spans, spans[1:], strict=False))
    # and the pools held: never two requests to one provider at once, across six run processes
    assert counter.served > 50
    assert counter.peak == {"oddsapi": 1, "balldontlie": 1, "polymarket": 1}
