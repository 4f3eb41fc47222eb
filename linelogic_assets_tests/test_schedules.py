"""The daily reference schedule and the demo's shared simulator clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import dagster as dg

from linelogic_assets.cli import main
from linelogic_assets.config import load_config
from linelogic_assets.definitions import defs
from linelogic_assets.providers.oddsapi.resource import OddsApiResource
from linelogic_assets.resources import simulator_for
from linelogic_assets.simulator.clock import read_shared_clock
from linelogic_assets_tests.bronze.test_assets import write_config


def test_the_daily_schedule_asks_for_the_providers_today_and_tomorrow(tmp_path, lake_root, monkeypatch) -> None:
    monkeypatch.setenv("LINELOGIC_CONFIG", write_config(tmp_path))  # simulator clock: 2025-11-18 12:00 UTC
    schedule = defs.get_schedule_def("daily_reference_nba")
    assert schedule.cron_schedule == "0 6 * * *" and schedule.execution_timezone == "America/New_York"
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    ctx = dg.build_schedule_context(scheduled_execution_time=datetime(2026, 11, 22, 11, tzinfo=UTC),
                                    resources={k: defs.resources[k] for k in ("lake", "clock")},
                                    repository_def=defs.get_repository_def())
    data = schedule.evaluate_tick(ctx)
    keys = [str(r.partition_key) for r in data.run_requests]
    assert keys == ["2025-11-18|basketball_nba", "2025-11-19|basketball_nba"]
    assert {r.job_name for r in data.run_requests} <= {None, "reference_job"}


def test_the_shared_clock_runs_for_every_process_and_stops(tmp_path, lake_root, capsys) -> None:
    config = write_config(tmp_path)
    cfg = load_config(config)
    assert main(["--config", config, "clock", "start", "--at", "2025-11-18T22:45:00Z", "--speed", "3600"]) == 0
    shared = read_shared_clock(lake_root)
    assert shared["speed"] == 3600 and shared["start"] == "2025-11-18T22:45:00+00:00"
    # another process builds its own simulator from the file: same anchor, so the same simulated time
    anchor = datetime.fromisoformat(shared["wall_anchor"])
    now = OddsApiResource(config_path=config).now()
    expected = datetime(2025, 11, 18, 22, 45, tzinfo=UTC) + (datetime.now(UTC) - anchor) * 3600
    assert abs(now - expected) < timedelta(minutes=10)  # an hour per real second: a few seconds of slack
    assert now > datetime(2025, 11, 18, 22, 45, tzinfo=UTC)
    assert main(["--config", config, "clock", "stop"]) == 0
    assert simulator_for(cfg).clock.now() == cfg.simulator.clock.start  # frozen at the config's clock again
    assert "provider now: 2025-11-18T12:00:00+00:00" in capsys.readouterr().out
