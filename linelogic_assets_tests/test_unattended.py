"""End to end, unattended: the sensors and the automation, tick by tick over two simulated days.

Nothing is launched by hand. Each tick sets the simulator's clock, evaluates the pregame and results
sensors and executes the runs they request, then evaluates the declarative automation and executes
what it requests, as the daemon would. The clock then jumps to the earliest instant either sensor
said it next has work (its cursor's `wake`), so every window is met on time.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import dagster as dg
import duckdb
import pytest

from linelogic_assets.automation import DERIVED
from linelogic_assets.bronze.store import BronzeStore
from linelogic_assets.config import load_config
from linelogic_assets.definitions import defs
from linelogic_assets.gold.io_manager import gold_database
from linelogic_assets.providers.oddsapi.sensors import PregameState
from linelogic_assets.resources import simulator_for
from linelogic_assets.sensors.results import ResultsState
from linelogic_assets.silver.io_manager import read_partition
from linelogic_assets_tests.bronze.test_assets import write_config

NBA = "basketball_nba"
SLATES = [date(2025, 10, 30), date(2025, 10, 31)]  # 4 and 6 games at 3 start times each
START = datetime(2025, 10, 29, 22, tzinfo=UTC)  # before the first OPEN target of the 30th
END = datetime(2025, 11, 1, 7, tzinfo=UTC)  # the 31st's last game final and polled
# the automation sensor's interval on this clock: bronze runs landing within it are rebuilt together
AUTOMATION_EVERY = timedelta(hours=6)
QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}


def _failures(result: dg.ExecuteInProcessResult) -> list[str]:
    return [f"{e.step_key}: {e.event_specific_data.error.cause.message if e.event_specific_data.error.cause else e.event_specific_data.error.message}" for e in result.all_events
            if e.is_step_failure] + [f"{c.asset_key.to_user_string()}.{c.check_name}: {c.description}"
                                     for c in result.get_asset_check_evaluations() if not c.passed]


class Daemon:
    """What Dagster's daemon does for us, one tick at a time, against one instance."""

    def __init__(self, instance: dg.DagsterInstance) -> None:
        self.instance = instance
        self.cursors: dict[str, str | None] = {}
        self.automation_cursor = None
        self.runs: list[dg.DagsterRun] = []

    def tick_sensor(self, name: str) -> int:
        sensor = defs.get_sensor_def(name)
        ctx = dg.build_sensor_context(instance=self.instance, cursor=self.cursors.get(name), definitions=defs,
                                      resources={k: defs.resources[k] for k in ("lake", "clock", "oddsapi", "alerts")})
        data = sensor.evaluate_tick(ctx)
        self.cursors[name] = data.cursor
        for rr in data.run_requests or []:
            job = defs.resolve_job_def(sensor.job_name)
            result = job.execute_in_process(partition_key=rr.partition_key, tags=rr.tags, instance=self.instance,
                                            run_config=QUIET, raise_on_error=False)
            assert result.success, f"{name} run for {rr.partition_key} failed: {_failures(result)}"
            self.runs.append(result.dagster_run)
        return len(data.run_requests or [])

    def tick_automation(self) -> int:
        result = dg.evaluate_automation_conditions(defs=defs, instance=self.instance, cursor=self.automation_cursor)
        self.automation_cursor = result.cursor
        by_partition: dict[str, list[dg.AssetKey]] = {}
        for key in DERIVED.resolve(defs.resolve_asset_graph()):
            for pk in result.get_requested_partitions(key):
                by_partition.setdefault(pk, []).append(key)
        job = defs.resolve_implicit_global_asset_job_def()
        for pk, keys in sorted(by_partition.items(), key=lambda kv: str(kv[0])):
            out = job.execute_in_process(partition_key=pk, asset_selection=keys, instance=self.instance,
                                         run_config=QUIET, raise_on_error=False)
            assert out.success, f"automation run for {pk} failed: {_failures(out)}"
        return len(by_partition)

    def wake(self, name: str) -> datetime | None:
        cursor = self.cursors.get(name)
        if not cursor:
            return None
        return (PregameState.loads(cursor) if name.startswith("pregame") else ResultsState.loads(cursor)).wake


@pytest.fixture
def unattended_lake(tmp_path, lake_root, monkeypatch):
    # sampling off: the windows alone, so the run count stays small; a clock of its own (not shared)
    path = write_config(tmp_path, sampling={"mode": "off"}, demo={"sports": [NBA]},
                        simulator__clock={"start": START.isoformat(), "speed": 0})
    monkeypatch.setenv("LINELOGIC_CONFIG", path)
    return lake_root, load_config(path)


def test_two_days_unattended_bronze_silver_gold_for_every_game_with_all_five_windows(unattended_lake) -> None:
    lake_root, cfg = unattended_lake
    sim = simulator_for(cfg)
    sensors = ["pregame_snapshots_nba", "results_nba"]
    with dg.instance_for_test() as instance:
        daemon = Daemon(instance)
        t, ticks, automated, pending, last_auto = START, 0, 0, 0, START
        while t <= END:
            sim.clock.set(t)
            pending += sum(daemon.tick_sensor(name) for name in sensors)
            if pending and t - last_auto >= AUTOMATION_EVERY:
                automated += daemon.tick_automation()
                pending, last_auto = 0, t
            ticks += 1
            wakes = [w for name in sensors if (w := daemon.wake(name)) is not None and w > t]
            t = min([*wakes, t + timedelta(minutes=30)])
        automated += daemon.tick_automation()
        assert daemon.tick_automation() == 0, "nothing left for the automation once it has caught up"

    triggers = [r.tags.get("linelogic/trigger") for r in daemon.runs]
    assert {"pregame", "results"} <= set(triggers) and automated > 0
    games = {d: [g for g in sim.games("nba", d) if not g.postponed] for d in SLATES}
    for day in SLATES:
        # silver: every game is final with its result, and its odds were snapshotted before commence
        events = read_partition(lake_root, "event", NBA, day)
        results = read_partition(lake_root, "event_result", NBA, day)
        assert len(events) == len(games[day]) and set(events["status"]) == {"final"}
        assert set(results["canonical_event_id"]) == set(events["canonical_event_id"])
        odds = read_partition(lake_root, "odds_snapshot", NBA, day)
        assert set(odds.loc[~odds["is_live"], "canonical_event_id"]) == set(events["canonical_event_id"])
    # gold: every game has a training row at each of the five windows, with a consensus price
    with duckdb.connect(str(gold_database(lake_root)), read_only=True) as con:
        rows = con.execute(
            "SELECT slate_date, canonical_event_id, bucket, h2h_home_fair_prob FROM gold.pregame_training_rows"
        ).df()
    for day in SLATES:
        mine = rows[rows["slate_date"].dt.date == day] if hasattr(rows["slate_date"], "dt") else rows
        assert mine.groupby("canonical_event_id")["bucket"].apply(set).eq(
            {"OPEN", "T-6h", "T-60m", "T-15m", "CLOSE"}).all()
        assert mine["canonical_event_id"].nunique() == len(games[day])
        assert mine["h2h_home_fair_prob"].notna().all()
    # every window was met by a live snapshot taken just before it: no historical odds were bought
    store = BronzeStore(lake_root)
    for day in SLATES:
        paid = [m["totals"]["cost"] for _, m in store.manifests("oddsapi", NBA, day, "historical_odds")]
        assert sum(paid) == 0, f"{day}: historical odds bought although the sensor was on time"
