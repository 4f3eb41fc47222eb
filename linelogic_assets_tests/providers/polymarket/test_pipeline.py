"""Polymarket from the simulator's Gamma and CLOB through bronze files to silver rows, the retention rule and
gold's venue divergence: the real client, the real bronze store, no Dagster."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest

from linelogic_assets.bronze.store import BronzeStore
from linelogic_assets.gold.venues import venue_divergence
from linelogic_assets.lake.quarantine import Quarantine
from linelogic_assets.odds_math import taker_decimal_odds
from linelogic_assets.providers.polymarket import contracts
from linelogic_assets.providers.polymarket.client import PolymarketClient
from linelogic_assets.providers.polymarket.retention import due_tokens, held_tokens
from linelogic_assets.providers.polymarket.settings import PolymarketSettings
from linelogic_assets.providers.polymarket.silver import build_markets, build_prices, sides_sum_to_one
from linelogic_assets.providers.polymarket.simulator import PolymarketSim
from linelogic_assets.registry.events import canonical_event_id
from linelogic_assets.registry.teams import TeamIndex
from linelogic_assets.simulator.clock import SimClock
from linelogic_assets.simulator.schedule import season_schedule
from linelogic_assets.simulator.settings import SimulatorSettings
from linelogic_assets.sports import league_for

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "real" / "polymarket"


@pytest.fixture(autouse=True)
def registered(monkeypatch: pytest.MonkeyPatch) -> None:
    """The package as the registry will hold it: the shared readers judge its bodies by its contracts."""
    from linelogic_assets.providers import polymarket, registry

    monkeypatch.setitem(registry.PROVIDERS_BY_NAME, "polymarket", polymarket.PROVIDER)
NBA = league_for("basketball_nba")
DAY = date(2025, 11, 11)


@pytest.mark.parametrize("name,endpoint", [
    ("gamma_events_oldest_page_2021-22_nba_nfl_amm.json", "events"),
    ("gamma_sports.json", "sports"),
    ("clob_prices_history_interval_1d_mstr_2026_yes.json", "prices_history"),
    ("clob_prices_history_interval_1h_mstr_2026_yes.json", "prices_history"),
    ("clob_prices_history_empty_interval_all.json", "prices_history"),
])
def test_every_real_fixture_meets_its_endpoint_contract(name: str, endpoint: str) -> None:
    body = json.loads((FIXTURES / name).read_text())
    assert contracts.problems(endpoint, body) == []
    assert contracts.classify(endpoint, body).responses == [body]


@pytest.mark.parametrize("endpoint,body,why", [
    ("events", {"id": 1}, "not a list"),
    ("events", [{"title": "no id"}], "missing 'id'"),
    ("prices_history", {"history": {"t": 1}}, "'history' list"),
    ("prices_history", {"history": [{"t": 1}]}, "missing 'p'"),
    ("book", {"asset_id": "1", "bids": [], "asks": "none"}, "asks is not a list"),
])
def test_a_body_of_another_shape_is_refused_with_the_reason(endpoint: str, body: object, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        contracts.classify(endpoint, body)


class World:
    """The simulator's Polymarket part behind the real client, at a fixed simulated time."""

    def __init__(self, now: datetime) -> None:
        self.clock = SimClock(now, 0)
        self.sim = PolymarketSim(SimulatorSettings(), self.clock.monotonic)

        def answer(request: httpx.Request) -> httpx.Response:
            from linelogic_assets.simulator.responses import parse_query

            resp = self.sim.route(request.url.path, parse_query(request.url.query.decode()), {}, self.clock.now(), 0, None)
            assert resp is not None, request.url
            return httpx.Response(resp.status, headers=resp.headers, content=resp.body, request=request)

        transport = httpx.MockTransport(answer)
        self.client = PolymarketClient(PolymarketSettings(), gamma_transport=transport, clob_transport=transport,
                                       gamma_base_url="http://sim/polymarket/gamma",
                                       clob_base_url="http://sim/polymarket/clob")


