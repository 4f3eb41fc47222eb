"""Failure alerts: a failed run or a failed asset check posts once to the configured webhook.

Deduplicated per failure: a run is alerted once (a marker under the lake survives sensor restarts), a
check once per asset × check × partition until it passes again, so a partition that keeps failing the
same way on every automated rebuild does not flood the channel. An alert the webhook refused is kept
and retried on the next tick.
"""

from __future__ import annotations

import json

import dagster as dg

from linelogic_assets.bronze.store import BronzeImmutableError, atomic_write
from linelogic_assets.resources import AlertDeliveryError, AlertWebhookResource, LakeResource

MAX_OPEN = 5000  # failing checks remembered for dedupe; the oldest are forgotten first
BATCH = 500


def _sent_marker(lake: LakeResource, key: str):
    return lake.root / "alerts" / "sent" / f"{key}.json"


@dg.run_failure_sensor(
    name="alert_on_run_failure",
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Posts each failed run (job, partition, failing steps and their errors) to the alert webhook.",
)
def alert_on_run_failure(context: dg.RunFailureSensorContext, lake: LakeResource, alerts: AlertWebhookResource):
    run = context.dagster_run
    marker = _sent_marker(lake, f"run_{run.run_id}")
    if marker.exists() or alerts.url is None:
        return
    steps = {e.step_key: (e.event_specific_data.error.message.strip() if e.event_specific_data.error else "")
             for e in context.get_step_failure_events()}
    partition = run.tags.get("dagster/partition", "-")
    description = "\n".join(f"**{k}**: {v[:500]}" for k, v in steps.items()) or (context.failure_event.message or "")
    alerts.post(  # raises AlertDeliveryError: the tick fails and Dagster hands the failure over again
        f"Run failed: {run.job_name} [{partition}]",
        description,
        {"run_id": run.run_id, "job": run.job_name, "partition": partition,
         "trigger": run.tags.get("linelogic/trigger", run.tags.get("dagster/sensor_name", "manual"))},
    )
    try:
        atomic_write(marker, json.dumps({"run_id": run.run_id, "job": run.job_name}).encode())
    except BronzeImmutableError:
        pass


class CheckAlertState:
    def __init__(self, cursor: str | None) -> None:
        d = json.loads(cursor) if cursor else {}
        self.after: int | None = d.get("after")
        self.open: dict[str, str] = d.get("open", {})  # failing check key → run that first failed it
        self.unsent: list[dict] = d.get("unsent", [])

    def dumps(self) -> str:
        while len(self.open) > MAX_OPEN:
            self.open.pop(next(iter(self.open)))
        return json.dumps({"after": self.after, "open": self.open, "unsent": self.unsent[-MAX_OPEN:]})


@dg.sensor(
    name="alert_on_check_failure",
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Posts each asset check that starts failing (ERROR severity; WARN too with "
    "automation.alerts.include_warnings) to the alert webhook, once until it passes again.",
)
def alert_on_check_failure(context: dg.SensorEvaluationContext, lake: LakeResource, alerts: AlertWebhookResource):
    state = CheckAlertState(context.cursor)
    warn_too = lake.config.automation.alerts.include_warnings
    records = context.instance.get_event_records(
        dg.EventRecordsFilter(event_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION, after_cursor=state.after),
        limit=BATCH, ascending=True,
    )
    for rec in records:
        state.after = rec.storage_id
        ev = rec.event_log_entry.dagster_event.event_specific_data
        key = f"{ev.asset_key.to_user_string()}.{ev.check_name}@{ev.partition or '-'}"
        if ev.passed:
            state.open.pop(key, None)
            continue
        if key in state.open or (ev.severity == dg.AssetCheckSeverity.WARN and not warn_too):
            continue
        state.open[key] = rec.run_id
        state.unsent.append({
            "key": key, "run_id": rec.run_id, "severity": ev.severity.value,
            "description": ev.description or "", "metadata": {k: str(v.value)[:200] for k, v in ev.metadata.items()},
        })
    sent = 0
    if alerts.url is None:
        state.unsent = []  # nowhere to send: the checks page still shows them
    while state.unsent:
        a = state.unsent[0]
        try:
            alerts.post(f"Check failed ({a['severity']}): {a['key']}", a["description"] or "see the asset's checks page",
                        {"run_id": a["run_id"], **dict(list(a["metadata"].items())[:6])})
        except AlertDeliveryError as err:
            context.log.warning(f"{err}; {len(state.unsent)} alert(s) kept for the next tick")
            break
        state.unsent.pop(0)
        sent += 1
    return dg.SensorResult(cursor=state.dumps(), skip_reason=None if sent else f"{len(records)} evaluations read, no new failure")


alert_sensors = [alert_on_run_failure, alert_on_check_failure]
