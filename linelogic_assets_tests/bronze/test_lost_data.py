"""A bronze run that lost data says so. A wrong key fails the run at once; calls that failed for good, calls
the open circuit breaker never sent, and window targets left unserved fail the `calls_complete` check (ERROR,
non-blocking), which the demo's terminal summary and the alerts sensor show. The manifest records it all."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from linelogic_assets.bronze.assets import bronze_assets
from linelogic_assets.bronze.session import CHECK_CALLS_COMPLETE as CALLS_COMPLETE
from linelogic_assets.cli import main
from linelogic_assets.config import load_config
from linelogic_assets.partitions import partition_key
from linelogic_assets.providers.oddsapi.assets import oddsapi_events, oddsapi_odds
from linelogic_assets.resources import AlertWebhookResource, LakeResource
from linelogic_assets.sensors.alerts import alert_on_check_failure
from linelogic_assets.simulator import Simulator
from linelogic_assets_tests.bronze.test_assets import NBA_DAY, manifests, resources, write_config
from linelogic_assets_tests.sensors.test_alerts import Receiver
from linelogic_assets_tests.simulator.test_serve_cli import _free_port

NBA = "basketball_nba"
PARTITION = f"{NBA_DAY}|{NBA}"
WRONG_KEY = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"  # shaped like a real key: it must reach no text
NO_WAIT = {"backoff_base_seconds": 0, "timeout_seconds": 5}
# the assets of a past NBA slate that call a provider (the others skip: scores are out of /scores' reach,
# injuries are current-state only, players and lineups need held games)
KEYED = {"oddsapi_events", "balldontlie_teams", "balldontlie_games", "balldontlie_stats"}
CALLING = KEYED | {"polymarket_events"}  # Polymarket is public: no key to be wrong


def config_in(tmp_path: Path, name: str, **updates) -> str:
    """A config file of its own (the resources cache configs by path)."""
    (tmp_path / name).mkdir(exist_ok=True)
    return write_config(tmp_path / name, **updates)


def calls_checks(result) -> dict[str, dg.AssetCheckEvaluation]:
    return {c.asset_key.to_user_string(): c for c in result.get_asset_check_evaluations()
            if c.check_name == CALLS_COMPLETE}


def values(check: dg.AssetCheckEvaluation) -> dict:
    return {k: v.value for k, v in check.metadata.items()}


def materialize(assets, config: str, instance, simulator_url: str | None = None):
    return dg.materialize(assets, partition_key=partition_key(NBA, NBA_DAY), instance=instance,
                          resources=resources(config, simulator_url), raise_on_error=False)


def served(config: str, assets, instance):
    """One run against a fresh simulator over HTTP (its fault sequence starts at the first request)."""
    with Simulator(load_config(config).simulator).serve() as server:
        return materialize(assets, config, instance, server.url)


def hold_events(tmp_path: Path, instance) -> None:
    """The slate's events, fetched without faults, so the odds asset has window targets it can lose."""
    assert served(config_in(tmp_path, "clean"), [oddsapi_events], instance).success


@pytest.fixture
def instance():
    with dg.instance_for_test() as inst:
        yield inst


@pytest.fixture
def simulator_serve() -> Iterator[str]:
    """`linelogic simulator serve` on a free loopback port (keys: the default config's `demo`)."""
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "linelogic_assets.cli", "simulator", "serve", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert "LineLogic simulator on" in proc.stdout.readline()
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def live_config(tmp_path: Path, monkeypatch, base_url: str, key: str, **updates) -> str:
    monkeypatch.setenv("ODDS_API_KEY", key)
    monkeypatch.setenv("BALLDONTLIE_API_KEY", key)
    return write_config(tmp_path, mode="live", oddsapi__base_url=base_url, balldontlie__base_url=base_url,
                        polymarket__gamma_base_url=f"{base_url}/polymarket/gamma",
                        polymarket__clob_base_url=f"{base_url}/polymarket/clob", **updates)


