"""The asset catalog: every asset says who owns it, which layer it is, and what it holds."""

from __future__ import annotations

import dagster as dg

from linelogic_assets.definitions import defs


def test_every_asset_has_an_owner_a_layer_tag_and_a_description() -> None:
    graph = defs.resolve_asset_graph()
    missing = []
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        if not node.owners or node.tags.get("layer") != node.group_name or not node.description:
            missing.append((key.to_user_string(), node.owners, node.tags.get("layer"), node.group_name))
    assert not missing, missing
    layers = {graph.get(k).group_name for k in graph.get_all_asset_keys()}
    assert layers == {"bronze", "silver", "gold", "backtest"}


def test_every_gold_and_prediction_market_table_shows_its_columns_with_descriptions_on_its_definition() -> None:
    """The asset page's "Columns" come from the definition: a range run's materializations (one per partition)
    carry only what differs per partition."""
    from linelogic_assets.gold.schemas import GOLD_SCHEMAS
    from linelogic_assets.providers.polymarket.schemas import SCHEMAS as VENUE_SCHEMAS

    graph = defs.resolve_asset_graph()
    tables = {**GOLD_SCHEMAS, **VENUE_SCHEMAS}
    assert set(tables) <= {k.to_user_string() for k in graph.get_all_asset_keys()}
    for name, schema in tables.items():
        shown = graph.get(dg.AssetKey(name)).metadata.get("dagster/column_schema")
        assert shown is not None, name
        assert [c.name for c in shown.columns] == schema.names, name
        assert all(c.description for c in shown.columns), (name, [c.name for c in shown.columns if not c.description])
