"""One bronze materialization: the writers it opens, its run manifest, its checks and its metadata."""

from __future__ import annotations

import json
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import dagster as dg

from linelogic_assets.bronze.checkpoints import CheckpointStore
from linelogic_assets.bronze.store import BronzeStore, BronzeWriter, HeldResponse, Source
from linelogic_assets.lake import contracts
from linelogic_assets.lake.ranges import Slate, SlateLog, check_outputs, evaluation_of, slates
from linelogic_assets.partitions import sport_date_partitions
from linelogic_assets.providers.errors import MalformedResponseError, ProviderError
from linelogic_assets.redact import one_line, scrub
from linelogic_assets.resources import LakeResource
from linelogic_assets.sports import League, league_for

CHECK_VALID_JSON = "valid_json"
CHECK_REQUIRED_KEYS = "required_keys"
CHECK_SNAPSHOT_TIME = "snapshot_time_recorded"
CHECK_CALLS_COMPLETE = "calls_complete"
CHECK_WINDOWS_ON_TIME = "windows_on_time"

CALLS_COMPLETE = (
    "Every call the run needed was answered and stored: none failed for good (5xx, 429 or a malformed body "
    "after its retries, a timeout, an unreachable provider, a rejected request) and none was left unsent by "
    "an open circuit breaker; on odds, every due window target is held. ERROR so the run, the demo summary "
    "and the alerts say data was lost; not blocking, so a slate that lost some targets still gets silver and "
    "gold for what it holds, and a re-run buys only what is missing. (A wrong key fails the run instead.)"
)
WINDOWS_ON_TIME = (
    "Every due window target of a slate tracked live was met live: none was bought late as a historical "
    "snapshot after its moment passed, none is missing. WARN: the data is still sound (a historical "
    "snapshot is never later than its target), but the pregame sensor missed the window."
)


def bronze_check_specs(asset_name: str, *, odds: bool = False) -> list[dg.AssetCheckSpec]:
    names = [
        (CHECK_VALID_JSON, "Every response of the run parses as JSON (invalid bodies are kept, not dropped)."),
        (CHECK_REQUIRED_KEYS, "Every response has the keys its endpoint's contract requires."),
        (CHECK_CALLS_COMPLETE, CALLS_COMPLETE),
    ]
    if odds:
        names.append((CHECK_SNAPSHOT_TIME, "Every odds response records the snapshot time it was observed at."))
        names.append((CHECK_WINDOWS_ON_TIME, WINDOWS_ON_TIME))
    with warnings.catch_warnings():  # partitioned checks are Preview in 1.13; we rely on them knowingly
        warnings.simplefilter("ignore", dg.PreviewWarning)
        return [
            dg.AssetCheckSpec(name, asset=asset_name, description=desc, partitions_def=sport_date_partitions)
            for name, desc in names
        ]


@dataclass(frozen=True)
class TargetAccount:
    """The odds asset's window targets once its calls are done: how many were due, how many are still
    unserved (lost), and per window how they were met (`planning.window_timeliness`)."""

    due: int
    lost: int
    windows: dict[str, dict[str, int]] = field(default_factory=dict)
    events_listing_failed: bool = False  # no events held because the slate's events call failed


class RunEnded(dg.Failure):
    """A provider error no later call can get past (a wrong key, credits spent): it ends the whole step, every
    slate of a range included, since each would fail the same way."""


class BronzeStep:
    """What one bronze step shares across the slates it materializes: the store, the run log and one
    checkpoint index per sport (it lists the held snapshots once, not per slate or per call)."""

    def __init__(self, context: dg.AssetExecutionContext, lake: LakeResource, provider: str, source: Source) -> None:
        self.context, self.lake, self.provider, self.source = context, lake, provider, source
        self.run_id = context.run.run_id
        self.store: BronzeStore = lake.bronze()
        self.run_log = lake.run_log(self.run_id)
        self._checkpoints: dict[str, CheckpointStore] = {}
        keys = sorted(map(str, context.partition_keys))
        self.run_log.write_config(
            {
                "run_id": self.run_id,
                "job": context.job_name,
                "partition": keys[0] if len(keys) == 1 else f"{keys[0]}...{keys[-1]}",
                "mode": lake.config.mode,
                "config": lake.config.redacted_dump(),
            }
        )

    def checkpoints(self, sport: str) -> CheckpointStore:
        if sport not in self._checkpoints:
            self._checkpoints[sport] = self.lake.checkpoints(self.provider, sport)
        return self._checkpoints[sport]