def collect(root: Path, world: World, day: date, run: str) -> BronzeStore:
    """What the bronze assets do for one slate: list the events, then each token's history to now."""
    store = BronzeStore(root)
    start, end = NBA.slate_bounds_utc(day)
    w = store.open(provider="polymarket", sport=NBA.sport_key, day=day, run_id=f"{run}-events", endpoint="events", source="simulator")
    for page in world.client.events(series_id="10345", tag_id=100639, start_date_min=start - timedelta(days=8),
                                    start_date_max=end, order="startTime", ascending=True):
        w.add_response(page, snapshot_timestamp=world.clock.now())
    w.close()
    h = store.open(provider="polymarket", sport=NBA.sport_key, day=day, run_id=f"{run}-history", endpoint="prices_history", source="simulator")
    now = world.clock.now()
    for token, game in held_tokens(store, NBA, day).items():
        until = min(now, game + timedelta(minutes=NBA.max_game_minutes))
        begin = game - timedelta(days=8)
        if until > begin:
            r = world.client.prices_history(token, start_ts=int(begin.timestamp()), end_ts=int(until.timestamp()), fidelity=5)
            h.add_response(r, snapshot_timestamp=now, extra={"token_id": token, "end_ts": int(until.timestamp())})
    h.close()
    return store


def canonical_events(day: date) -> pd.DataFrame:
    games = season_schedule("nba", NBA.season_of(day), SimulatorSettings().seed).by_slate[day]
    index = TeamIndex("nba")
    rows = []
    for g in games:
        home, away = index.resolve(g.home_team), index.resolve(g.away_team)
        rows.append({"canonical_event_id": canonical_event_id("nba", home.id, away.id, g.commence_time, day),
                     "league": "nba", "home_team_id": home.id, "away_team_id": away.id,
                     "commence_time_utc": pd.Timestamp(g.commence_time)})
    return pd.DataFrame(rows)


def test_a_slate_becomes_matched_markets_and_prices_and_a_finished_game_needs_its_full_history(tmp_path) -> None:
    start, _ = NBA.slate_bounds_utc(DAY)
    world = World(start + timedelta(hours=20))  # some games of the slate have begun, none has ended
    store = collect(tmp_path, world, DAY, "pre")
    events = canonical_events(DAY)
    q = Quarantine(NBA.sport_key, "prediction_market")
    markets = build_markets(store, NBA, DAY, events, TeamIndex("nba"), q, 0.03)
    # every game of the slate, three markets each, two tokens a market, each matched to its canonical event
    assert set(markets["canonical_event_id"]) == set(events["canonical_event_id"])
    assert markets.groupby("canonical_event_id")["provider_market_id"].nunique().eq(3).all()
    assert len(markets) == 6 * len(events) and markets["token_id"].is_unique
    assert set(markets["market"]) == {"h2h", "spreads", "totals"}
    spreads = markets[markets["market"] == "spreads"].groupby("provider_market_id")["point"].agg(["sum", "min"])
    assert (spreads["sum"] == 0).all() and (spreads["min"] < 0).all()  # -x on one side, +x on the other
    assert markets["venue"].eq("polymarket").all() and markets["fee_rate"].eq(0.03).all()
    assert not [r for r in q.records if r["kind"] == "unmatched"]

    pq = Quarantine(NBA.sport_key, "prediction_price")
    prices = build_prices(store, NBA.sport_key, DAY, set(markets["token_id"]), pq)
    assert len(prices) > 0 and prices["price"].between(0, 1).all() and prices["source"].eq("history").all()
    assert not prices.duplicated(["token_id", "ts_utc", "source"]).any()
    assert (prices["ts_utc"] <= pd.Timestamp(world.clock.now())).all()
    assert sides_sum_to_one({"markets": markets, "prices": prices}).passed

    # before the games end nothing is due; once they have, every token is, until a run reaches the game's end
    assert due_tokens(store, NBA, DAY, world.clock.now(), 25) == []
    later = World(start + timedelta(days=3))
    due = due_tokens(store, NBA, DAY, later.clock.now(), 25)
    assert {d.token_id for d in due} == set(markets["token_id"]) and all(20 < d.days_left < 25 for d in due)
    collect(tmp_path, later, DAY, "post")
    assert due_tokens(store, NBA, DAY, later.clock.now(), 25) == []