def test_a_wrong_key_fails_the_run_at_once_with_one_redacted_line(tmp_path, lake_root, instance, monkeypatch,
                                                                  simulator_serve) -> None:
    config = live_config(tmp_path, monkeypatch, simulator_serve, WRONG_KEY)
    result = materialize(bronze_assets, config, instance)
    assert not result.success, "a wrong key is not a run that succeeded"
    failures = {e.step_key: e.step_failure_data for e in result.all_events if e.is_step_failure}
    assert set(failures) == KEYED, "each step that called a keyed provider failed; nothing downstream ran"
    for step, data in failures.items():
        text = data.user_failure_data.description
        assert "\n" not in text and "AuthError" in text and "HTTP 401" in text, (step, text)
        assert WRONG_KEY not in text
    mats = {m.asset_key.to_user_string() for m in result.get_asset_materialization_events()}
    assert "oddsapi_odds" not in mats and not mats & KEYED
    live_root = lake_root.parent / "live"
    (events,) = manifests(live_root, "oddsapi", "historical_events")
    assert events["status"] == "failed" and events["responses"] == []
    (err,) = events["errors"]  # at once: the first 401 ends the step, no second call, no retry
    assert err["error_type"] == "AuthError" and err["status"] == 401 and err["code"] == "INVALID_KEY"
    for endpoint in ("teams", "games", "stats"):
        (m,) = manifests(live_root, "balldontlie", endpoint)
        assert m["status"] == "failed" and [e["error_type"] for e in m["errors"]] == ["AuthError"]
    leaks = [p for p in live_root.rglob("*") if p.is_file() and WRONG_KEY.encode() in p.read_bytes()]
    assert leaks == [] and all(WRONG_KEY not in repr(e) for e in instance.all_logs(result.run_id))


@pytest.mark.parametrize(
    ("faults", "error_type"),
    [({"rate_5xx": 1.0}, "ServerError"), ({"rate_timeout": 1.0}, "ProviderTimeoutError")],
)
def test_a_provider_that_only_fails_fails_the_check_of_every_asset_that_called_it(
    tmp_path, lake_root, instance, faults, error_type
) -> None:
    retry = {"max_attempts": 2, **NO_WAIT}
    config = write_config(tmp_path, simulator__faults={**faults, "seed": 11}, oddsapi__retry=retry,
                          balldontlie__retry=retry, polymarket__retry=retry)
    result = materialize(bronze_assets, config, instance)  # in-process: an injected timeout raises at once
    assert result.success, "a non-blocking check: silver still gets whatever bronze holds"
    checks = calls_checks(result)
    assert set(checks) == {a.key.to_user_string() for a in bronze_assets}, "every bronze asset has the check"
    failing = {k for k, c in checks.items() if not c.passed}
    assert failing == CALLING | {"oddsapi_odds"}, "odds: the events it plans from could not be listed"
    for name in CALLING:
        c = checks[name]
        assert c.severity == dg.AssetCheckSeverity.ERROR
        v = values(c)
        assert (v["planned"], v["stored"], v["failed"], v["skipped_by_breaker"]) == (1, 0, 1, 0), (name, v)
        assert v[f"failed_{error_type}"] == 1
        assert c.description.startswith("1 of 1 calls failed for good"), c.description
    odds = values(checks["oddsapi_odds"])
    assert odds["events_listing_failed"] == 1 and odds["planned"] == 0
    (events,) = manifests(lake_root, "oddsapi", "historical_events")
    assert events["status"] == "partial" and events["errors"][0]["error_type"] == error_type


def test_connection_refused_fails_the_check_with_a_typed_error(tmp_path, lake_root, instance, monkeypatch) -> None:
    closed = f"http://127.0.0.1:{_free_port()}"  # nothing listens there
    config = live_config(tmp_path, monkeypatch, closed, "demo",
                         **{f"{p}__retry": {"max_attempts": 2, **NO_WAIT} for p in ("oddsapi", "balldontlie", "polymarket")})
    result = materialize(bronze_assets, config, instance)
    assert result.success
    checks = calls_checks(result)
    assert {k for k, c in checks.items() if not c.passed} == CALLING | {"oddsapi_odds"}
    for name in CALLING:
        assert values(checks[name])["failed_UnreachableError"] == 1, name
    (events,) = manifests(lake_root.parent / "live", "oddsapi", "historical_events")
    assert events["errors"][0]["error_type"] == "UnreachableError"


def plan_slates(capsys, config: str, start: str, end: str) -> list[dict]:
    """The planner's view of NBA slates now (`linelogic plan backfill`): per slate, what is held and what is
    left to buy."""
    assert main(["--config", config, "plan", "backfill", "--sport", "nba", "--start", start, "--end", end,
                 "--format", "json", "--per-slate"]) == 0
    return [s for s in json.loads(capsys.readouterr().out)["per_slate"] if s["games"]]


def still_needed(capsys, config: str) -> dict:
    (slate,) = plan_slates(capsys, config, NBA_DAY, NBA_DAY)
    return slate


