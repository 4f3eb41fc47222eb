"""Failure alerts: a failed run or a failed asset check posts once to the configured webhook.

Deduplicated per failure: a run is alerted once (a marker under the lake survives sensor restarts), a
check once per asset × check × partition until it passes again, so a partition that keeps failing the
same way on every automated rebuild does not flood the channel. An alert the webhook refused is kept
and retried on the next tick.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import dagster as dg
from dagster._core.storage.dagster_run import FINISHED_STATUSES

from linelogic_assets.resources import AlertDeliveryError, AlertWebhookResource, LakeResource

FINISHED = list(FINISHED_STATUSES)
MAX_OPEN = 5000  # failing checks remembered for dedupe; the oldest are forgotten first
BATCH = 500


def _sent_marker(lake: LakeResource, key: str):
    return lake.root / "alerts" / "sent" / f"{key}.json"


def _root_cause(error) -> str:
    """The user's exception, not Dagster's wrapper around it."""
    while error is not None and error.cause is not None:
        error = error.cause
    return error.message.strip() if error is not None else ""


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
    steps = {e.step_key: _root_cause(e.event_specific_data.error) for e in context.get_step_failure_events()}
    partition = run.tags.get("dagster/partition", "-")
    description = "\n".join(f"**{k}**: {v[:500]}" for k, v in steps.items()) or (context.failure_event.message or "")
    alerts.post(  # raises AlertDeliveryError: the tick fails and Dagster hands the failure over again
        f"Run failed: {run.job_name} [{partition}]",
        description,
        {"run_id": run.run_id, "job": run.job_name, "partition": partition,
         "trigger": run.tags.get("linelogic/trigger", run.tags.get("dagster/sensor_name", "manual"))},
    )
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps({"run_id": run.run_id, "job": run.job_name}))


class CheckAlertState:
    def __init__(self, cursor: str | None) -> None:
        d = json.loads(cursor) if cursor else {}
        # runs are read in the order they finished; `after` is the last finish time read, `seen` the runs
        # read at exactly that time (so a tie is neither skipped nor read twice)
        self.after: str | None = d.get("after")
        self.seen: list[str] = d.get("seen", [])
        self.open: dict[str, str] = d.get("open", {})  # failing check key → run that first failed it
        self.unsent: list[dict] = d.get("unsent", [])

    def dumps(self) -> str:
        while len(self.open) > MAX_OPEN:
            self.open.pop(next(iter(self.open)))
        return json.dumps({"after": self.after, "seen": self.seen, "open": self.open,
                           "unsent": self.unsent[-MAX_OPEN:]})


def _finished_runs(instance: dg.DagsterInstance, state: CheckAlertState) -> list[dg.DagsterRun]:
    """Runs that finished since the cursor, oldest first (works on every run and event storage). The first
    tick starts from the newest finished run: alerts are for failures from now on, not the instance's past."""
    if state.after is None and not state.seen:
        latest = instance.get_run_records(filters=dg.RunsFilter(statuses=FINISHED), order_by="update_timestamp",
                                          ascending=False, limit=1)
        stamp = latest[0].update_timestamp.astimezone(UTC) if latest else datetime.now(UTC)
        state.after, state.seen = stamp.isoformat(), [r.dagster_run.run_id for r in latest]
        return []
    after = datetime.fromisoformat(state.after) if state.after else None
    records = instance.get_run_records(
        filters=dg.RunsFilter(statuses=FINISHED, updated_after=after - timedelta(seconds=1) if after else None),
        order_by="update_timestamp", ascending=True, limit=BATCH,
    )
    out = []
    for rec in records:
        stamp = rec.update_timestamp.astimezone(UTC)
        if after is not None and (stamp < after or (stamp == after and rec.dagster_run.run_id in state.seen)):
            continue
        if after is None or stamp > after:
            after, state.seen = stamp, []
        state.seen.append(rec.dagster_run.run_id)
        out.append(rec.dagster_run)
    state.after = after.isoformat() if after else None
    return out


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
    runs = _finished_runs(context.instance, state)
    for run in runs:
        for entry in context.instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION):
            ev = entry.dagster_event.event_specific_data
            key = f"{ev.asset_key.to_user_string()}.{ev.check_name}@{ev.partition or '-'}"
            if ev.passed:
                state.open.pop(key, None)
                continue
            if key in state.open or (ev.severity == dg.AssetCheckSeverity.WARN and not warn_too):
                continue
            state.open[key] = run.run_id
            state.unsent.append({
                "key": key, "run_id": run.run_id, "severity": ev.severity.value,
                "description": ev.description or "",
                "metadata": {k: str(v.value)[:200] for k, v in ev.metadata.items()},
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
    skip = None if sent else f"{len(runs)} finished run(s) read, no new check failure sent"
    return dg.SensorResult(cursor=state.dumps(), skip_reason=skip)


alert_sensors = [alert_on_run_failure, alert_on_check_failure]
