"""The demo's Polymarket: the session's two-slate NBA demo (`linelogic demo`, read only here) holds matched
prediction markets for every game and a venue divergence at every as-of bucket, and their checks passed."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from linelogic_assets.config import load_config
from linelogic_assets.lakesql import query

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(_nba_demo_template: tuple[Path, Path]) -> tuple[Path, Path]:
    lake, home = _nba_demo_template
    return lake / "demo", home


def test_every_game_has_its_three_markets_matched_and_a_divergence_at_every_bucket(demo) -> None:
    root, _ = demo
    games = query(root, "SELECT DISTINCT canonical_event_id FROM event")
    markets = query(root, "SELECT canonical_event_id, market, count(*) tokens FROM prediction_market GROUP BY ALL")
    assert set(markets["canonical_event_id"]) == set(games["canonical_event_id"]) and len(games) > 0
    assert (markets["tokens"] == 2).all() and len(markets) == 3 * len(games)
    buckets = [name for name, _ in load_config().snapshot_schedule.offsets()]
    cells = query(root, "SELECT canonical_event_id, bucket, count(*) n, count(fair_prob) priced, "
                        "max(abs(divergence)) worst FROM venue_divergence WHERE market = 'h2h' GROUP BY ALL")
    assert len(cells) == len(games) * len(buckets)  # every game, every bucket
    assert (cells["n"] == 2).all() and (cells["priced"] == 2).all()
    # the venue's mid tracks the books' fair price: a few points at most on the simulated market
    assert cells["worst"].max() < 0.1


def test_the_polymarket_checks_ran_and_passed_on_every_slate(demo) -> None:
    _, home = demo
    with dg.DagsterInstance.from_config(str(home)) as instance:
        records = {}
        for asset, names in {"prediction_market": ["markets_matched"],
                             "prediction_price": ["prices_in_unit_interval", "sides_sum_to_one", "books_uncrossed",
                                                  "history_retained"]}.items():
            for name in names:
                key = dg.AssetCheckKey(dg.AssetKey(asset), name)
                evaluations = instance.event_log_storage.get_asset_check_execution_history(key, limit=10)
                records[(asset, name)] = [e.status.value for e in evaluations]
    assert all(statuses and set(statuses) == {"SUCCEEDED"} for statuses in records.values()), records
