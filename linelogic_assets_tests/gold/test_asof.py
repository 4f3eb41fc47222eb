"""The one as-of rule, `gold.asof`: its single-time path (the query API's) is the general rule at one time."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from linelogic_assets.gold.asof import quotes_asof, quotes_asof_at


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_single_time_path_is_the_general_rule_at_one_time(seed: int) -> None:
    """`quotes_asof_at` (the query API's fast path) and `quotes_asof` (the multi-point merge) return the same rows."""
    rng = np.random.default_rng(seed)
    t0 = pd.Timestamp("2025-11-12T12:00Z")
    n = 400
    odds = pd.DataFrame({
        "canonical_event_id": "nba-e", "bookmaker": rng.choice(["pinnacle", "fanduel", "betmgm"], n),
        "market": rng.choice(["h2h", "totals"], n), "selection": rng.choice(["home", "away"], n),
        "price": rng.uniform(1.2, 4, n).round(2),
        "snapshot_time_utc": (t0 + pd.to_timedelta(rng.integers(0, 600, n), unit="min")).astype("datetime64[us, UTC]"),
        "is_live": rng.random(n) < 0.2})
    table = pa.Table.from_pandas(odds, preserve_index=False)
    for minutes in rng.integers(-10, 620, 25):
        at = (t0 + pd.Timedelta(minutes=int(minutes))).to_pydatetime()
        for pregame in (False, True):
            fast = quotes_asof_at(table, at, pregame_only=pregame).to_pandas()
            rule = quotes_asof(odds, pd.DataFrame({"canonical_event_id": ["nba-e"], "asof_time_utc": [pd.Timestamp(at)]}),
                               pregame_only=pregame)
            key = ["bookmaker", "market", "selection", "price", "snapshot_time_utc"]
            assert sorted(map(tuple, fast[key].astype(str).to_numpy())) == \
                sorted(map(tuple, rule[key].astype(str).to_numpy()))
