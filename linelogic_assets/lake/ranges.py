"""Range runs: one step over many sport × date partitions that still leaves per-partition records.

A range run (a UI backfill under `BackfillPolicy.single_run()`, or `--partition-range`) reaches an asset
as one step with `context.partition_keys`. Dagster would record one materialization per partition with the
same metadata and one check evaluation with no partition. So a range-capable asset:
- walks `slates(context)` (one slate in a daily run, many in a range) with the same code either way;
- attaches each slate's own metadata with `context.add_asset_metadata(..., partition_key=)`;
- emits each slate's check results as `evaluations(...)`, which carry the partition, and ends with
  `check_outputs(context)`, the step outputs Dagster expects of the checks it ran.
The partitions and check pages then read exactly as they do after one-partition runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import dagster as dg
from dagster._core.definitions.asset_checks.asset_check_evaluation import AssetCheckEvaluation
from dagster._core.definitions.metadata import normalize_metadata

from linelogic_assets.lake.checks import Check, metadata_values, outcomes
from linelogic_assets.partitions import dims_of, partition_key
from linelogic_assets.redact import one_line


@dataclass(frozen=True)
class Slate:
    sport: str
    day: date
    key: dg.MultiPartitionKey


def slates(context: dg.AssetExecutionContext) -> list[Slate]:
    """The run's partitions in date order: one in a daily run, every key of the range in a range run."""
    out = [Slate(d["sport"], date.fromisoformat(d["date"]), partition_key(d["sport"], d["date"]))
           for d in map(dims_of, context.partition_keys)]
    return sorted(out, key=lambda s: (s.sport, s.day))


def evaluations(asset: str, inputs: Any, checks: tuple[Check, ...], partition: str) -> list[AssetCheckEvaluation]:
    """The checks of an asset on one slate's inputs, recorded against that slate's partition."""
    return [AssetCheckEvaluation(
        asset_key=dg.AssetKey(c.asset), check_name=c.name, passed=bool(o.passed), severity=c.severity,
        metadata=metadata_values(o.metadata), description=o.description, blocking=c.blocking, partition=str(partition))
        for c, o in outcomes(asset, inputs, checks)]


def evaluation_of(asset_key: dg.AssetKey, result: dg.AssetCheckResult, partition: str) -> AssetCheckEvaluation:
    """A check result built for a one-slate run, recorded against its slate's partition (the bronze checks it
    serves are not blocking)."""
    return AssetCheckEvaluation(
        asset_key=asset_key, check_name=result.check_name, passed=bool(result.passed), severity=result.severity,
        metadata=normalize_metadata(dict(result.metadata or {})), description=result.description, blocking=False,
        partition=str(partition))


def check_outputs(context: dg.AssetExecutionContext) -> Iterator[dg.Output]:
    """The (valueless) step output of every check this step runs: Dagster requires one per selected check,
    and the evaluations themselves were emitted per partition."""
    assets_def = context.assets_def
    for key in context.selected_asset_check_keys:
        yield dg.Output(None, output_name=assets_def.get_output_name_for_asset_check_key(key))


@dataclass
class SlateBuild:
    """What a step built for one slate: each asset's frame and metadata (by asset name), and the slate's
    check evaluations."""

    frames: dict[str, Any]
    metadata: dict[str, dict[str, Any]]
    checks: list[AssetCheckEvaluation] = field(default_factory=list)


# an asset input in a range-capable asset: the frame (one slate), or `{partition key: frame}` (a range);
# Dagster's type inference takes no unions, hence Any
PerSlate = Any
Builder = Callable[[list[Slate]], dict[str, SlateBuild]]


def row_counts(frame: Any) -> dict[str, int]:
    """A slate's table size as every layer reports it (the partition page's row count, and `rows`)."""
    return {"rows": len(frame), "dagster/row_count": len(frame), "dagster/partition_row_count": len(frame)}


def slice_of(value: Any, slate: Slate) -> Any:
    """One slate's part of an input: a range run's inputs arrive as `{partition key: frame}`."""
    return value[str(slate.key)] if isinstance(value, dict) else value


def run_range(context: dg.AssetExecutionContext, build: Builder, write: Callable[[Slate, SlateBuild], None]) -> Iterator:
    """The whole body of a range-capable asset around its builder (`build(slates) -> {partition key: SlateBuild}`).

    The range is built at once (work shared across slates is done once). If that raises in a range run, each
    slate is built alone, so one bad slate costs only itself: the others are materialized with their
    checks and the step fails naming the bad ones (`SlateLog`). A one-slate run lets the error through as is.
    Ends with the step's outputs: `{partition key: frame}` per asset (a range) or the frame (one slate).
    """
    todo, log = slates(context), SlateLog(context)
    try:
        built = build(todo)
    except Exception:
        if len(todo) == 1:
            raise
        context.log.warning(f"the range of {len(todo)} slates failed as a whole; building it slate by slate")
        built = {}
        for slate in todo:
            try:
                built.update(build([slate]))
            except Exception as error:  # one slate's failure must not cost the range the others
                log.fail(slate, error)
    for slate in todo:
        if (b := built.get(str(slate.key))) is not None:
            log.done(slate, b.metadata)
            yield from b.checks
    yield from log.finish(lambda s: write(s, built[str(s.key)]))
    yield from check_outputs(context)
    assets_def = context.assets_def
    for key in assets_def.keys:
        if key not in context.selected_asset_keys:
            continue
        name = key.path[-1]
        frames = {k: b.frames[name] for k, b in sorted(built.items())}
        value = next(iter(frames.values())) if len(todo) == 1 else frames
        yield dg.Output(value, output_name=assets_def.get_output_name_for_asset_key(key))


class SlateLog:
    """What a step built, slate by slate. A slate that raises is recorded as failed and the others go on;
    `finish` then either lets the step's outputs follow (all built), or records partial success: each built
    slate is written (`write`) and materialized with its own metadata, and the step fails naming the failed
    slates, so Dagster marks only those partitions failed and a retry of them alone rebuilds what is missing."""

    def __init__(self, context: dg.AssetExecutionContext) -> None:
        self.context = context
        self.built: dict[str, tuple[Slate, dict[str, dict[str, Any]]]] = {}
        self.failed: dict[str, str] = {}

    def done(self, slate: Slate, metadata: dict[str, dict[str, Any]]) -> None:
        """`metadata`: each asset's (by name) metadata for this slate's partition."""
        for name, meta in metadata.items():
            self.context.add_asset_metadata(meta, asset_key=dg.AssetKey(name), partition_key=slate.key)
        self.built[str(slate.key)] = (slate, metadata)

    def fail(self, slate: Slate, error: Exception) -> None:
        self.failed[str(slate.key)] = one_line(f"{type(error).__name__}: {error}")
        self.context.log.error(f"slate {slate.key} failed: {self.failed[str(slate.key)]}")

    def finish(self, write: Callable[[Slate], None]) -> Iterator[dg.AssetMaterialization]:
        if not self.failed:
            return
        for slate, metadata in (self.built[k] for k in sorted(self.built)):
            write(slate)
            for name, meta in metadata.items():
                yield dg.AssetMaterialization(asset_key=dg.AssetKey(name), partition=str(slate.key), metadata=meta)
        detail = "; ".join(f"{k}: {why}" for k, why in sorted(self.failed.items()))
        rest = "the others are materialized" if self.built else "none is materialized"
        raise dg.Failure(description=f"{len(self.failed)} of {len(self.built) + len(self.failed)} slates failed "
                         f"({detail}); {rest}",
                         metadata={"failed_partitions": sorted(self.failed)}, allow_retries=False)