class BronzeSession:
    """One slate's bronze materialization within a step (`BronzeStep`)."""

    def __init__(self, step: BronzeStep, slate: Slate, primary_endpoint: str) -> None:
        self.context, self.lake, self.provider, self.source = step.context, step.lake, step.provider, step.source
        self.primary_endpoint = primary_endpoint
        self.sport, self.day, self.partition = slate.sport, slate.day, str(slate.key)
        self.league: League = league_for(self.sport)
        self.run_id = step.run_id
        self.store = step.store
        self.checkpoints = step.checkpoints(self.sport)
        self.writers: dict[str, BronzeWriter] = {}
        self.skipped: list[str] = []
        self.run_log = step.run_log

    @property
    def day_str(self) -> str:
        return self.day.isoformat()

    def writer(self, endpoint: str) -> BronzeWriter:
        if endpoint not in self.writers:
            self.writers[endpoint] = self.store.open(
                provider=self.provider,
                sport=self.sport,
                day=self.day,
                run_id=self.run_id,
                endpoint=endpoint,
                source=self.source,
                extra={"partition_key": self.partition, "asset": self.context.asset_key.to_user_string()},
            )
        return self.writers[endpoint]

    def log(self, message: str, level: str = "info") -> None:
        message = scrub(message)
        getattr(self.context.log, level)(message)
        self.run_log.log(level, message)

    def skip(self, reason: str) -> None:
        self.skipped.append(reason)
        self.log(f"skipped: {reason}")

    def record_failure(self, endpoint: str, err: ProviderError, request_key: str | None = None) -> None:
        """A call that failed for good: keep any raw body, note the error, and carry on (the `calls_complete`
        check counts it). A call the open breaker never sent is noted as not attempted. An error no later
        call can get past (a wrong key, credits spent) fails the run at once."""
        writer = self.writer(endpoint)
        if not err.attempted:
            writer.add_not_attempted(err, request_key=request_key)
            self.log(f"{endpoint}: {err}", "warning")
            return
        if isinstance(err, MalformedResponseError) and err.content:
            writer.add_malformed(err, request_key=request_key)
        writer.add_error(err, request_key=request_key)
        self.log(f"{endpoint}: {err}", "warning")
        if err.ends_run:
            raise self.abort(err) from None

    def abort(self, err: Exception) -> RunEnded:
        """Close every manifest as failed and build the typed failure to raise (not retried: the same
        key or budget would fail the same way)."""
        for w in self.writers.values():
            w.close("failed")
        description = one_line(f"{type(err).__name__}: {err}")
        self.run_log.record_step(
            f"{self.context.asset_key.to_python_identifier()}__{self.sport}__{self.day_str}",
            {"asset": self.context.asset_key.to_user_string(), "status": "failed", "error": description},
        )
        metadata: dict[str, Any] = {"error_type": type(err).__name__}
        if isinstance(err, ProviderError):
            metadata |= {k: v for k, v in (("provider", err.provider), ("endpoint", err.endpoint),
                                           ("status", err.status), ("code", err.code)) if v is not None}
        return RunEnded(description=description, metadata=metadata, allow_retries=False)

    # -- results -----------------------------------------------------------------------------
    def _held(self) -> list[tuple[str, HeldResponse]]:
        out = []
        for endpoint, w in self.writers.items():
            out += [(endpoint, h) for h in self.store.responses(w.folder, w.manifest)]
        return out

    @staticmethod
    def calls_complete(manifests: list[dict], targets: TargetAccount | None) -> dg.AssetCheckResult:
        """From the run's manifests: calls stored (answered, or already held as a checkpoint), failed for good
        (by error type) and not sent (breaker open); on odds, the window targets still unserved."""
        entries = [e for m in manifests for e in m["responses"]]
        stored = sum(1 for e in entries if e.get("valid_json", True) and e.get("reused") != "shared")
        by_type = Counter(e["error_type"] for m in manifests for e in m["errors"])
        failed = sum(by_type.values())
        skipped = sum(len(m.get("not_attempted", [])) for m in manifests)
        planned = stored + failed + skipped
        metadata: dict[str, Any] = {"planned": planned, "stored": stored, "failed": failed,
                                    "skipped_by_breaker": skipped}
        metadata |= {f"failed_{t}": n for t, n in sorted(by_type.items())}
        problems = []
        if failed or skipped:
            kinds = ", ".join(f"{t}: {n}" for t, n in by_type.most_common())
            problems.append(f"{failed} of {planned} calls failed for good ({kinds})"
                            + (f", {skipped} not sent (circuit breaker open)" if skipped else ""))
        if targets is not None:
            metadata |= {"window_targets_due": targets.due, "window_targets_lost": targets.lost,
                         "events_listing_failed": int(targets.events_listing_failed)}
            if targets.lost:
                problems.append(f"{targets.lost} of {targets.due} window targets lost")
            if targets.events_listing_failed:
                provider = manifests[0].get("provider") if manifests else None  # the asset that lists them
                listing = f"{provider}_events" if provider else "the events asset"
                problems.append(f"the slate's events could not be listed (see {listing}): its window "
                                "targets are unknown and none was bought")
        return dg.AssetCheckResult(
            check_name=CHECK_CALLS_COMPLETE,
            passed=not problems,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata=metadata,
            description="; ".join(problems) or None,
        )

    @staticmethod
    def windows_on_time(targets: TargetAccount) -> dg.AssetCheckResult:
        metadata: dict[str, Any] = {}
        for state in ("on_time", "backfilled", "late", "missed"):
            metadata[state] = sum(c[state] for c in targets.windows.values())
            metadata |= {f"{state}_{w}": c[state] for w, c in targets.windows.items()}
        problems = [f"{w}: " + ", ".join(f"{c[s]} {s}" for s in ("late", "missed") if c[s])
                    for w, c in targets.windows.items() if c["late"] or c["missed"]]
        legend = [text for state, text in (
            ("late", "late: bought as a historical snapshot after its moment, though the slate was tracked live"),
            ("missed", "missed: no snapshot held")) if metadata[state]]
        return dg.AssetCheckResult(
            check_name=CHECK_WINDOWS_ON_TIME,
            passed=not problems,
            severity=dg.AssetCheckSeverity.WARN,
            metadata=metadata,
            description=f"{'; '.join(problems)} ({'; '.join(legend)})" if problems else None,
        )

    def check_results(self, *, odds: bool) -> list[dg.AssetCheckResult]:
        held = self._held()
        invalid = [h.entry.get("raw_ref") or h.entry.get("ref") for _, h in held if not h.entry.get("valid_json", True)]
        key_problems: dict[str, list[str]] = {}
        for endpoint, h in held:
            if not h.entry.get("valid_json", True):
                continue
            found = contracts.problems(self.provider, endpoint, json.loads(h.read_bytes()))
            if found:
                key_problems[h.entry.get("raw_ref") or h.entry.get("ref")] = sorted(set(found))[:5]
        results = [
            dg.AssetCheckResult(
                check_name=CHECK_VALID_JSON,
                passed=not invalid,
                severity=dg.AssetCheckSeverity.ERROR,
                metadata={"responses": len(held), "invalid": len(invalid), "invalid_refs": invalid[:20]},
                description=None if not invalid else f"{len(invalid)} response(s) are not valid JSON; kept as .invalid",
            ),
            dg.AssetCheckResult(
                check_name=CHECK_REQUIRED_KEYS,
                passed=not key_problems,
                severity=dg.AssetCheckSeverity.ERROR,
                metadata={"responses_checked": len(held) - len(invalid), "failing": len(key_problems),
                          "examples": dg.MetadataValue.json(dict(list(key_problems.items())[:5]))},
            ),
        ]
        if odds:
            missing = [h.entry.get("raw_ref") or h.entry.get("ref") for _, h in held if not h.entry.get("snapshot_timestamp")]
            results.append(
                dg.AssetCheckResult(
                    check_name=CHECK_SNAPSHOT_TIME,
                    passed=not missing,
                    severity=dg.AssetCheckSeverity.ERROR,
                    metadata={"responses": len(held), "without_snapshot_time": len(missing), "refs": missing[:20]},
                )
            )
        return results

    def finish(self, *, odds: bool = False, extra_metadata: dict[str, Any] | None = None,
               targets: TargetAccount | None = None) -> dg.MaterializeResult:
        if not self.writers:  # nothing to fetch: still leave an explicit record of why
            w = self.writer(self.primary_endpoint)
            w.note(skipped=self.skipped)
        manifests = {ep: w.close() for ep, w in self.writers.items()}
        totals = {k: sum(m["totals"][k] for m in manifests.values()) for k in next(iter(manifests.values()))["totals"]}
        checks = self.check_results(odds=odds)
        checks.append(self.calls_complete(list(manifests.values()), targets))
        if odds:
            checks.append(self.windows_on_time(targets or TargetAccount(0, 0)))
        failing = [c for c in checks if not c.passed]
        status = "ok" if not failing else "check_warned" if all(
            c.severity == dg.AssetCheckSeverity.WARN for c in failing) else "check_failed"
        summary = {
            "asset": self.context.asset_key.to_user_string(),
            "partition": self.partition,
            "status": status,
            "skipped": self.skipped,
            "metrics": {f"{self.provider}_{k}": v for k, v in totals.items()},
            "folders": [w.folder.relative_to(self.lake.root).as_posix() for w in self.writers.values()],
        }
        step = f"{self.context.asset_key.to_python_identifier()}__{self.sport}__{self.day_str}"
        self.run_log.record_step(step, summary)
        metadata: dict[str, Any] = {
            "responses": totals["responses"],
            "bytes": totals["bytes"],
            "quota_cost": totals["cost"],
            "reused_from_checkpoint": totals["reused"],
            "errors": totals["errors"],
            "not_attempted": totals["not_attempted"],
            "folders": dg.MetadataValue.json(summary["folders"]),
            "source": self.source,
        }
        if self.skipped:
            metadata["skipped"] = "; ".join(self.skipped)
        metadata.update(extra_metadata or {})
        return dg.MaterializeResult(metadata=metadata, check_results=checks)