def test_a_quarter_of_window_targets_lost_to_faults_fails_the_check_with_the_count(
    tmp_path, lake_root, instance, capsys
) -> None:
    hold_events(tmp_path, instance)
    faulty = config_in(tmp_path, "faulty", simulator__faults={"rate_5xx": 0.25, "seed": 5},
                       oddsapi__retry={"max_attempts": 1, "circuit_breaker_failures": 20, **NO_WAIT})
    result = served(faulty, [oddsapi_odds], instance)
    assert result.success
    check = calls_checks(result)["oddsapi_odds"]
    v = values(check)
    left = still_needed(capsys, config_in(tmp_path, "clean"))
    lost = left["targets"] - left["held"] - left["shared"]
    assert 0.15 <= lost / v["window_targets_due"] <= 0.35, "about a quarter of the slate's targets was lost"
    assert not check.passed and check.severity == dg.AssetCheckSeverity.ERROR
    assert v["window_targets_lost"] == lost, "the check counts exactly the targets the planner still lacks"
    (odds,) = manifests(lake_root, "oddsapi", "historical_odds")
    assert v["failed"] == v["failed_ServerError"] == len(odds["errors"]) > 0
    assert v["stored"] == len([e for e in odds["responses"] if e.get("file")])
    assert f"{lost} of {v['window_targets_due']} window targets lost" in check.description


def test_when_the_breaker_opens_the_rest_is_recorded_as_not_attempted_and_counted(tmp_path, lake_root,
                                                                                 instance) -> None:
    hold_events(tmp_path, instance)
    down = config_in(tmp_path, "down", simulator__faults={"rate_5xx": 1.0},
                     oddsapi__retry={"max_attempts": 5, "circuit_breaker_failures": 5, **NO_WAIT})
    result = served(down, [oddsapi_odds], instance)
    check = calls_checks(result)["oddsapi_odds"]
    v = values(check)
    (mat,) = result.get_asset_materialization_events()
    calls = mat.materialization.metadata["historical_calls_planned"].value
    assert calls > 2
    assert not check.passed
    assert (v["planned"], v["failed"], v["skipped_by_breaker"]) == (calls, 1, calls - 1)
    assert v["window_targets_lost"] == v["window_targets_due"] > 0
    (odds,) = manifests(lake_root, "oddsapi", "historical_odds")
    assert [e["error_type"] for e in odds["errors"]] == ["ServerError"], "the call that tripped it failed"
    skipped = odds["not_attempted"]
    assert len(skipped) == calls - 1 and all("circuit" in s["reason"] and s["request_key"] for s in skipped)
    assert odds["status"] == "partial" and odds["totals"]["not_attempted"] == calls - 1


def test_the_demo_summary_shows_the_lost_targets_as_an_error_and_exits_1(tmp_path, lake_root, capsys,
                                                                        monkeypatch, instance) -> None:
    hold_events(tmp_path, instance)  # so the faults fall on the odds calls (the events are a checkpoint hit)
    config = write_config(tmp_path, simulator__faults={"rate_5xx": 0.3, "seed": 5},
                          oddsapi__retry={"max_attempts": 1, "circuit_breaker_failures": 20, **NO_WAIT},
                          balldontlie__retry={"max_attempts": 5, **NO_WAIT})
    monkeypatch.delenv("LINELOGIC_CONFIG", raising=False)  # --config alone must reach the demo's runs
    code = main(["--config", config, "demo", "--start", NBA_DAY, "--days", "1", "--sport", NBA])
    out = capsys.readouterr().out
    assert code == 1, out
    assert re.search(rf"{NBA_DAY} FAILED: .* [1-9]\d* error", out), out
    line = re.search(r"ERROR oddsapi_odds\.calls_complete: (\d+) of (\d+) calls failed for good.*?; "
                     r"(\d+) of (\d+) window targets lost", out)
    assert line and int(line.group(1)) > 0 and int(line.group(3)) > 0, out


def test_the_alerts_sensor_posts_each_lost_data_check_once(tmp_path, lake_root, instance, monkeypatch) -> None:
    receiver = Receiver()
    monkeypatch.setenv("LINELOGIC_ALERT_WEBHOOK_URL", receiver.url)
    try:
        retry = {"max_attempts": 2, **NO_WAIT}
        config = write_config(tmp_path, simulator__faults={"rate_5xx": 1.0, "seed": 12}, oddsapi__retry=retry,
                              balldontlie__retry=retry, polymarket__retry=retry)
        res = {"lake": LakeResource(config_path=config), "alerts": AlertWebhookResource(config_path=config)}

        def tick(cursor):
            ctx = dg.build_sensor_context(instance=instance, cursor=cursor, resources=res)
            return alert_on_check_failure.evaluate_tick(ctx).cursor

        cursor = tick(None)
        assert materialize(bronze_assets, config, instance).success
        tick(cursor)
        titles = sorted(b["content"] for b in receiver.bodies)
        assert titles == sorted(f"Check failed (ERROR): {a}.calls_complete@{PARTITION}"
                                for a in CALLING | {"oddsapi_odds"})
        events = next(b for b in receiver.bodies if "oddsapi_events" in b["content"])
        assert events["embeds"][0]["description"].startswith("1 of 1 calls failed for good (ServerError")
    finally:
        receiver.close()
