"""The check framework of every layer: a check is a plain function of the frames an asset built, so
tests run it on a crafted partition; `results()` turns the checks of an asset into Dagster check results
with their numbers as metadata. ERROR checks block downstream assets; WARN checks flag for review."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import dagster as dg

from linelogic_assets.partitions import sport_date_partitions

ERROR, WARN = dg.AssetCheckSeverity.ERROR, dg.AssetCheckSeverity.WARN


@dataclass
class Outcome:
    passed: bool
    metadata: dict[str, Any]
    description: str | None = None


@dataclass(frozen=True)
class Check:
    """One validation rule of an asset: a plain function of the frames the asset built."""

    name: str
    asset: str
    severity: dg.AssetCheckSeverity
    description: str
    fn: Callable[[Any], Outcome]  # the asset's inputs (silver CheckInputs, gold GoldInputs) → outcome

    @property
    def blocking(self) -> bool:
        return self.severity == ERROR


def specs(asset: str, checks: tuple[Check, ...]) -> list[dg.AssetCheckSpec]:
    """Check specs of an asset, from the checks of its layer."""
    with warnings.catch_warnings():  # partitioned checks are Preview in 1.13; used knowingly
        warnings.simplefilter("ignore", dg.PreviewWarning)
        return [dg.AssetCheckSpec(c.name, asset=c.asset, description=c.description, blocking=c.blocking,
                                  partitions_def=sport_date_partitions) for c in checks if c.asset == asset]


def results(asset: str, inputs: Any, checks: tuple[Check, ...]) -> list[dg.AssetCheckResult]:
    """Run the checks of an asset on its inputs."""
    return [dg.AssetCheckResult(asset_key=c.asset, check_name=c.name, passed=bool(o.passed), severity=c.severity,
                                metadata=metadata_values(o.metadata), description=o.description)
            for c, o in outcomes(asset, inputs, checks)]


def outcomes(asset: str, inputs: Any, checks: tuple[Check, ...]) -> list[tuple[Check, Outcome]]:
    """Each check of an asset with its outcome on the asset's inputs."""
    return [(c, c.fn(inputs)) for c in checks if c.asset == asset]


def metadata_values(meta: dict[str, Any]) -> dict[str, Any]:
    return {k: dg.MetadataValue.json(v) if isinstance(v, dict | list) else v for k, v in meta.items()}
