"""Failure alerts posted to a Discord-compatible webhook served on loopback, deduplicated per failure."""

import json

import dagster as dg
import pytest

from linelogic_assets.resources import AlertWebhookResource, LakeResource
from linelogic_assets.sensors.alerts import alert_on_check_failure, alert_on_run_failure
from linelogic_assets_tests.bronze.test_assets import write_config
from linelogic_assets_tests.loopback import LoopbackServer

SECRET_TOKEN = "tok-9f8e7d6c5b4a"


class Receiver:
    """A webhook on 127.0.0.1 that records each JSON body; `status` sets what it answers."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        self.status = 204
        self.server = LoopbackServer(self._respond)

    def _respond(self, method: str, path: str, headers, body: bytes) -> tuple[int, bytes]:
        if self.status < 300:
            self.bodies.append(json.loads(body))
        return self.status, b""

    @property
    def url(self) -> str:
        return f"{self.server.url}/api/webhooks/1/{SECRET_TOKEN}"

    def close(self) -> None:
        self.server.close()


@pytest.fixture
def receiver(monkeypatch):
    r = Receiver()
    monkeypatch.setenv("LINELOGIC_ALERT_WEBHOOK_URL", r.url)
    yield r
    r.close()


@dg.asset(check_specs=[dg.AssetCheckSpec("never_negative", asset="scores")])
def scores(context: dg.AssetExecutionContext):
    bad = context.run.tags.get("bad") == "1"
    return dg.MaterializeResult(check_results=[dg.AssetCheckResult(
        check_name="never_negative", passed=not bad, severity=dg.AssetCheckSeverity.ERROR,
        description="2 rows have a negative score" if bad else None, metadata={"negative": 2 if bad else 0})])


@dg.asset
def explodes() -> None:
    raise RuntimeError("provider said no: https://api.the-odds-api.com/v4/sports?apiKey=abcdef123456")


def resources(tmp_path) -> dict:
    config = write_config(tmp_path)
    return {"lake": LakeResource(config_path=config), "alerts": AlertWebhookResource(config_path=config)}


def check_tick(instance, res, cursor):
    ctx = dg.build_sensor_context(instance=instance, cursor=cursor, resources=res)
    data = alert_on_check_failure.evaluate_tick(ctx)
    return data.cursor


def test_a_failing_check_posts_once_until_it_passes_again(tmp_path, lake_root, receiver) -> None:
    res = resources(tmp_path)
    with dg.instance_for_test() as instance:
        dg.materialize([scores], instance=instance, tags={"bad": "1"})
        cursor = check_tick(instance, res, None)
        assert receiver.bodies == [], "the first tick starts from now: the instance's past is not alerted"
        dg.materialize([scores], instance=instance)
        dg.materialize([scores], instance=instance, tags={"bad": "1"})
        cursor = check_tick(instance, res, cursor)
        assert len(receiver.bodies) == 1
        body = receiver.bodies[0]
        assert body["content"].startswith("Check failed (ERROR): scores.never_negative")
        assert body["embeds"][0]["description"] == "2 rows have a negative score"
        assert body["allowed_mentions"] == {"parse": []}
        # the same failure again (an automated rebuild) is not posted twice
        dg.materialize([scores], instance=instance, tags={"bad": "1"})
        cursor = check_tick(instance, res, cursor)
        cursor = check_tick(instance, res, cursor)
        assert len(receiver.bodies) == 1
        # it passes, then fails anew: a new failure, a new alert
        dg.materialize([scores], instance=instance)
        dg.materialize([scores], instance=instance, tags={"bad": "1"})
        check_tick(instance, res, cursor)
        assert len(receiver.bodies) == 2


def test_an_alert_the_webhook_refuses_is_kept_and_sent_on_the_next_tick(tmp_path, lake_root, receiver) -> None:
    res = resources(tmp_path)
    with dg.instance_for_test() as instance:
        cursor = check_tick(instance, res, None)
        dg.materialize([scores], instance=instance, tags={"bad": "1"})
        receiver.status = 429  # Discord's rate limit
        cursor = check_tick(instance, res, cursor)
        assert receiver.bodies == [] and json.loads(cursor)["unsent"]
        receiver.status = 204
        cursor = check_tick(instance, res, cursor)
        assert len(receiver.bodies) == 1 and json.loads(cursor)["unsent"] == []


def test_a_failed_run_posts_once_with_its_error_and_no_secret(tmp_path, lake_root, receiver) -> None:
    res = resources(tmp_path)
    with dg.instance_for_test() as instance:
        result = dg.materialize([explodes], instance=instance, raise_on_error=False)
        assert not result.success
        run = instance.get_run_by_id(result.run_id)
        failure = next(e for e in result.all_events if e.event_type == dg.DagsterEventType.RUN_FAILURE)
        for _ in range(2):  # handed over twice (a restarted daemon): posted once
            ctx = dg.build_run_status_sensor_context(
                sensor_name="alert_on_run_failure", dagster_instance=instance, dagster_run=run,
                dagster_event=failure, resources=res,
            ).for_run_failure()
            alert_on_run_failure(ctx)
        assert len(receiver.bodies) == 1
        text = json.dumps(receiver.bodies[0])
        assert "Run failed: __ephemeral_asset_job__" in text and "provider said no" in text
        assert "abcdef123456" not in text and SECRET_TOKEN not in text


def test_no_webhook_configured_sends_nothing(tmp_path, lake_root, monkeypatch) -> None:
    monkeypatch.delenv("LINELOGIC_ALERT_WEBHOOK_URL", raising=False)
    res = resources(tmp_path)
    with dg.instance_for_test() as instance:
        cursor = check_tick(instance, res, None)
        dg.materialize([scores], instance=instance, tags={"bad": "1"})
        cursor = check_tick(instance, res, cursor)
        assert json.loads(cursor)["unsent"] == [] and json.loads(cursor)["open"]