def _consensus(asof: datetime, fair_home: float, point: float | None = None) -> pd.DataFrame:
    return pd.DataFrame([{"canonical_event_id": "e1", "bucket": "T-60m", "asof_time_utc": pd.Timestamp(asof),
                          "commence_time_utc": pd.Timestamp(asof + timedelta(hours=1)), "market": "h2h",
                          "selection": "home", "n_books": 5, "point_median": point, "trimmed_fair_prob": fair_home,
                          "sharp_fair_prob": np.nan, "sharp_point": np.nan}])


def test_divergence_uses_the_last_price_at_or_before_the_bucket_never_a_later_one() -> None:
    asof = datetime(2025, 11, 11, 23, 0, tzinfo=UTC)
    markets = pd.DataFrame([{"venue": "polymarket", "canonical_event_id": "e1", "market": "h2h", "selection": "home",
                             "point": np.nan, "token_id": "t1", "provider_market_id": "m1", "fee_rate": 0.03}])
    prices = pd.DataFrame({"token_id": ["t1"] * 4,
                           "ts_utc": pd.to_datetime([asof - timedelta(minutes=30), asof - timedelta(minutes=2), asof,
                                                     asof + timedelta(minutes=1)]),
                           "price": [0.50, 0.55, 0.54, 0.90], "size": [np.nan, np.nan, 100.0, np.nan],
                           "source": ["history", "history", "ask", "history"]})
    # silver reads its times as microseconds, gold's DuckDB may hand back nanoseconds: both must meet
    prices["ts_utc"] = prices["ts_utc"].astype("datetime64[us, UTC]")
    out = venue_divergence(markets, prices, _consensus(asof, 0.52), timedelta(minutes=120))
    [row] = out.to_dict("records")
    # the point 2 min before, never the nearer one 1 min after
    assert row["venue_prob"] == 0.55 and row["venue_price_time_utc"] == pd.Timestamp(asof - timedelta(minutes=2))
    assert row["divergence"] == pytest.approx(0.55 - 0.52) and row["fair_source"] == "consensus"
    assert row["venue_ask"] == 0.54 and row["venue_taker_odds"] == pytest.approx(taker_decimal_odds(0.54, 0.03))
    # a price older than the max quote age is no price
    stale = venue_divergence(markets, prices.assign(ts_utc=prices["ts_utc"] - timedelta(hours=3)), _consensus(asof, 0.52),
                             timedelta(minutes=120))
    assert stale.empty or stale["venue_prob"].isna().all()


@pytest.mark.parametrize("sources", [(), ("ask", "bid")], ids=["no_price_yet", "books_without_a_mid"])
def test_divergence_of_a_slate_with_no_venue_probability_is_empty_not_a_crash(sources: tuple[str, ...]) -> None:
    asof = datetime(2025, 11, 11, 23, 0, tzinfo=UTC)
    markets = pd.DataFrame([{"venue": "polymarket", "canonical_event_id": "e1", "market": "h2h", "selection": "home",
                             "point": np.nan, "token_id": "t1", "provider_market_id": "m1", "fee_rate": 0.03}])
    prices = pd.DataFrame({"token_id": pd.Series(["t1"] * len(sources), dtype=object),
                           "ts_utc": pd.to_datetime([asof - timedelta(minutes=5)] * len(sources), utc=True),
                           "price": [0.5] * len(sources), "size": [10.0] * len(sources),
                           "source": pd.Series(list(sources), dtype=object)})
    out = venue_divergence(markets, prices, _consensus(asof, 0.52), timedelta(minutes=120))
    assert out.empty