def bronze_slates(
    context: dg.AssetExecutionContext, lake: LakeResource, provider: str, source: Source, primary_endpoint: str,
    per_slate: Callable[[BronzeSession], dg.MaterializeResult],
) -> Iterator:
    """The whole body of a bronze asset around its one-slate work (`per_slate`), for a daily run and a range.

    The slates go in date order in this one step, so each plans against the snapshots the earlier ones bought
    (what one-slate runs in date order do). Each slate's metadata and check results are recorded against its
    own partition, whether the run names one partition or a range (even a range of one). In a range, a slate
    that raises is recorded as failed and the others go on (partial success: `SlateLog`), and a run-ending
    provider error (`RunEnded`) stops the range, the slates after it marked not attempted; a one-slate run
    lets either through as is.
    """
    step, todo = BronzeStep(context, lake, provider, source), slates(context)
    log, key = SlateLog(context), context.asset_key
    with step.run_log.batch():
        for i, slate in enumerate(todo):
            try:
                result = per_slate(BronzeSession(step, slate, primary_endpoint))
            except Exception as error:  # one slate's failure must not cost the range the others
                if len(todo) == 1:
                    raise
                log.fail(slate, error)
                if isinstance(error, RunEnded):
                    for later in todo[i + 1:]:
                        log.fail(later, RunEnded(description=f"not attempted: {error.description}"))
                    break
                continue
            log.done(slate, {key.path[-1]: dict(result.metadata or {})})
            yield from (evaluation_of(key, c, str(slate.key)) for c in result.check_results or ())
    yield from log.finish(lambda _slate: None)  # bronze is written as it is fetched
    yield from check_outputs(context)
    yield dg.MaterializeResult()
