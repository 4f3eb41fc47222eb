"""A venue's book snapshots downstream: `market_opportunities` searches them, and the backtester bets them, at
the taker odds on the best ask. On a copy of the session's two-slate NBA demo whose Polymarket prices gain the
book reads a collector makes before each game (the demo's slates are past, and a closed market has no book)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import dagster as dg
import numpy as np
import pandas as pd
import pytest

from linelogic_assets.cli import main
from linelogic_assets.definitions import defs
from linelogic_assets.odds_math import taker_decimal_odds
from linelogic_assets.partitions import partition_key
from linelogic_assets.silver.io_manager import read_partition, read_range, write_partition
from linelogic_assets_tests.backtest.test_cli import ledger
from linelogic_assets_tests.conftest import NBA_DEMO_DAYS, nba_demo_copy

NBA = "basketball_nba"
DAYS = [date.fromisoformat(d) for d in NBA_DEMO_DAYS]
TICK = 0.01


def add_books(root: Path, day: date) -> pd.DataFrame:
    """Each token's book (bid, ask and mid, a tick either side of its traded price) at every history point of
    the two hours before its game, as `polymarket_books` stores them; returns the asks added."""
    markets = read_partition(root, "prediction_market", NBA, day)
    prices = read_partition(root, "prediction_price", NBA, day)
    start = markets.drop_duplicates("token_id").set_index("token_id")["game_start_utc"]
    hist = prices[prices["source"] == "history"].copy()
    begins = pd.to_datetime(hist["token_id"].map(start), utc=True)
    hist = hist[(hist["ts_utc"] < begins) & (hist["ts_utc"] >= begins - pd.Timedelta(hours=2))]
    ask = np.minimum(np.round(hist["price"].to_numpy() + TICK, 2), 0.99)
    bid = np.maximum(np.round(hist["price"].to_numpy() - TICK, 2), 0.01)
    books = [hist.assign(price=p, size=250.0, source=s) for s, p in (("bid", bid), ("ask", ask),
                                                                    ("mid", (bid + ask) / 2))]
    write_partition(root, "prediction_price", NBA, day, pd.concat([prices, *books], ignore_index=True))
    return books[1].merge(markets[["token_id", "canonical_event_id", "market", "selection", "fee_rate"]],
                          on="token_id")


@pytest.fixture(scope="module")
def venue_lake(tmp_path_factory: pytest.TempPathFactory, _nba_demo_template: tuple[Path, Path]):
    lake, home = nba_demo_copy(_nba_demo_template, tmp_path_factory.mktemp("venue_books"))
    root = lake / "demo"
    asks = pd.concat([add_books(root, d) for d in DAYS], ignore_index=True)
    mp = pytest.MonkeyPatch()
    mp.setenv("LINELOGIC_DATA_ROOT", str(lake))
    mp.setenv("DAGSTER_HOME", str(home))
    yield root, asks
    mp.undo()


def test_market_opportunities_searches_the_venues_quotes_but_judges_by_the_books(venue_lake, monkeypatch) -> None:
    import linelogic_assets.gold.assets as gold_assets

    seen = {}
    search = gold_assets.opportunities

    def spy(lines, consensus, settings):
        seen["searched"] = set(lines["bookmaker"])
        seen["judged_by_books"] = consensus.equals(gold_assets.consensus(lines[lines["bookmaker"] != "polymarket"]))
        return search(lines, consensus, settings)

    monkeypatch.setattr(gold_assets, "opportunities", spy)
    job = defs.resolve_job_def("gold_job")
    result = job.execute_in_process(partition_key=partition_key(NBA, DAYS[0]), instance=dg.DagsterInstance.ephemeral())
    assert result.success
    meta = {m.asset_key.to_user_string(): m.materialization.metadata for m in result.get_asset_materialization_events()}
    opp = meta["market_opportunities"]
    assert opp["venue_quotes"].value > 0 and opp["quotes"].value > opp["venue_quotes"].value
    assert "polymarket" in seen["searched"] and len(seen["searched"]) > 1
    assert seen["judged_by_books"]  # the consensus it is judged by is the sportsbooks' alone
    divergence = meta["venue_divergence"]
    assert divergence["rows"].value > 0 and divergence["dagster/row_count"].value == divergence["rows"].value
    # the UI's column schema says what each column means: on the definition, shown on the asset's page
    spec = defs.resolve_assets_def("venue_divergence").get_asset_spec(dg.AssetKey("venue_divergence"))
    columns = spec.metadata["dagster/column_schema"].columns
    assert columns and all(c.description for c in columns)


def test_a_strategy_bets_a_prediction_market_at_its_taker_odds_on_the_best_ask(venue_lake, capsys) -> None:
    root, asks = venue_lake
    code = main(["backtest", "run", "--strategy", "flat", "--sport", NBA, "--start", str(DAYS[0]), "--end",
                 str(DAYS[1]), "--bucket", "T-60m", "--param", 'bookmaker="polymarket"', "--param",
                 'selection="home"', "--sizing", "flat:100", "--save-as", "venue_flat", "--format", "json"])
    assert code == 0, capsys.readouterr().err
    bets = ledger(root, "venue_flat")
    games = read_range(root, "event", NBA, DAYS)
    assert len(bets) == len(games) and (bets["bookmaker"] == "polymarket").all()  # every game's home token
    assert (bets["commission_rate"] == 0).all()  # the fee is in the price, not charged again on winnings
    home = asks[(asks["market"] == "h2h") & (asks["selection"] == "home")]
    for bet in bets.itertuples():
        seen = home[(home["canonical_event_id"] == bet.canonical_event_id) & (home["ts_utc"] <= bet.decision_time_utc)]
        last = seen.sort_values("ts_utc").iloc[-1]  # the last ask at or before the decision, never a later one
        assert bet.snapshot_time_utc == last["ts_utc"]
        assert bet.price == pytest.approx(taker_decimal_odds(last["price"], last["fee_rate"]))