def test_a_closed_market_whose_stored_history_is_empty_fails_the_retention_check_as_lost() -> None:
    from linelogic_assets.providers.polymarket.silver import history_retained

    markets = pd.DataFrame({"token_id": ["t1", "t2", "t3"], "closed": [True, True, False]})
    at = pd.Timestamp("2025-11-11 23:00", tz="UTC")
    prices = pd.DataFrame({"token_id": ["t1", "t2"], "ts_utc": [at, at], "price": [0.5, 0.5], "size": [np.nan, 5.0],
                           "source": ["history", "ask"]})
    out = history_retained({"due": [], "markets": markets, "prices": prices})
    assert not out.passed and out.metadata["closed_tokens_with_empty_history"] == 1  # t2: a book read, no history
    assert "lost" in out.description
    whole = prices.assign(source="history")
    assert history_retained({"due": [], "markets": markets, "prices": whole}).passed  # t3 is still open


def test_a_slates_match_is_computed_once_for_links_and_markets_and_again_when_an_input_changes(
        tmp_path, monkeypatch) -> None:
    """`silver_events` (links) and `prediction_market` (rows) of one run match a slate once; the result equals a
    fresh match, each caller gets its own quarantine records, and a changed listing, events or index is re-read."""
    from linelogic_assets.providers.polymarket import silver

    start, _ = NBA.slate_bounds_utc(DAY)
    store = collect(tmp_path, World(start + timedelta(hours=20)), DAY, "pre")
    events = canonical_events(DAY)
    # a listing of another shape: quarantined by the match itself, for each caller
    bad = store.open(provider="polymarket", sport=NBA.sport_key, day=DAY, run_id="bad-events", endpoint="events",
                     source="simulator")
    bad.add_raw(b'{"unexpected": 1}', valid_json=True, extra={"snapshot_timestamp": start.isoformat()})
    bad.close()
    calls = []
    monkeypatch.setattr(silver, "_MATCHES", type(silver._MATCHES)())
    real = silver._match
    monkeypatch.setattr(silver, "_match", lambda *a: calls.append(a) or real(*a))

    links = silver.event_links(store, NBA, DAY, events, TeamIndex("nba"))
    q = Quarantine(NBA.sport_key, "prediction_market")
    markets = silver.build_markets(store, NBA, DAY, events.astype({"commence_time_utc": "datetime64[us, UTC]"}),
                                   TeamIndex("nba"), q, 0.03)  # the events as read back from Parquet
    assert len(calls) == 1
    assert [(r["table"], r["kind"]) for r in q.records] == [("prediction_market", "response")]
    fresh_q = Quarantine(NBA.sport_key, "prediction_market")
    fresh = real(silver.partition_responses(store, "polymarket", NBA.sport_key, DAY, ("events",)), NBA, DAY, events,
                 TeamIndex("nba"), fresh_q)
    pd.testing.assert_frame_equal(links, fresh.provider_map)
    assert set(markets["token_id"]) == set(fresh.matched["token_id"]) and q.records == fresh_q.records

    moved = events.assign(commence_time_utc=events["commence_time_utc"] + pd.Timedelta(minutes=30))
    silver.event_links(store, NBA, DAY, moved, TeamIndex("nba"))
    silver.event_links(store, NBA, DAY, events, TeamIndex("nba", {"Sixers": "nba-phi"}))
    assert len(calls) == 3
    listing = next(p for p in tmp_path.rglob("response_*.json") if "bad-events" in str(p))
    listing.write_bytes(b'{"still": "not a listing"}')  # rewritten in place: read again, never served stale
    silver.event_links(store, NBA, DAY, events, TeamIndex("nba"))
    assert len(calls) == 4
