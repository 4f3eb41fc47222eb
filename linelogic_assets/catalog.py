"""Who owns each asset and which layer it is, as the asset catalog shows them: one rule for every layer."""

from __future__ import annotations

import dagster as dg

# bronze talks to providers (keys, quota, outages); silver and gold are the platform's models
OWNERS = {"bronze": "team:ingestion", "silver": "team:data-platform", "gold": "team:data-platform"}


def catalogued(spec: dg.AssetSpec) -> dg.AssetSpec:
    """An asset of a layer with its owner and a `layer` tag (its group), so the catalog can filter by either."""
    layer = spec.group_name
    return spec.replace_attributes(owners=sorted({*spec.owners, OWNERS[layer]}), tags={**spec.tags, "layer": layer})
