"""The asset catalog: every asset says who owns it, which layer it is, and what it holds."""

from __future__ import annotations

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
