"""One bronze materialization: the writers it opens, its run manifest, its checks and its metadata."""

from __future__ import annotations

import json
import warnings
from typing import Any

import dagster as dg

from linelogic_assets.bronze import contracts
from linelogic_assets.bronze.store import BronzeWriter, HeldResponse, Source
from linelogic_assets.partitions import sport_and_date, sport_date_partitions
from linelogic_assets.providers.errors import MalformedResponseError, ProviderError
from linelogic_assets.redact import scrub
from linelogic_assets.resources import LakeResource
from linelogic_assets.sports import League, league_for

CHECK_VALID_JSON = "valid_json"
CHECK_REQUIRED_KEYS = "required_keys"
CHECK_SNAPSHOT_TIME = "snapshot_time_recorded"


def bronze_check_specs(asset_name: str, *, odds: bool = False) -> list[dg.AssetCheckSpec]:
    names = [
        (CHECK_VALID_JSON, "Every response of the run parses as JSON (invalid bodies are kept, not dropped)."),
        (CHECK_REQUIRED_KEYS, "Every response has the keys its endpoint's contract requires."),
    ]
    if odds:
        names.append((CHECK_SNAPSHOT_TIME, "Every odds response records the snapshot time it was observed at."))
    with warnings.catch_warnings():  # partitioned checks are Preview in 1.13; we rely on them knowingly
        warnings.simplefilter("ignore", dg.PreviewWarning)
        return [
            dg.AssetCheckSpec(name, asset=asset_name, description=desc, partitions_def=sport_date_partitions)
            for name, desc in names
        ]


class BronzeSession:
    def __init__(
        self, context: dg.AssetExecutionContext, lake: LakeResource, provider: str, source: Source, primary_endpoint: str
    ) -> None:
        self.context, self.lake, self.provider, self.source = context, lake, provider, source
        self.primary_endpoint = primary_endpoint
        self.sport, self.day = sport_and_date(context)
        self.league: League = league_for(self.sport)
        self.run_id = context.run.run_id
        self.store = lake.bronze()
        # one checkpoint index per materialization: it lists the held snapshots once, not per call
        self.checkpoints = lake.checkpoints(provider, self.sport)
        self.writers: dict[str, BronzeWriter] = {}
        self.skipped: list[str] = []
        self.run_log = lake.run_log(self.run_id)
        self.run_log.write_config(
            {
                "run_id": self.run_id,
                "job": context.job_name,
                "partition": str(context.partition_key),
                "mode": lake.config.mode,
                "config": lake.config.redacted_dump(),
            }
        )

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
                extra={"partition_key": str(self.context.partition_key), "asset": self.context.asset_key.to_user_string()},
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
        """A call that failed for good: keep any raw body, note the error, and carry on."""
        writer = self.writer(endpoint)
        if isinstance(err, MalformedResponseError) and err.content:
            writer.add_malformed(err, request_key=request_key)
        writer.add_error(err, request_key=request_key)
        self.log(f"{endpoint}: {err}", "warning")

    def abort(self, err: Exception) -> dg.Failure:
        """Close every manifest as failed and build the typed failure to raise."""
        for w in self.writers.values():
            w.close("failed")
        self.run_log.record_step(
            f"{self.context.asset_key.to_python_identifier()}__{self.sport}__{self.day_str}",
            {"asset": self.context.asset_key.to_user_string(), "status": "failed", "error": scrub(str(err))},
        )
        return dg.Failure(description=scrub(f"{type(err).__name__}: {err}"), allow_retries=False)

    # -- results -----------------------------------------------------------------------------
    def _held(self) -> list[tuple[str, HeldResponse]]:
        out = []
        for endpoint, w in self.writers.items():
            out += [(endpoint, h) for h in self.store.responses(w.folder, w.manifest)]
        return out

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

    def finish(self, *, odds: bool = False, extra_metadata: dict[str, Any] | None = None) -> dg.MaterializeResult:
        if not self.writers:  # nothing to fetch: still leave an explicit record of why
            w = self.writer(self.primary_endpoint)
            w.note(skipped=self.skipped)
        manifests = {ep: w.close() for ep, w in self.writers.items()}
        totals = {k: sum(m["totals"][k] for m in manifests.values()) for k in next(iter(manifests.values()))["totals"]}
        checks = self.check_results(odds=odds)
        summary = {
            "asset": self.context.asset_key.to_user_string(),
            "partition": str(self.context.partition_key),
            "status": "ok" if all(c.passed for c in checks) else "check_failed",
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
            "folders": dg.MetadataValue.json(summary["folders"]),
            "source": self.source,
        }
        if self.skipped:
            metadata["skipped"] = "; ".join(self.skipped)
        metadata.update(extra_metadata or {})
        return dg.MaterializeResult(metadata=metadata, check_results=checks)
